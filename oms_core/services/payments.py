"""Payments: authorize, capture (partial), void, refund (per amount or line), gateway webhooks, settlement on cancel.

The order's ``payment_status`` and its authorized, captured and refunded amounts are derived from its payments
after every change, so they can never disagree with them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from oms_core.domain.errors import CurrencyMismatch, GatewayError, PaymentError, ValidationError
from oms_core.domain.money import Money, to_decimal
from oms_core.domain.order import Order
from oms_core.domain.payment import (
    GatewayOutcome,
    GatewayResult,
    Payment,
    PaymentEvent,
    PaymentEventKind,
    PaymentState,
)
from oms_core.domain.status import OrderStatus as O
from oms_core.domain.status import PaymentStatus as P
from oms_core.drivers import PAYMENT_GATEWAYS, PaymentGateway
from oms_core.services.context import Context, change_status, maybe_complete
from oms_core.storage import repository as repo
from oms_core.storage.uow import UnitOfWork

S = PaymentState


def _gateway(ctx: Context, name: str) -> PaymentGateway:
    return ctx.drivers.get(PAYMENT_GATEWAYS, name)


def _amount(order: Order, value: Any, field: str = "amount") -> Money:
    if isinstance(value, Money):
        if value.currency != order.currency:
            raise CurrencyMismatch(
                "payment", "currency", f"order #{order.id} is in {order.currency}, not {value.currency}", value.currency
            )
        money = value
    else:
        money = Money(to_decimal(value, field, "payment"), order.currency)
    if money.amount <= 0:
        raise ValidationError("payment", field, "must be greater than zero", money.amount)
    if money.rounded() != money:
        raise ValidationError("payment", field, f"has more decimals than {order.currency} allows", money.amount)
    return money


def _call(ctx: Context, gateway: str, fn: Any, *args: Any) -> GatewayResult:
    try:
        result = fn(*args)
    except GatewayError:
        raise
    except Exception as exc:
        raise GatewayError(gateway, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(result, GatewayResult):
        raise GatewayError(gateway, f"returned {type(result).__name__}, not a GatewayResult")
    return result


def authorize(
    uow: UnitOfWork,
    ctx: Context,
    order_id: int,
    amount: Any = None,
    gateway: str | None = None,
    method: str = "default",
    idempotency_key: str | None = None,
    capture: bool = False,
) -> Payment:
    """Authorize ``amount`` (default: what is not yet covered) through ``gateway``; ``capture=True`` also captures.

    A repeated ``idempotency_key`` returns the payment made the first time, without calling the gateway again.
    """
    gateway = gateway or ctx.settings.default_gateway
    if idempotency_key:
        found = uow.conn.execute(
            sa.select(uow.t.payments).where(uow.t.payments.c.idempotency_key == idempotency_key)
        ).first()
        if found is not None:
            if found.order_id != order_id:
                raise ValidationError(
                    "payment", "idempotency_key", f"already used for order #{found.order_id}", idempotency_key
                )
            return repo.payment_from_row(found)
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    if order.status == O.CANCELLED:
        raise PaymentError("payment", "order", f"order #{order_id} is cancelled")
    # what a pending payment awaits (a bank transfer, cash on delivery) is not open: paying it again by another way
    # would charge the customer twice once the transfer arrives
    awaited = repo.pending_payment_amount(uow.conn, uow.t, order.id, order.currency)
    open_amount = order.total - order.amount_authorized - awaited + order.amount_refunded
    hint = "" if awaited.is_zero() else f"; {awaited} is awaited by pending payments: void or capture them first"
    if amount is None and open_amount.amount <= 0 and hint:
        raise PaymentError("payment", "amount", f"nothing is open on order #{order.id}{hint}")
    money = _amount(order, open_amount if amount is None else amount)
    if money > open_amount:
        raise PaymentError(
            "payment", "amount", f"{money} exceeds what is still open on the order ({open_amount}){hint}"
        )
    key = idempotency_key or f"oms-{secrets.token_hex(16)}"
    driver = _gateway(ctx, gateway)
    result = _call(ctx, gateway, driver.authorize, order, money, method, key)
    state = {
        GatewayOutcome.PENDING: S.PENDING,
        GatewayOutcome.AUTHORIZED: S.AUTHORIZED,
        GatewayOutcome.CAPTURED: S.CAPTURED,
    }.get(result.outcome, S.FAILED)
    captured = money if state == S.CAPTURED else Money.zero(order.currency)
    payment = Payment(
        id=0, order_id=order.id, gateway=gateway, method=method, amount=money, captured=captured,
        refunded=Money.zero(order.currency), state=state, reference=result.reference, idempotency_key=key,
        created_at=uow.now, error=result.error,
    )  # fmt: skip
    payment_id = uow.run(
        "insert_payment",
        lambda t: t.payments.insert().returning(t.payments.c.id),
        {"order_id": order.id, "gateway": gateway, "method": method, "currency": order.currency,
         "amount": money.amount, "captured": captured.amount, "refunded": 0, "state": state.value,
         "reference": result.reference, "idempotency_key": key, "error": result.error, "created_at": uow.now,
         "updated_at": uow.now},
        columns=True,
    ).scalar_one()  # fmt: skip
    payment = attrs.evolve(payment, id=payment_id)
    base = {"order_id": order.id, "payment_id": payment_id, "gateway": gateway}
    if state == S.FAILED:
        uow.timeline(order.id, "payment_failed", f"{gateway} declined {money}: {result.error}", gateway)
        uow.emit("payment_failed", {**base, "error": result.error}, order.id)
    elif state == S.PENDING:
        uow.timeline(order.id, "payment_pending", f"{money} awaited by {gateway} ({method})", gateway)
    else:
        uow.timeline(order.id, "payment_authorized", f"{money} authorized by {gateway}", gateway)
        uow.emit("payment_authorized", {**base, **money.to_json()}, order.id)
    if state == S.CAPTURED:
        uow.timeline(order.id, "payment_captured", f"{money} captured by {gateway}", gateway)
        uow.emit("payment_captured", {**base, **money.to_json()}, order.id)
    if capture and state in (S.AUTHORIZED, S.PENDING):
        return _capture(uow, ctx, order, payment, money)
    refresh(uow, ctx, order)
    return payment


def capture(uow: UnitOfWork, ctx: Context, payment_id: int, amount: Any = None) -> Payment:
    """Capture ``amount`` (default: all that is left) of an authorized payment; partial captures add up."""
    payment = repo.load_payment(uow.conn, uow.t, payment_id)
    order = repo.load_order(uow.conn, uow.t, payment.order_id, lock=True)
    payment = repo.load_payment(uow.conn, uow.t, payment_id)  # read again under the order lock
    if order.status == O.CANCELLED:
        # checked before the gateway is called: money taken at the provider must never go unrecorded
        raise PaymentError("payment", "order", f"order #{order.id} is cancelled; its payments cannot be captured")
    money = payment.capturable if amount is None else _amount(order, amount)
    return _capture(uow, ctx, order, payment, money)


def _capture(uow: UnitOfWork, ctx: Context, order: Order, payment: Payment, money: Money) -> Payment:
    if payment.state not in (S.AUTHORIZED, S.PARTIALLY_CAPTURED, S.PENDING):
        raise PaymentError("payment", "state", f"payment #{payment.id} is {payment.state}; it cannot be captured")
    if money.amount <= 0 or money > payment.capturable:
        raise PaymentError(
            "payment", "amount", f"{money} exceeds the {payment.capturable} left to capture on payment #{payment.id}"
        )
    result = _call(
        ctx,
        payment.gateway,
        _gateway(ctx, payment.gateway).capture,
        payment.reference,
        money,
        f"{payment.idempotency_key}:capture:{(payment.captured + money).amount}",
    )
    if result.outcome == GatewayOutcome.FAILED:
        raise GatewayError(payment.gateway, f"capture of {money} refused: {result.error}")
    captured = payment.captured + money
    state = S.CAPTURED if captured >= payment.amount else S.PARTIALLY_CAPTURED
    reference = result.reference or payment.reference
    uow.run(
        "capture_payment",
        lambda t: sa.update(t.payments).where(t.payments.c.id == sa.bindparam("_id")),
        {"_id": payment.id, "captured": captured.amount, "state": state.value, "updated_at": uow.now,
         "reference": reference},
        columns=True,
    )  # fmt: skip
    uow.timeline(order.id, "payment_captured", f"{money} captured by {payment.gateway}", payment.gateway)
    uow.emit(
        "payment_captured",
        {"order_id": order.id, "payment_id": payment.id, "gateway": payment.gateway, **money.to_json()},
        order.id,
    )
    refresh(uow, ctx, order)
    return attrs.evolve(payment, captured=captured, state=state, reference=reference)


def void(uow: UnitOfWork, ctx: Context, payment_id: int, reason: str = "voided") -> Payment:
    payment = repo.load_payment(uow.conn, uow.t, payment_id)
    order = repo.load_order(uow.conn, uow.t, payment.order_id, lock=True)
    _void(uow, ctx, order, payment, reason)
    refresh(uow, ctx, order)
    return repo.load_payment(uow.conn, uow.t, payment_id)


def _void(uow: UnitOfWork, ctx: Context, order: Order, payment: Payment, reason: str) -> None:
    if payment.state not in (S.AUTHORIZED, S.PENDING):
        raise PaymentError(
            "payment",
            "state",
            f"payment #{payment.id} is {payment.state}; only an uncaptured authorization can be voided",
        )
    result = _call(
        ctx, payment.gateway, _gateway(ctx, payment.gateway).void, payment.reference, f"{payment.idempotency_key}:void"
    )
    if result.outcome == GatewayOutcome.FAILED:
        raise GatewayError(payment.gateway, f"void refused: {result.error}")
    p = uow.t.payments
    uow.conn.execute(sa.update(p).where(p.c.id == payment.id).values(state=S.VOIDED.value, updated_at=uow.now))
    uow.timeline(order.id, "payment_voided", f"{payment.amount} authorization voided ({reason})", payment.gateway)
    uow.emit("payment_voided", {"order_id": order.id, "payment_id": payment.id}, order.id)


def refund(
    uow: UnitOfWork, ctx: Context, order_id: int, amount: Any, reason: str, lines: Mapping[str, Any] | None = None
) -> Money:
    """Refund ``amount`` of what was captured, newest payment first. Returns the amount refunded."""
    if not reason or not str(reason).strip():
        raise ValidationError("refund", "reason", "is required")
    order = repo.load_order(uow.conn, uow.t, order_id, lock=True)
    money = _amount(order, amount)
    return _refund(uow, ctx, order, money, reason, lines or {})


def _refund(uow: UnitOfWork, ctx: Context, order: Order, money: Money, reason: str, lines: Mapping[str, Any]) -> Money:
    pays = repo.payments(uow.conn, uow.t, order.id)
    refundable = Money.sum((p.refundable for p in pays), order.currency)
    if money > refundable:
        raise PaymentError("refund", "amount", f"{money} exceeds the {refundable} captured and not yet refunded")
    left = money
    for payment in sorted(pays, key=lambda p: p.id, reverse=True):
        if left.is_zero():
            break
        part = min(left, payment.refundable, key=lambda m: m.amount)
        if part.is_zero():
            continue
        result = _call(
            ctx,
            payment.gateway,
            _gateway(ctx, payment.gateway).refund,
            payment.reference,
            part,
            reason,
            f"{payment.idempotency_key}:refund:{(payment.refunded + part).amount}",
        )
        if result.outcome == GatewayOutcome.FAILED:
            raise GatewayError(payment.gateway, f"refund of {part} refused: {result.error}")
        p = uow.t.payments
        uow.conn.execute(
            sa.update(p)
            .where(p.c.id == payment.id)
            .values(refunded=(payment.refunded + part).amount, updated_at=uow.now)
        )
        refund_id = uow.conn.execute(
            sa.insert(uow.t.refunds)
            .values(
                order_id=order.id,
                payment_id=payment.id,
                amount=part.amount,
                reason=reason,
                reference=result.reference,
                lines=dict(lines) or None,
                created_at=uow.now,
            )
            .returning(uow.t.refunds.c.id)
        ).scalar_one()
        uow.timeline(
            order.id, "payment_refunded", f"{part} refunded through {payment.gateway}: {reason}", payment.gateway
        )
        uow.emit(
            "payment_refunded",
            {
                "order_id": order.id,
                "payment_id": payment.id,
                "refund_id": refund_id,
                **part.to_json(),
                "reason": reason,
            },
            order.id,
        )
        left = left - part
    refresh(uow, ctx, order)
    return money


def settle_on_cancel(uow: UnitOfWork, ctx: Context, order: Order, reason: str) -> Money:
    """Void what is only authorized and refund what was captured. Returns the amount refunded."""
    refunded = Money.zero(order.currency)
    for payment in repo.payments(uow.conn, uow.t, order.id):
        if payment.state in (S.AUTHORIZED, S.PENDING):
            _void(uow, ctx, order, payment, f"order cancelled: {reason}")
        elif payment.state == S.PARTIALLY_CAPTURED:
            # the uncaptured rest lapses with the cancellation
            uow.timeline(order.id, "payment_voided", f"{payment.capturable} left uncaptured lapses", payment.gateway)
    refundable = Money.sum((p.refundable for p in repo.payments(uow.conn, uow.t, order.id)), order.currency)
    if not refundable.is_zero():
        refunded = _refund(uow, ctx, order, refundable, f"order cancelled: {reason}", {})
    else:
        refresh(uow, ctx, order)
    return refunded


def refresh(uow: UnitOfWork, ctx: Context, order: Order) -> None:
    """Derive the order's payment amounts and ``payment_status`` from its payments and write the header."""
    pays = repo.payments(uow.conn, uow.t, order.id)
    cur = order.currency
    live = [p for p in pays if p.state not in (S.FAILED, S.VOIDED, S.PENDING)]
    # a partially captured payment stays authorized for its whole amount: the rest can still be captured, so it
    # must not count as open (or a second authorization could capture more than the order's total)
    authorized = Money.sum((p.amount for p in live), cur)
    captured = Money.sum((p.captured for p in pays), cur)
    refunded = Money.sum((p.refunded for p in pays), cur)
    order.amount_authorized, order.amount_captured, order.amount_refunded = authorized, captured, refunded
    if not refunded.is_zero():
        target = P.REFUNDED if refunded >= captured else P.PARTIALLY_REFUNDED
    elif not captured.is_zero():
        target = P.PAID if captured >= order.total else P.PARTIALLY_PAID
    elif not authorized.is_zero():
        target = P.AUTHORIZED
    elif pays and all(p.state in (S.VOIDED, S.FAILED) for p in pays) and any(p.state == S.VOIDED for p in pays):
        target = P.VOIDED
    elif order.payment_status == P.AUTHORIZED:
        target = P.UNPAID
    else:
        target = order.payment_status
    changed = ["amount_authorized", "amount_captured", "amount_refunded"]
    if change_status(uow, ctx, order, "payment_status", target):
        changed.append("payment_status")
    if maybe_complete(uow, ctx, order):
        changed.append("status")
    repo.save_order_header(uow.conn, uow.t, order, uow.now, changed)


