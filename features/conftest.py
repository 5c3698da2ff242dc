"""Step definitions shared by every feature, in the words of the people who run the warehouse and the shop.

Each scenario works on a :class:`Shop`: one OMS on an empty database of the backend under test (SQLite and
PostgreSQL, through the ``backend`` parametrisation of ``make_oms``), the orders it was sent (by the shop's own
order number) and the last refusal. "The order" is the order a step last named.

Policies and rules ("short stock is put on hold", "the rule ... holds orders ...") are settings of an OMS
instance: a step that changes them makes the following steps work through a new instance on the same database.

A ``When`` step that the OMS refuses keeps the refusal; the next step must be a ``Then`` that says how it was
refused. A refusal nobody checked fails the scenario.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from pytest_bdd import given, parsers, then, when

from oms_core import (
    OMS,
    PAYMENT_GATEWAYS,
    DuplicateOrder,
    GatewayOutcome,
    GatewayResult,
    InsufficientStock,
    InvalidTransition,
    Money,
    OMSError,
    Order,
    OrderStatus,
    PaymentError,
    PaymentGateway,
    Return,
    ValidationError,
    hookimpl,
)
from oms_core.testing import address, draft

T = TypeVar("T")
E = TypeVar("E", bound=OMSError)

# -- words in steps -------------------------------------------------------------------------------------------


def with_pattern(regex: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    """Give a converter the regular expression it accepts: a word type for ``parsers.parse`` patterns."""

    def mark(convert: Callable[[str], Any]) -> Callable[[str], Any]:
        convert.pattern = regex  # type: ignore[attr-defined]
        return convert

    return mark


@with_pattern(r'[^"]+')
def _name(text: str) -> str:
    return text


@with_pattern(r"\d+|no")
def _count(text: str) -> int:
    return 0 if text == "no" else int(text)


@with_pattern(r"\d+\.\d{2}")
def _amount(text: str) -> str:
    return text  # kept as text: money becomes Decimal inside the OMS, never float


@with_pattern(r"[A-Z]{3}")
def _currency(text: str) -> str:
    return text


POLICIES = {"backordered": "backorder", "put on hold": "hold", "refused": "reject"}


@with_pattern("|".join(POLICIES))
def _policy(text: str) -> str:
    return POLICIES[text]


STATUSES = {str(s).replace("_", " "): s for s in OrderStatus}


@with_pattern("|".join(STATUSES))
def _status(text: str) -> OrderStatus:
    return STATUSES[text]


TYPES = {
    "Name": _name,
    "Count": _count,
    "Amount": _amount,
    "Currency": _currency,
    "Policy": _policy,
    "Status": _status,
}


def step(text: str) -> parsers.parse:
    """A step pattern with the words above: ``"{sku:Name}"``, ``{qty:Count}``, ``{price:Amount} {cur:Currency}``."""
    return parsers.parse(text, extra_types=TYPES)


def quoted(text: str) -> list[str]:
    """``'"WH1" and "WH2"'`` -> ``["WH1", "WH2"]``."""
    return re.findall(r'"([^"]+)"', text)


# -- test doubles: a card gateway and business rules ----------------------------------------------------------


class CardGateway(PaymentGateway):
    """A card acquirer that authorizes at once and captures, voids and refunds whatever it is asked."""

    def authorize(self, order: Order, amount: Money, method: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.AUTHORIZED, reference=f"card-{idempotency_key}", amount=amount)

    def capture(self, reference: str | None, amount: Money, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.CAPTURED, reference=reference, amount=amount)

    def void(self, reference: str | None, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.VOIDED, reference=reference)

    def refund(self, reference: str | None, amount: Money, reason: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(GatewayOutcome.REFUNDED, reference=f"{reference}:{idempotency_key}", amount=amount)


class ReviewRule:
    """Holds every order above a limit for a person to review."""

    def __init__(self, name: str, limit: Money) -> None:
        self.oms_plugin_name = name
        self.limit = limit

    @hookimpl
    def assess_order(self, order: Order) -> list[tuple[str, str]] | None:
        if order.total > self.limit:
            return [("review", f"total {order.total} is above {self.limit}")]
        return None


class NoCancellingPaidOrders:
    """Finance closes paid orders itself: the OMS may not cancel them."""

    reason = "paid orders are closed by finance, not cancelled"

    def __init__(self, name: str) -> None:
        self.oms_plugin_name = name

    @hookimpl
    def check_transition(self, order: Order, field: str, target: str) -> str | None:
        if field == "status" and target == OrderStatus.CANCELLED and order.payment_status == "paid":
            return self.reason
        return None


# -- the world of one scenario --------------------------------------------------------------------------------


class Shop:
    def __init__(self, make_oms: Callable[..., OMS]) -> None:
        self._make_oms = make_oms
        self._oms: OMS | None = None
        self.short_stock = "backorder"
        self.plugins: list[object] = []
        self.locations: list[str] = []  # in order of first mention: the first is preferred
        self.products: set[str] = set()
        self.orders: dict[str, int] = {}  # the shop's order number -> OMS order id
        self.current: str | None = None
        self.card_payment: int | None = None
        self.transfer: int | None = None
        self.rma: Return | None = None
        self.batch: list[int] = []
        self.refused_in_batch: list[int] = []
        self.refusal: OMSError | None = None

    # set-up

    def configure(self) -> None:
        """A policy or rule changes: the next step works through a new OMS with it, on the same database."""
        self._oms = None

    def new_oms(self) -> OMS:
        """Another OMS instance on the same database, with the same policy and rules."""
        oms = self._make_oms(plugins=list(self.plugins), short_stock=self.short_stock)
        oms.register_driver(PAYMENT_GATEWAYS, "card", CardGateway)
        return oms

    @property
    def oms(self) -> OMS:
        if self.refusal is not None:
            raise AssertionError(f"the OMS refused the last step and no step checked why: {self.refusal!r}")
        if self._oms is None:
            self._oms = self.new_oms()
        return self._oms

    def stock_up(self, sku: str, location: str, quantity: int) -> None:
        oms = self.oms
        if location not in self.locations:
            self.locations.append(location)
            oms.add_location(location, f"Warehouse {location}", priority=len(self.locations))
        if sku not in self.products:
            self.products.add(sku)
            oms.add_product(sku, f"Product {sku}", weight_grams=300)
        if quantity:
            oms.receive_stock(sku, location, quantity, reference="delivery")

    # orders

    @property
    def order_id(self) -> int:
        assert self.current is not None, "no order was named yet"
        return self.orders[self.current]

    def order(self, *, timeline: bool = False) -> Order:
        return self.oms.get_order(self.order_id, timeline=timeline)

    def send(self, external_id: str, lines: list[tuple[str, int, str]], currency: str, **overrides: Any) -> None:
        """The web shop hands in an order; the OMS takes it and, when it is new, confirms it (reserves stock)."""
        self.current = external_id
        order = self.oms.place_order(draft(external_id, lines, currency=currency, **overrides))
        self.orders[external_id] = order.id
        if order.status == OrderStatus.PENDING:
            self.oms.confirm_order(order.id)

    # refusals

    def attempt(self, action: Callable[[], T]) -> T | None:
        """Run a ``When`` action; keep the OMS's refusal for the next ``Then`` step instead of failing."""
        self.oms  # noqa: B018 - an unchecked earlier refusal fails here
        try:
            return action()
        except OMSError as exc:
            self.refusal = exc
            return None

    def refused(self, kind: type[E]) -> E:
        refusal, self.refusal = self.refusal, None
        assert refusal is not None, f"expected a refusal ({kind.__name__}) but the OMS accepted"
        assert isinstance(refusal, kind), f"expected {kind.__name__}, got {refusal!r}"
        return refusal


