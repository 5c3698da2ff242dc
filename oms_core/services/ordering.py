"""The order life cycle: place, confirm (reserve), hold and release, allocate backorders, cancel, complete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from oms_core.domain.errors import (
    DuplicateOrder,
    InsufficientStock,
    InvalidTransition,
    OMSError,
    RuleRejected,
    ValidationError,
    ValidationErrors,
)
from oms_core.domain.inventory import Allocation
from oms_core.domain.money import Money, to_decimal
from oms_core.domain.order import Order, OrderDraft, OrderLine, Totals, describe_differences
from oms_core.domain.status import FulfillmentStatus as F
from oms_core.domain.status import OrderStatus as O
from oms_core.domain.status import PaymentStatus as P
from oms_core.services import inventory, payments
from oms_core.services.context import Context, ShortStockPolicy, change_status
from oms_core.storage import repository as repo
from oms_core.storage.uow import UnitOfWork

# -- place ------------------------------------------------------------------------------------------------------


def place_order(uow: UnitOfWork, ctx: Context, draft: OrderDraft) -> tuple[Order, bool]:
    """Accept a draft. Returns ``(order, created)``; a replay of the same draft returns the existing order.

    The same (channel, external id) with different content raises :class:`DuplicateOrder`.
    """
    problems = draft.problems()
    if problems:
        raise ValidationErrors(problems)
    existing = repo.find_order_id(uow.conn, uow.t, draft.channel, draft.external_id)
    if existing is not None:
        return _replay(uow, draft, existing), False
    known = inventory.known_skus(uow, (line.sku for line in draft.lines))
    priced, fingerprint, content, decisions = _accept(ctx, draft, known)
    order = _insert(uow, priced, fingerprint, content)
    _record_decisions(uow, order.id, decisions)
    return order, True


#: What :func:`place_orders` did with one draft: ``(order id, created)``, or the error that refused it.
Placement = tuple[int, bool] | OMSError


def place_orders(uow: UnitOfWork, ctx: Context, drafts: Sequence[OrderDraft]) -> list[Placement]:
    """Place ``drafts`` in the caller's transaction, set-based: one look-up of known external ids and one of known
    SKUs for all of them, one ``executemany`` for all their lines. Returns one :data:`Placement` per draft.

    Each draft gets the same checks and hooks as :func:`place_order`, all before its first write, so a refused
    draft leaves nothing behind and the others are placed. A replay (also of a draft earlier in ``drafts``) returns
    the existing order's id with ``created`` false.
    """
    outcomes: list[Placement] = []
    checked: list[OrderDraft] = []
    for draft in drafts:
        problems = draft.problems()
        if problems:
            outcomes.append(ValidationErrors(problems))
        else:
            checked.append(draft)
            outcomes.append((0, False))  # filled in below
    stored = repo.order_fingerprints(uow.conn, uow.t, [(d.channel, d.external_id) for d in checked])
    known = inventory.known_skus(uow, (line.sku for d in checked for line in d.lines))
    placed: dict[tuple[str, str], tuple[int, str, dict[str, Any]]] = {}  # by this call: id, fingerprint, content
    lines: list[dict[str, Any]] = []
    checked_iter = iter(checked)
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, OMSError):
            continue
        draft = next(checked_iter)
        key = (draft.channel, draft.external_id)
        try:
            if key in stored:
                order_id, fingerprint = stored[key]
                _check_replay(uow, draft, order_id, fingerprint)
                outcomes[i] = (order_id, False)
                continue
            if key in placed:
                order_id, fingerprint, content = placed[key]
                if fingerprint != draft.fingerprint():
                    raise DuplicateOrder(
                        draft.channel, draft.external_id, order_id, describe_differences(content, draft.content())
                    )
                outcomes[i] = (order_id, False)
                continue
            priced, fingerprint, content, decisions = _accept(ctx, draft, known)
        except OMSError as exc:
            outcomes[i] = exc
            continue
        totals = priced.totals()
        order_id = _insert_header(uow, _header(uow, priced, totals, fingerprint, content))
        if order_id is None:  # another transaction placed it since the look-up
            existing = repo.find_order_id(uow.conn, uow.t, draft.channel, draft.external_id)
            assert existing is not None
            try:
                _check_replay(uow, draft, existing)
            except OMSError as exc:
                outcomes[i] = exc
                continue
            outcomes[i] = (existing, False)
            continue
        lines += _line_rows(priced, order_id)
        _placed(uow, priced, order_id, totals, len(priced.lines))
        _record_decisions(uow, order_id, decisions)
        placed[key] = (order_id, fingerprint, content)
        outcomes[i] = (order_id, True)
    uow.run_many("insert_order_lines", lambda t: t.order_lines.insert(), lines, columns=True)
    return outcomes


def _accept(
    ctx: Context, draft: OrderDraft, known: set[str]
) -> tuple[OrderDraft, str, dict[str, Any], list[tuple[str, str]]]:
    """Every check and decision hook of a new order, before anything is written: unknown SKUs, ``validate_order``,
    ``price_order``, ``compute_taxes``. Returns the priced draft, the original's fingerprint and content, and the
    decisions to write on the timeline."""
    unknown = [
        ValidationError("order", f"lines[{i}].sku", f"unknown SKU {line.sku!r}", line.sku)
        for i, line in enumerate(draft.lines)
        if line.sku not in known
    ]
    if unknown:
        raise ValidationErrors(unknown)
    refused = [
        (plugin, msg)
        for plugin, result in ctx.decide("validate_order", draft=draft, oms=ctx.oms)
        for msg in ([result] if isinstance(result, str) else result)
    ]
    if refused:
        raise RuleRejected(refused)
    content = draft.content()
    fingerprint = draft.fingerprint(content)
    priced, decisions = draft, []
    for plugin, result in ctx.decide("price_order", first=True, draft=draft, oms=ctx.oms):
        priced = _checked_draft(result, plugin, draft)
        decisions.append((plugin, f"repriced by {plugin}: {draft.totals().total} -> {priced.totals().total}"))
    for plugin, taxes in ctx.decide("compute_taxes", first=True, draft=priced, oms=ctx.oms):
        priced = _apply_taxes(priced, taxes, plugin)
        decisions.append((plugin, f"taxes computed by {plugin}: {priced.totals().tax_total}"))
    return priced, fingerprint, content, decisions


def _record_decisions(uow: UnitOfWork, order_id: int, decisions: list[tuple[str, str]]) -> None:
    for plugin, message in decisions:
        uow.timeline(order_id, "decision", message, plugin)


def _checked_draft(result: object, plugin: str, original: OrderDraft) -> OrderDraft:
    if not isinstance(result, OrderDraft):
        raise ValidationError("order", "price_order", f"{plugin} returned {type(result).__name__}, not an OrderDraft")
    if (result.channel, result.external_id, result.currency) != (
        original.channel,
        original.external_id,
        original.currency,
    ):
        raise ValidationError("order", "price_order", f"{plugin} may not change channel, external id or currency")
    problems = result.problems()
    if problems:
        raise ValidationErrors(problems)
    return result


def _apply_taxes(draft: OrderDraft, taxes: Sequence[object], plugin: str) -> OrderDraft:
    if len(taxes) != len(draft.lines) + 1:
        raise ValidationError(
            "order", "compute_taxes", f"{plugin} returned {len(taxes)} amounts for {len(draft.lines)} lines + shipping"
        )
    amounts = [to_decimal(x, "compute_taxes") for x in taxes]
    lines = [attrs.evolve(line, tax=tax) for line, tax in zip(draft.lines, amounts[:-1], strict=True)]
    return attrs.evolve(draft, lines=lines, shipping_tax=amounts[-1])


def _check_replay(uow: UnitOfWork, draft: OrderDraft, order_id: int, fingerprint: str | None = None) -> None:
    """Raise :class:`DuplicateOrder` unless ``draft`` has the content of the stored order ``order_id``."""
    if fingerprint is not None and fingerprint == draft.fingerprint():
        return
    row = uow.conn.execute(
        sa.select(uow.t.orders.c.fingerprint, uow.t.orders.c.content).where(uow.t.orders.c.id == order_id)
    ).one()
    if row.fingerprint != draft.fingerprint():
        raise DuplicateOrder(
            draft.channel, draft.external_id, order_id, describe_differences(row.content, draft.content())
        )


def _replay(uow: UnitOfWork, draft: OrderDraft, order_id: int) -> Order:
    _check_replay(uow, draft, order_id)
    return repo.load_order(uow.conn, uow.t, order_id)


def _insert(uow: UnitOfWork, draft: OrderDraft, fingerprint: str, content: dict) -> Order:
    totals = draft.totals()
    header = _header(uow, draft, totals, fingerprint, content)
    order_id = _insert_header(uow, header)
    if order_id is None:
        # another transaction placed the same external id between our look-up and our insert
        existing = repo.find_order_id(uow.conn, uow.t, draft.channel, draft.external_id)
        assert existing is not None
        return _replay(uow, draft, existing)
    rows = _line_rows(draft, order_id)
    uow.run_many("insert_order_lines", lambda t: t.order_lines.insert(), rows, columns=True)
    ids = uow.run(
        "order_line_ids",
        lambda t: (
            sa.select(t.order_lines.c.id)
            .where(t.order_lines.c.order_id == sa.bindparam("order_id"))
            .order_by(t.order_lines.c.line_no)
        ),
        {"order_id": order_id},
    ).scalars()
    cur = draft.currency
    lines = [
        OrderLine(
            id=line_id,
            line_no=r["line_no"],
            sku=r["sku"],
            name=r["name"],
            quantity=r["quantity"],
            unit_price=Money(r["unit_price"], cur),
            discount=Money(r["discount"], cur),
            tax=Money(r["tax"], cur),
        )
        for line_id, r in zip(ids, rows, strict=True)
    ]
    header["id"] = order_id
    order = repo.order_row_to_order(_Row(header), lines, [])
    _placed(uow, draft, order_id, totals, len(lines))
    return order


def _header(uow: UnitOfWork, draft: OrderDraft, totals: Totals, fingerprint: str, content: dict) -> dict[str, Any]:
    now = uow.now
    billing = draft.billing_address or draft.shipping_address
    return {
        "channel": draft.channel,
        "external_id": draft.external_id,
        "fingerprint": fingerprint,
        "content": content,
        "currency": draft.currency,
        "customer_email": draft.customer.email,
        "customer": draft.customer.to_json(),
        "shipping_address": draft.shipping_address.to_json() if draft.shipping_address else None,
        "billing_address": billing.to_json() if billing else None,
        "status": O.PENDING.value,
        "payment_status": P.UNPAID.value,
        "fulfillment_status": F.UNFULFILLED.value,
        "subtotal": totals.subtotal.amount,
        "discount_total": totals.discount_total.amount,
        "shipping_total": totals.shipping_total.amount,
        "tax_total": totals.tax_total.amount,
        "total": totals.total.amount,
        "amount_authorized": 0,
        "amount_captured": 0,
        "amount_refunded": 0,
        "taxes_included": draft.taxes_included,
        "placed_at": draft.placed_at or now,
        "created_at": now,
        "updated_at": now,
        "notes": draft.notes,
        "attributes": draft.attributes or None,
        "version": 1,
    }


def _insert_header(uow: UnitOfWork, header: dict[str, Any]) -> int | None:
    """Insert the order row; ``None`` when the (channel, external id) is taken (by a concurrent transaction)."""
    dialect_insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    return uow.run(  # type: ignore[no-any-return]
        ("insert_order", uow.dialect),
        lambda t: (
            dialect_insert(t.orders)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(t.orders.c.id)
        ),
        header,
        columns=True,
    ).scalar()


def _line_rows(draft: OrderDraft, order_id: int) -> list[dict[str, Any]]:
    cur = draft.currency
    discounts = draft.line_discounts()
    return [
        {
            "order_id": order_id,
            "line_no": i + 1,
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": discounts[i].amount,
            "tax": Money(line.tax, cur).rounded().amount,
            "reserved": 0,
            "backordered": 0,
            "shipped": 0,
            "returned": 0,
            "cancelled": 0,
        }
        for i, line in enumerate(draft.lines)
    ]


def _placed(uow: UnitOfWork, draft: OrderDraft, order_id: int, totals: Totals, n_lines: int) -> None:
    uow.timeline(
        order_id,
        "placed",
        f"placed from {draft.channel} as {draft.external_id}: {totals.total}",
        data={"lines": n_lines},
    )
    uow.emit(
        "order_placed",
        {
            "order_id": order_id,
            "channel": draft.channel,
            "external_id": draft.external_id,
            "total": totals.total.to_json()["amount"],
            "currency": draft.currency,
        },
        order_id,
    )


class _Row:
    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


# -- confirm and allocate ---------------------------------------------------------------------------------------


def confirm_order(uow: UnitOfWork, ctx: Context, order_id: int) -> Order:
    """Reserve stock for every line and confirm; short stock follows the ``short_stock`` policy; then every
    ``assess_order`` hold puts the order on hold. Confirming a confirmed order changes nothing."""
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    if order.status == O.CONFIRMED:
        return order
    if order.status != O.PENDING:
        raise InvalidTransition(
            "order", "status", order.status, O.CONFIRMED, "only a pending order can be confirmed" + _hold_hint(order)
        )
    changed = {"status"}
    needed: dict[str, int] = {}
    for line in order.lines:
        open_units = line.quantity - line.quantity_cancelled - line.quantity_shipped - line.quantity_reserved
        needed[line.sku] = needed.get(line.sku, 0) + open_units
    short = allocate(uow, ctx, order)
    if short and ctx.settings.short_stock == ShortStockPolicy.REJECT:
        sku, qty = next(iter(short.items()))
        # report what the order needs and what was available before this attempt (its partial reservation of
        # needed - qty units rolls back with it), not the shortfall against the stock it just reserved
        available = sum(s.available for s in repo.stock_levels(uow.conn, uow.t, [sku])) + needed[sku] - qty
        raise InsufficientStock(sku, None, needed[sku], available)
    holds = [
        (str(kind), str(reason), plugin)
        for plugin, result in ctx.decide("assess_order", order=order, oms=ctx.oms)
        for kind, reason in result
    ]
    if short and ctx.settings.short_stock == ShortStockPolicy.HOLD:
        holds.append(("stock", "short: " + ", ".join(f"{q} x {s}" for s, q in short.items()), "oms"))
    if short:
        uow.timeline(order.id, "backorder", "backordered: " + ", ".join(f"{q} x {s}" for s, q in short.items()))
    if holds:
        change_status(uow, ctx, order, "status", O.ON_HOLD)
        for kind, reason, source in holds:
            _add_hold(uow, order, kind, reason, source)
    else:
        change_status(uow, ctx, order, "status", O.CONFIRMED)
        uow.emit("order_confirmed", {"order_id": order.id, "backordered": sum(short.values())}, order.id)
    if change_status(uow, ctx, order, "fulfillment_status", _allocation_status(order)):
        changed.add("fulfillment_status")
    repo.save_order_header(uow.conn, uow.t, order, uow.now, changed)
    # an order put on hold is read again, so that the caller sees its holds
    return repo.load_order(uow.conn, uow.t, order.id) if holds else order


def _hold_hint(order: Order) -> str:
    return "; release its holds instead" if order.status == O.ON_HOLD else ""


def _allocation_status(order: Order) -> F:
    if order.fulfillment_status not in (F.UNFULFILLED, F.ALLOCATED):
        return order.fulfillment_status
    full = all(
        line.quantity_reserved + line.quantity_shipped >= line.quantity - line.quantity_cancelled
        for line in order.lines
    )
    return F.ALLOCATED if full else F.UNFULFILLED


def allocate(uow: UnitOfWork, ctx: Context, order: Order) -> dict[str, int]:
    """Reserve what every line still needs, through ``choose_sources``. Returns units short per SKU."""
    need = [
        (line.id, line.sku, line.quantity - line.quantity_cancelled - line.quantity_shipped - line.quantity_reserved)
        for line in order.lines
    ]
    need = [n for n in need if n[2] > 0]
    if not need:
        return {}
    # the SKUs' stock rows are locked from here to the commit: the plan is made, and kept, against what is there
    stock = inventory.Reserver(uow, (sku for _, sku, _ in need))
    plan: Sequence[Allocation] = []
    for plugin, result in ctx.decide(
        "choose_sources", first=True, order=order, lines=need, stock=stock.levels(), oms=ctx.oms
    ):
        plan = result
        if plugin != "default_sourcing":
            uow.timeline(
                order.id,
                "sourcing",
                f"sources chosen by {plugin}: " + ", ".join(f"{a.quantity} at {a.location}" for a in plan),
                plugin,
            )
    by_line = {line.id: line for line in order.lines}
    wanted = {line_id: qty for line_id, _, qty in need}
    planned: dict[int, int] = {}
    for a in plan:
        if (
            a.line_id not in by_line
            or a.quantity <= 0
            or planned.get(a.line_id, 0) + a.quantity > wanted.get(a.line_id, 0)
        ):
            raise ValidationError("allocation", "quantity", f"sourcing plan {a} does not fit order #{order.id}")
        planned[a.line_id] = planned.get(a.line_id, 0) + a.quantity
    got: dict[int, int] = {}
    done: list[Allocation] = []
    for a in sorted(plan, key=lambda a: (by_line[a.line_id].sku, a.location)):
        reserved = stock.reserve(order.id, a.line_id, by_line[a.line_id].sku, a.location, a.quantity)
        if reserved:
            got[a.line_id] = got.get(a.line_id, 0) + reserved
            done.append(Allocation(a.line_id, a.location, reserved))
    stock.write()
    short: dict[str, int] = {}
    for line_id, sku, qty in need:
        line = by_line[line_id]
        reserved = got.get(line_id, 0)
        line.quantity_reserved += reserved
        line.quantity_backordered = qty - reserved
        if qty - reserved:
            short[sku] = short.get(sku, 0) + qty - reserved
    repo.save_line_quantities(uow.conn, uow.t, [by_line[line_id] for line_id, _, _ in need])
    if got:
        uow.timeline(
            order.id,
            "reserved",
            "reserved " + ", ".join(f"{a.quantity} x {by_line[a.line_id].sku} at {a.location}" for a in done),
        )
    return short


def allocate_backorders(uow: UnitOfWork, ctx: Context, order_id: int) -> Order:
    """Try again to reserve what a confirmed order is still short of (after stock arrived)."""
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    if order.status not in (O.CONFIRMED, O.ON_HOLD):
        raise InvalidTransition("order", "status", order.status, order.status, "only open orders can be allocated")
    allocate(uow, ctx, order)
    if change_status(uow, ctx, order, "fulfillment_status", _allocation_status(order)):
        repo.save_order_header(uow.conn, uow.t, order, uow.now, ["fulfillment_status"])
    return order


# -- holds ------------------------------------------------------------------------------------------------------


def _add_hold(uow: UnitOfWork, order: Order, kind: str, reason: str, source: str) -> None:
    uow.conn.execute(
        sa.insert(uow.t.holds).values(order_id=order.id, kind=kind, reason=reason, source=source, created_at=uow.now)
    )
    uow.timeline(order.id, "held", f"held by {source}: {reason}", source, {"kind": kind})
    uow.emit("order_held", {"order_id": order.id, "kind": kind, "reason": reason, "source": source}, order.id)


def hold_order(uow: UnitOfWork, ctx: Context, order_id: int, kind: str, reason: str, by: str) -> Order:
    if not kind or not reason:
        raise ValidationError("hold", "reason" if kind else "kind", "is required")
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    if order.status not in (O.PENDING, O.CONFIRMED, O.ON_HOLD):
        raise InvalidTransition("order", "status", order.status, O.ON_HOLD, "only open orders can be held")
    if change_status(uow, ctx, order, "status", O.ON_HOLD):
        # remember where to go back to
        order.attributes = {**order.attributes, "resume_status": str(_resume_status(order))}
        repo.save_order_header(uow.conn, uow.t, order, uow.now, ["status", "attributes"])
    _add_hold(uow, order, kind, reason, by)
    return repo.load_order(uow.conn, uow.t, order_id)


def _resume_status(order: Order) -> O:
    # a manual hold on a pending order goes back to pending; anything reserved goes back to confirmed
    reserved = any(line.quantity_reserved or line.quantity_shipped for line in order.lines)
    return O.CONFIRMED if reserved else O.PENDING


def release_hold(uow: UnitOfWork, ctx: Context, order_id: int, kind: str | None, by: str) -> Order:
    """Lift the order's active holds of ``kind`` (all when ``None``). With none left, the order resumes."""
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    active = [h for h in order.active_holds if kind is None or h.kind == kind]
    if not active:
        raise ValidationError(
            "hold", "kind", f"order #{order_id} has no active hold" + (f" of kind {kind!r}" if kind else ""), kind
        )
    h = uow.t.holds
    uow.conn.execute(sa.update(h).where(h.c.id.in_([x.id for x in active])).values(released_at=uow.now, released_by=by))
    for x in active:
        uow.timeline(order.id, "released", f"{x.kind} hold released by {by}", by, {"kind": x.kind})
    remaining = [x for x in order.active_holds if x not in active]
    if not remaining and order.status == O.ON_HOLD:
        target = O(order.attributes.get("resume_status", O.CONFIRMED))
        change_status(uow, ctx, order, "status", target)
        attributes = {k: v for k, v in order.attributes.items() if k != "resume_status"}
        order.attributes = attributes
        repo.save_order_header(uow.conn, uow.t, order, uow.now, ["status", "attributes"])
        if target == O.CONFIRMED:
            uow.emit(
                "order_confirmed",
                {"order_id": order.id, "backordered": sum(line.quantity_backordered for line in order.lines)},
                order.id,
            )
    for x in active:
        uow.emit(
            "order_released",
            {"order_id": order.id, "kind": x.kind, "released_by": by, "status": str(order.status)},
            order.id,
        )
    return repo.load_order(uow.conn, uow.t, order_id)


