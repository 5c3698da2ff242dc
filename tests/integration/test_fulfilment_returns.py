"""Fulfilment and returns: partial and split shipments, delivery, returns restocked or scrapped, refunds."""

from __future__ import annotations

import pytest

from oms_core import (
    Disposition,
    FulfillmentStatus,
    InvalidTransition,
    LedgerReason,
    LineDraft,
    Money,
    PaymentStatus,
    ReturnState,
    ShipmentState,
    ValidationError,
)
from oms_core.testing import draft, seed_catalogue


def levels(oms, sku=None) -> dict[tuple[str, str], tuple[int, int]]:
    return {(s.sku, s.location): (s.on_hand, s.reserved) for s in oms.stock(sku)}


def ledger_rows(oms, sku, reason=None) -> list[tuple[str, int, str, str | None]]:
    return [
        (e.location, e.delta, e.reason, e.reference) for e in oms.ledger(sku) if reason is None or e.reason == reason
    ]


def place_confirmed(oms, lines, external_id="1", **overrides):
    order = oms.place_order(draft(external_id, lines, **overrides))
    return oms.confirm_order(order.id)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


# -- shipments --------------------------------------------------------------------------------------------------


def test_partial_shipment_then_the_rest(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    order = place_confirmed(oms, [("SKU-1", 3, "10.00")])
    line = order.line("SKU-1")
    assert order.fulfillment_status == FulfillmentStatus.ALLOCATED

    first = oms.ship(order.id, {"SKU-1": 1})
    assert (first.location, first.carrier, first.state) == ("WH1", "flat_rate", ShipmentState.SHIPPED)
    assert [(sl.line_id, sl.sku, sl.quantity) for sl in first.lines] == [(line.id, "SKU-1", 1)]
    assert first.tracking_number
    partly = oms.get_order(order.id)
    assert partly.fulfillment_status == FulfillmentStatus.PARTIALLY_SHIPPED
    assert (partly.line("SKU-1").quantity_shipped, partly.line("SKU-1").quantity_reserved) == (1, 2)
    assert levels(oms) == {("SKU-1", "WH1"): (9, 2)}

    rest = oms.ship(order.id)
    assert [(sl.sku, sl.quantity) for sl in rest.lines] == [("SKU-1", 2)]
    shipped = oms.get_order(order.id)
    assert shipped.fulfillment_status == FulfillmentStatus.SHIPPED
    assert levels(oms) == {("SKU-1", "WH1"): (7, 0)}
    assert ledger_rows(oms, "SKU-1", LedgerReason.SHIPMENT) == [
        ("WH1", -1, "shipment", f"shipment:{first.id}"),
        ("WH1", -2, "shipment", f"shipment:{rest.id}"),
    ]
    assert [s.id for s in oms.shipments(order.id)] == [first.id, rest.id]
    assert [r.open_quantity for r in oms.reservations(order.id)] == [0]
    assert oms.verify_stock() == []


def test_default_sourcing_prefers_one_location_that_covers_the_whole_order(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 5, "WH2": 5}, "SKU-2": {"WH1": 0, "WH2": 5}}, priorities={"WH1": 1, "WH2": 2})
    order = place_confirmed(oms, [("SKU-1", 1, "10.00"), ("SKU-2", 1, "5.00")])
    reserved = {(r.sku, r.location, r.quantity) for r in oms.reservations(order.id)}
    assert reserved == {("SKU-1", "WH2", 1), ("SKU-2", "WH2", 1)}
    shipment = oms.ship(order.id)
    assert shipment.location == "WH2"
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.SHIPPED


