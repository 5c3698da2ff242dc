"""Catalogue, locations and stock: receive, adjust, transfer, reserve, release, verify.

Every on-hand change writes a ledger row in the same transaction, so on hand always equals the ledger's sum.
Reservation is one conditional UPDATE per (SKU, location): it cannot oversell on any backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from oms_core.domain.errors import ConcurrentUpdate, InsufficientStock, NotFound, ValidationError
from oms_core.domain.inventory import (
    LedgerReason,
    Location,
    Product,
    Reservation,
    StockLevel,
    StockProblem,
)
from oms_core.services.context import positive_quantity
from oms_core.storage import repository as repo
from oms_core.storage.repository import location_from_row, stock_levels
from oms_core.storage.tables import Tables
from oms_core.storage.uow import UnitOfWork


def upsert_product(uow: UnitOfWork, product: Product) -> Product:
    if not isinstance(product.sku, str) or not product.sku.strip():
        raise ValidationError("product", "sku", "is required", product.sku)
    if not product.name:
        raise ValidationError("product", "name", "is required", product.name)
    t = uow.t.products
    values = {
        "name": product.name,
        "weight_grams": product.weight_grams,
        "low_stock_threshold": product.low_stock_threshold,
        "active": product.active,
    }
    res = uow.conn.execute(sa.update(t).where(t.c.sku == product.sku).values(**values))
    if res.rowcount == 0:
        uow.conn.execute(sa.insert(t).values(sku=product.sku, created_at=uow.now, **values))
    return product


def upsert_location(uow: UnitOfWork, location: Location) -> Location:
    if not isinstance(location.code, str) or not location.code.strip():
        raise ValidationError("location", "code", "is required", location.code)
    t = uow.t.locations
    values = {
        "name": location.name,
        "priority": location.priority,
        "postcode": location.postcode,
        "country": location.country,
        "active": location.active,
    }
    res = uow.conn.execute(sa.update(t).where(t.c.code == location.code).values(**values))
    if res.rowcount == 0:
        uow.conn.execute(sa.insert(t).values(code=location.code, **values))
    return location


def known_skus(uow: UnitOfWork, skus: Iterable[str]) -> set[str]:
    """Those of ``skus`` that are active products."""
    return repo.active_skus(uow.conn, uow.t, skus)


def _require(uow: UnitOfWork, sku: str, location: str, entity: str = "stock") -> None:
    if not uow.conn.execute(sa.select(uow.t.products.c.sku).where(uow.t.products.c.sku == sku)).first():
        raise ValidationError(entity, "sku", f"unknown SKU {sku!r}", sku)
    if not uow.conn.execute(sa.select(uow.t.locations.c.code).where(uow.t.locations.c.code == location)).first():
        raise ValidationError(entity, "location", f"unknown location {location!r}", location)


def _level(uow: UnitOfWork, sku: str, location: str) -> StockLevel | None:
    s = uow.t.stock
    row = uow.conn.execute(sa.select(s.c.on_hand, s.c.reserved).where(s.c.sku == sku, s.c.location == location)).first()
    return StockLevel(sku, location, row.on_hand, row.reserved) if row else None


def change_on_hand(
    uow: UnitOfWork,
    sku: str,
    location: str,
    delta: int,
    reason: LedgerReason,
    reference: str | None,
    note: str | None = None,
    *,
    consume_reserved: bool = False,
) -> StockLevel:
    """Add ``delta`` to on hand (and take it off reserved too with ``consume_reserved``), with its ledger row.

    A decrease succeeds only when enough stock is there (available, or reserved when consuming): one
    conditional statement, no read-modify-write.
    """
    s, pr = uow.t.stock, uow.t.products
    kind = "consume" if consume_reserved else "decrease" if delta < 0 else "increase"
    row = uow.run(
        ("change_on_hand", kind),
        _change_on_hand_statement(kind),
        {"p_sku": sku, "p_location": location, "delta": delta},
    ).first()
    threshold = row[2] if row is not None else None
    if row is None:
        if delta > 0:
            _require(uow, sku, location)
            uow.conn.execute(sa.insert(s).values(sku=sku, location=location, on_hand=delta, reserved=0))
            level = StockLevel(sku, location, delta, 0)
            threshold = uow.conn.execute(sa.select(pr.c.low_stock_threshold).where(pr.c.sku == sku)).scalar()
        else:
            current = _level(uow, sku, location)
            if current is None:
                _require(uow, sku, location)
            have = (current.reserved if consume_reserved else current.available) if current else 0
            raise InsufficientStock(sku, location, -delta, have)
    else:
        level = StockLevel(sku, location, row.on_hand, row.reserved)
    uow.ledger(sku, location, delta, reason, reference, note)
    uow.emit(
        "stock_changed",
        {"sku": sku, "location": location, "delta": delta, "reason": str(reason), "on_hand": level.on_hand},
    )
    _announce_low(uow, level, threshold)
    return level


def receive(
    uow: UnitOfWork, sku: str, location: str, quantity: int, reference: str | None = None, note: str | None = None
) -> StockLevel:
    positive_quantity("stock", "quantity", quantity)
    return change_on_hand(uow, sku, location, quantity, LedgerReason.RECEIPT, reference, note)


def adjust(
    uow: UnitOfWork, sku: str, location: str, *, counted: int | None = None, delta: int | None = None, reason: str
) -> StockLevel:
    """Correct on hand to a counted quantity (``counted``) or by ``delta``; ``reason`` is required."""
    if not reason or not reason.strip():
        raise ValidationError("stock", "reason", "an adjustment needs a reason")
    if (counted is None) == (delta is None):
        raise ValidationError("stock", "counted", "give either counted or delta")
    current = _level(uow, sku, location)
    if current is None:
        _require(uow, sku, location)
        current = StockLevel(sku, location, 0, 0)
    if counted is not None:
        if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            raise ValidationError("stock", "counted", "must be a whole number, zero or more", counted)
        delta = counted - current.on_hand
    assert delta is not None
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise ValidationError("stock", "delta", "must be a whole number", delta)
    if current.on_hand + delta < current.reserved:
        raise ValidationError(
            "stock",
            "counted" if counted is not None else "delta",
            f"would leave {current.on_hand + delta} on hand with {current.reserved} reserved; release or "
            "reallocate the reservations first",
            current.on_hand + delta,
        )
    if delta == 0:
        return current
    return change_on_hand(uow, sku, location, delta, LedgerReason.ADJUSTMENT, None, reason)


def transfer(
    uow: UnitOfWork, sku: str, source: str, target: str, quantity: int, reference: str | None = None
) -> tuple[StockLevel, StockLevel]:
    positive_quantity("transfer", "quantity", quantity)
    if source == target:
        raise ValidationError("transfer", "target", "must differ from the source location", target)
    _require(uow, sku, target, "transfer")
    steps = {
        source: lambda: change_on_hand(
            uow, sku, source, -quantity, LedgerReason.TRANSFER_OUT, reference, f"to {target}"
        ),
        target: lambda: change_on_hand(
            uow, sku, target, quantity, LedgerReason.TRANSFER_IN, reference, f"from {source}"
        ),
    }
    # touch the two stock rows in location order, as every use case does, so opposite transfers cannot deadlock
    levels = {loc: steps[loc]() for loc in sorted(steps)}
    return levels[source], levels[target]


def _change_on_hand_statement(kind: str) -> Callable[[Tables], sa.Update]:
    def build(t: Tables) -> sa.Update:
        s = t.stock
        delta = sa.bindparam("delta", type_=sa.Integer)
        conds = [s.c.sku == sa.bindparam("p_sku"), s.c.location == sa.bindparam("p_location")]
        values: dict[str, Any] = {"on_hand": s.c.on_hand + delta}
        if kind == "consume":
            values["reserved"] = s.c.reserved + delta
            conds.append(s.c.reserved >= -delta)
        elif kind == "decrease":
            conds.append(s.c.on_hand - s.c.reserved >= -delta)
        return sa.update(s).where(*conds).values(**values).returning(s.c.on_hand, s.c.reserved, _threshold(t))

    return build


def _threshold(t: Tables) -> sa.ScalarSelect:
    # compared with the bound SKU, not correlated with the stock row: SQLite renders RETURNING columns unqualified,
    # which would turn a correlation into ``WHERE sku = sku`` (true for every product)
    p = t.products
    return sa.select(p.c.low_stock_threshold).where(p.c.sku == sa.bindparam("p_sku")).scalar_subquery()


def _announce_low(uow: UnitOfWork, level: StockLevel, threshold: int | None) -> None:
    if threshold is not None and level.available <= threshold:
        uow.emit(
            "stock_low",
            {"sku": level.sku, "location": level.location, "available": level.available, "threshold": threshold},
        )


class Reserver:
    """The stock rows of some SKUs, locked for this transaction, that a use case reserves from.

    Reservations are decided here, against the locked levels, and written by :meth:`write` with one guarded
    ``executemany`` per table: a conditional UPDATE (``on hand - reserved >= q``) per (SKU, location), so nothing
    can oversell even if a writer ignored the lock, and one row per reservation.
    """

    def __init__(self, uow: UnitOfWork, skus: Iterable[str]) -> None:
        self._uow = uow
        self._rows = {(r.sku, r.location): r for r in repo.stock_for_update(uow.conn, uow.t, skus)}
        self._added: dict[tuple[str, str], int] = {}
        self._new: list[dict[str, Any]] = []

    def _reserved(self, key: tuple[str, str]) -> int:
        return int(self._rows[key].reserved) + self._added.get(key, 0)

    def levels(self) -> list[StockLevel]:
        """The levels at active locations, in location priority order (the order default sourcing prefers)."""
        rows = sorted((r for r in self._rows.values() if r.active), key=lambda r: (r.priority, r.location, r.sku))
        return [StockLevel(r.sku, r.location, r.on_hand, self._reserved((r.sku, r.location))) for r in rows]

    def reserve(self, order_id: int, line_id: int, sku: str, location: str, quantity: int) -> int:
        """Reserve up to ``quantity`` of ``sku`` at ``location`` for a line; returns the units reserved."""
        key = (sku, location)
        row = self._rows.get(key)
        if row is None:
            return 0
        reserved = self._reserved(key)
        q = min(quantity, row.on_hand - reserved)
        if q <= 0:
            return 0
        self._added[key] = self._added.get(key, 0) + q
        self._new.append(
            {"order_id": order_id, "line_id": line_id, "sku": sku, "location": location, "quantity": q,
             "shipped": 0, "released": 0}
        )  # fmt: skip
        _announce_low(self._uow, StockLevel(sku, location, row.on_hand, reserved + q), row.low_stock_threshold)
        return q

    def write(self) -> None:
        """Write what was reserved: stock rows in (sku, location) order, then the reservation rows."""
        if not self._new:
            return
        stock = [{"p_sku": s, "p_location": loc, "q": q} for (s, loc), q in sorted(self._added.items())]
        if self._uow.run_many("reserve", _reserve_statement, stock) != len(stock):
            raise ConcurrentUpdate("stock changed while it was locked for a reservation; retry")
        self._uow.run_many("insert_reservation", lambda t: t.reservations.insert(), self._new, columns=True)
        self._new, self._added = [], {}


def _reserve_statement(t: Tables) -> sa.Update:
    s = t.stock
    q = sa.bindparam("q", type_=sa.Integer)
    return (
        sa.update(s)
        .where(
            s.c.sku == sa.bindparam("p_sku"),
            s.c.location == sa.bindparam("p_location"),
            s.c.on_hand - s.c.reserved >= q,
        )
        .values(reserved=s.c.reserved + q)
    )


def release_reservations(uow: UnitOfWork, order_id: int) -> dict[int, int]:
    """Release every open reservation of the order. Returns units released per line id."""
    r, s = uow.t.reservations, uow.t.stock
    rows = uow.conn.execute(
        sa.select(
            r.c.id, r.c.line_id, r.c.sku, r.c.location, (r.c.quantity - r.c.shipped - r.c.released).label("open")
        ).where(r.c.order_id == order_id, r.c.quantity - r.c.shipped - r.c.released > 0)
    ).all()
    released: dict[int, int] = {}
    for row in sorted(rows, key=lambda r: (r.sku, r.location)):  # lock stock rows in a fixed order
        uow.conn.execute(
            sa.update(s)
            .where(s.c.sku == row.sku, s.c.location == row.location)
            .values(reserved=s.c.reserved - row.open)
        )
        uow.conn.execute(sa.update(r).where(r.c.id == row.id).values(released=r.c.released + row.open))
        released[row.line_id] = released.get(row.line_id, 0) + row.open
    return released


def release_reservation(uow: UnitOfWork, reservation: Reservation, quantity: int) -> None:
    """Release ``quantity`` open units of one reservation (its line shipped them from another location)."""
    r, s = uow.t.reservations, uow.t.stock
    uow.conn.execute(
        sa.update(s)
        .where(s.c.sku == reservation.sku, s.c.location == reservation.location)
        .values(reserved=s.c.reserved - quantity)
    )
    uow.conn.execute(sa.update(r).where(r.c.id == reservation.id).values(released=r.c.released + quantity))


def levels(uow: UnitOfWork, skus: Sequence[str] | None = None, location: str | None = None) -> list[StockLevel]:
    return stock_levels(uow.conn, uow.t, skus, location)


def verify(uow: UnitOfWork) -> list[StockProblem]:
    """Every place where on hand differs from the ledger's sum or reserved differs from the open reservations."""
    t, c = uow.t, uow.conn
    ledger = dict(
        ((r.sku, r.location), int(r.total))
        for r in c.execute(
            sa.select(
                t.stock_ledger.c.sku, t.stock_ledger.c.location, sa.func.sum(t.stock_ledger.c.delta).label("total")
            ).group_by(t.stock_ledger.c.sku, t.stock_ledger.c.location)
        )
    )
    res = t.reservations
    open_res = dict(
        ((r.sku, r.location), int(r.total))
        for r in c.execute(
            sa.select(
                res.c.sku, res.c.location, sa.func.sum(res.c.quantity - res.c.shipped - res.c.released).label("total")
            ).group_by(res.c.sku, res.c.location)
        )
    )
    stock = {(r.sku, r.location): (r.on_hand, r.reserved) for r in c.execute(sa.select(t.stock))}
    problems = []
    for key in sorted(set(stock) | set(ledger) | set(open_res)):
        on_hand, reserved = stock.get(key, (0, 0))
        if ledger.get(key, 0) != on_hand:
            problems.append(StockProblem(key[0], key[1], "on hand = ledger sum", ledger.get(key, 0), on_hand))
        if open_res.get(key, 0) != reserved:
            problems.append(
                StockProblem(key[0], key[1], "reserved = open reservations", open_res.get(key, 0), reserved)
            )
        if reserved < 0 or on_hand < reserved:
            problems.append(StockProblem(key[0], key[1], "on hand >= reserved >= 0", reserved, on_hand))
    return problems


def require_location(uow: UnitOfWork, code: str) -> Location:
    row = uow.run(
        "location", lambda t: sa.select(t.locations).where(t.locations.c.code == sa.bindparam("code")), {"code": code}
    ).first()
    if row is None:
        raise NotFound("location", code, "code")
    return location_from_row(row)
