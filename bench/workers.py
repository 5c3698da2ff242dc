"""Outbox throughput: 1, 2 and 4 ``oms worker`` processes drain the same outbox on PostgreSQL.

    OMS_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run python bench/workers.py --events 100000

For each worker count: a fresh database, ``--events`` stock_changed events with one subscriber (set-up, not timed),
then K processes run the worker loop until the outbox is empty. The subscriber records every event id it handles
in a table with a unique key, so the run proves each event was handled exactly once (no loss, no duplicate).
The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa

from oms_core import OMS, Event, hookimpl
from oms_core.storage.engine import normalise_url
from oms_core.worker import run_worker


class Recorder:
    """The reaction under test: remembers each event id once; a second delivery counts as a duplicate."""

    oms_plugin_name = "bench_recorder"

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(normalise_url(url))

    @hookimpl
    def stock_changed(self, event: Event) -> None:
        with self.engine.begin() as c:
            # the recorder measures the outbox, not its own fsync: its commits need not wait for the disk
            c.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
            inserted = c.execute(
                sa.text("INSERT INTO bench_handled (event_id) VALUES (:id) ON CONFLICT DO NOTHING"), {"id": event.id}
            ).rowcount
            if not inserted:
                c.execute(sa.text("UPDATE bench_dupes SET n = n + 1"))


def worker(url: str, start: Any) -> None:
    oms = OMS(sa.create_engine(normalise_url(url)), plugins=[Recorder(url)], inline_dispatch=False)
    start.wait(60)
    run_worker(oms, batch=500, once=True, worker_id=f"bench-{os.getpid()}")


def prepare(url: str, events: int) -> None:
    oms = OMS.open(url, inline_dispatch=False, plugins=[Recorder(url)])
    with oms.engine.begin() as c:
        c.execute(sa.text("CREATE TABLE bench_handled (event_id varchar(32) PRIMARY KEY)"))
        c.execute(sa.text("CREATE TABLE bench_dupes (n integer NOT NULL)"))
        c.execute(sa.text("INSERT INTO bench_dupes VALUES (0)"))
    oms.add_location("WH1", "Warehouse 1")
    oms.add_product("SKU-1", "Product 1")
    done = 0
    while done < events:
        with oms.transaction():
            for _ in range(min(5000, events - done)):
                oms.receive_stock("SKU-1", "WH1", 1)
        done += min(5000, events - done)
    oms.close()


def measure(server: sa.URL, events: int, workers: int) -> dict[str, Any]:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    db = f"oms_bench_workers_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{db}"'))
    url = server.set(database=db).render_as_string(hide_password=False)
    try:
        prepare(url, events)
        ctx = mp.get_context("spawn")
        start = ctx.Event()
        procs = [ctx.Process(target=worker, args=(url, start)) for _ in range(workers)]
        for p in procs:
            p.start()
        time.sleep(3)  # let every process import and connect before the clock starts
        t0 = time.perf_counter()
        start.set()
        for p in procs:
            p.join()
        seconds = time.perf_counter() - t0
        engine = sa.create_engine(normalise_url(url))
        with engine.connect() as c:
            handled = c.execute(sa.text("SELECT count(*) FROM bench_handled")).scalar_one()
            dupes = c.execute(sa.text("SELECT n FROM bench_dupes")).scalar_one()
            pending = c.execute(sa.text("SELECT count(*) FROM oms_deliveries WHERE status <> 'delivered'")).scalar_one()
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
    return {"workers": workers, "events": events, "seconds": round(seconds, 2),
            "events_per_s": round(events / seconds, 1), "handled": handled, "duplicates": dupes,
            "undelivered": pending, "exactly_once": handled == events and dupes == 0 and pending == 0}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--workers", type=int, action="append", help="repeat; default 1, 2 and 4")
    args = ap.parse_args(argv)
    server_url = os.environ.get("OMS_BENCH_POSTGRES_URL")
    if not server_url:
        raise SystemExit("set OMS_BENCH_POSTGRES_URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres")
    server = sa.make_url(normalise_url(server_url))
    runs = []
    for k in args.workers or [1, 2, 4]:
        runs.append(measure(server, args.events, k))
        print(json.dumps(runs[-1]), file=sys.stderr)
    print(json.dumps({"benchmark": "workers", "backend": "postgres", "runs": runs}))
    return 0 if all(r["exactly_once"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