def test_default_sourcing_splits_by_location_priority_and_ships_per_location(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 2, "WH2": 2}}, priorities={"WH1": 1, "WH2": 2})
    order = place_confirmed(oms, [("SKU-1", 3, "10.00")])
    assert [(r.location, r.quantity) for r in oms.reservations(order.id)] == [("WH1", 2), ("WH2", 1)]
    assert order.fulfillment_status == FulfillmentStatus.ALLOCATED

    with pytest.raises(ValidationError) as caught:
        oms.ship(order.id)
    assert caught.value.field == "location"
    assert "WH1, WH2" in caught.value.reason

    from_wh1 = oms.ship(order.id, location="WH1")
    assert [(sl.sku, sl.quantity) for sl in from_wh1.lines] == [("SKU-1", 2)]
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.PARTIALLY_SHIPPED
    from_wh2 = oms.ship(order.id, location="WH2")
    assert [(sl.sku, sl.quantity) for sl in from_wh2.lines] == [("SKU-1", 1)]
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.SHIPPED
    assert levels(oms) == {("SKU-1", "WH1"): (0, 0), ("SKU-1", "WH2"): (1, 0)}
    assert [(s.location, s.state) for s in oms.shipments(order.id)] == [("WH1", "shipped"), ("WH2", "shipped")]
    assert oms.verify_stock() == []

    oms.mark_delivered(from_wh1.id)
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.SHIPPED  # one parcel still on its way
    oms.mark_delivered(from_wh2.id)
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.DELIVERED


