"""Stock under random sequences of operations: a hypothesis state machine against the OMS, on each backend.

The machine receives, reserves (place + confirm an order), releases (cancel), ships (everything reserved at a
location, or part of one line), counts (adjust to a counted quantity), transfers and returns (create + receive,
restocked at a chosen location or scrapped), in random order, on three SKUs and two locations. After every step:

* for every (SKU, location): on hand >= reserved >= 0;
* on hand equals the sum of its ledger rows (``oms.ledger``);
* reserved equals the open reservations (``oms.verify_stock()`` checks exactly this, and must return ``[]``);
* the machine's own model of on hand and reserved per (SKU, location) equals the database.

The model predicts every refusal (transfer or ship more than is available, count below what is reserved, ship
beyond what was ordered or from where nothing is reserved, return beyond what was shipped, cancel after shipping,
act on a cancelled order); the OMS must refuse exactly those, with ``InsufficientStock``, ``ValidationError`` or
``InvalidTransition``, and a refused operation must leave stock, ledger and reservations exactly as they were (the
model is left unchanged too).

Each example needs an empty database. The test takes one database from the ``make_oms`` fixture and deletes every
row of its tables at the start of each example (children first). Measured: a few milliseconds on SQLite and about
10 ms on PostgreSQL, against about 40 ms for a ``TRUNCATE … RESTART IDENTITY`` of every table on PostgreSQL and
40 ms (PostgreSQL) to 70 ms (SQLite) to migrate a fresh table prefix; deleting also leaves no tables behind. Ids
are not restarted, which nothing here relies on. The budget (25 examples of up to 30 steps) keeps each backend well
under a minute.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from oms_core import OMS, InsufficientStock, InvalidTransition, ValidationError
from oms_core.defaults import sourcing
from oms_core.testing import draft, seed_catalogue

SKUS = ("SKU-A", "SKU-B", "SKU-C")
LOCATIONS = ("WH1", "WH2")  # WH1 has the better priority: default sourcing prefers it
KEYS = tuple(itertools.product(SKUS, LOCATIONS))
ORDER_LINES = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 6)), min_size=1, max_size=3, unique_by=lambda x: x[0]
)
REFUSED = (InsufficientStock, ValidationError, InvalidTransition)

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@attrs.define
class LineModel:
    sku: str
    quantity: int
    shipped: int = 0
    returned: int = 0


@attrs.define
class ReservationModel:
    line_id: int
    sku: str
    location: str
    open: int


@attrs.define
class OrderModel:
    id: int
    lines: dict[int, LineModel]
    reservations: list[ReservationModel]
    cancelled: bool = False

    @property
    def shipped_any(self) -> bool:
        return any(line.shipped for line in self.lines.values())

    def open_at(self, location: str, line_id: int | None = None) -> int:
        return sum(r.open for r in self.reservations if r.location == location and line_id in (None, r.line_id))


def empty_tables(oms: OMS) -> None:
    with oms.engine.begin() as conn:
        for table in reversed(oms.tables.metadata.sorted_tables):  # children before parents
            conn.execute(table.delete())


def snapshot(oms: OMS) -> tuple[Any, ...]:
    """Everything a stock operation can change: stock rows, ledger rows, reservations."""
    t = oms.tables
    with oms.engine.connect() as conn:
        stock = conn.execute(sa.select(t.stock).order_by(t.stock.c.sku, t.stock.c.location)).all()
        ledger = conn.execute(sa.select(sa.func.count()).select_from(t.stock_ledger)).scalar_one()
        res = conn.execute(sa.select(t.reservations).order_by(t.reservations.c.id)).all()
    return tuple(map(tuple, stock)), ledger, tuple(map(tuple, res))


class StockMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self, oms: OMS) -> None:
        super().__init__()
        self.oms = oms
        empty_tables(oms)
        for priority, code in enumerate(LOCATIONS, start=1):
            oms.add_location(code, f"Location {code}", priority=priority)
        for sku in SKUS:
            oms.add_product(sku, f"Product {sku}")
        self.on_hand = dict.fromkeys(KEYS, 0)
        self.models: dict[int, OrderModel] = {}
        self.placed = 0

    # -- the model ------------------------------------------------------------------------------------------------

    def reserved(self, key: tuple[str, str]) -> int:
        return sum(r.open for o in self.models.values() for r in o.reservations if (r.sku, r.location) == key)

    def available(self, key: tuple[str, str]) -> int:
        return self.on_hand[key] - self.reserved(key)

    def attempt(self, name: str, call: Any, refuse: bool) -> Any:
        """Run ``call``: its result, or ``None`` when the OMS refused it, as the model said it must."""
        before = snapshot(self.oms)
        try:
            result = call()
        except REFUSED as exc:
            assert snapshot(self.oms) == before, f"{name} was refused ({exc}) but changed stock or reservations"
            assert refuse, f"{name} was refused, the model expected it to succeed: {type(exc).__name__}: {exc}"
            return None
        assert not refuse, f"{name} should have been refused"
        return result

    # -- a start: some stock, so that the first orders find some ------------------------------------------------

    @initialize(quantities=st.lists(st.integers(0, 12), min_size=len(KEYS), max_size=len(KEYS)))
    def stock_up(self, quantities: list[int]) -> None:
        for key, quantity in zip(KEYS, quantities, strict=True):
            if quantity:
                self.receive(*key, quantity)

    # -- stock operations -----------------------------------------------------------------------------------------

    @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), quantity=st.integers(0, 20))
    def receive(self, sku: str, location: str, quantity: int) -> None:
        call = lambda: self.oms.receive_stock(sku, location, quantity, reference="PO")  # noqa: E731
        if self.attempt("receive", call, refuse=quantity <= 0) is not None:
            self.on_hand[(sku, location)] += quantity

    @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), counted=st.integers(0, 30))
    def adjust(self, sku: str, location: str, counted: int) -> None:
        key = (sku, location)
        call = lambda: self.oms.adjust_stock(sku, location, counted=counted, reason="cycle count")  # noqa: E731
        if self.attempt("adjust", call, refuse=counted < self.reserved(key)) is not None:
            self.on_hand[key] = counted

    @rule(sku=st.sampled_from(SKUS), source=st.sampled_from(LOCATIONS), destination=st.sampled_from(LOCATIONS),
          quantity=st.integers(1, 15))  # fmt: skip
    def transfer(self, sku: str, source: str, destination: str, quantity: int) -> None:
        refuse = source == destination or quantity > self.available((sku, source))
        call = lambda: self.oms.transfer_stock(sku, source, destination, quantity)  # noqa: E731
        if self.attempt("transfer", call, refuse=refuse) is not None:
            self.on_hand[(sku, source)] -= quantity
            self.on_hand[(sku, destination)] += quantity

    # -- order operations -----------------------------------------------------------------------------------------

    @initialize(target=orders, lines=ORDER_LINES)
    def first_order(self, lines: list[tuple[str, int]]) -> int:
        return self.reserve(lines)

    @rule(target=orders, lines=ORDER_LINES)
    def reserve(self, lines: list[tuple[str, int]]) -> int:
        """Place and confirm an order: default sourcing reserves what is available, the rest is backordered."""
        self.placed += 1
        expected = {sku: min(qty, sum(self.available((sku, loc)) for loc in LOCATIONS)) for sku, qty in lines}
        order = self.oms.place_order(draft(f"o{self.placed}", [(sku, qty, "10.00") for sku, qty in lines]))
        confirmed = self.oms.confirm_order(order.id)
        assert confirmed.status == "confirmed"
        reservations = [
            ReservationModel(r.line_id, r.sku, r.location, r.open_quantity) for r in self.oms.reservations(order.id)
        ]
        got: dict[str, int] = {}
        for r in reservations:
            got[r.sku] = got.get(r.sku, 0) + r.open
        assert got == {sku: q for sku, q in expected.items() if q}, "reserved what was available, no more"
        for r in reservations:
            assert r.open <= self.available((r.sku, r.location)), f"reserved {r} beyond what was available"
        model = OrderModel(order.id, {line.id: LineModel(line.sku, line.quantity) for line in order.lines}, [])
        model.reservations = reservations
        self.models[order.id] = model
        return order.id

    @rule(order_id=orders)
    def release(self, order_id: int) -> None:
        model = self.models[order_id]
        call = lambda: self.oms.cancel_order(order_id, "customer changed their mind")  # noqa: E731
        if self.attempt("cancel", call, refuse=model.shipped_any) is not None:
            model.cancelled = True
            for r in model.reservations:
                r.open = 0

    @rule(order_id=orders, data=st.data())
    def ship_all_at(self, order_id: int, data: st.DataObject) -> None:
        """Ship everything reserved for the order at one location (mostly one where something is reserved)."""
        model = self.models[order_id]
        reserved_at = sorted({r.location for r in model.reservations if r.open})
        location = data.draw(st.sampled_from(reserved_at or LOCATIONS) | st.sampled_from(LOCATIONS), label="at")
        refuse = model.cancelled or model.open_at(location) == 0
        shipment = self.attempt("ship all", lambda: self.oms.ship(order_id, location=location), refuse=refuse)
        if shipment is None:
            return
        expected: dict[str, int] = {}
        for r in model.reservations:
            if r.location == location and r.open:
                expected[r.sku] = expected.get(r.sku, 0) + r.open
                model.lines[r.line_id].shipped += r.open
                self.on_hand[(r.sku, location)] -= r.open
                r.open = 0
        assert {sl.sku: sl.quantity for sl in shipment.lines} == expected

    @rule(order_id=orders, location=st.sampled_from(LOCATIONS), data=st.data())
    def ship_part(self, order_id: int, location: str, data: st.DataObject) -> None:
        """Ship part of one line from one location: its reservation there first, then available stock."""
        model = self.models[order_id]
        line_id = data.draw(st.sampled_from(sorted(model.lines)), label="line")
        line = model.lines[line_id]
        quantity = data.draw(st.integers(1, line.quantity), label="quantity")
        from_reserved = min(quantity, model.open_at(location, line_id))
        key = (line.sku, location)
        refuse = (
            model.cancelled or quantity > line.quantity - line.shipped or quantity - from_reserved > self.available(key)
        )
        call = lambda: self.oms.ship(order_id, {line_id: quantity}, location=location)  # noqa: E731
        if self.attempt("ship part", call, refuse=refuse) is None:
            return
        mine = [r for r in model.reservations if r.line_id == line_id]
        # units beyond what is reserved here and what the line has unreserved were reserved at the other location:
        # the OMS releases those reservations
        excess = max(0, quantity - from_reserved - (line.quantity - line.shipped - sum(r.open for r in mine)))
        line.shipped += quantity
        self.on_hand[key] -= quantity
        for r in sorted(mine, key=lambda r: r.location != location):
            take = min(from_reserved if r.location == location else excess, r.open)
            r.open -= take
            if r.location == location:
                from_reserved -= take
            else:
                excess -= take
        assert from_reserved == excess == 0

    @rule(order_id=orders, location=st.sampled_from(LOCATIONS), disposition=st.sampled_from(["restock", "scrap"]),
          data=st.data())  # fmt: skip
    def return_(self, order_id: int, location: str, disposition: str, data: st.DataObject) -> None:
        """Create a return for one line and receive it: restocked at ``location`` or scrapped."""
        model = self.models[order_id]
        shipped = [i for i, line in model.lines.items() if line.shipped > line.returned]
        line_id = data.draw(st.sampled_from(sorted(shipped or model.lines)), label="line")
        line = model.lines[line_id]
        returnable = line.shipped - line.returned
        quantity = data.draw(st.integers(1, max(1, returnable + 1)), label="quantity")  # sometimes one too many
        call = lambda: self.oms.create_return(order_id, {line_id: quantity}, "did not fit")  # noqa: E731
        rma = self.attempt("create return", call, refuse=quantity > returnable)
        if rma is None:
            return
        receive = lambda: self.oms.receive_return(rma.id, {line_id: disposition}, location=location)  # noqa: E731
        self.attempt("receive return", receive, refuse=False)
        line.returned += quantity
        if disposition == "restock":
            self.on_hand[(line.sku, location)] += quantity

    # -- invariants, after every step -----------------------------------------------------------------------------

    @invariant()
    def stock_is_consistent(self) -> None:
        levels = {(level.sku, level.location): level for level in self.oms.stock()}
        ledger: dict[tuple[str, str], int] = {}
        for sku in SKUS:
            for entry in self.oms.ledger(sku):
                ledger[(sku, entry.location)] = ledger.get((sku, entry.location), 0) + entry.delta
        for key in KEYS:
            level = levels.get(key)
            on_hand, reserved = (level.on_hand, level.reserved) if level else (0, 0)
            assert on_hand >= reserved >= 0, (key, on_hand, reserved)
            assert on_hand == ledger.get(key, 0), f"{key}: on hand {on_hand}, ledger sum {ledger.get(key, 0)}"
            assert (on_hand, reserved) == (self.on_hand[key], self.reserved(key)), f"{key}: database vs model"
        assert self.oms.verify_stock() == []


def test_stock_invariants_hold_under_random_operations(make_oms):
    oms = make_oms(plugins=[sourcing], load_entry_points=False, inline_dispatch=False)
    run_state_machine_as_test(lambda: StockMachine(oms), settings=SETTINGS)


# -- what the machine found, pinned -------------------------------------------------------------------------------


@pytest.fixture
def shop(make_oms) -> OMS:
    oms = make_oms(plugins=[sourcing], load_entry_points=False, inline_dispatch=False)
    seed_catalogue(oms, {"SKU-A": {"WH1": 1, "WH2": 1}})
    return oms


def test_a_unit_shipped_from_another_location_releases_its_reservation(shop):
    order = shop.confirm_order(shop.place_order(draft("1", [("SKU-A", 1, "10.00")])).id)
    [line] = order.lines
    assert [(r.location, r.open_quantity) for r in shop.reservations(order.id)] == [("WH1", 1)]

    shop.ship(order.id, {line.id: 1}, location="WH2")  # the warehouse took the unit at WH2 instead
    assert [(r.location, r.open_quantity) for r in shop.reservations(order.id)] == [("WH1", 0)]
    assert [(s.location, s.on_hand, s.reserved) for s in shop.stock("SKU-A")] == [("WH1", 1, 0), ("WH2", 0, 0)]
    assert shop.get_order(order.id).lines[0].quantity_reserved == 0
    assert "released 1 x SKU-A reserved at WH1" in " ".join(e.message for e in shop.timeline(order.id))
    with pytest.raises(ValidationError):  # nothing is left to ship at WH1 (it was an IntegrityError before)
        shop.ship(order.id, location="WH1")
    assert shop.verify_stock() == []


def test_the_rest_of_a_partly_shipped_and_returned_order_still_ships(shop):
    shop.receive_stock("SKU-A", "WH1", 1)  # WH1 has both units: both are reserved there
    order = shop.confirm_order(shop.place_order(draft("1", [("SKU-A", 2, "10.00")])).id)
    [line] = order.lines
    shop.ship(order.id, {line.id: 1}, location="WH1")
    rma = shop.create_return(order.id, {line.id: 1}, "did not fit")
    shop.receive_return(rma.id, location="WH1")  # every unit shipped so far came back, one is still to ship
    assert shop.get_order(order.id).fulfillment_status == "partially_returned"

    shop.ship(order.id, location="WH1")  # the reservation of the rest is not stuck
    after = shop.get_order(order.id)
    assert (after.fulfillment_status, after.lines[0].quantity_shipped, after.lines[0].quantity_reserved) == (
        "shipped",
        2,
        0,
    )
    assert shop.verify_stock() == []
