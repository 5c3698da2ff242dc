"""Repositories: rows to attrs objects and back, explicitly. No business rule lives here."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from oms_core.domain.errors import ConcurrentUpdate, NotFound
from oms_core.domain.fulfilment import Document, Shipment, ShipmentLine, ShipmentState
from oms_core.domain.inventory import LedgerEntry, LedgerReason, Location, Product, Reservation, StockLevel
from oms_core.domain.money import Money
from oms_core.domain.order import Hold, Order, OrderLine, TimelineEntry, Totals
from oms_core.domain.party import Address, Customer, of_stored, of_stored_text
from oms_core.domain.payment import Payment, PaymentState, Refund
from oms_core.domain.returns import Disposition, Return, ReturnLine, ReturnState
from oms_core.domain.status import FulfillmentStatus, OrderStatus, PaymentStatus
from oms_core.storage import prepared
from oms_core.storage.tables import Tables
from oms_core.storage.types import Amount

T = TypeVar("T")


def _run(conn: sa.Connection, t: Tables, statement: tuple[Any, Any], params: Any, columns: bool = False) -> Any:
    """A statement given as ``(cache key, builder)``, prepared once and run on the driver (see storage.prepared)."""
    key, build = statement
    return prepared.execute(conn, t, key, build, params, columns=columns)


# -- orders -----------------------------------------------------------------------------------------------------


def order_row_to_order(row: Any, lines: list[OrderLine], holds: list[Hold]) -> Order:
    cur = row.currency

    def m(v: Any) -> Money:
        return Money.of_stored(v, cur)

    return Order(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        currency=cur,
        customer=_party(Customer, row.customer) or of_stored(Customer, {}),
        shipping_address=_party(Address, row.shipping_address),
        billing_address=_party(Address, row.billing_address),
        lines=lines,
        status=OrderStatus(row.status),
        payment_status=PaymentStatus(row.payment_status),
        fulfillment_status=FulfillmentStatus(row.fulfillment_status),
        totals=Totals(m(row.subtotal), m(row.discount_total), m(row.shipping_total), m(row.tax_total), m(row.total)),
        taxes_included=row.taxes_included,
        placed_at=row.placed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        amount_authorized=m(row.amount_authorized),
        amount_captured=m(row.amount_captured),
        amount_refunded=m(row.amount_refunded),
        notes=row.notes,
        attributes=row.attributes or {},
        holds=holds,
        version=row.version,
    )


def line_row_to_line(row: Any, currency: str) -> OrderLine:
    return OrderLine(
        id=row.id,
        line_no=row.line_no,
        sku=row.sku,
        name=row.name,
        quantity=row.quantity,
        unit_price=Money.of_stored(row.unit_price, currency),
        discount=Money.of_stored(row.discount, currency),
        tax=Money.of_stored(row.tax, currency),
        quantity_reserved=row.reserved,
        quantity_backordered=row.backordered,
        quantity_shipped=row.shipped,
        quantity_returned=row.returned,
        quantity_cancelled=row.cancelled,
    )


_PARTY_COLUMNS = ("customer", "shipping_address", "billing_address")


def _party(cls: type[T], stored: str | dict[str, Any] | None) -> T | None:
    """A customer or address from its stored JSON: text (SQLite) is decoded once per distinct text and the frozen
    result shared (the same order is loaded by every use case on it), a decoded dict (PostgreSQL) converted."""
    if isinstance(stored, str):
        return of_stored_text(cls, stored)
    return of_stored(cls, stored)


def _order_columns(t: Tables) -> list[Any]:
    """The order header without ``content`` and ``fingerprint``, which only the replay check reads; the parties as
    the stored JSON text where the driver hands text (see :func:`_party`)."""
    return [
        sa.type_coerce(c, sa.String).label(c.name) if c.name in _PARTY_COLUMNS else c
        for c in t.orders.c
        if c.name not in ("content", "fingerprint")
    ]


def load_order(conn: sa.Connection, t: Tables, order_id: int, *, lock: bool = False, with_holds: bool = False) -> Order:
    """Load an order with its lines; ``lock`` takes a row lock (``FOR UPDATE``) where the backend has one.

    Holds are loaded when the order is on hold or ``with_holds`` asks for its whole hold history.
    """
    locking = lock and conn.dialect.name != "sqlite"
    q = (
        ("load_order", locking),
        lambda t: (
            sa.select(*_order_columns(t)).where(t.orders.c.id == sa.bindparam("id")).with_for_update()
            if locking
            else sa.select(*_order_columns(t)).where(t.orders.c.id == sa.bindparam("id"))
        ),
    )
    row = _run(conn, t, q, {"id": order_id}).first()
    if row is None:
        raise NotFound("order", order_id)
    lines_q = (
        "load_order_lines",
        lambda t: (
            sa.select(t.order_lines)
            .where(t.order_lines.c.order_id == sa.bindparam("id"))
            .order_by(t.order_lines.c.line_no)
        ),
    )
    lines = [line_row_to_line(r, row.currency) for r in _run(conn, t, lines_q, {"id": order_id})]
    holds = []
    if with_holds or row.status == "on_hold":
        holds_q = t.stmt(
            "load_order_holds",
            lambda t: sa.select(t.holds).where(t.holds.c.order_id == sa.bindparam("id")).order_by(t.holds.c.id),
        )
        holds = [
            Hold(kind=r.kind, reason=r.reason, source=r.source, created_at=r.created_at, released_at=r.released_at,
                 id=r.id)
            for r in conn.execute(holds_q, {"id": order_id})
        ]  # fmt: skip
    return order_row_to_order(row, lines, holds)


def find_order_id(conn: sa.Connection, t: Tables, channel: str, external_id: str) -> int | None:
    q = (
        "find_order_id",
        lambda t: sa.select(t.orders.c.id).where(
            t.orders.c.channel == sa.bindparam("channel"), t.orders.c.external_id == sa.bindparam("external_id")
        ),
    )
    return _run(conn, t, q, {"channel": channel, "external_id": external_id}).scalar()


def order_fingerprints(
    conn: sa.Connection, t: Tables, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, str]]:
    """``{(channel, external id): (order id, fingerprint)}`` for those of ``keys`` that are stored orders."""

    def build(t: Tables, n: int) -> sa.Select:
        o = t.orders
        return sa.select(o.c.id, o.c.channel, o.c.external_id, o.c.fingerprint).where(
            o.c.channel == sa.bindparam("channel"), prepared.in_list(o.c.external_id, "ext", n)
        )

    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    return {
        (r.channel, r.external_id): (r.id, r.fingerprint)
        for channel, ids in by_channel.items()
        for r in _in_chunks(conn, t, "order_fingerprints", build, ids, {"channel": channel}, name="ext")
    }


def load_timeline(conn: sa.Connection, t: Tables, order_id: int) -> list[TimelineEntry]:
    rows = conn.execute(sa.select(t.timeline).where(t.timeline.c.order_id == order_id).order_by(t.timeline.c.id))
    return [TimelineEntry(at=r.at, kind=r.kind, message=r.message, source=r.source, data=r.data or {}) for r in rows]


def save_order_header(conn: sa.Connection, t: Tables, order: Order, now: Any, changed: Iterable[str]) -> None:
    """Write the changed header columns, checking the version the order was loaded at (optimistic lock)."""
    values: dict[str, Any] = {}
    for name in changed:
        value = getattr(order, name)
        values[name] = value.amount if isinstance(value, Money) else value
    if not values:
        return
    version = order.version
    values["updated_at"] = now
    values["version"] = version + 1
    q = (
        "save_order_header",
        lambda t: sa.update(t.orders).where(
            t.orders.c.id == sa.bindparam("_id"), t.orders.c.version == sa.bindparam("_version")
        ),
    )
    res = _run(conn, t, q, {**values, "_id": order.id, "_version": version}, columns=True)
    if res.rowcount != 1:
        raise ConcurrentUpdate(f"order #{order.id} was changed by another transaction; retry")
    order.version = version + 1


def save_line_quantities(conn: sa.Connection, t: Tables, lines: Sequence[OrderLine]) -> None:
    """Write the fulfilment quantities of ``lines`` (one executemany)."""
    if not lines:
        return
    q = (
        "save_line_quantities",
        lambda t: (
            sa.update(t.order_lines)
            .where(t.order_lines.c.id == sa.bindparam("_id"))
            .values(
                reserved=sa.bindparam("_reserved"),
                backordered=sa.bindparam("_backordered"),
                shipped=sa.bindparam("_shipped"),
                returned=sa.bindparam("_returned"),
                cancelled=sa.bindparam("_cancelled"),
            )
        ),
    )
    prepared.execute_many(
        conn,
        t,
        *q,
        [
            {"_id": x.id, "_reserved": x.quantity_reserved, "_backordered": x.quantity_backordered,
             "_shipped": x.quantity_shipped, "_returned": x.quantity_returned, "_cancelled": x.quantity_cancelled}
            for x in lines
        ],
    )  # fmt: skip


# -- catalogue and stock ----------------------------------------------------------------------------------------


def product_from_row(r: Any) -> Product:
    return Product(r.sku, r.name, r.weight_grams, r.low_stock_threshold, r.active)


def location_from_row(r: Any) -> Location:
    return Location(r.code, r.name, r.priority, r.postcode, r.country, r.active)


def _in_chunks(
    conn: sa.Connection, t: Tables, key: Hashable, build: Callable[[Tables, int], Any], values: Iterable[str],
    params: Mapping[str, Any] | None = None, *, name: str = "sku",
) -> list[Any]:  # fmt: skip
    """The rows of ``build(t, n)``, a statement with ``prepared.in_list(..., name, n)``, run over the distinct
    ``values`` (SKUs by default) in chunks.

    Each IN-list length is compiled once (``(key, n)``), so the lists come in a bounded number of lengths.
    """
    rows: list[Any] = []
    for part in prepared.chunks(sorted(set(values))):
        n = len(part)
        statement = ((key, n), lambda t, n=n: build(t, n))
        rows += _run(conn, t, statement, {**(params or {}), **prepared.in_params(name, part)}).all()
    return rows


def stock_levels(
    conn: sa.Connection, t: Tables, skus: Sequence[str] | None = None, location: str | None = None
) -> list[StockLevel]:
    """Stock at active locations, in location priority order (the order default sourcing prefers)."""

    def build(t: Tables, n: int | None) -> sa.Select:
        s, loc = t.stock, t.locations
        q = (
            sa.select(s.c.sku, s.c.location, s.c.on_hand, s.c.reserved)
            .join(loc, loc.c.code == s.c.location)
            .where(loc.c.active.is_(True))
            .order_by(loc.c.priority, s.c.location, s.c.sku)
        )
        if n is not None:
            q = q.where(prepared.in_list(s.c.sku, "sku", n))
        if location is not None:
            q = q.where(s.c.location == sa.bindparam("location"))
        return q

    params = {"location": location}
    if skus is None:
        rows = _run(conn, t, (("stock_levels", None, location is not None), lambda t: build(t, None)), params).all()
    else:
        rows = _in_chunks(conn, t, ("stock_levels", location is not None), build, skus, params)
        if len(set(skus)) > prepared.IN_LIMIT:  # chunks each come in priority order; merge them
            priority = priorities(conn, t)
            rows.sort(key=lambda r: (priority[r.location], r.location, r.sku))
    return [StockLevel(r.sku, r.location, r.on_hand, r.reserved) for r in rows]


def stock_for_update(conn: sa.Connection, t: Tables, skus: Iterable[str]) -> list[Any]:
    """Every stock row of ``skus`` (any location) with its location's ``active`` and ``priority`` and the product's
    ``low_stock_threshold``, locked (``FOR UPDATE OF`` the stock rows where the backend has row locks).

    Rows are read, and so locked, in (sku, location) order: the order every use case touches stock rows in, so that
    two transactions cannot deadlock on them.
    """
    locking = conn.dialect.name != "sqlite"

    def build(t: Tables, n: int) -> sa.Select:
        s, loc, p = t.stock, t.locations, t.products
        q = (
            sa.select(s.c.sku, s.c.location, s.c.on_hand, s.c.reserved, loc.c.active, loc.c.priority,
                      p.c.low_stock_threshold)
            .join(loc, loc.c.code == s.c.location)
            .join(p, p.c.sku == s.c.sku)
            .where(prepared.in_list(s.c.sku, "sku", n))
            .order_by(s.c.sku, s.c.location)
        )  # fmt: skip
        return q.with_for_update(of=s) if locking else q

    return _in_chunks(conn, t, ("stock_for_update", locking), build, skus)


def priorities(conn: sa.Connection, t: Tables) -> dict[str, int]:
    return dict(conn.execute(sa.select(t.locations.c.code, t.locations.c.priority)).all())


def active_skus(conn: sa.Connection, t: Tables, skus: Iterable[str]) -> set[str]:
    """Those of ``skus`` that are active products."""
    rows = _in_chunks(
        conn,
        t,
        "active_skus",
        lambda t, n: sa.select(t.products.c.sku).where(
            prepared.in_list(t.products.c.sku, "sku", n), t.products.c.active.is_(True)
        ),
        skus,
    )
    return {r.sku for r in rows}


def product_weights(conn: sa.Connection, t: Tables, skus: Iterable[str]) -> dict[str, int | None]:
    """``{sku: weight in grams or None}`` for those of ``skus`` that are products."""
    rows = _in_chunks(
        conn,
        t,
        "product_weights",
        lambda t, n: sa.select(t.products.c.sku, t.products.c.weight_grams).where(
            prepared.in_list(t.products.c.sku, "sku", n)
        ),
        skus,
    )
    return {r.sku: r.weight_grams for r in rows}


def ledger_entries(conn: sa.Connection, t: Tables, sku: str, location: str | None = None) -> list[LedgerEntry]:
    q = sa.select(t.stock_ledger).where(t.stock_ledger.c.sku == sku).order_by(t.stock_ledger.c.id)
    if location:
        q = q.where(t.stock_ledger.c.location == location)
    return [
        LedgerEntry(r.id, r.sku, r.location, r.delta, LedgerReason(r.reason), r.reference, r.note, r.at)
        for r in conn.execute(q)
    ]


def reservations(conn: sa.Connection, t: Tables, order_id: int) -> list[Reservation]:
    q = (
        "reservations",
        lambda t: (
            sa.select(t.reservations)
            .where(t.reservations.c.order_id == sa.bindparam("id"))
            .order_by(t.reservations.c.id)
        ),
    )
    return [
        Reservation(x.id, x.order_id, x.line_id, x.sku, x.location, x.quantity, x.shipped, x.released)
        for x in _run(conn, t, q, {"id": order_id})
    ]


# -- payments ---------------------------------------------------------------------------------------------------


def payment_from_row(r: Any) -> Payment:
    cur = r.currency
    return Payment(
        id=r.id,
        order_id=r.order_id,
        gateway=r.gateway,
        method=r.method,
        amount=Money.of_stored(r.amount, cur),
        captured=Money.of_stored(r.captured, cur),
        refunded=Money.of_stored(r.refunded, cur),
        state=PaymentState(r.state),
        reference=r.reference,
        idempotency_key=r.idempotency_key,
        created_at=r.created_at,
        error=r.error,
    )


def payments(conn: sa.Connection, t: Tables, order_id: int) -> list[Payment]:
    q = (
        "payments",
        lambda t: sa.select(t.payments).where(t.payments.c.order_id == sa.bindparam("id")).order_by(t.payments.c.id),
    )
    return [payment_from_row(r) for r in _run(conn, t, q, {"id": order_id})]


def pending_payment_amount(conn: sa.Connection, t: Tables, order_id: int, currency: str) -> Money:
    """What the order's pending payments await (authorized at no provider yet: transfers, cash on delivery)."""
    q = (
        "pending_payment_amount",
        lambda t: sa.select(sa.type_coerce(sa.func.coalesce(sa.func.sum(t.payments.c.amount), 0), Amount)).where(
            t.payments.c.order_id == sa.bindparam("id"), t.payments.c.state == PaymentState.PENDING.value
        ),
    )
    return Money.of_stored(_run(conn, t, q, {"id": order_id}).scalar(), currency)


