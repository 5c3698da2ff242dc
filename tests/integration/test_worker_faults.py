"""Faults: workers killed with SIGKILL in the middle of a batch, and a channel that sends every order five times.

Killed workers. 400 events wait in the outbox with one subscriber, ``EffectRecorder`` (``fault_plugins``): an
idempotent reaction that commits its effect, a row keyed by the event id, in its own transaction before it returns.
Twenty times, a worker process starts (batches of 5, a handler that works a few milliseconds, a 1 s lease) and is
killed with SIGKILL at a random moment of its first two or three batches, so kills land in every phase: inside a
handler, between a handler's commit and the batch being marked delivered, while marking, while claiming. Then one
worker runs to completion and claims again what the killed workers held once their leases expire. No event may be
lost, every delivery must end ``delivered`` and none ``dead``.

"No reaction applied twice" means, precisely: delivery is at least once, so an event whose handler committed before
the kill, but whose batch was not yet marked delivered, is delivered again. The handler makes that redelivery
harmless through the event id (its unique key), so each event's EFFECT is applied exactly once: the test asserts
that there are exactly as many effects as events, one per event id, and prints how many redeliveries the
idempotency absorbed (a count that depends on where the kills land, so it is reported, never asserted).

The worker processes are started by the ``forkserver`` context with ``fault_plugins`` preloaded: like ``spawn``
they share nothing with the test process (the server is a fresh interpreter), but each of the twenty starts is a
fork of a process that has already imported the OMS, instead of a new interpreter importing it again (seconds each
on a busy machine).

The other faults of the house rules are tested where they belong: a decision hook that raises (``HookFailed``
naming the plugin, nothing written) in ``test_embedding.py``; a reaction that raises (retried with back-off, then
dead, the committed state untouched) in ``test_outbox.py`` and ``test_embedding.py``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from oms_core import OMS, hookimpl
from oms_core.storage.engine import create_engine
from oms_core.testing import draft, seed_catalogue
from oms_core.worker import run_worker
from tests.integration import fault_plugins

EVENTS = 400
KILLS = 20
BATCH = 5
PAUSE = 0.008  # seconds a handler works before applying its effect
LEASE = 1.0  # seconds; a killed worker's batch is claimed again after this


@pytest.fixture
def outbox_url(database_url: str) -> Iterator[str]:
    """The test database with the effect tables of ``EffectRecorder``, dropped after the test."""
    engine = create_engine(database_url)
    fault_plugins.create_effect_tables(engine)
    try:
        yield database_url
    finally:
        fault_plugins.drop_effect_tables(engine)
        engine.dispose()


def fill_outbox(url: str, events: int) -> OMS:
    oms = fault_plugins.open_oms(url)
    oms.add_location("WH1", "Warehouse 1")
    oms.add_product("SKU-1", "Product 1")
    with oms.transaction():
        for _ in range(events):
            oms.receive_stock("SKU-1", "WH1", 1)  # one stock_changed event each
    return oms


def worker_context() -> Any:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", fault_plugins.__name__, "sqlalchemy.dialects.postgresql.psycopg"])
    return ctx


def test_workers_killed_mid_batch_lose_nothing_and_apply_each_effect_once(outbox_url):
    with fill_outbox(outbox_url, EVENTS) as oms:
        killed_mid_batch(oms, outbox_url)


def killed_mid_batch(oms: OMS, outbox_url: str) -> None:
    assert oms.outbox_counts() == {"events": EVENTS, "pending": EVENTS, "delivered": 0, "dead": 0}

    ctx, rng = worker_context(), random.Random()
    for _ in range(KILLS):
        working = ctx.Event()
        p = ctx.Process(target=fault_plugins.killable_worker, args=(outbox_url, PAUSE, BATCH, LEASE, working))
        p.start()
        assert working.wait(60), "the worker never called its handler"
        # up to two or three batches in: inside a handler, after its commit, while marking, while claiming
        time.sleep(rng.uniform(0, 0.1))
        os.kill(p.pid, signal.SIGKILL)
        p.join(30)
        assert p.exitcode == -signal.SIGKILL  # it was still running: killed, not finished or crashed
    after_kills = oms.outbox_counts()
    assert after_kills["pending"] > 0  # twenty kills a few batches in each cannot drain 400 events

    deadline = time.monotonic() + 60
    while oms.outbox_counts()["pending"] and time.monotonic() < deadline:
        run_worker(oms, batch=50, once=True, lease_seconds=LEASE)
        time.sleep(0.1)  # what a killed worker held is claimable again once its lease has expired

    deliveries = oms.deliveries(limit=2 * EVENTS)
    assert len(deliveries) == EVENTS
    assert {d.status for d in deliveries} == {"delivered"}  # none pending, none dead
    assert oms.outbox_counts() == {"events": EVENTS, "pending": 0, "delivered": EVENTS, "dead": 0}

    handled, redelivered = fault_plugins.effects(oms.engine)
    assert len(handled) == EVENTS  # exactly as many effects as events...
    assert sorted(handled) == sorted(d.event_id for d in deliveries)  # ...one for each event: none lost, none twice
    claims = sum(d.attempts for d in deliveries)
    print(
        f"\n{KILLS} workers killed; {after_kills['pending']} of {EVENTS} deliveries left pending after the kills; "
        f"{claims - EVENTS} claims beyond the first (batches held by killed workers, claimed again after the "
        f"lease); {redelivered} redeliveries of an effect already applied, absorbed by the event-id key"
    )


# -- a channel that sends every order five times ----------------------------------------------------------------


class PlacedListener:
    """Subscribes to ``order_placed``, so that the outbox stores that event (it stores only what has a reader)."""

    @hookimpl
    def order_placed(self, event: Any, oms: OMS) -> None:
        pass


def placed_events(oms: OMS) -> int:
    ev = oms.tables.events
    with oms.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(ev.c.name == "order_placed")).scalar_one()


@pytest.fixture
def shop(make_oms) -> OMS:
    oms = make_oms(load_entry_points=False, plugins=[PlacedListener()], inline_dispatch=False)
    seed_catalogue(oms, {"SKU-1": {"WH1": 50}})
    return oms


def test_the_same_order_placed_five_times_is_one_order(shop):
    ids = {shop.place_order(draft("A-1", [("SKU-1", 2, "10.00")])).id for _ in range(5)}
    assert len(ids) == 1
    assert [o.external_id for o in shop.list_orders()] == ["A-1"]
    assert placed_events(shop) == 1


@pytest.mark.parametrize("ordering", ["copies together", "copies spread over batches"])
def test_a_stream_with_every_order_five_times_places_each_once(shop, ordering):
    drafts = [draft(f"B-{n}", [("SKU-1", 1 + n % 3, "10.00")]) for n in range(6)]
    if ordering == "copies together":
        stream = (d for d in drafts for _ in range(5))
    else:
        stream = (d for _ in range(5) for d in drafts)
    result = shop.place_orders(stream, batch_size=4)
    assert (result.created, result.replayed, result.errors) == (6, 24, ())
    assert sorted(o.external_id for o in shop.list_orders()) == sorted(d.external_id for d in drafts)
    assert placed_events(shop) == 6
    again = shop.place_orders(iter(drafts))  # and the whole stream once more, later
    assert (again.created, again.replayed, again.errors) == (0, 6, ())
    assert len(shop.list_orders()) == 6