# -- cancel and complete ----------------------------------------------------------------------------------------


def cancel_order(uow: UnitOfWork, ctx: Context, order_id: int, reason: str) -> Order:
    """Cancel an order that has not shipped: release its stock, void authorizations, refund captures."""
    if not reason or not reason.strip():
        raise ValidationError("cancel", "reason", "is required")
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    if order.status == O.CANCELLED:
        return order  # cancelling twice changes nothing, like confirming twice
    if any(line.quantity_shipped for line in order.lines):
        raise InvalidTransition(
            "order", "status", order.status, O.CANCELLED, "part of the order has shipped; create a return instead"
        )
    change_status(uow, ctx, order, "status", O.CANCELLED, reason)
    released = inventory.release_reservations(uow, order.id)
    ol = uow.t.order_lines
    for line in order.lines:
        line.quantity_cancelled = line.quantity - line.quantity_shipped
        line.quantity_reserved = 0
        line.quantity_backordered = 0
    uow.conn.execute(
        sa.update(ol)
        .where(ol.c.order_id == order.id)
        .values(cancelled=ol.c.quantity - ol.c.shipped, reserved=0, backordered=0)
    )
    if released:
        uow.timeline(order.id, "released_stock", f"released {sum(released.values())} reserved units")
    change_status(uow, ctx, order, "fulfillment_status", F.UNFULFILLED)
    refunded = payments.settle_on_cancel(uow, ctx, order, reason)
    repo.save_order_header(uow.conn, uow.t, order, uow.now, ["status", "fulfillment_status"])
    uow.emit(
        "order_cancelled", {"order_id": order.id, "reason": reason, "refunded": refunded.to_json()["amount"]}, order.id
    )
    return order
