"""Payments: attempts per order through a gateway, with partial capture, split tender and refunds."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs

from oms_core.domain.money import Money


class PaymentState(enum.StrEnum):
    PENDING = "pending"  # waiting for the customer or the bank (manual payments)
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    VOIDED = "voided"
    FAILED = "failed"


@attrs.frozen
class Payment:
    """One payment attempt. ``amount`` is what was authorized; captures and refunds add up below it."""

    id: int
    order_id: int
    gateway: str
    method: str
    amount: Money
    captured: Money
    refunded: Money
    state: PaymentState
    reference: str | None
    idempotency_key: str
    created_at: dt.datetime
    error: str | None = None

    @property
    def capturable(self) -> Money:
        if self.state in (PaymentState.VOIDED, PaymentState.FAILED):
            return Money.zero(self.amount.currency)
        return self.amount - self.captured

    @property
    def refundable(self) -> Money:
        return self.captured - self.refunded


@attrs.frozen
class Refund:
    id: int
    order_id: int
    payment_id: int
    amount: Money
    reason: str
    reference: str | None
    created_at: dt.datetime
    lines: dict[str, Any] = attrs.field(factory=dict)


class GatewayOutcome(enum.StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    FAILED = "failed"


@attrs.frozen
class GatewayResult:
    """What a payment gateway answered. ``reference`` is the provider's id for the payment or refund."""

    outcome: GatewayOutcome
    reference: str | None = None
    amount: Money | None = None
    error: str | None = None
    raw: dict[str, Any] = attrs.field(factory=dict)


class PaymentEventKind(enum.StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    VOIDED = "voided"
    REFUNDED = "refunded"
    IGNORED = "ignored"


@attrs.frozen
class PaymentEvent:
    """A gateway webhook, parsed. ``event_id`` is the provider's unique id: replays are applied once.

    ``amount`` of a capture or refund is what this event adds; with ``cumulative=True`` it is the provider's running
    total for the payment instead (captured so far, refunded so far), and only what the OMS has not recorded yet is
    applied, so an event about a capture or refund the OMS made itself changes nothing.
    """

    event_id: str
    kind: PaymentEventKind
    reference: str
    amount: Money | None = None
    raw: dict[str, Any] = attrs.field(factory=dict)
    cumulative: bool = False
