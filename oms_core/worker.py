"""``oms worker``: deliver outbox events to reaction hooks, in as many processes and machines as needed.

Each batch is claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so workers never share a
delivery; a worker that dies leaves its lease to expire and another picks the deliveries up. Signal handlers are
installed only when asked (the CLI asks; a host application embedding the worker keeps its own).
"""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from oms_core import outbox

if TYPE_CHECKING:
    from oms_core.app import OMS


def run_worker(
    oms: OMS,
    *,
    worker_id: str | None = None,
    batch: int = 100,
    poll_interval: float = 1.0,
    once: bool = False,
    max_seconds: float | None = None,
    stop: threading.Event | None = None,
    install_signal_handlers: bool = False,
    lease_seconds: float | None = None,
) -> int:
    """Deliver due events until stopped. Returns how many deliveries were attempted.

    :param once: deliver what is due now (batch after batch) and return when nothing is left.
    :param max_seconds: stop after this long (for tests and cron-style runs).
    :param stop: an event another thread sets to stop the loop after the current batch.
    :param install_signal_handlers: stop cleanly on SIGTERM and SIGINT (main thread only).
    :param lease_seconds: how long a claimed batch stays this worker's (default 300): when the worker dies, the
        batch's deliveries are claimed again by any worker after this long. Keep it well above the time a batch
        takes, or a slow batch is delivered a second time while it is still running.
    """
    stop = stop or threading.Event()
    worker_id = worker_id or outbox.default_worker_id()
    previous: dict[int, Any] = {}
    if install_signal_handlers:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    total = 0
    try:
        while not stop.is_set():
            done = oms.process_outbox(limit=batch, worker=worker_id, lease_seconds=lease_seconds)
            total += done
            if deadline is not None and time.monotonic() >= deadline:
                break
            if done == 0:
                if once:
                    break
                stop.wait(poll_interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return total
