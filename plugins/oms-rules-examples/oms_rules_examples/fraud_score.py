"""Hold orders whose fraud score is above a threshold, with the explanation (``assess_order``).

The score adds the points of each signal that is present (capped at 100):

================  ======  ============================================================================
signal            points  present when
================  ======  ============================================================================
country_mismatch  35      the billing country differs from the shipping country
new_customer      15      this is the first order of the customer's e-mail address
high_value        30      the total is at or above the high value of its currency (500.00 EUR)
many_units        20      one SKU is ordered 5 times or more in the order
================  ======  ============================================================================

An order with a score above the threshold (50) is held, kind ``fraud``, and the timeline explains the score::

    held by fraud_score: score 80 > 50: billing country FR != shipping country DE (+35),
    first order of new@example.com (+15), total 750.00 EUR >= 500.00 EUR (+30)

"First order" asks the OMS for another order of the same e-mail address (case-insensitive); an order without an
e-mail address never counts as new. A company with a CRM can pass its own ``is_new_customer(order, oms)``.

Module-level defaults: :data:`DEFAULT_THRESHOLD`, :data:`DEFAULT_WEIGHTS`, :data:`DEFAULT_HIGH_VALUE`,
:data:`DEFAULT_MANY_UNITS`. Configure by instantiating :class:`FraudScore`::

    OMS(plugins=[FraudScore(threshold=70, weights={"new_customer": 25}, high_value={"EUR": "300.00"})])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from oms_core import OMS, Money, Order, ValidationError, hookimpl
from oms_rules_examples.value_hold import money_per_currency

NAME = "fraud_score"

#: an order is held when its score is above this
DEFAULT_THRESHOLD = 50
#: points per signal
DEFAULT_WEIGHTS: Mapping[str, int] = {"country_mismatch": 35, "new_customer": 15, "high_value": 30, "many_units": 20}
#: the ``high_value`` signal: a total at or above this, per currency
DEFAULT_HIGH_VALUE: Mapping[str, str] = {"EUR": "500.00"}
#: the ``many_units`` signal: this many units of one SKU or more
DEFAULT_MANY_UNITS = 5

SIGNALS = tuple(DEFAULT_WEIGHTS)


def orders_of_email_elsewhere(order: Order, oms: OMS) -> bool:
    """Whether another order than ``order`` has the same customer e-mail address."""
    if not order.customer.email:
        return False
    return any(o.id != order.id for o in oms.list_orders(customer_email=order.customer.email, limit=2))


def is_new_customer(order: Order, oms: OMS) -> bool:
    """The default ``new_customer`` signal: the e-mail address has no other order in this OMS."""
    return bool(order.customer.email) and not orders_of_email_elsewhere(order, oms)


class FraudScore:
    """Score an order from simple signals and hold it (kind ``fraud``) when the score is above ``threshold``.

    :param threshold: hold when the score is strictly above this.
    :param weights: points per signal, merged over :data:`DEFAULT_WEIGHTS` (0 switches a signal off).
    :param high_value: ``{currency: amount}`` for the ``high_value`` signal; other currencies never count.
    :param many_units: units of one SKU from which the ``many_units`` signal counts.
    :param is_new_customer: ``f(order, oms) -> bool`` for the ``new_customer`` signal.
    :param kind: the kind of the hold.
    :param name: the plugin name written on the timeline.
    """

    def __init__(
        self,
        threshold: int = DEFAULT_THRESHOLD,
        *,
        weights: Mapping[str, int] | None = None,
        high_value: Mapping[str, str | Decimal | Money] = DEFAULT_HIGH_VALUE,
        many_units: int = DEFAULT_MANY_UNITS,
        is_new_customer: Callable[[Order, OMS], bool] = is_new_customer,
        kind: str = "fraud",
        name: str = NAME,
    ) -> None:
        unknown = sorted(set(weights or {}) - set(SIGNALS))
        if unknown:
            raise ValidationError("rule", "weights", f"unknown signals {unknown}; known: {list(SIGNALS)}", unknown)
        self.threshold = threshold
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.high_value = money_per_currency(high_value, "high_value")
        self.many_units = many_units
        self.is_new_customer = is_new_customer
        self.kind = kind
        self.oms_plugin_name = name

    def __repr__(self) -> str:
        return f"FraudScore({self.threshold}, weights={self.weights}, name={self.oms_plugin_name!r})"

    def signals(self, order: Order, oms: OMS) -> list[tuple[str, str]]:
        """``(signal, explanation)`` for every signal present in ``order`` (weights not applied)."""
        found = []
        shipping, billing = order.shipping_address, order.billing_address
        if shipping and billing and billing.country != shipping.country:
            found.append(
                ("country_mismatch", f"billing country {billing.country} != shipping country {shipping.country}")
            )
        if self.weights["new_customer"] and self.is_new_customer(order, oms):
            found.append(("new_customer", f"first order of {order.customer.email}"))
        high = self.high_value.get(order.currency)
        if high is not None and order.total >= high:
            found.append(("high_value", f"total {order.total} >= {high}"))
        units: dict[str, int] = {}
        for line in order.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
        many = sorted((sku, n) for sku, n in units.items() if n >= self.many_units)
        if many:
            found.append(("many_units", ", ".join(f"{n} x {sku}" for sku, n in many)))
        return found

    def score(self, order: Order, oms: OMS) -> tuple[int, list[str]]:
        """The score (0 to 100) and the explanation of each signal that added points."""
        parts = [(self.weights[s], why) for s, why in self.signals(order, oms) if self.weights[s]]
        return min(100, sum(p for p, _ in parts)), [f"{why} (+{p})" for p, why in parts]

    @hookimpl
    def assess_order(self, order: Order, oms: OMS) -> list[tuple[str, str]] | None:
        score, why = self.score(order, oms)
        if score <= self.threshold:
            return None
        return [(self.kind, f"score {score} > {self.threshold}: " + ", ".join(why))]
