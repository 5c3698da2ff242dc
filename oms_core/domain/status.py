"""The three independent order statuses and their declared transition tables.

A move not in a table is an :class:`~oms_core.domain.errors.InvalidTransition`. Plugins may veto an allowed move
through the ``check_transition`` hook, and may allow extra moves through ``extend_transitions`` (see hookspecs).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from oms_core.domain.errors import InvalidTransition


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PaymentStatus(enum.StrEnum):
    UNPAID = "unpaid"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class FulfillmentStatus(enum.StrEnum):
    UNFULFILLED = "unfulfilled"
    ALLOCATED = "allocated"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


O, P, F = OrderStatus, PaymentStatus, FulfillmentStatus  # noqa: E741 - short names keep the tables readable

ORDER_TRANSITIONS: Mapping[str, frozenset[str]] = {
    O.PENDING: frozenset({O.CONFIRMED, O.ON_HOLD, O.CANCELLED}),
    O.CONFIRMED: frozenset({O.ON_HOLD, O.COMPLETED, O.CANCELLED}),
    O.ON_HOLD: frozenset({O.PENDING, O.CONFIRMED, O.CANCELLED}),
    O.COMPLETED: frozenset(),
    O.CANCELLED: frozenset(),
}

PAYMENT_TRANSITIONS: Mapping[str, frozenset[str]] = {
    P.UNPAID: frozenset({P.AUTHORIZED, P.PARTIALLY_PAID, P.PAID, P.VOIDED}),
    P.AUTHORIZED: frozenset({P.PARTIALLY_PAID, P.PAID, P.VOIDED, P.UNPAID}),
    P.PARTIALLY_PAID: frozenset({P.PAID, P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.PAID: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.PARTIALLY_REFUNDED: frozenset({P.REFUNDED}),
    P.REFUNDED: frozenset(),
    # a voided authorization leaves the order to be paid by another payment
    P.VOIDED: frozenset({P.AUTHORIZED, P.PARTIALLY_PAID, P.PAID}),
}

FULFILLMENT_TRANSITIONS: Mapping[str, frozenset[str]] = {
    F.UNFULFILLED: frozenset({F.ALLOCATED, F.PARTIALLY_SHIPPED, F.SHIPPED}),
    F.ALLOCATED: frozenset({F.UNFULFILLED, F.PARTIALLY_SHIPPED, F.SHIPPED}),
    F.PARTIALLY_SHIPPED: frozenset({F.SHIPPED, F.DELIVERED, F.PARTIALLY_RETURNED}),
    F.SHIPPED: frozenset({F.DELIVERED, F.PARTIALLY_RETURNED, F.RETURNED}),
    F.DELIVERED: frozenset({F.PARTIALLY_RETURNED, F.RETURNED}),
    # what a partly returned order has not shipped yet still ships
    F.PARTIALLY_RETURNED: frozenset({F.RETURNED, F.PARTIALLY_SHIPPED, F.SHIPPED}),
    F.RETURNED: frozenset(),
}

TRANSITIONS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "status": ORDER_TRANSITIONS,
    "payment_status": PAYMENT_TRANSITIONS,
    "fulfillment_status": FULFILLMENT_TRANSITIONS,
}


def check_allowed(
    field: str, current: str, target: str, extra: Mapping[str, Mapping[str, frozenset[str]]] | None = None
) -> None:
    """Raise :class:`InvalidTransition` unless ``current -> target`` is declared for ``field``.

    A move to the same status is always allowed (it is a no-op). ``extra`` holds moves added by plugins.
    """
    if current == target:
        return
    allowed = TRANSITIONS[field].get(current, frozenset())
    if target in allowed:
        return
    if extra and target in extra.get(field, {}).get(current, frozenset()):
        return
    raise InvalidTransition("order", field, str(current), str(target))
