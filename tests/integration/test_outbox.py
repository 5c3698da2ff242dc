"""The outbox: reaction hooks hear each event once, after commit; failures are retried, then parked as dead."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from oms_core import EVENT_NAMES, hookimpl
from oms_core.testing import draft, seed_catalogue


class Recorder:
    """Records every event it hears, and what the database showed it at that moment."""

    oms_plugin_name = "recorder"

    def __init__(self) -> None:
        self.events: list = []
        self.seen_orders: dict[str, bool] = {}

    def _record(self, event, oms) -> None:
        self.events.append(event)
        if event.order_id is not None:
            # read through a new connection: only committed data is visible there
            self.seen_orders[event.id] = any(o.id == event.order_id for o in oms.list_orders(limit=1000))

    @hookimpl
    def order_placed(self, event, oms):
        self._record(event, oms)

    @hookimpl
    def order_confirmed(self, event, oms):
        self._record(event, oms)

    @hookimpl
    def payment_captured(self, event, oms):
        self._record(event, oms)

    @hookimpl
    def shipment_shipped(self, event, oms):
        self._record(event, oms)

    @hookimpl
    def order_completed(self, event, oms):
        self._record(event, oms)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


class Flaky:
    """Fails on ``order_placed`` until ``failures`` attempts have failed; records each attempt."""

    oms_plugin_name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list = []

    @hookimpl
    def order_placed(self, event):
        self.attempts.append(event)
        if len(self.attempts) <= self.failures:
            raise RuntimeError(f"ERP unreachable (attempt {event.attempt})")


@pytest.fixture
def recorder():
    return Recorder()


def seeded(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    return oms


def test_each_reaction_hears_each_event_once_after_commit(make_oms, recorder):
    oms = seeded(make_oms(plugins=[recorder]))
    order = oms.place_order(draft("1", [("SKU-1", 2, "10.00")]))
    oms.confirm_order(order.id)
    oms.pay(order.id)
    oms.ship(order.id)

    assert sorted(recorder.names()) == sorted(
        ["order_placed", "order_confirmed", "payment_captured", "shipment_shipped", "order_completed"]
    )
    assert recorder.names()[:3] == ["order_placed", "order_confirmed", "payment_captured"]
    assert all(e.order_id == order.id and e.payload["order_id"] == order.id for e in recorder.events)
    assert len({e.id for e in recorder.events}) == len(recorder.events)
    assert all(e.id and e.attempt == 1 for e in recorder.events)
    assert all(recorder.seen_orders[e.id] for e in recorder.events)  # the handler saw the committed order

    assert oms.process_outbox() == 0  # nothing left to deliver, nothing delivered twice
    assert len(recorder.events) == 5
    mine = [d for d in oms.deliveries() if d.handler == "recorder"]
    assert sorted(d.event_name for d in mine) == sorted(recorder.names())
    assert {d.status for d in mine} == {"delivered"}


def test_nothing_is_delivered_before_the_transaction_commits(make_oms, recorder):
    oms = seeded(make_oms(plugins=[recorder]))
    with oms.transaction():
        oms.place_order(draft("1"))
        oms.place_order(draft("2"))
        assert recorder.events == []
    assert recorder.names() == ["order_placed", "order_placed"]


def test_a_rolled_back_use_case_delivers_nothing(make_oms, recorder):
    oms = seeded(make_oms(plugins=[recorder]))
    before = oms.outbox_counts()
    with pytest.raises(RuntimeError), oms.transaction():
        oms.place_order(draft("1"))
        raise RuntimeError("the host changed its mind")
    assert oms.list_orders() == []
    assert oms.process_outbox() == 0
    assert recorder.events == []
    assert oms.outbox_counts() == before


def test_a_failing_handler_is_retried_then_dead_then_retried_again(make_oms, recorder):
    flaky = Flaky(failures=4)
    oms = seeded(
        make_oms(plugins=[flaky, recorder], retry_base_seconds=0, max_delivery_attempts=3, load_entry_points=False)
    )
    order = oms.place_order(draft("1"))  # attempt 1, inline after commit: fails

    assert oms.get_order(order.id).status == "pending"  # a failing handler never undoes the committed state
    [pending] = oms.deliveries(status="pending")
    assert (pending.handler, pending.attempts) == ("flaky", 1)
    assert "ERP unreachable (attempt 1)" in pending.last_error

    assert oms.process_outbox() == 1  # attempt 2: fails
    assert oms.process_outbox() == 1  # attempt 3: fails, the last one allowed
    assert oms.process_outbox() == 0
    [dead] = oms.deliveries(status="dead")
    assert (dead.handler, dead.event_name, dead.attempts, dead.order_id) == ("flaky", "order_placed", 3, order.id)
    assert "RuntimeError: ERP unreachable (attempt 3)" in dead.last_error
    assert [e.attempt for e in flaky.attempts] == [1, 2, 3]
    assert len({e.id for e in flaky.attempts}) == 1  # the same event id on every attempt

    # the other handler of the same event heard it once, and was never called again
    assert recorder.names() == ["order_placed"]

    assert oms.retry_dead() == 1
    [back] = oms.deliveries(status="pending")
    assert (back.id, back.attempts) == (dead.id, 0)
    assert oms.process_outbox() == 1  # attempt 4 overall: fails again, one attempt of the fresh three
    assert oms.process_outbox() == 1  # attempt 5: succeeds
    [done] = [d for d in oms.deliveries() if d.handler == "flaky"]
    assert (done.status, done.last_error, done.delivered_at is not None) == ("delivered", None, True)
    assert len(flaky.attempts) == 5
    assert recorder.names() == ["order_placed"]
    assert oms.outbox_counts()["dead"] == 0


def test_retry_dead_takes_only_the_named_deliveries(make_oms):
    flaky = Flaky(failures=100)
    oms = seeded(make_oms(plugins=[flaky], retry_base_seconds=0, max_delivery_attempts=1, load_entry_points=False))
    oms.place_order(draft("1"))
    oms.place_order(draft("2"))
    dead = oms.deliveries(status="dead")
    assert len(dead) == 2
    assert oms.retry_dead([dead[0].id]) == 1
    assert [d.id for d in oms.deliveries(status="pending")] == [dead[0].id]
    assert [d.id for d in oms.deliveries(status="dead")] == [dead[1].id]


def test_without_inline_dispatch_nothing_is_delivered_until_process_outbox(make_oms, recorder):
    oms = seeded(make_oms(plugins=[recorder], inline_dispatch=False))
    order = oms.place_order(draft("1"))
    oms.confirm_order(order.id)
    assert recorder.events == []
    pending = [d for d in oms.deliveries(status="pending") if d.handler == "recorder"]
    assert [d.event_name for d in pending] == ["order_confirmed", "order_placed"]

    oms.process_outbox()
    assert recorder.names() == ["order_placed", "order_confirmed"]
    assert oms.process_outbox() == 0
    assert len(recorder.events) == 2
    assert {d.status for d in oms.deliveries() if d.handler == "recorder"} == {"delivered"}


def test_process_outbox_respects_its_limit(make_oms, recorder):
    oms = seeded(make_oms(plugins=[recorder], inline_dispatch=False, load_entry_points=False))
    for n in range(3):
        oms.place_order(draft(str(n)))
    assert oms.process_outbox(limit=2) == 2
    assert len(recorder.events) == 2
    assert oms.process_outbox(limit=2) == 1
    assert [e.payload["external_id"] for e in recorder.events] == ["0", "1", "2"]


def test_events_without_a_subscriber_are_not_stored(make_oms):
    """The outbox holds what is to be delivered; the timeline and the ledger keep the history."""
    oms = seeded(make_oms(inline_dispatch=False, load_entry_points=False))
    before = oms.outbox_counts()
    order = oms.place_order(draft("1"))
    oms.confirm_order(order.id)
    assert oms.outbox_counts() == before == {"events": 0, "pending": 0, "delivered": 0, "dead": 0}
    assert [e.kind for e in oms.timeline(order.id)][:1] == ["placed"]


def test_only_subscribed_events_are_stored(make_oms, recorder):
    oms = seeded(make_oms(inline_dispatch=False, load_entry_points=False, plugins=[recorder]))
    oms.place_order(draft("1"))
    ev = oms.tables.events
    with oms.engine.connect() as conn:
        stored = sorted(conn.execute(sa.select(ev.c.name)).scalars())
    subscribed = {name for name in EVENT_NAMES if hasattr(recorder, name)}
    assert stored and set(stored) <= subscribed
    assert oms.outbox_counts()["pending"] == len(stored)