def load_payment(conn: sa.Connection, t: Tables, payment_id: int) -> Payment:
    q = ("load_payment", lambda t: sa.select(t.payments).where(t.payments.c.id == sa.bindparam("id")))
    row = _run(conn, t, q, {"id": payment_id}).first()
    if row is None:
        raise NotFound("payment", payment_id)
    return payment_from_row(row)


def refunds(conn: sa.Connection, t: Tables, order_id: int, currency: str) -> list[Refund]:
    q = sa.select(t.refunds).where(t.refunds.c.order_id == order_id).order_by(t.refunds.c.id)
    return [
        Refund(
            r.id,
            r.order_id,
            r.payment_id,
            Money(r.amount, currency),
            r.reason,
            r.reference,
            r.created_at,
            r.lines or {},
        )
        for r in conn.execute(q)
    ]


# -- shipments and returns --------------------------------------------------------------------------------------


def shipments(
    conn: sa.Connection,
    t: Tables,
    order_id: int | None = None,
    shipment_id: int | None = None,
    with_documents: bool = False,
) -> list[Shipment]:
    s = t.shipments
    q = sa.select(s).order_by(s.c.id)
    if order_id is not None:
        q = q.where(s.c.order_id == order_id)
    if shipment_id is not None:
        q = q.where(s.c.id == shipment_id)
    rows = conn.execute(q).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    lines: dict[int, list[ShipmentLine]] = {i: [] for i in ids}
    for r in conn.execute(
        sa.select(t.shipment_lines).where(t.shipment_lines.c.shipment_id.in_(ids)).order_by(t.shipment_lines.c.id)
    ):
        lines[r.shipment_id].append(ShipmentLine(r.line_id, r.sku, r.quantity))
    docs: dict[int, list[Document]] = {i: [] for i in ids}
    if with_documents:
        d = t.shipment_documents
        for r in conn.execute(sa.select(d).where(d.c.shipment_id.in_(ids)).order_by(d.c.id)):
            docs[r.shipment_id].append(Document(r.kind, r.media_type, r.content, r.filename))
    return [
        Shipment(
            id=r.id,
            order_id=r.order_id,
            location=r.location,
            carrier=r.carrier,
            service=r.service,
            tracking_number=r.tracking_number,
            state=ShipmentState(r.state),
            lines=tuple(lines[r.id]),
            created_at=r.created_at,
            shipped_at=r.shipped_at,
            delivered_at=r.delivered_at,
            cost=Money(r.cost, r.currency) if r.cost is not None and r.currency else None,
            documents=tuple(docs[r.id]),
        )
        for r in rows
    ]


def load_return(conn: sa.Connection, t: Tables, return_id: int, currency: str) -> Return:
    row = conn.execute(sa.select(t.returns).where(t.returns.c.id == return_id)).first()
    if row is None:
        raise NotFound("return", return_id)
    lines = tuple(
        ReturnLine(
            r.line_id, r.sku, r.quantity, r.reason, Disposition(r.disposition) if r.disposition else None, r.location
        )
        for r in conn.execute(
            sa.select(t.return_lines).where(t.return_lines.c.return_id == return_id).order_by(t.return_lines.c.id)
        )
    )
    return Return(
        id=row.id,
        order_id=row.order_id,
        state=ReturnState(row.state),
        reason=row.reason,
        lines=lines,
        created_at=row.created_at,
        received_at=row.received_at,
        refund_amount=Money(row.refund_amount, currency) if row.refund_amount is not None else None,
    )
