"""Many processes against one database: no unit is reserved twice, no order is taken twice.

Each process opens its own OMS on the test database (a real SQLite file with WAL, or PostgreSQL), so the
guarantees come from the database statements, not from anything shared in Python.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import sqlite3
import threading

from oms_core import OMS
from oms_core.testing import draft, seed_catalogue

PROCESSES = 8
ORDERS_PER_PROCESS = 10
HOT_STOCK = 40


def _quantities(worker: int) -> list[int]:
    rng = random.Random(worker)
    return [rng.randint(1, 3) for _ in range(ORDERS_PER_PROCESS)]


def _place_and_confirm(url: str, worker: int, start: mp.Event) -> None:
    oms = OMS.open(url, migrate=False)
    start.wait(30)
    for n, qty in enumerate(_quantities(worker)):
        order = oms.place_order(draft(f"{worker}-{n}", [("HOT", qty, "19.90")]))
        oms.confirm_order(order.id)
    oms.close()


def _place_same(url: str, results: mp.Queue, start: mp.Event) -> None:
    oms = OMS.open(url, migrate=False)
    start.wait(30)
    results.put(oms.place_order(draft("same", [("HOT", 1, "19.90")])).id)
    oms.close()


def _run(target, args_for) -> None:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=target, args=(*args_for(i), start)) for i in range(PROCESSES)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * PROCESSES


def test_eight_processes_never_oversell_a_hot_sku(oms, database_url):
    seed_catalogue(oms, {"HOT": {"WH1": HOT_STOCK}})
    _run(_place_and_confirm, lambda i: (database_url, i))

    demand = sum(sum(_quantities(w)) for w in range(PROCESSES))
    [level] = oms.stock("HOT")
    assert level.reserved == min(HOT_STOCK, demand)
    assert level.on_hand == HOT_STOCK
    orders = oms.list_orders(limit=1000)
    assert len(orders) == PROCESSES * ORDERS_PER_PROCESS
    assert sum(line.quantity_reserved for o in orders for line in o.lines) == level.reserved
    assert sum(line.quantity_backordered for o in orders for line in o.lines) == demand - level.reserved
    assert oms.verify_stock() == []


def test_the_same_external_id_placed_at_once_gives_one_order(oms, database_url):
    seed_catalogue(oms, {"HOT": {"WH1": HOT_STOCK}})
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    _run(_place_same, lambda i: (database_url, results))
    ids = {results.get(timeout=10) for _ in range(PROCESSES)}
    assert len(ids) == 1
    assert len(oms.list_orders()) == 1


# -- SQLite: readers never wait for a writer -----------------------------------------------------------------------


def test_sqlite_reads_do_not_wait_for_a_writer_holding_the_lock(tmp_path):
    """WAL lets readers read their snapshot while a writer holds the lock; the OMS's reads begin DEFERRED."""
    oms = OMS.open(f"sqlite:///{tmp_path / 'oms.db'}", load_entry_points=False)
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    placed = oms.place_order(draft("1"))
    writer = sqlite3.connect(tmp_path / "oms.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process's use case, in the middle of its writes
    writer.execute("UPDATE oms_stock SET on_hand = on_hand + 100")
    results: list = []
    reader = threading.Thread(
        target=lambda: results.append(
            (
                oms.get_order(placed.id).status,
                oms.stock("SKU-1")[0].on_hand,
                [o.external_id for o in oms.list_orders()],
                oms.order_counts(),
            )
        )
    )
    try:
        reader.start()
        reader.join(timeout=10)  # a reader taking the write lock would wait out the 30 s busy timeout
        assert not reader.is_alive(), "the read waited for the writer's lock"
        # the committed snapshot, not the writer's uncommitted change
        assert results == [("pending", 5, ["1"], {"pending": 1})]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.join()
        oms.close()
