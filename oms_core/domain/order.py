"""Orders: the draft a channel hands in, and the order the OMS keeps.

An :class:`OrderDraft` is plain input (strings or Decimals for amounts, the currency once on the header). It is
checked as a whole by :meth:`OrderDraft.problems`, which names every bad field at once. The OMS turns a valid draft
into an :class:`Order` with exact totals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import attrs

from oms_core.domain.errors import ValidationError
from oms_core.domain.money import Money, minor_unit, round_amount, to_decimal
from oms_core.domain.party import Address, Customer
from oms_core.domain.status import FulfillmentStatus, OrderStatus, PaymentStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _dec(value: Any) -> Decimal:
    # Conversion errors are reported by problems() with the field's path; keep the raw value until then.
    try:
        return to_decimal(value)
    except ValidationError:
        return value


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationError("order", "placed_at", "must be timezone-aware", value)
    return value.astimezone(dt.UTC) if value is not None else None


@attrs.frozen
class LineDraft:
    """One ordered line. ``discount`` and ``tax`` are amounts for the whole line, not per unit."""

    sku: str
    quantity: int
    unit_price: Decimal = attrs.field(converter=_dec)
    name: str | None = None
    discount: Decimal = attrs.field(default=Decimal(0), converter=_dec)
    tax: Decimal = attrs.field(default=Decimal(0), converter=_dec)
    external_id: str | None = None

    def problems(self, index: int) -> list[ValidationError]:
        at = f"lines[{index}]"
        found = []
        if not isinstance(self.sku, str) or not self.sku.strip():
            found.append(ValidationError("order", f"{at}.sku", "is required", self.sku))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            found.append(ValidationError("order", f"{at}.quantity", "must be a whole number", self.quantity))
        elif self.quantity <= 0:
            found.append(ValidationError("order", f"{at}.quantity", "must be greater than zero", self.quantity))
        for name in ("unit_price", "discount", "tax"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                try:
                    to_decimal(value, name)
                except ValidationError as exc:
                    found.append(ValidationError("order", f"{at}.{name}", exc.reason, value))
                continue
            if value < 0:
                found.append(ValidationError("order", f"{at}.{name}", "must not be negative", value))
            if value.as_tuple().exponent < -4:  # type: ignore[operator]
                found.append(ValidationError("order", f"{at}.{name}", "has more than 4 decimals", value))
        if not found and isinstance(self.quantity, int) and self.discount > self.unit_price * self.quantity:
            found.append(ValidationError("order", f"{at}.discount", "exceeds the line amount", self.discount))
        return found

    def gross(self) -> Decimal:
        return self.unit_price * self.quantity


@attrs.frozen
class OrderDraft:
    """An order as a channel hands it in, before the OMS accepts it.

    ``taxes_included`` says whether ``unit_price`` already contains the tax (as in most EU shops); the order total
    then does not add ``tax`` again. ``order_discount`` is spread over the lines in proportion to their amounts,
    cent-exact. ``expected_total``, when a channel states its own total, must equal the computed total.
    """

    channel: str
    external_id: str
    currency: str
    lines: tuple[LineDraft, ...] = attrs.field(converter=tuple)
    shipping_address: Address | None
    customer: Customer = attrs.field(factory=Customer)
    billing_address: Address | None = None
    shipping: Decimal = attrs.field(default=Decimal(0), converter=_dec)
    shipping_tax: Decimal = attrs.field(default=Decimal(0), converter=_dec)
    order_discount: Decimal = attrs.field(default=Decimal(0), converter=_dec)
    taxes_included: bool = False
    placed_at: dt.datetime | None = attrs.field(default=None, converter=_aware)
    expected_total: Decimal | None = attrs.field(default=None, converter=attrs.converters.optional(_dec))
    notes: str | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)

    def problems(self) -> list[ValidationError]:
        """Every problem of this draft, each naming its field; empty when the draft is acceptable."""
        found: list[ValidationError] = []
        for name in ("channel", "external_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                found.append(ValidationError("order", name, "is required", value))
        try:
            minor_unit(self.currency)
        except ValidationError as exc:
            found.append(ValidationError("order", "currency", exc.reason, self.currency))
        if not self.lines:
            found.append(ValidationError("order", "lines", "at least one line is required"))
        for i, line in enumerate(self.lines):
            found.extend(line.problems(i))
        if self.shipping_address is None:
            found.append(ValidationError("order", "shipping_address", "is required"))
        else:
            found.extend(self.shipping_address.problems("shipping_address"))
        if self.billing_address is not None:
            found.extend(self.billing_address.problems("billing_address"))
        found.extend(self.customer.problems())
        for name in ("shipping", "shipping_tax", "order_discount"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                found.append(ValidationError("order", name, "is not a decimal number (floats are refused)", value))
            elif value < 0:
                found.append(ValidationError("order", name, "must not be negative", value))
        if self.expected_total is not None and not isinstance(self.expected_total, Decimal):
            found.append(
                ValidationError(
                    "order", "expected_total", "is not a decimal number (floats are refused)", self.expected_total
                )
            )
        if not found:
            if self.order_discount > sum((line.gross() - line.discount for line in self.lines), Decimal(0)):
                found.append(ValidationError("order", "order_discount", "exceeds the order's line amounts"))
            elif (
                self.expected_total is not None
                and (totals := self.totals()).total.amount != Money(self.expected_total, self.currency).rounded().amount
            ):
                found.append(
                    ValidationError(
                        "order",
                        "expected_total",
                        f"the channel says {self.expected_total} but the lines add up to {totals.total.amount}",
                        self.expected_total,
                    )
                )
        return found

    def line_discounts(self) -> list[Money]:
        """Each line's discount including its share of ``order_discount``, rounded to the minor unit."""
        cur = self.currency
        own = [Money(round_amount(to_decimal(line.discount, "discount"), cur), cur) for line in self.lines]
        if not self.order_discount:
            return own
        weights = [line.gross() - line.discount for line in self.lines]
        shares = Money(self.order_discount, self.currency).allocate(weights)
        return [a + b for a, b in zip(own, shares, strict=True)]

    def totals(self) -> Totals:
        """The order's totals, each rounded to the currency's minor unit (half up, as invoices do)."""
        cur = self.currency
        # exact Decimal arithmetic, Money made once per total: the draft's amounts are checked here as Money would
        subtotal = sum(
            (round_amount(to_decimal(line.unit_price, "unit_price") * line.quantity, cur) for line in self.lines),
            Decimal(0),
        )
        discount_total = sum((m.amount for m in self.line_discounts()), Decimal(0))
        tax_total = sum((round_amount(to_decimal(line.tax, "tax"), cur) for line in self.lines), Decimal(0))
        tax_total += round_amount(to_decimal(self.shipping_tax, "shipping_tax"), cur)
        shipping = round_amount(to_decimal(self.shipping, "shipping"), cur)
        total = subtotal - discount_total + shipping
        if not self.taxes_included:
            total += tax_total
        return Totals(*(Money(x, cur) for x in (subtotal, discount_total, shipping, tax_total, total)))

    def fingerprint(self, content: dict[str, Any] | None = None) -> str:
        """A stable digest of the draft's content, used to tell a replay from a conflicting resend.

        ``content`` is ``self.content()`` when the caller has it already.
        """
        data = self.content() if content is None else content
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def content(self) -> dict[str, Any]:
        """The draft's business content as JSON-ready data (what must match for a resend to be a replay)."""
        return {
            "currency": self.currency,
            "lines": [
                [
                    line.sku,
                    line.quantity,
                    str(line.unit_price.normalize()),
                    str(line.discount.normalize()),
                    str(line.tax.normalize()),
                ]
                for line in self.lines
            ],
            "shipping": str(self.shipping.normalize()),
            "shipping_tax": str(self.shipping_tax.normalize()),
            "order_discount": str(self.order_discount.normalize()),
            "taxes_included": self.taxes_included,
            "customer": self.customer.to_json(),
            "shipping_address": self.shipping_address.to_json() if self.shipping_address else None,
            "billing_address": self.billing_address.to_json() if self.billing_address else None,
        }


