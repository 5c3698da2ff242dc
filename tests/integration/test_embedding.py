"""Embedding: the host's connection and transaction, several instances in one process, prefixes and schemas,
reactions after commit, and decision hooks that fail. On SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from oms_core import OMS, ConfigurationError, HookFailed, RuleRejected, hookimpl
from oms_core.drivers import CARRIERS
from oms_core.storage.migrate import version_table
from oms_core.storage.tables import NAMES, Tables
from oms_core.testing import draft, seed_catalogue
from oms_core.testing.fixtures import PREFIX

# -- helpers ------------------------------------------------------------------------------------------------------


class Recorder:
    """A reaction plugin that notes every event it receives (and can be told to fail)."""

    def __init__(self, name: str = "recorder", fail_times: int = 0) -> None:
        self.oms_plugin_name = name
        self.fail_times = fail_times
        self.events: list[Any] = []
        self.seen_committed: list[bool] = []

    @hookimpl
    def order_placed(self, event, oms):
        self.events.append(event)
        # reactions run after commit: a new connection sees the order
        with oms.engine.connect() as conn:
            t = oms.tables.orders
            self.seen_committed.append(
                conn.execute(sa.select(t.c.id).where(t.c.id == event.order_id)).first() is not None
            )
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("ERP unreachable")


class Exploding:
    """A decision plugin that raises in one hook."""

    def __init__(self, hook: str) -> None:
        self.oms_plugin_name = "exploding_rule"
        self.hook = hook

    def _boom(self) -> None:
        raise RuntimeError(f"bug in {self.hook}")

    @hookimpl
    def validate_order(self):
        if self.hook == "validate_order":
            self._boom()

    @hookimpl
    def price_order(self):
        if self.hook == "price_order":
            self._boom()

    @hookimpl
    def compute_taxes(self):
        if self.hook == "compute_taxes":
            self._boom()

    @hookimpl
    def check_transition(self, field):
        if self.hook == "check_transition" and field == "status":
            self._boom()

    @hookimpl
    def assess_order(self):
        if self.hook == "assess_order":
            self._boom()

    @hookimpl(tryfirst=True)
    def choose_sources(self):
        if self.hook == "choose_sources":
            self._boom()


def order_ids(oms: OMS) -> list[str]:
    return sorted(o.external_id for o in oms.list_orders())


@pytest.fixture
def host_table(database: dict[str, Any]) -> Iterator[sa.Table]:
    """A table of the host application, in the same database (and schema) as the OMS."""
    md = sa.MetaData(schema=database["schema"])
    table = sa.Table(
        f"host_notes_{uuid.uuid4().hex[:8]}",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("note", sa.String(100), nullable=False),
    )
    md.create_all(database["engine"])
    yield table
    md.drop_all(database["engine"])


def host_notes(engine: sa.Engine, table: sa.Table) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table.c.note).order_by(table.c.id)).scalars())


@pytest.fixture
def prefixed_oms(database: dict[str, Any]) -> Iterator[Callable[..., OMS]]:
    """``make(prefix_stem, **kwargs)``: a migrated OMS with its own, fresh table prefix; its tables dropped after."""
    made: list[str] = []
    engine, schema = database["engine"], database["schema"]

    def make(stem: str, **kwargs: Any) -> OMS:
        prefix = f"{stem}_{uuid.uuid4().hex[:6]}_"
        made.append(prefix)
        oms = OMS(engine, table_prefix=prefix, schema=schema, **kwargs)
        oms.migrate()
        return oms

    yield make
    for prefix in made:
        Tables(prefix, schema).metadata.drop_all(engine)
        with engine.begin() as conn:
            qualified = f'"{schema}"."{version_table(prefix)}"' if schema else f'"{version_table(prefix)}"'
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {qualified}")


# -- (a) the host's connection and transaction ------------------------------------------------------------------


def test_host_rollback_discards_the_host_row_and_the_order(database, make_oms, host_table):
    engine = database["engine"]
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 5}})
    with engine.connect() as conn:
        conn.begin()
        conn.execute(host_table.insert().values(note="cart 1 checked out"))
        oms = OMS(connection=conn, table_prefix=PREFIX, schema=database["schema"], plugins=[Recorder()])
        order = oms.place_order(draft("1"))
        oms.confirm_order(order.id)
        assert oms.get_order(order.id).status == "confirmed"  # visible inside the host's transaction
        assert oms.outbox_counts()["events"] == 1  # order_placed, stored for the recorder
        conn.rollback()
    fresh = make_oms()
    assert host_notes(engine, host_table) == []
    assert fresh.list_orders() == []
    assert fresh.stock("SKU-1")[0].reserved == 0
    assert fresh.outbox_counts()["events"] == 0  # the order's event went with the host's rollback


def test_host_commit_keeps_the_host_row_and_the_order(database, make_oms, host_table):
    engine = database["engine"]
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 5}})
    with engine.connect() as conn:
        conn.begin()
        conn.execute(host_table.insert().values(note="cart 1 checked out"))
        oms = OMS(connection=conn, table_prefix=PREFIX, schema=database["schema"])
        order = oms.place_order(draft("1"))
        oms.confirm_order(order.id)
        conn.commit()
    fresh = make_oms()
    assert host_notes(engine, host_table) == ["cart 1 checked out"]
    assert [(o.external_id, o.status) for o in fresh.list_orders()] == [("1", "confirmed")]
    assert fresh.stock("SKU-1")[0].reserved == 1


def test_a_failing_use_case_rolls_back_only_its_savepoint(database, make_oms, host_table):
    engine = database["engine"]
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 5}})
    with engine.connect() as conn:
        conn.begin()
        conn.execute(host_table.insert().values(note="before"))
        oms = OMS(connection=conn, table_prefix=PREFIX, schema=database["schema"], plugins=[Exploding("assess_order")])
        order = oms.place_order(draft("1"))
        with pytest.raises(HookFailed):
            oms.confirm_order(order.id)  # reserved, then the plugin raised: the reservation is rolled back
        assert oms.stock("SKU-1")[0].reserved == 0
        with pytest.raises(RuleRejected):
            OMS(connection=conn, table_prefix=PREFIX, schema=database["schema"], plugins=[TooMany()]).place_order(
                draft("2", [("SKU-1", 3, "1.00")])
            )
        conn.execute(host_table.insert().values(note="after"))
        conn.commit()
    fresh = make_oms()
    assert host_notes(engine, host_table) == ["before", "after"]
    assert [(o.external_id, o.status) for o in fresh.list_orders()] == [("1", "pending")]
    assert fresh.stock("SKU-1")[0].reserved == 0


class TooMany:
    oms_plugin_name = "too_many"

    @hookimpl
    def validate_order(self, draft):
        return [f"{line.quantity} x {line.sku} is too many" for line in draft.lines if line.quantity > 2]


def test_reactions_wait_for_the_host_commit_and_process_outbox(database, make_oms):
    engine = database["engine"]
    recorder = Recorder()
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 5}})
    with engine.connect() as conn:
        conn.begin()
        oms = OMS(connection=conn, table_prefix=PREFIX, schema=database["schema"], plugins=[recorder])
        order = oms.place_order(draft("1"))
        conn.commit()
    assert recorder.events == []  # not inline: only the host knows when it commits
    worker = make_oms(plugins=[recorder])
    assert worker.process_outbox() == 1
    assert [(e.name, e.order_id) for e in recorder.events] == [("order_placed", order.id)]
    assert recorder.seen_committed == [True]


def test_a_plain_sqlite_connection_is_refused_rather_than_committed_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'host.db'}"
    with OMS.open(url) as owner:
        seed_catalogue(owner, {"SKU-1": {"WH1": 5}})
    plain = sa.create_engine(url)  # the sqlite3 driver begins only at the first write
    try:
        with plain.connect() as conn:
            conn.begin()
            oms = OMS(connection=conn)
            with pytest.raises(ConfigurationError, match="could not roll back"):
                oms.place_order(draft("1"))
            conn.rollback()
        with OMS.open(url) as check:
            assert check.list_orders() == []
    finally:
        plain.dispose()


# -- (b) two instances in one process ---------------------------------------------------------------------------


def test_two_instances_with_different_prefixes_share_neither_data_nor_plugins(prefixed_oms):
    recorder = Recorder()
    shop_a = prefixed_oms("a", plugins=[recorder, TooMany()])
    shop_b = prefixed_oms("b")
    for oms in (shop_a, shop_b):
        seed_catalogue(oms, {"SKU-1": {"WH1": 5}})

    shop_a.place_order(draft("A-1"))
    with pytest.raises(RuleRejected):
        shop_a.place_order(draft("A-2", [("SKU-1", 3, "1.00")]))
    shop_b.place_order(draft("B-1", [("SKU-1", 3, "1.00")]))  # too_many is a plugin of shop_a only
    shop_b.place_order(draft("A-1", currency="USD"))  # the same external id: another table

    assert order_ids(shop_a) == ["A-1"]
    assert order_ids(shop_b) == ["A-1", "B-1"]
    assert [e.payload["external_id"] for e in recorder.events] == ["A-1"]
    assert "recorder" in dict(shop_a.plugins()) and "recorder" not in dict(shop_b.plugins())
    assert shop_b.deliveries() == []  # no delivery rows for a plugin shop_b does not have
    assert shop_a.stock("SKU-1")[0].on_hand == shop_b.stock("SKU-1")[0].on_hand == 5

    shop_a.register_driver(CARRIERS, "a_only", lambda: shop_a.driver(CARRIERS, "flat_rate"))
    assert "a_only" in shop_a.driver_names(CARRIERS) and "a_only" not in shop_b.driver_names(CARRIERS)


# -- (c) several use cases in one transaction -------------------------------------------------------------------


def test_transaction_rolls_back_every_use_case_when_an_exception_escapes(make_oms):
    recorder = Recorder()
    oms = make_oms(plugins=[recorder])
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    events_before = oms.outbox_counts()["events"]
    with pytest.raises(RuntimeError, match="host failed"), oms.transaction():
        first = oms.place_order(draft("1"))
        oms.confirm_order(first.id)
        oms.place_order(draft("2"))
        oms.receive_stock("SKU-1", "WH1", 10)
        raise RuntimeError("host failed")
    assert oms.list_orders() == []
    assert [(s.on_hand, s.reserved) for s in oms.stock("SKU-1")] == [(5, 0)]
    assert oms.outbox_counts()["events"] == events_before
    assert recorder.events == []


def test_transaction_commits_together_and_reacts_after_the_block(make_oms):
    recorder = Recorder()
    oms = make_oms(plugins=[recorder])
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    with oms.transaction():
        oms.place_order(draft("1"))
        oms.place_order(draft("2"))
        assert recorder.events == []  # nothing is committed yet
    assert order_ids(oms) == ["1", "2"]
    assert sorted(e.payload["external_id"] for e in recorder.events) == ["1", "2"]
    assert recorder.seen_committed == [True, True]


# -- (d) table prefix and schema ----------------------------------------------------------------------------------


def test_table_prefix_names_every_table(database, prefixed_oms):
    oms = prefixed_oms("shop")
    prefix = oms.tables.prefix
    names = set(sa.inspect(database["engine"]).get_table_names(schema=database["schema"]))
    expected = {prefix + name for name in NAMES} | {version_table(prefix)}
    assert expected <= names
    assert {n for n in names if n.startswith(prefix)} == expected
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    assert oms.place_order(draft("1")).id == 1


def test_schema_holds_every_table_on_postgresql(backend, database):
    if backend != "postgres":
        pytest.skip("schemas are a PostgreSQL feature")
    engine = database["engine"]
    schema = f"oms_embed_{uuid.uuid4().hex[:8]}"
    try:
        oms = OMS(engine, table_prefix="shop_", schema=schema)
        oms.migrate()
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names(schema=schema)) == {"shop_" + n for n in NAMES} | {"shop_alembic_version"}
        assert not [n for n in inspector.get_table_names(schema=database["schema"]) if n.startswith("shop_")]
        seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
        order = oms.place_order(draft("1"))
        assert oms.confirm_order(order.id).status == "confirmed"
        oms.migrate()  # current: nothing to do
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- (e) reactions after commit, retried, dead ------------------------------------------------------------------


def test_reactions_run_after_commit_with_a_stable_event_id(make_oms):
    flaky = Recorder("flaky_erp", fail_times=1)
    oms = make_oms(plugins=[flaky], max_delivery_attempts=2, retry_base_seconds=0)
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    order = oms.place_order(draft("1"))
    assert oms.process_outbox() == 1  # the inline delivery failed once; the retry is due at once
    first, second = flaky.events
    assert first.id == second.id and (first.attempt, second.attempt) == (1, 2)
    assert flaky.seen_committed == [True, True]
    [delivery] = oms.deliveries()
    assert (delivery.event_id, delivery.handler, delivery.status, delivery.order_id) == (
        first.id,
        "flaky_erp",
        "delivered",
        order.id,
    )


def test_a_raising_reaction_is_retried_then_dead_and_the_order_stays(make_oms):
    broken = Recorder("broken_erp", fail_times=99)
    fine = Recorder("crm")
    oms = make_oms(plugins=[broken, fine], max_delivery_attempts=2, retry_base_seconds=0)
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    order = oms.place_order(draft("1"))
    oms.process_outbox()
    assert oms.process_outbox() == 0  # dead: not claimed again
    assert len(broken.events) == 2 and len({e.id for e in broken.events}) == 1
    assert len(fine.events) == 1  # the other plugin's delivery is not held back
    by_handler = {d.handler: d for d in oms.deliveries()}
    assert (by_handler["broken_erp"].status, by_handler["broken_erp"].attempts) == ("dead", 2)
    assert by_handler["broken_erp"].last_error == "ConnectionError: ERP unreachable"
    assert by_handler["crm"].status == "delivered"
    assert oms.get_order(order.id).status == "pending"
    assert order_ids(oms) == ["1"]

    broken.fail_times = 0
    assert oms.retry_dead() == 1
    oms.process_outbox()
    assert {d.handler: d.status for d in oms.deliveries()} == {"broken_erp": "delivered", "crm": "delivered"}
    assert len({e.id for e in broken.events}) == 1


# -- (f) a decision hook that raises --------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", ["validate_order", "price_order", "compute_taxes"])
def test_a_raising_decision_hook_on_place_names_the_plugin_and_writes_nothing(make_oms, hook):
    oms = make_oms(plugins=[Exploding(hook), Recorder()])  # the recorder makes order_placed a stored event
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    events_before = oms.outbox_counts()["events"]
    with pytest.raises(HookFailed) as failed:
        oms.place_order(draft("1"))
    assert (failed.value.plugin, failed.value.hook) == ("exploding_rule", hook)
    assert isinstance(failed.value.cause, RuntimeError)
    assert "exploding_rule" in str(failed.value)
    assert oms.list_orders() == []
    assert oms.outbox_counts()["events"] == events_before


@pytest.mark.parametrize("hook", ["choose_sources", "assess_order", "check_transition"])
def test_a_raising_decision_hook_on_confirm_names_the_plugin_and_writes_nothing(make_oms, hook):
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 5}})
    order = make_oms().place_order(draft("1"))
    oms = make_oms(plugins=[Exploding(hook)])
    timeline_before = oms.timeline(order.id)
    events_before = oms.outbox_counts()["events"]
    with pytest.raises(HookFailed) as failed:
        oms.confirm_order(order.id)
    assert (failed.value.plugin, failed.value.hook) == ("exploding_rule", hook)
    after = oms.get_order(order.id)
    assert (after.status, after.fulfillment_status) == ("pending", "unfulfilled")
    assert oms.reservations(order.id) == []
    assert oms.stock("SKU-1")[0].reserved == 0
    assert oms.timeline(order.id) == timeline_before
    assert oms.outbox_counts()["events"] == events_before


class ReservationAudit:
    """A decision plugin that looks up through ``oms``, as the hookspecs allow."""

    oms_plugin_name = "reservation_audit"

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, int]]] = []

    @hookimpl
    def assess_order(self, order, oms):
        self.seen.append([(r.location, r.quantity) for r in oms.reservations(order.id)])
        return [("audit", "look at it")] if oms.get_order(order.id).status == "pending" else None


def test_a_decision_hook_looks_up_through_the_use_case_transaction(make_oms):
    audit = ReservationAudit()
    oms = make_oms(plugins=[audit])
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    order = oms.place_order(draft("1", [("SKU-1", 2, "1.00")]))
    held = oms.confirm_order(order.id)  # on SQLite another connection would wait for this one's write lock
    assert audit.seen == [[("WH1", 2)]]  # the reservation this use case made, not yet committed
    assert held.status == "on_hold"
    assert [(h.kind, h.source) for h in held.active_holds] == [("audit", "reservation_audit")]
