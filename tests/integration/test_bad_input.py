"""Bad input: every refusal is a typed error naming the field and the reason, and leaves nothing written.

After each refusal the whole observable state is compared with the state before it: orders and their versions,
stock, the ledger, reservations, payments, refunds, shipments, timelines and the outbox; and the stock still
agrees with its ledger.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from oms_core import (
    CurrencyMismatch,
    DuplicateOrder,
    InsufficientStock,
    InvalidTransition,
    LineDraft,
    Money,
    NotFound,
    PaymentError,
    ValidationError,
    ValidationErrors,
)
from oms_core.testing import address, draft, seed_catalogue

SKUS = ("SKU-1", "SKU-2")


def order_state(o) -> tuple:
    lines = [(x.quantity_reserved, x.quantity_shipped, x.quantity_returned, x.quantity_cancelled) for x in o.lines]
    statuses = (o.status, o.payment_status, o.fulfillment_status)
    return (o.id, o.version, statuses, o.amount_authorized, o.amount_captured, o.amount_refunded, lines)


def snapshot(oms) -> dict:
    orders = oms.list_orders(limit=10_000)
    ids = [o.id for o in orders]
    return {
        "orders": [order_state(o) for o in orders],
        "stock": [(s.sku, s.location, s.on_hand, s.reserved) for s in oms.stock()],
        "ledger": [(e.id, e.sku, e.location, e.delta) for sku in SKUS for e in oms.ledger(sku)],
        "reservations": [(r.id, r.quantity, r.shipped, r.released) for i in ids for r in oms.reservations(i)],
        "payments": [(p.id, p.state, p.amount, p.captured, p.refunded) for i in ids for p in oms.payments(i)],
        "refunds": [(r.id, r.amount) for i in ids for r in oms.refunds(i)],
        "shipments": [(s.id, s.state) for i in ids for s in oms.shipments(i)],
        "timeline": {i: len(oms.timeline(i)) for i in ids},
        "outbox": oms.outbox_counts(),
    }


class Unchanged:
    """``with Unchanged(oms):`` asserts that the block wrote nothing at all."""

    def __init__(self, oms) -> None:
        self.oms = oms

    def __enter__(self) -> None:
        assert self.oms.verify_stock() == []
        self.before = snapshot(self.oms)

    def __exit__(self, *exc: object) -> None:
        assert snapshot(self.oms) == self.before
        assert self.oms.verify_stock() == []


@pytest.fixture
def shop(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10, "WH2": 0}, "SKU-2": {"WH1": 5}})
    return oms


def confirmed(oms, external_id="1", lines=(("SKU-1", 2, "12.50"), ("SKU-2", 1, "9.99"))):
    order = oms.place_order(draft(external_id, lines))
    return oms.confirm_order(order.id)


def only(error: ValidationErrors) -> ValidationError:
    [single] = error.errors
    return single


# -- placing orders ---------------------------------------------------------------------------------------------


def test_unknown_sku(shop):
    with Unchanged(shop), pytest.raises(ValidationErrors) as caught:
        shop.place_order(draft("1", [("SKU-1", 1, "10.00"), ("NOPE", 1, "10.00")]))
    problem = only(caught.value)
    assert (problem.field, problem.reason) == ("lines[1].sku", "unknown SKU 'NOPE'")
    assert shop.list_orders() == []


@pytest.mark.parametrize("quantity", [0, -1])
def test_zero_or_negative_quantity_on_an_order(shop, quantity):
    with Unchanged(shop), pytest.raises(ValidationErrors) as caught:
        shop.place_order(draft("1", [("SKU-1", quantity, "10.00")]))
    problem = only(caught.value)
    assert problem.field == "lines[0].quantity"
    assert problem.reason == "must be greater than zero"


def test_float_money_on_an_order(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.place_order(draft("1", [LineDraft("SKU-1", 1, unit_price=12.5)]))
    assert caught.value.field == "lines[0].unit_price"
    assert "float" in caught.value.reason


def test_float_expected_total_on_an_order(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.place_order(draft("1", [("SKU-1", 1, "10.00")], expected_total=10.0))
    assert caught.value.field == "expected_total"


def test_expected_total_that_does_not_match(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.place_order(draft("1", [("SKU-1", 1, "10.00")], expected_total="10.01"))
    assert caught.value.field == "expected_total"
    assert "10.01" in caught.value.reason and "10.00" in caught.value.reason


@pytest.mark.parametrize("name", ["name", "line1", "city", "postcode", "country"])
def test_each_missing_shipping_address_field_is_named(shop, name):
    with Unchanged(shop), pytest.raises(ValidationErrors) as caught:
        shop.place_order(draft("1", shipping_address=address(**{name: ""})))
    problem = only(caught.value)
    assert (problem.field, problem.reason) == (f"shipping_address.{name}", "is required")


def test_every_missing_address_field_is_named_in_one_error(shop):
    with Unchanged(shop), pytest.raises(ValidationErrors) as caught:
        shop.place_order(
            draft("1", shipping_address=address(city=None, postcode=" "), billing_address=address(name=""))
        )
    assert [e.field for e in caught.value.errors] == [
        "shipping_address.city",
        "shipping_address.postcode",
        "billing_address.name",
    ]
    assert "shipping_address.city: is required" in str(caught.value)


def test_missing_shipping_address(shop):
    with Unchanged(shop), pytest.raises(ValidationErrors) as caught:
        shop.place_order(draft("1", shipping_address=None))
    assert only(caught.value).field == "shipping_address"


def test_duplicate_external_id_with_different_content(shop):
    first = shop.place_order(draft("A-1", [("SKU-1", 1, "10.00")]))
    changed = draft("A-1", [("SKU-1", 2, "10.00")], shipping_address=address(city="Manchester"))
    with Unchanged(shop), pytest.raises(DuplicateOrder) as caught:
        shop.place_order(changed)
    error = caught.value
    assert (error.channel, error.external_id, error.order_id) == ("web", "A-1", first.id)
    assert error.differences == ["lines", "shipping_address"]
    assert "lines, shipping_address" in str(error)


def test_identical_replay_returns_the_same_order_and_writes_nothing(shop):
    first = shop.place_order(draft("A-1", [("SKU-1", 1, "10.00")]))
    with Unchanged(shop):
        again = shop.place_order(draft("A-1", [("SKU-1", 1, "10.00")]))
    assert again.id == first.id
    assert again.total == first.total
    assert len(shop.list_orders()) == 1


def test_the_same_external_id_on_another_channel_is_another_order(shop):
    a = shop.place_order(draft("A-1"))
    b = shop.place_order(draft("A-1", channel="shop-2"))
    assert a.id != b.id


# -- status changes ---------------------------------------------------------------------------------------------


def test_confirming_a_cancelled_order(shop):
    order = shop.place_order(draft("1"))
    shop.cancel_order(order.id, "customer changed their mind")
    with Unchanged(shop), pytest.raises(InvalidTransition) as caught:
        shop.confirm_order(order.id)
    error = caught.value
    assert (error.field, error.current, error.target) == ("status", "cancelled", "confirmed")
    assert error.reason
    assert shop.get_order(order.id).status == "cancelled"


def test_shipping_a_pending_order(shop):
    order = shop.place_order(draft("1"))
    with Unchanged(shop), pytest.raises(InvalidTransition) as caught:
        shop.ship(order.id, {"SKU-1": 1}, location="WH1")
    error = caught.value
    assert (error.field, error.current, error.target) == ("fulfillment_status", "unfulfilled", "shipped")
    assert "pending" in error.reason


def test_shipping_a_cancelled_order(shop):
    order = confirmed(shop)
    shop.cancel_order(order.id, "fraud")
    with Unchanged(shop), pytest.raises(InvalidTransition) as caught:
        shop.ship(order.id, {"SKU-1": 1}, location="WH1")
    assert caught.value.field == "fulfillment_status"


def test_cancelling_a_shipped_order(shop):
    order = confirmed(shop)
    shop.ship(order.id)
    with Unchanged(shop), pytest.raises(InvalidTransition) as caught:
        shop.cancel_order(order.id, "too late")
    assert caught.value.field == "status"
    assert "return" in caught.value.reason


# -- payments ---------------------------------------------------------------------------------------------------


def test_float_money_on_a_payment(shop):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.pay(order.id, 12.5)
    assert caught.value.field == "amount"
    assert "float" in caught.value.reason


def test_money_arithmetic_never_mixes_currencies():
    with pytest.raises(CurrencyMismatch) as caught:
        Money("10.00", "EUR") + Money("10.00", "USD")
    assert caught.value.field == "currency"


def test_a_payment_in_another_currency(shop):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(CurrencyMismatch) as caught:
        shop.pay(order.id, Money("10.00", "USD"))
    assert caught.value.field == "currency"
    assert "EUR" in caught.value.reason and "USD" in caught.value.reason


def test_a_refund_in_another_currency(shop):
    order = confirmed(shop)
    shop.pay(order.id)
    with Unchanged(shop), pytest.raises(CurrencyMismatch) as caught:
        shop.refund(order.id, Money("1.00", "GBP"), "goodwill")
    assert caught.value.field == "currency"


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "abc"])
def test_payment_amount_must_be_a_positive_amount_in_minor_units(shop, amount):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.pay(order.id, amount)
    assert caught.value.field == "amount"


def test_paying_more_than_is_open(shop):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(PaymentError) as caught:
        shop.pay(order.id, "35.00")
    assert caught.value.field == "amount"
    assert "34.99" in caught.value.reason


def test_capture_above_the_authorized_amount(shop):
    order = confirmed(shop)
    payment = shop.authorize_payment(order.id, "20.00")
    with Unchanged(shop), pytest.raises(PaymentError) as caught:
        shop.capture_payment(payment.id, "20.01")
    assert (caught.value.entity, caught.value.field) == ("payment", "amount")
    assert "20.00" in caught.value.reason
    shop.capture_payment(payment.id, "15.00")
    with Unchanged(shop), pytest.raises(PaymentError) as caught:
        shop.capture_payment(payment.id, "5.01")
    assert caught.value.field == "amount"
    assert "5.00" in caught.value.reason


def test_refund_above_what_was_captured(shop):
    order = confirmed(shop)
    shop.pay(order.id, "20.00")
    with Unchanged(shop), pytest.raises(PaymentError) as caught:
        shop.refund(order.id, "20.01", "damaged")
    assert (caught.value.entity, caught.value.field) == ("refund", "amount")
    assert "20.00" in caught.value.reason
    shop.refund(order.id, "5.00", "damaged")
    with Unchanged(shop), pytest.raises(PaymentError) as caught:
        shop.refund(order.id, "15.01", "damaged")
    assert caught.value.field == "amount"
    assert "15.00" in caught.value.reason


def test_refund_without_a_reason(shop):
    order = confirmed(shop)
    shop.pay(order.id)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.refund(order.id, "1.00", " ")
    assert caught.value.field == "reason"


def test_refund_of_an_uncaptured_order(shop):
    order = confirmed(shop)
    shop.authorize_payment(order.id)
    with Unchanged(shop), pytest.raises(PaymentError) as caught:
        shop.refund(order.id, "1.00", "goodwill")
    assert caught.value.field == "amount"


# -- fulfilment and returns -------------------------------------------------------------------------------------


def test_shipment_of_more_than_was_ordered(shop):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.ship(order.id, {"SKU-1": 3})
    assert caught.value.field == "lines[SKU-1]"
    assert "3 exceeds the 2" in caught.value.reason


def test_shipment_of_more_than_is_left_after_a_partial_shipment(shop):
    order = confirmed(shop)
    line = order.line("SKU-1")
    shop.ship(order.id, {line.id: 1})
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.ship(order.id, {line.id: 2})
    assert caught.value.field == f"lines[{line.id}]"
    assert "exceeds the 1" in caught.value.reason


@pytest.mark.parametrize("quantity", [0, -1])
def test_shipment_of_zero_or_negative_quantity(shop, quantity):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.ship(order.id, {"SKU-1": quantity})
    assert caught.value.field == "lines[SKU-1]"
    assert caught.value.reason == "must be greater than zero"


def test_shipment_from_an_unknown_location(shop):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(NotFound) as caught:
        shop.ship(order.id, location="NOWHERE")
    assert (caught.value.entity, caught.value.field, caught.value.key) == ("location", "code", "NOWHERE")


def test_shipment_of_a_line_the_order_does_not_have(shop):
    order = confirmed(shop)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.ship(order.id, {"SKU-9": 1})
    assert caught.value.field == "lines"


def test_return_beyond_what_was_shipped(shop):
    order = confirmed(shop)
    shop.ship(order.id, {"SKU-1": 1})
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.create_return(order.id, {"SKU-1": 2}, "too big")
    assert caught.value.field == "lines[SKU-1]"
    assert "2 exceeds the 1" in caught.value.reason
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.create_return(order.id, {"SKU-2": 1}, "never came")
    assert caught.value.field == "lines[SKU-2]"


@pytest.mark.parametrize("quantity", [0, -2])
def test_return_of_zero_or_negative_quantity(shop, quantity):
    order = confirmed(shop)
    shop.ship(order.id)
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.create_return(order.id, {"SKU-1": quantity}, "too big")
    assert caught.value.field == "lines[SKU-1]"


# -- stock ------------------------------------------------------------------------------------------------------


def test_receiving_at_an_unknown_location(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.receive_stock("SKU-1", "NOWHERE", 5)
    assert (caught.value.field, caught.value.reason) == ("location", "unknown location 'NOWHERE'")


def test_receiving_an_unknown_sku(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.receive_stock("NOPE", "WH1", 5)
    assert (caught.value.field, caught.value.reason) == ("sku", "unknown SKU 'NOPE'")


@pytest.mark.parametrize("quantity", [0, -5])
def test_receiving_zero_or_negative_quantity(shop, quantity):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.receive_stock("SKU-1", "WH1", quantity)
    assert (caught.value.field, caught.value.reason) == ("quantity", "must be greater than zero")


def test_receiving_a_fractional_quantity(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.receive_stock("SKU-1", "WH1", Decimal("1.5"))
    assert caught.value.field == "quantity"


def test_adjusting_at_an_unknown_location(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.adjust_stock("SKU-1", "NOWHERE", counted=3, reason="count")
    assert caught.value.field == "location"


def test_stock_adjust_below_reserved(shop):
    confirmed(shop)  # reserves 2 x SKU-1 and 1 x SKU-2 at WH1
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.adjust_stock("SKU-1", "WH1", counted=1, reason="cycle count")
    assert caught.value.field == "counted"
    assert "2 reserved" in caught.value.reason
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.adjust_stock("SKU-1", "WH1", delta=-9, reason="damaged")
    assert caught.value.field == "delta"
    assert "1 on hand with 2 reserved" in caught.value.reason


def test_stock_adjust_needs_a_reason_and_one_of_counted_or_delta(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.adjust_stock("SKU-1", "WH1", counted=3, reason="")
    assert caught.value.field == "reason"
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.adjust_stock("SKU-1", "WH1", counted=3, delta=1, reason="count")
    assert caught.value.field == "counted"
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.adjust_stock("SKU-1", "WH1", counted=-1, reason="count")
    assert caught.value.field == "counted"


def test_transfer_more_than_available(shop):
    confirmed(shop)  # 10 on hand, 2 reserved at WH1: 8 available
    with Unchanged(shop), pytest.raises(InsufficientStock) as caught:
        shop.transfer_stock("SKU-1", "WH1", "WH2", 9)
    error = caught.value
    assert (error.sku, error.location, error.requested, error.available) == ("SKU-1", "WH1", 9, 8)
    assert "9 requested at WH1, 8 available" in str(error)


@pytest.mark.parametrize("quantity", [0, -1])
def test_transfer_of_zero_or_negative_quantity(shop, quantity):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.transfer_stock("SKU-1", "WH1", "WH2", quantity)
    assert caught.value.field == "quantity"


def test_transfer_to_an_unknown_location_or_to_itself(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.transfer_stock("SKU-1", "WH1", "NOWHERE", 1)
    assert (caught.value.field, caught.value.reason) == ("location", "unknown location 'NOWHERE'")
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.transfer_stock("SKU-1", "WH1", "WH1", 1)
    assert caught.value.field == "target"


def test_transfer_from_an_unknown_location(shop):
    with Unchanged(shop), pytest.raises(ValidationError) as caught:
        shop.transfer_stock("SKU-1", "NOWHERE", "WH2", 1)
    assert caught.value.field == "location"