def test_mark_delivered(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    order = place_confirmed(oms, [("SKU-1", 1, "10.00")])
    shipment = oms.ship(order.id)
    delivered = oms.mark_delivered(shipment.id)
    assert (delivered.state, delivered.delivered_at is not None) == (ShipmentState.DELIVERED, True)
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.DELIVERED
    assert oms.mark_delivered(shipment.id).delivered_at == delivered.delivered_at  # again: nothing changes
    assert [e.kind for e in oms.timeline(order.id)].count("delivered") == 1


def test_delivering_part_of_a_partly_shipped_order_keeps_it_partly_shipped(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    order = place_confirmed(oms, [("SKU-1", 2, "10.00")])
    shipment = oms.ship(order.id, {"SKU-1": 1})
    oms.mark_delivered(shipment.id)
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.PARTIALLY_SHIPPED


def test_paid_and_shipped_completes_the_order(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    order = place_confirmed(oms, [("SKU-1", 2, "10.00")])
    oms.pay(order.id)
    oms.ship(order.id, {"SKU-1": 1})
    assert oms.get_order(order.id).status == "confirmed"
    oms.ship(order.id)
    assert oms.get_order(order.id).status == "completed"


# -- returns ----------------------------------------------------------------------------------------------------


@pytest.fixture
def shipped(oms):
    """2 x SKU-1 at 12.50 and 1 x SKU-2 at 9.99 from WH1: placed, confirmed, paid and shipped."""
    seed_catalogue(oms, {"SKU-1": {"WH1": 10, "WH2": 0}, "SKU-2": {"WH1": 5}})
    order = place_confirmed(oms, [("SKU-1", 2, "12.50"), ("SKU-2", 1, "9.99")])
    oms.pay(order.id)
    oms.ship(order.id)
    return oms, oms.get_order(order.id)


def test_create_return_beyond_shipped(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    order = place_confirmed(oms, [("SKU-1", 3, "10.00")])
    oms.ship(order.id, {"SKU-1": 2})
    with pytest.raises(ValidationError) as caught:
        oms.create_return(order.id, {"SKU-1": 3}, "too big")
    assert caught.value.field == "lines[SKU-1]"
    assert "3 exceeds the 2 of SKU-1 shipped" in caught.value.reason

    rma = oms.create_return(order.id, {"SKU-1": 2}, "too big")
    assert (rma.state, [(x.sku, x.quantity) for x in rma.lines]) == (ReturnState.REQUESTED, [("SKU-1", 2)])
    with pytest.raises(ValidationError) as caught:  # the units of an open return count as returned
        oms.create_return(order.id, {"SKU-1": 1}, "too big")
    assert "exceeds the 0" in caught.value.reason


def test_return_restocked_and_scrapped(shipped):
    oms, order = shipped
    rma = oms.create_return(order.id, {"SKU-1": 1, "SKU-2": 1}, "unwanted")
    before = levels(oms)

    received = oms.receive_return(rma.id, {"SKU-2": "scrap"}, refund=False)

    assert received.state == ReturnState.RECEIVED
    assert {(x.sku, x.disposition, x.location) for x in received.lines} == {
        ("SKU-1", Disposition.RESTOCK, "WH1"),
        ("SKU-2", Disposition.SCRAP, None),
    }
    assert ledger_rows(oms, "SKU-1", LedgerReason.RETURN) == [("WH1", 1, "return", f"return:{rma.id}")]
    assert ledger_rows(oms, "SKU-2", LedgerReason.RETURN) == []
    after = levels(oms)
    assert after[("SKU-1", "WH1")] == (before[("SKU-1", "WH1")][0] + 1, 0)
    assert after[("SKU-2", "WH1")] == before[("SKU-2", "WH1")]
    reloaded = oms.get_order(order.id)
    assert reloaded.fulfillment_status == FulfillmentStatus.PARTIALLY_RETURNED
    assert (reloaded.line("SKU-1").quantity_returned, reloaded.line("SKU-2").quantity_returned) == (1, 1)
    assert oms.refunds(order.id) == []
    assert received.refund_amount is None
    assert oms.verify_stock() == []

    with pytest.raises(InvalidTransition) as caught:
        oms.receive_return(rma.id)
    assert caught.value.field == "state"


def test_return_restocked_at_another_location(shipped):
    oms, order = shipped
    rma = oms.create_return(order.id, {"SKU-1": 2}, "unwanted")
    oms.receive_return(rma.id, location="WH2", refund=False)
    assert ledger_rows(oms, "SKU-1", LedgerReason.RETURN) == [("WH2", 2, "return", f"return:{rma.id}")]
    assert levels(oms, "SKU-1")[("SKU-1", "WH2")] == (2, 0)
    assert oms.verify_stock() == []


def test_refund_on_return(shipped):
    oms, order = shipped
    rma = oms.create_return(order.id, {"SKU-1": 1}, "damaged")
    received = oms.receive_return(rma.id)
    assert received.refund_amount == eur("12.50")
    [refund] = oms.refunds(order.id)
    assert refund.amount == eur("12.50")
    assert f"return #{rma.id}" in refund.reason
    assert refund.lines == {str(order.line("SKU-1").id): 1}
    after = oms.get_order(order.id)
    assert (after.payment_status, after.amount_refunded) == (PaymentStatus.PARTIALLY_REFUNDED, eur("12.50"))

    rest = oms.create_return(order.id, {"SKU-1": 1, "SKU-2": 1}, "damaged")
    assert oms.receive_return(rest.id, {"SKU-1": "scrap", "SKU-2": "scrap"}).refund_amount == eur("22.49")
    done = oms.get_order(order.id)
    assert (done.fulfillment_status, done.payment_status) == (FulfillmentStatus.RETURNED, PaymentStatus.REFUNDED)
    assert done.amount_refunded == done.total


def test_refund_on_return_includes_tax_charged_on_top_and_takes_off_the_discount(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    line = LineDraft("SKU-1", 2, "12.50", discount="1.00", tax="5.00")
    order = place_confirmed(oms, [line])
    assert order.total == eur("29.00")
    oms.pay(order.id)
    oms.ship(order.id)
    rma = oms.create_return(order.id, {"SKU-1": 1}, "unwanted")
    assert oms.receive_return(rma.id).refund_amount == eur("14.50")  # (25.00 - 1.00 + 5.00) / 2


def test_refund_on_return_is_capped_by_what_was_paid(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    order = place_confirmed(oms, [("SKU-1", 2, "10.00")])
    oms.pay(order.id, "5.00")
    oms.ship(order.id)
    rma = oms.create_return(order.id, {"SKU-1": 1}, "unwanted")
    assert oms.receive_return(rma.id).refund_amount == eur("5.00")


def test_return_of_an_unpaid_order_refunds_nothing(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    order = place_confirmed(oms, [("SKU-1", 1, "10.00")])
    oms.ship(order.id)
    rma = oms.create_return(order.id, {"SKU-1": 1}, "unwanted")
    received = oms.receive_return(rma.id)
    assert received.refund_amount is None
    assert oms.refunds(order.id) == []
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.RETURNED