# -- webhooks ---------------------------------------------------------------------------------------------------


def apply_webhook(uow: UnitOfWork, ctx: Context, gateway: str, event: PaymentEvent) -> tuple[str, bool]:
    """Apply a parsed gateway event once. Returns ``(outcome, applied)``; a replayed event id is not applied."""
    t = uow.t.payment_events
    insert = (postgresql.insert if uow.dialect == "postgresql" else sqlite.insert)(t)
    new_id = uow.conn.execute(
        insert.values(
            gateway=gateway,
            event_id=event.event_id,
            kind=str(event.kind),
            reference=event.reference,
            received_at=uow.now,
        )
        .on_conflict_do_nothing(index_elements=["gateway", "event_id"])
        .returning(t.c.id)
    ).scalar()
    if new_id is None:
        outcome = uow.conn.execute(
            sa.select(t.c.outcome).where(t.c.gateway == gateway, t.c.event_id == event.event_id)
        ).scalar()
        return outcome or "duplicate", False
    row = uow.conn.execute(
        sa.select(uow.t.payments).where(
            uow.t.payments.c.gateway == gateway, uow.t.payments.c.reference == event.reference
        )
    ).first()
    if row is None:
        outcome = f"no payment with reference {event.reference!r}"
        uow.conn.execute(sa.update(t).where(t.c.id == new_id).values(outcome=outcome))
        return outcome, False
    payment = repo.payment_from_row(row)
    order = repo.load_order(uow.conn, uow.t, payment.order_id, lock=True)
    outcome = _apply_event(uow, ctx, order, payment, event)
    uow.conn.execute(sa.update(t).where(t.c.id == new_id).values(outcome=outcome, payment_id=payment.id))
    return outcome, True


