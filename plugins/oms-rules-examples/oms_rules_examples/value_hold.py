"""Hold orders above a value for a person to review (``assess_order``).

An order whose total is above the limit of its currency goes on hold when it is confirmed; the timeline says
``held by value_hold: total 1200.00 EUR is above the review limit of 1000.00 EUR``. Orders in a currency without a
limit are never held by this rule.

Module-level default: :data:`DEFAULT_LIMITS`. Configure by instantiating :class:`ValueHold`::

    OMS(plugins=[ValueHold({"EUR": "1000.00", "GBP": "850.00"})])
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from oms_core import Money, Order, ValidationError, hookimpl

NAME = "value_hold"

#: the review limit per currency: an order above it is held
DEFAULT_LIMITS: Mapping[str, str] = {"EUR": "1000.00"}


def money_per_currency(values: Mapping[str, str | Decimal | Money], field: str) -> dict[str, Money]:
    """``{currency: Money}`` from ``{currency: amount}``; floats, unknown currencies and mismatches are refused."""
    out: dict[str, Money] = {}
    for currency, value in values.items():
        money = value if isinstance(value, Money) else Money(value, currency)
        if money.currency != currency:
            raise ValidationError("rule", f"{field}[{currency}]", f"is in {money.currency}", value)
        out[currency] = money
    return out


class ValueHold:
    """Hold an order (kind ``review``) whose total is above the limit of its currency.

    :param limits: ``{currency: amount}`` as strings, ``Decimal`` or ``Money``.
    :param kind: the kind of the hold (what ``release_hold(order_id, kind)`` names).
    :param name: the plugin name written on the timeline.
    """

    def __init__(
        self,
        limits: Mapping[str, str | Decimal | Money] = DEFAULT_LIMITS,
        *,
        kind: str = "review",
        name: str = NAME,
    ) -> None:
        self.limits = money_per_currency(limits, "limits")
        self.kind = kind
        self.oms_plugin_name = name

    def __repr__(self) -> str:
        limits = {c: str(m.amount) for c, m in self.limits.items()}
        return f"ValueHold({limits}, name={self.oms_plugin_name!r})"

    @hookimpl
    def assess_order(self, order: Order) -> list[tuple[str, str]] | None:
        limit = self.limits.get(order.currency)
        if limit is None or order.total <= limit:
            return None
        return [(self.kind, f"total {order.total} is above the review limit of {limit}")]
