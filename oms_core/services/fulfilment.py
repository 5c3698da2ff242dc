"""Shipments: lines leave one location with a carrier; reserved and on-hand stock fall; partial is normal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from oms_core.domain.errors import InsufficientStock, InvalidTransition, NotFound, ValidationError
from oms_core.domain.fulfilment import (
    LabelResult,
    Parcel,
    Shipment,
    ShipmentLine,
    ShipmentState,
    TrackingEvent,
)
from oms_core.domain.inventory import LedgerReason
from oms_core.domain.money import Money
from oms_core.domain.order import Order, OrderLine
from oms_core.domain.status import FulfillmentStatus as F
from oms_core.domain.status import OrderStatus as O
from oms_core.drivers import CARRIERS, Carrier
from oms_core.services import inventory
from oms_core.services.context import Context, change_status, maybe_complete, positive_quantity
from oms_core.storage import repository as repo
from oms_core.storage.uow import UnitOfWork


def ship(
    uow: UnitOfWork,
    ctx: Context,
    order_id: int,
    lines: Mapping[int | str, int] | None = None,
    *,
    location: str | None = None,
    carrier: str | None = None,
    service: str | None = None,
) -> Shipment:
    """Ship ``lines`` (line id or SKU → quantity; default: everything reserved) from one location.

    Reserved units are consumed first; units not reserved are taken from available stock at the location.
    """
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    if order.status != O.CONFIRMED:
        raise InvalidTransition(
            "order",
            "fulfillment_status",
            order.fulfillment_status,
            F.SHIPPED,
            f"the order is {order.status}; only a confirmed order ships",
        )
    reservations = [r for r in repo.reservations(uow.conn, uow.t, order.id) if r.open_quantity > 0]
    location = location or _single_location(order, reservations, lines)
    inventory.require_location(uow, location)
    wanted = _wanted(order, reservations, location, lines)
    if not wanted:
        raise ValidationError(
            "shipment", "lines", f"nothing of order #{order.id} is reserved at {location}; name the lines to ship"
        )
    carrier = carrier or ctx.settings.default_carrier
    driver: Carrier = ctx.drivers.get(CARRIERS, carrier)
    shipment_lines = tuple(ShipmentLine(line.id, line.sku, qty) for line, qty in wanted)
    parcel = Parcel(
        order_id=order.id,
        ship_from={"location": location},
        ship_to=order.shipping_address.to_json() if order.shipping_address else {},
        weight_grams=_weight(uow, shipment_lines),
        lines=shipment_lines,
        service=service,
        value=Money.sum((line.unit_price * qty for line, qty in wanted), order.currency).rounded(),
    )
    label = driver.create_label(parcel)
    if not isinstance(label, LabelResult):
        raise ValidationError("shipment", "carrier", f"{carrier} returned {type(label).__name__}, not a LabelResult")
    t = uow.t
    shipment_id = uow.run(
        "insert_shipment",
        lambda t: t.shipments.insert().returning(t.shipments.c.id),
        {
            "order_id": order.id,
            "location": location,
            "carrier": carrier,
            "service": label.service or service,
            "tracking_number": label.tracking_number,
            "state": ShipmentState.SHIPPED.value,
            "cost": label.cost.amount if label.cost else None,
            "currency": label.cost.currency if label.cost else None,
            "created_at": uow.now,
            "shipped_at": uow.now,
        },
        columns=True,
    ).scalar_one()
    uow.run_many(
        "insert_shipment_lines",
        lambda t: t.shipment_lines.insert(),
        [
            {"shipment_id": shipment_id, "line_id": sl.line_id, "sku": sl.sku, "quantity": sl.quantity}
            for sl in shipment_lines
        ],
        columns=True,
    )
    if label.documents:
        uow.conn.execute(
            t.shipment_documents.insert(),
            [
                {
                    "shipment_id": shipment_id,
                    "kind": d.kind,
                    "media_type": d.media_type,
                    "filename": d.filename,
                    "content": d.content,
                }
                for d in label.documents
            ],
        )
    _consume(uow, order, reservations, location, wanted, shipment_id)
    full = all(line.quantity_shipped >= line.quantity - line.quantity_cancelled for line in order.lines)
    changed = ["fulfillment_status"]
    change_status(uow, ctx, order, "fulfillment_status", F.SHIPPED if full else F.PARTIALLY_SHIPPED)
    summary = ", ".join(f"{sl.quantity} x {sl.sku}" for sl in shipment_lines)
    uow.timeline(
        order.id,
        "shipped",
        f"shipment #{shipment_id} from {location} by {carrier} ({label.tracking_number}): {summary}",
        carrier,
    )
    base = {"order_id": order.id, "shipment_id": shipment_id}
    uow.emit("shipment_created", {**base, "carrier": carrier, "tracking_number": label.tracking_number}, order.id)
    uow.emit("shipment_shipped", {**base, "lines": [[sl.sku, sl.quantity] for sl in shipment_lines]}, order.id)
    if maybe_complete(uow, ctx, order):  # after the shipment's own events: completion is their consequence
        changed.append("status")
    repo.save_order_header(uow.conn, uow.t, order, uow.now, changed)
    return Shipment(
        id=shipment_id,
        order_id=order.id,
        location=location,
        carrier=carrier,
        service=label.service or service,
        tracking_number=label.tracking_number,
        state=ShipmentState.SHIPPED,
        lines=shipment_lines,
        created_at=uow.now,
        shipped_at=uow.now,
        delivered_at=None,
        cost=label.cost,
        documents=label.documents,
    )


def _single_location(order: Order, reservations: list, lines: Mapping[int | str, int] | None) -> str:
    locations = sorted({r.location for r in reservations})
    if len(locations) == 1:
        return locations[0]
    if not locations:
        raise ValidationError("shipment", "location", f"order #{order.id} has no reserved stock; name the location")
    raise ValidationError(
        "shipment",
        "location",
        f"order #{order.id} has stock reserved at {', '.join(locations)}; name the location of this shipment",
    )


def _wanted(
    order: Order, reservations: list, location: str, lines: Mapping[int | str, int] | None
) -> list[tuple[OrderLine, int]]:
    if lines is None:
        here: dict[int, int] = {}
        for r in reservations:
            if r.location == location:
                here[r.line_id] = here.get(r.line_id, 0) + r.open_quantity
        return [(line, here[line.id]) for line in order.lines if here.get(line.id)]
    wanted: dict[int, tuple[OrderLine, int]] = {}
    for ref, qty in lines.items():
        line = order.line(ref)
        positive_quantity("shipment", f"lines[{ref}]", qty)
        total = wanted.get(line.id, (line, 0))[1] + qty
        if total > line.quantity_open:
            raise ValidationError(
                "shipment",
                f"lines[{ref}]",
                f"{total} exceeds the {line.quantity_open} of {line.sku} still to ship",
                qty,
            )
        wanted[line.id] = (line, total)
    return list(wanted.values())


def _weight(uow: UnitOfWork, lines: Iterable[ShipmentLine]) -> int:
    lines = list(lines)
    weights = repo.product_weights(uow.conn, uow.t, (sl.sku for sl in lines))
    return sum((weights.get(sl.sku) or 0) * sl.quantity for sl in lines)


def _consume(
    uow: UnitOfWork,
    order: Order,
    reservations: list,
    location: str,
    wanted: list[tuple[OrderLine, int]],
    shipment_id: int,
) -> None:
    reference = f"shipment:{shipment_id}"
    taken: list[dict[str, int]] = []
    for line, qty in sorted(wanted, key=lambda w: w[0].sku):  # lock stock rows in sku order: no deadlock
        mine = [res for res in reservations if res.line_id == line.id and res.open_quantity > 0]
        from_reserved = min(qty, sum(res.open_quantity for res in mine if res.location == location))
        left = qty - from_reserved
        # units shipped beyond what is reserved here and what the line has unreserved were reserved for it at other
        # locations: release those, or the line keeps units reserved for what it has already shipped
        excess = max(0, left - (line.quantity_open - sum(res.open_quantity for res in mine)))
        released = 0
        steps = [(res.location, res) for res in mine if res.location != location] + [(location, None)]
        for loc, res in sorted(steps, key=lambda step: step[0]):  # and in location order within the sku
            if res is not None:
                n = min(excess - released, res.open_quantity)
                if n:
                    inventory.release_reservation(uow, res, n)
                    uow.timeline(order.id, "released_stock", f"released {n} x {line.sku} reserved at {loc}: "
                                 f"shipped from {location} instead")  # fmt: skip
                    released += n
                continue
            here = from_reserved
            for res in mine:
                if here and res.location == location:
                    take = min(here, res.open_quantity)
                    taken.append({"_id": res.id, "_take": take})
                    inventory.change_on_hand(
                        uow, line.sku, location, -take, LedgerReason.SHIPMENT, reference, consume_reserved=True
                    )
                    here -= take
            if left:
                try:
                    inventory.change_on_hand(uow, line.sku, location, -left, LedgerReason.SHIPMENT, reference)
                except InsufficientStock as exc:
                    raise ValidationError(
                        "shipment",
                        f"lines[{line.id}]",
                        f"only {from_reserved} of {line.sku} are "
                        f"reserved at {location} and {exc.available} more are available",
                        qty,
                    ) from None
        line.quantity_backordered = max(0, line.quantity_backordered - left)
        line.quantity_reserved -= from_reserved + released
        line.quantity_shipped += qty
    if taken:
        r = uow.t.reservations
        uow.run_many(
            "ship_reservations",
            lambda t: (
                sa.update(r).where(r.c.id == sa.bindparam("_id")).values(shipped=r.c.shipped + sa.bindparam("_take"))
            ),
            taken,
        )
    repo.save_line_quantities(uow.conn, uow.t, [line for line, _ in wanted])


def mark_delivered(uow: UnitOfWork, ctx: Context, shipment_id: int, at: Any = None) -> Shipment:
    found = repo.shipments(uow.conn, uow.t, shipment_id=shipment_id)
    if not found:
        raise NotFound("shipment", shipment_id)
    shipment = found[0]
    order = repo.load_order(uow.conn, uow.t, shipment.order_id, lock=True)
    if shipment.state == ShipmentState.DELIVERED:
        return shipment
    s = uow.t.shipments
    when = at or uow.now
    uow.conn.execute(
        sa.update(s).where(s.c.id == shipment_id).values(state=ShipmentState.DELIVERED.value, delivered_at=when)
    )
    uow.timeline(order.id, "delivered", f"shipment #{shipment_id} delivered", shipment.carrier)
    uow.emit("shipment_delivered", {"order_id": order.id, "shipment_id": shipment_id}, order.id)
    states = uow.conn.execute(sa.select(s.c.state).where(s.c.order_id == order.id)).scalars().all()
    if order.fulfillment_status == F.SHIPPED and all(x == ShipmentState.DELIVERED for x in states):
        change_status(uow, ctx, order, "fulfillment_status", F.DELIVERED)
        repo.save_order_header(uow.conn, uow.t, order, uow.now, ["fulfillment_status"])
    return repo.shipments(uow.conn, uow.t, shipment_id=shipment_id)[0]


def record_tracking(uow: UnitOfWork, ctx: Context, carrier: str, events: Iterable[TrackingEvent]) -> int:
    """Write carrier tracking events on their orders' timelines (each once); a delivery event delivers."""
    s, te = uow.t.shipments, uow.t.tracking_events
    recorded = 0
    for ev in events:
        row = uow.conn.execute(
            sa.select(s.c.id, s.c.order_id).where(s.c.carrier == carrier, s.c.tracking_number == ev.tracking_number)
        ).first()
        if row is None:
            raise NotFound("shipment", ev.tracking_number, "tracking_number")
        seen = uow.conn.execute(
            sa.select(te.c.id).where(te.c.shipment_id == row.id, te.c.status == ev.status, te.c.at == ev.at)
        ).first()
        if seen:
            continue
        uow.conn.execute(
            sa.insert(te).values(
                shipment_id=row.id, status=ev.status, description=ev.description, location=ev.location, at=ev.at
            )
        )
        uow.timeline(
            row.order_id,
            "tracking",
            f"{ev.tracking_number}: {ev.status}" + (f" - {ev.description}" if ev.description else ""),
            carrier,
        )
        recorded += 1
        if ev.delivered:
            mark_delivered(uow, ctx, row.id, ev.at)
    return recorded