def _apply_event(uow: UnitOfWork, ctx: Context, order: Order, payment: Payment, event: PaymentEvent) -> str:
    """Record what the provider says happened (the provider already did it; the OMS does not call it back)."""
    p = uow.t.payments
    K = PaymentEventKind
    base = {"order_id": order.id, "payment_id": payment.id, "gateway": payment.gateway}
    if event.kind == K.CAPTURED:
        if event.amount is not None and event.cumulative:
            reported = event.amount
        else:
            reported = payment.captured + (event.amount or payment.capturable)
        captured = min(reported, payment.amount, key=lambda m: m.amount)
        delta = captured - payment.captured
        if delta.amount <= 0:
            return "already captured"
        state = S.CAPTURED if captured >= payment.amount else S.PARTIALLY_CAPTURED
        uow.conn.execute(
            sa.update(p)
            .where(p.c.id == payment.id)
            .values(captured=captured.amount, state=state.value, updated_at=uow.now)
        )
        uow.timeline(order.id, "payment_captured", f"{delta} captured (reported by {payment.gateway})", payment.gateway)
        uow.emit("payment_captured", {**base, **delta.to_json()}, order.id)
    elif event.kind == K.AUTHORIZED:
        if payment.state != S.PENDING:
            return f"payment already {payment.state}"
        uow.conn.execute(sa.update(p).where(p.c.id == payment.id).values(state=S.AUTHORIZED.value, updated_at=uow.now))
        uow.timeline(
            order.id,
            "payment_authorized",
            f"{payment.amount} authorized (reported by {payment.gateway})",
            payment.gateway,
        )
        uow.emit("payment_authorized", {**base, **payment.amount.to_json()}, order.id)
    elif event.kind in (K.FAILED, K.VOIDED):
        if payment.state not in (S.PENDING, S.AUTHORIZED):
            return f"payment already {payment.state}"
        state = S.FAILED if event.kind == K.FAILED else S.VOIDED
        uow.conn.execute(sa.update(p).where(p.c.id == payment.id).values(state=state.value, updated_at=uow.now))
        uow.timeline(order.id, f"payment_{state}", f"payment {state} (reported by {payment.gateway})", payment.gateway)
        # payment_failed promises an ``error`` (the hookspec); a webhook carries none of the gateway's words
        uow.emit(f"payment_{state}", {**base, "error": None} if state == S.FAILED else base, order.id)
    elif event.kind == K.REFUNDED:
        if event.amount is not None and event.cumulative:
            reported = event.amount
        else:
            reported = payment.refunded + (event.amount or payment.refundable)
        refunded = min(reported, payment.captured, key=lambda m: m.amount)
        delta = refunded - payment.refunded
        if delta.amount <= 0:
            return "already refunded"
        uow.conn.execute(sa.update(p).where(p.c.id == payment.id).values(refunded=refunded.amount, updated_at=uow.now))
        refund_id = uow.conn.execute(
            sa.insert(uow.t.refunds)
            .values(
                order_id=order.id,
                payment_id=payment.id,
                amount=delta.amount,
                reason="reported by gateway",
                reference=event.event_id,
                created_at=uow.now,
            )
            .returning(uow.t.refunds.c.id)
        ).scalar_one()
        uow.timeline(order.id, "payment_refunded", f"{delta} refunded (reported by {payment.gateway})", payment.gateway)
        uow.emit("payment_refunded", {**base, "refund_id": refund_id, **delta.to_json(), "reason": "gateway"}, order.id)
    else:
        return "ignored"
    refresh(uow, ctx, order)
    return f"applied {event.kind}"