@pytest.fixture(autouse=True)
def shop(make_oms: Callable[..., OMS]) -> Iterator[Shop]:
    """The scenario's shop. Autouse, so that every scenario is collected once per ``backend`` (fixtures that
    steps ask for are resolved only while the scenario runs, too late for pytest to parametrise them)."""
    world = Shop(make_oms)
    yield world
    if world.refusal is not None:
        pytest.fail(f"the OMS refused a step and no step checked why: {world.refusal!r}")


def table(datatable: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = datatable
    return [dict(zip(header, row, strict=True)) for row in rows]


# -- policies and rules ---------------------------------------------------------------------------------------


@given(step("short stock is {policy:Policy}"))
def short_stock_policy(shop: Shop, policy: str) -> None:
    shop.configure()
    shop.short_stock = policy


@given(step('the rule "{name:Name}" holds orders above {limit:Amount} {currency:Currency} for review'))
def review_rule(shop: Shop, name: str, limit: str, currency: str) -> None:
    shop.configure()
    shop.plugins.append(ReviewRule(name, Money(limit, currency)))


@given(step('the rule "{name:Name}" forbids cancelling paid orders'))
def no_cancelling_paid_orders(shop: Shop, name: str) -> None:
    shop.configure()
    shop.plugins.append(NoCancellingPaidOrders(name))


# -- stock ----------------------------------------------------------------------------------------------------


@given(step('the warehouse "{location:Name}" holds {quantity:Count} units of "{sku:Name}"'))
def warehouse_holds(shop: Shop, location: str, quantity: int, sku: str) -> None:
    shop.stock_up(sku, location, quantity)


@when(step('the warehouse "{location:Name}" receives {quantity:d} units of "{sku:Name}"'))
def warehouse_receives(shop: Shop, location: str, quantity: int, sku: str) -> None:
    shop.stock_up(sku, location, quantity)


@then(step('{quantity:Count} units of "{sku:Name}" are available in "{location:Name}"'))
def available_in(shop: Shop, quantity: int, sku: str, location: str) -> None:
    [level] = shop.oms.stock(sku, location)
    assert level.available == quantity, level


@then(step('{quantity:Count} units of "{sku:Name}" are on hand in "{location:Name}"'))
def on_hand_in(shop: Shop, quantity: int, sku: str, location: str) -> None:
    [level] = shop.oms.stock(sku, location)
    assert level.on_hand == quantity, level


@then(step('{quantity:Count} units of "{sku:Name}" are reserved in "{location:Name}"'))
def reserved_in(shop: Shop, quantity: int, sku: str, location: str) -> None:
    [level] = shop.oms.stock(sku, location)
    assert level.reserved == quantity, level


@then("the stock books balance")
def stock_books_balance(shop: Shop) -> None:
    assert shop.oms.verify_stock() == []


# -- taking orders --------------------------------------------------------------------------------------------


@given(step('the web shop has sent order "{ref:Name}" for {quantity:d} "{sku:Name}" at {price:Amount} {cur:Currency}'))
def shop_has_sent(shop: Shop, ref: str, quantity: int, sku: str, price: str, cur: str) -> None:
    shop.send(ref, [(sku, quantity, price)], cur)


@given(step('the web shop has sent order "{ref:Name}" in {cur:Currency}:'))
def shop_has_sent_lines(shop: Shop, ref: str, cur: str, datatable: list[list[str]]) -> None:
    shop.send(ref, [(row["sku"], int(row["quantity"]), row["unit price"]) for row in table(datatable)], cur)


@when(step('the web shop sends order "{ref:Name}" for {quantity:d} "{sku:Name}" at {price:Amount} {cur:Currency}'))
def shop_sends(shop: Shop, ref: str, quantity: int, sku: str, price: str, cur: str) -> None:
    shop.attempt(lambda: shop.send(ref, [(sku, quantity, price)], cur))


@when(
    step(
        'the web shop sends order "{ref:Name}" again, now for {quantity:d} "{sku:Name}" at {price:Amount} '
        '{cur:Currency} to be delivered in "{city:Name}"'
    )
)
def shop_sends_changed(shop: Shop, ref: str, quantity: int, sku: str, price: str, cur: str, city: str) -> None:
    shop.attempt(lambda: shop.send(ref, [(sku, quantity, price)], cur, shipping_address=address(city=city)))


@then(step("the order is {status:Status}"))
def order_is(shop: Shop, status: OrderStatus) -> None:
    assert shop.order().status == status


@then(step("the order total is {amount:Amount} {cur:Currency}"))
def order_total(shop: Shop, amount: str, cur: str) -> None:
    assert shop.order().total == Money(amount, cur)


@then(parsers.re(r"the web shop has (?P<count>\d+) orders?"))
def web_shop_has(shop: Shop, count: str) -> None:
    assert len(shop.oms.list_orders()) == int(count)


@then(step('order "{ref:Name}" still has {quantity:d} "{sku:Name}" to be delivered in "{city:Name}"'))
def order_still_has(shop: Shop, ref: str, quantity: int, sku: str, city: str) -> None:
    order = shop.oms.find_order("web", ref)
    assert [(line.sku, line.quantity) for line in order.lines] == [(sku, quantity)]
    assert order.shipping_address is not None and order.shipping_address.city == city


@then(step("the resend is refused as a duplicate that differs in {fields}"))
def refused_duplicate(shop: Shop, fields: str) -> None:
    error = shop.refused(DuplicateOrder)
    assert error.differences == quoted(fields)
    assert (error.channel, error.external_id, error.order_id) == ("web", shop.current, shop.order_id)


@then(step('the order is refused because product "{sku:Name}" is unknown'))
def refused_unknown_product(shop: Shop, sku: str) -> None:
    error = shop.refused(ValidationError)
    assert error.field == "lines[0].sku" and sku in str(error), error


@then(step('the order is refused because only {available:d} of the {requested:d} "{sku:Name}" are in stock'))
def refused_short(shop: Shop, available: int, requested: int, sku: str) -> None:
    error = shop.refused(InsufficientStock)
    assert (error.sku, error.requested, error.available) == (sku, requested, available), str(error)


@then(step('{quantity:Count} units of "{sku:Name}" are reserved for the order'))
def reserved_for_order(shop: Shop, quantity: int, sku: str) -> None:
    lines = [line for line in shop.order().lines if line.sku == sku]
    assert sum(line.quantity_reserved for line in lines) == quantity
    open_units = sum(r.open_quantity for r in shop.oms.reservations(shop.order_id) if r.sku == sku)
    assert open_units == quantity


@then(step('{quantity:Count} units of "{sku:Name}" are reserved for the order in "{location:Name}"'))
def reserved_for_order_in(shop: Shop, quantity: int, sku: str, location: str) -> None:
    reservations = shop.oms.reservations(shop.order_id)
    assert sum(r.open_quantity for r in reservations if r.sku == sku and r.location == location) == quantity


@then(step('{quantity:Count} units of "{sku:Name}" are backordered'))
def backordered(shop: Shop, quantity: int, sku: str) -> None:
    assert sum(line.quantity_backordered for line in shop.order().lines if line.sku == sku) == quantity


@when("the backorders of the order are allocated")
def allocate_backorders(shop: Shop) -> None:
    shop.oms.allocate_backorders(shop.order_id)


@then(step('the fulfilment status is "{status:Name}"'))
def fulfilment_status(shop: Shop, status: str) -> None:
    assert shop.order().fulfillment_status == status


@then(step('the timeline says "{text:Name}"'))
def timeline_says(shop: Shop, text: str) -> None:
    messages = [entry.message for entry in shop.order(timeline=True).timeline]
    assert any(text in message for message in messages), messages


@then(step('the timeline mentions "{kind:Name}" {times:d} time'))
@then(step('the timeline mentions "{kind:Name}" {times:d} times'))
def timeline_mentions(shop: Shop, kind: str, times: int) -> None:
    assert [entry.kind for entry in shop.order(timeline=True).timeline].count(kind) == times


# -- holds ----------------------------------------------------------------------------------------------------


@then(step('the order has a "{kind:Name}" hold placed by "{source:Name}"'))
def has_hold(shop: Shop, kind: str, source: str) -> None:
    assert [(h.kind, h.source) for h in shop.order().active_holds] == [(kind, source)]


@then("the order has no holds")
def no_holds(shop: Shop) -> None:
    assert shop.order().active_holds == []


@when(step('"{person:Name}" releases the "{kind:Name}" hold'))
def release_hold(shop: Shop, person: str, kind: str) -> None:
    shop.oms.release_hold(shop.order_id, kind, by=person)


# -- many desks at once ---------------------------------------------------------------------------------------


@given(step('the web shop has sent {count:d} orders for {quantity:d} "{sku:Name}" each'))
def many_orders(shop: Shop, count: int, quantity: int, sku: str) -> None:
    refs = [f"bulk-{n}" for n in range(count)]
    result = shop.oms.place_orders(draft(ref, [(sku, quantity, "19.90")]) for ref in refs)
    assert (result.created, result.errors) == (count, ())
    shop.batch = [shop.oms.find_order("web", ref).id for ref in refs]


@when(step("{desks:d} order desks confirm them all at the same time"))
def desks_confirm(shop: Shop, desks: int) -> None:
    instances = [shop.new_oms() for _ in range(desks)]  # each desk its own OMS on the same database
    start = threading.Barrier(desks)

    def desk(n: int) -> list[int]:
        oms, refused = instances[n], []
        start.wait(timeout=60)
        for order_id in shop.batch[n::desks]:
            try:
                oms.confirm_order(order_id)
            except InsufficientStock:
                refused.append(order_id)
        return refused

    with ThreadPoolExecutor(max_workers=desks) as pool:
        shop.refused_in_batch = [order_id for refused in pool.map(desk, range(desks)) for order_id in refused]


@then(
    parsers.re(r"(?P<count>\d+) of those orders (?:are|were) (?P<outcome>confirmed|on hold|refused for lack of stock)")
)
def batch_outcome(shop: Shop, count: str, outcome: str) -> None:
    orders = [shop.oms.get_order(order_id) for order_id in shop.batch]
    if outcome == "refused for lack of stock":
        assert len(shop.refused_in_batch) == int(count)
        refused = [o for o in orders if o.id in shop.refused_in_batch]
        assert all(o.status == OrderStatus.PENDING for o in refused)
        assert all(line.quantity_reserved == 0 for o in refused for line in o.lines)
    else:
        assert sum(o.status == STATUSES[outcome] for o in orders) == int(count)


@then("the reservations of those orders add up to the reserved stock")
def reservations_add_up(shop: Shop) -> None:
    orders = [shop.oms.get_order(order_id) for order_id in shop.batch]
    assert all(line.quantity_reserved <= line.quantity for o in orders for line in o.lines)
    reserved = sum(line.quantity_reserved for o in orders for line in o.lines)
    assert reserved == sum(level.reserved for level in shop.oms.stock())


# -- payments -------------------------------------------------------------------------------------------------


@given(step("the customer has paid {amount:Amount} {cur:Currency}"))
def customer_has_paid(shop: Shop, amount: str, cur: str) -> None:
    shop.oms.pay(shop.order_id, Money(amount, cur))


@given(step("the customer's card is authorized for {amount:Amount} {cur:Currency}"))
def card_was_authorized(shop: Shop, amount: str, cur: str) -> None:
    shop.card_payment = shop.oms.authorize_payment(shop.order_id, Money(amount, cur), gateway="card").id


@when(step("the customer's card is authorized for {amount:Amount} {cur:Currency}"))
def card_authorized(shop: Shop, amount: str, cur: str) -> None:
    payment = shop.attempt(lambda: shop.oms.authorize_payment(shop.order_id, Money(amount, cur), gateway="card"))
    if payment is not None:
        shop.card_payment = payment.id


@given(step("the customer has chosen to pay {amount:Amount} {cur:Currency} by bank transfer"))
def bank_transfer_chosen(shop: Shop, amount: str, cur: str) -> None:
    shop.transfer = shop.oms.authorize_payment(shop.order_id, Money(amount, cur), method="bank_transfer").id


@when("the bank transfer is called off")
def bank_transfer_called_off(shop: Shop) -> None:
    assert shop.transfer is not None, "no bank transfer was chosen"
    shop.oms.void_payment(shop.transfer, "customer pays by card instead")


@given(step("{amount:Amount} {cur:Currency} of the card payment has been captured"))
def part_was_captured(shop: Shop, amount: str, cur: str) -> None:
    assert shop.card_payment is not None, "no card payment was authorized"
    shop.oms.capture_payment(shop.card_payment, Money(amount, cur))


@when(step("{amount:Amount} {cur:Currency} of the card payment is captured"))
def capture_part(shop: Shop, amount: str, cur: str) -> None:
    assert shop.card_payment is not None, "no card payment was authorized"
    shop.attempt(lambda: shop.oms.capture_payment(shop.card_payment, Money(amount, cur)))


@when("the rest of the card payment is captured")
def capture_rest(shop: Shop) -> None:
    assert shop.card_payment is not None, "no card payment was authorized"
    shop.oms.capture_payment(shop.card_payment)


@when(step('{amount:Amount} {cur:Currency} is refunded because "{reason:Name}"'))
def refund(shop: Shop, amount: str, cur: str, reason: str) -> None:
    shop.attempt(lambda: shop.oms.refund(shop.order_id, Money(amount, cur), reason))


@then(step('the payment status is "{status:Name}"'))
def payment_status(shop: Shop, status: str) -> None:
    assert shop.order().payment_status == status


@then(step("{amount:Amount} {cur:Currency} has been captured"))
def captured(shop: Shop, amount: str, cur: str) -> None:
    order = shop.order()
    assert order.amount_captured == Money(amount, cur)
    assert Money.sum((p.captured for p in shop.oms.payments(order.id)), cur) == Money(amount, cur)


@then(step("{amount:Amount} {cur:Currency} has been refunded"))
def refunded(shop: Shop, amount: str, cur: str) -> None:
    order = shop.order()
    assert order.amount_refunded == Money(amount, cur)
    assert Money.sum((r.amount for r in shop.oms.refunds(order.id)), cur) == Money(amount, cur)


@then("nothing has been captured")
def nothing_captured(shop: Shop) -> None:
    order = shop.order(timeline=True)
    assert order.amount_captured.is_zero()
    assert all(p.captured.is_zero() for p in shop.oms.payments(order.id))
    assert not [e for e in order.timeline if e.kind == "payment_captured"]


@then("the capture is refused because it is more than was authorized")
def capture_refused(shop: Shop) -> None:
    error = shop.refused(PaymentError)
    assert error.field == "amount" and "exceeds" in error.reason, error


@then("the authorization is refused because the order is already covered")
def authorization_refused(shop: Shop) -> None:
    error = shop.refused(PaymentError)
    assert error.field == "amount" and "still open" in error.reason, error


@then("the authorization is refused because the bank transfer is awaited")
def authorization_refused_awaited(shop: Shop) -> None:
    error = shop.refused(PaymentError)
    assert error.field == "amount" and "awaited by pending payments" in error.reason, error


@then(step("{amount:Amount} {cur:Currency} is authorized on the order"))
def authorized(shop: Shop, amount: str, cur: str) -> None:
    assert shop.order().amount_authorized == Money(amount, cur)


@then("the refund is refused because it is more than was captured")
def refund_refused(shop: Shop) -> None:
    error = shop.refused(PaymentError)
    assert error.field == "amount" and "captured" in error.reason, error


# -- shipping -------------------------------------------------------------------------------------------------


@given("the order has been paid and shipped")
def paid_and_shipped(shop: Shop) -> None:
    shop.oms.pay(shop.order_id)
    shop.oms.ship(shop.order_id)


@when("the warehouse ships from the order:")
def ships_lines(shop: Shop, datatable: list[list[str]]) -> None:
    lines = {row["sku"]: int(row["quantity"]) for row in table(datatable)}
    shop.attempt(lambda: shop.oms.ship(shop.order_id, lines))


@when(step('the warehouse ships {quantity:d} "{sku:Name}" of the order'))
def ships_one(shop: Shop, quantity: int, sku: str) -> None:
    shop.attempt(lambda: shop.oms.ship(shop.order_id, {sku: quantity}))


@when("the warehouse ships the rest of the order")
def ships_rest(shop: Shop) -> None:
    shop.oms.ship(shop.order_id)


@when(step('"{location:Name}" ships its part of the order'))
def location_ships(shop: Shop, location: str) -> None:
    shop.oms.ship(shop.order_id, location=location)


@then(step('the shipment is refused because line "{sku:Name}" has only {left:d} left to ship'))
def shipment_refused(shop: Shop, sku: str, left: int) -> None:
    error = shop.refused(ValidationError)
    assert error.field == f"lines[{sku}]", error
    assert f"the {left} of {sku} still to ship" in error.reason, error


@then(step("the order has shipped from {locations}"))
def shipped_from(shop: Shop, locations: str) -> None:
    assert [s.location for s in shop.oms.shipments(shop.order_id)] == quoted(locations)


@then("nothing has shipped")
def nothing_shipped(shop: Shop) -> None:
    assert shop.oms.shipments(shop.order_id) == []
    assert all(line.quantity_shipped == 0 for line in shop.order().lines)


# -- cancelling -----------------------------------------------------------------------------------------------


@when(step('the order is cancelled because "{reason:Name}"'))
def cancel(shop: Shop, reason: str) -> None:
    shop.attempt(lambda: shop.oms.cancel_order(shop.order_id, reason))


@then(step('the cancellation is refused by "{plugin:Name}" because "{reason:Name}"'))
def cancellation_vetoed(shop: Shop, plugin: str, reason: str) -> None:
    error = shop.refused(InvalidTransition)
    assert (error.field, error.target, error.by, error.reason) == ("status", "cancelled", plugin, reason)
    assert plugin in str(error)


# -- returns --------------------------------------------------------------------------------------------------


@when(step('the customer sends back {quantity:d} "{sku:Name}" because "{reason:Name}"'))
def customer_returns(shop: Shop, quantity: int, sku: str, reason: str) -> None:
    shop.rma = shop.oms.create_return(shop.order_id, {sku: quantity}, reason)


@when(parsers.re(r"the return is received and (?P<disposition>restocked|scrapped)"))
def return_received(shop: Shop, disposition: str) -> None:
    assert shop.rma is not None, "no return was requested"
    value = "restock" if disposition == "restocked" else "scrap"
    shop.rma = shop.oms.receive_return(shop.rma.id, {line.line_id: value for line in shop.rma.lines})
