"""Returns (RMA): request, then receive with restock or scrap, and the refund it triggers."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from oms_core.domain.errors import InvalidTransition, ValidationError
from oms_core.domain.inventory import LedgerReason
from oms_core.domain.money import Money
from oms_core.domain.returns import Disposition, Return, ReturnState
from oms_core.domain.status import FulfillmentStatus as F
from oms_core.services import inventory, payments
from oms_core.services.context import Context, change_status, positive_quantity
from oms_core.storage import repository as repo
from oms_core.storage.uow import UnitOfWork


def create_return(uow: UnitOfWork, ctx: Context, order_id: int, lines: Mapping[int | str, int], reason: str) -> Return:
    """Open a return for shipped units (line id or SKU → quantity)."""
    if not reason or not reason.strip():
        raise ValidationError("return", "reason", "is required")
    if not lines:
        raise ValidationError("return", "lines", "at least one line is required")
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    rl = uow.t.return_lines
    pending = dict(
        uow.conn.execute(
            sa.select(rl.c.line_id, sa.func.sum(rl.c.quantity))
            .join(uow.t.returns, uow.t.returns.c.id == rl.c.return_id)
            .where(uow.t.returns.c.order_id == order_id, uow.t.returns.c.state == ReturnState.REQUESTED.value)
            .group_by(rl.c.line_id)
        ).all()
    )
    rows = []
    for ref, qty in lines.items():
        line = order.line(ref)
        positive_quantity("return", f"lines[{ref}]", qty)
        returnable = line.quantity_shipped - line.quantity_returned - int(pending.get(line.id, 0))
        if qty > returnable:
            raise ValidationError(
                "return",
                f"lines[{ref}]",
                f"{qty} exceeds the {returnable} of {line.sku} shipped and not yet returned",
                qty,
            )
        rows.append({"line_id": line.id, "sku": line.sku, "quantity": qty, "reason": reason})
    return_id = uow.conn.execute(
        sa.insert(uow.t.returns)
        .values(
            order_id=order.id,
            state=ReturnState.REQUESTED.value,
            reason=reason,
            created_at=uow.now,
        )
        .returning(uow.t.returns.c.id)
    ).scalar_one()
    uow.conn.execute(rl.insert(), [{**r, "return_id": return_id} for r in rows])
    uow.timeline(
        order.id,
        "return_requested",
        f"return #{return_id}: " + ", ".join(f"{r['quantity']} x {r['sku']}" for r in rows) + f" ({reason})",
    )
    return repo.load_return(uow.conn, uow.t, return_id, order.currency)


def receive_return(
    uow: UnitOfWork,
    ctx: Context,
    return_id: int,
    dispositions: Mapping[int | str, str] | None = None,
    *,
    location: str | None = None,
    refund: bool = True,
) -> Return:
    """Receive a return: restock (default) or scrap each line, then refund what those units were paid.

    ``dispositions`` maps a line id or SKU to ``"restock"`` or ``"scrap"``. Restocked units go back on hand at
    ``location`` (default: the location they were shipped from).
    """
    t = uow.t
    head = uow.conn.execute(sa.select(t.returns.c.order_id).where(t.returns.c.id == return_id)).scalar()
    if head is None:
        from oms_core.domain.errors import NotFound

        raise NotFound("return", return_id)
    order = repo.load_order(uow.conn, uow.t, head, lock=True)
    rma = repo.load_return(uow.conn, uow.t, return_id, order.currency)
    if rma.state != ReturnState.REQUESTED:
        raise InvalidTransition("return", "state", rma.state, ReturnState.RECEIVED, "it was already handled")
    choices = {order.line(ref).id: Disposition(value) for ref, value in (dispositions or {}).items()}
    shipped_from = _shipped_from(uow, order.id)
    refund_total = Money.zero(order.currency)
    rl, ol = t.return_lines, t.order_lines
    for line_ref in sorted(rma.lines, key=lambda x: x.sku):  # lock stock rows in sku order
        line = order.line(line_ref.line_id)
        disposition = choices.get(line.id, Disposition.RESTOCK)
        where = location or shipped_from.get(line.id)
        if disposition == Disposition.RESTOCK:
            if where is None:
                raise ValidationError("return", "location", f"name where {line.sku} is restocked")
            inventory.change_on_hand(uow, line.sku, where, line_ref.quantity, LedgerReason.RETURN, f"return:{rma.id}")
        uow.conn.execute(
            sa.update(rl)
            .where(rl.c.return_id == rma.id, rl.c.line_id == line.id)
            .values(disposition=disposition.value, location=where if disposition == Disposition.RESTOCK else None)
        )
        line.quantity_returned += line_ref.quantity
        uow.conn.execute(sa.update(ol).where(ol.c.id == line.id).values(returned=line.quantity_returned))
        refund_total = refund_total + line.unit_refund_value(order.taxes_included) * line_ref.quantity
    refund_total = refund_total.rounded()
    # returned: every unit came back and none is left to ship (else the rest of the order may still ship)
    all_back = all(line.quantity_returned >= line.quantity_shipped and not line.quantity_open for line in order.lines)
    change_status(uow, ctx, order, "fulfillment_status", F.RETURNED if all_back else F.PARTIALLY_RETURNED)
    repo.save_order_header(uow.conn, uow.t, order, uow.now, ["fulfillment_status"])
    refunded = None
    if refund:
        refundable = Money.sum((p.refundable for p in repo.payments(uow.conn, t, order.id)), order.currency)
        amount = min(refund_total, refundable, key=lambda m: m.amount)
        if not amount.is_zero():
            refunded = payments.refund(
                uow,
                ctx,
                order.id,
                amount,
                f"return #{rma.id}: {rma.reason}",
                {str(x.line_id): x.quantity for x in rma.lines},
            )
    uow.conn.execute(
        sa.update(t.returns)
        .where(t.returns.c.id == rma.id)
        .values(
            state=ReturnState.RECEIVED.value, received_at=uow.now, refund_amount=refunded.amount if refunded else None
        )
    )
    uow.timeline(
        order.id, "return_received", f"return #{rma.id} received" + (f", {refunded} refunded" if refunded else "")
    )
    uow.emit(
        "return_received",
        {
            "order_id": order.id,
            "return_id": rma.id,
            "refund": refunded.to_json()["amount"] if refunded else None,
            "lines": [[x.sku, x.quantity, choices.get(x.line_id, Disposition.RESTOCK).value] for x in rma.lines],
        },
        order.id,
    )
    return repo.load_return(uow.conn, uow.t, rma.id, order.currency)


def _shipped_from(uow: UnitOfWork, order_id: int) -> dict[int, str]:
    s, sl = uow.t.shipments, uow.t.shipment_lines
    rows = uow.conn.execute(
        sa.select(sl.c.line_id, s.c.location)
        .join(s, s.c.id == sl.c.shipment_id)
        .where(s.c.order_id == order_id)
        .order_by(s.c.id)
    ).all()
    return {r.line_id: r.location for r in rows}