def describe_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the top-level content fields that differ between two ``OrderDraft.content()`` results."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


@attrs.frozen
class Totals:
    subtotal: Money
    discount_total: Money
    shipping_total: Money
    tax_total: Money
    total: Money


@attrs.define
class OrderLine:
    id: int
    line_no: int
    sku: str
    name: str | None
    quantity: int
    unit_price: Money
    discount: Money
    tax: Money
    quantity_reserved: int = 0
    quantity_backordered: int = 0
    quantity_shipped: int = 0
    quantity_returned: int = 0
    quantity_cancelled: int = 0

    @property
    def total(self) -> Money:
        return (self.unit_price * self.quantity).rounded() - self.discount

    @property
    def quantity_open(self) -> int:
        """Units still to ship."""
        return self.quantity - self.quantity_shipped - self.quantity_cancelled

    def unit_refund_value(self, taxes_included: bool) -> Money:
        """What one unit of this line was paid, discount and (when charged on top) tax included."""
        value = self.total if taxes_included else self.total + self.tax
        return Money(value.amount / self.quantity, value.currency)


@attrs.frozen
class Hold:
    kind: str
    reason: str
    source: str
    created_at: dt.datetime = attrs.field(factory=utcnow)
    released_at: dt.datetime | None = None
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


@attrs.frozen
class TimelineEntry:
    """One line of an order's story: what happened, when, and who decided (``source`` is a plugin or ``oms``)."""

    at: dt.datetime
    kind: str
    message: str
    source: str = "oms"
    data: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Order:
    id: int
    channel: str
    external_id: str
    currency: str
    customer: Customer
    shipping_address: Address | None
    billing_address: Address | None
    lines: list[OrderLine]
    status: OrderStatus
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    totals: Totals
    taxes_included: bool
    placed_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    amount_authorized: Money
    amount_captured: Money
    amount_refunded: Money
    notes: str | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    version: int = 1
    holds: list[Hold] = attrs.field(factory=list)
    timeline: list[TimelineEntry] = attrs.field(factory=list)

    @property
    def total(self) -> Money:
        return self.totals.total

    @property
    def active_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.active]

    def line(self, ref: int | str) -> OrderLine:
        """Find a line by id, line number or SKU (SKU only when it is on one line)."""
        for line in self.lines:
            if line.id == ref:
                return line
        if isinstance(ref, str):
            matches = [line for line in self.lines if line.sku == ref]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ValidationError("order", "lines", f"SKU {ref!r} is on several lines; name the line id", ref)
        raise ValidationError("order", "lines", f"order #{self.id} has no line {ref!r}", ref)
