"""Through an OMS on SQLite and PostgreSQL: the installed driver ships with documents, tracking pushes go on the
order's timeline once, and a delivery delivers."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from oms_carrier_tablerate import EXAMPLE_TABLE, TableRateCarrier, tracking_number

from oms_core import CARRIERS, FulfillmentStatus, NotFound, OrderStatus, ShipmentState, ValidationError
from oms_core.testing import address, draft, seed_catalogue

BERLIN = address(name="Grace Hopper", line1="Unter den Linden 5", city="Berlin", postcode="10117", country="DE")


@pytest.fixture
def oms(make_oms, tmp_path, sender):
    """An OMS whose installed ``tablerate`` driver is configured as a host would: a table file and a sender."""
    table = tmp_path / "rates.toml"
    table.write_text(EXAMPLE_TABLE.read_text())
    config = {"table": str(table), "sender": sender, "counter_file": str(tmp_path / "serial"), "sequence_start": 100}
    oms = make_oms(driver_config={CARRIERS: {"tablerate": config}})
    seed_catalogue(oms, {"MUG": {"WH1": 20}, "TEA": {"WH1": 20}})  # 250 g each
    return oms


def shipped_order(oms, external_id="1", lines=(("MUG", 2, "12.50"), ("TEA", 1, "4.99")), to=BERLIN, **ship):
    order = oms.place_order(draft(external_id, lines, shipping_address=to))
    oms.confirm_order(order.id)
    oms.pay(order.id)
    return order, oms.ship(order.id, carrier="tablerate", **ship)


def push(*events) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_the_installed_driver_is_found_by_name(oms):
    assert "tablerate" in oms.driver_names(CARRIERS)
    carrier = oms.driver(CARRIERS, "tablerate")
    assert isinstance(carrier, TableRateCarrier) and carrier.name == "tablerate"
    assert carrier.sender["city"] == "Leipzig"


def test_ship_stores_cost_service_and_documents(oms):
    order, shipment = shipped_order(oms)
    assert shipment.tracking_number == tracking_number("TR", 100)
    assert (shipment.carrier, shipment.service, str(shipment.cost)) == ("tablerate", "standard", "4.90 EUR")
    [stored] = oms.shipments(order.id, documents=True)
    assert stored.documents == shipment.documents
    assert [(d.kind, d.media_type, d.filename) for d in stored.documents] == [
        ("label", "application/pdf", f"{shipment.tracking_number}-label.pdf"),
        ("packing_slip", "application/pdf", f"{shipment.tracking_number}-packing-slip.pdf"),
    ]
    assert all(d.content.startswith(b"%PDF") for d in stored.documents)
    assert (stored.cost, stored.service) == (shipment.cost, "standard")
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.SHIPPED
    timeline = oms.timeline(order.id)
    assert any(e.kind == "shipped" and shipment.tracking_number in e.message for e in timeline)


def test_ship_with_a_named_service_and_free_shipping(oms):
    _, express = shipped_order(oms, "1", service="express")
    assert (express.service, str(express.cost)) == ("express", "9.90 EUR")
    _, free = shipped_order(oms, "2", lines=(("MUG", 4, "12.50"),))  # worth 50.00: standard ships free
    assert (free.service, str(free.cost)) == ("standard", "0.00 EUR")
    assert free.tracking_number == tracking_number("TR", 101)


def test_a_parcel_the_table_cannot_carry_leaves_the_order_unshipped(oms):
    oms.add_product("ANVIL", "Anvil", weight_grams=40_000)
    oms.receive_stock("ANVIL", "WH1", 1)
    order = oms.place_order(draft("heavy", [("ANVIL", 1, "99.00")], shipping_address=BERLIN))
    oms.confirm_order(order.id)
    with pytest.raises(ValidationError, match="40000 g is over the heaviest bracket"):
        oms.ship(order.id, carrier="tablerate")
    assert oms.shipments(order.id) == []
    assert oms.get_order(order.id).fulfillment_status != FulfillmentStatus.SHIPPED
    assert [(s.sku, s.on_hand, s.reserved) for s in oms.stock("ANVIL")] == [("ANVIL", 1, 1)]


def test_tracking_push_goes_on_the_timeline_once_and_delivers(oms):
    order, shipment = shipped_order(oms)
    number = shipment.tracking_number
    body = push(
        {"tracking_number": number, "status": "accepted", "at": "2025-03-01T18:00:00+01:00",
         "description": "Parcel received", "location": "Leipzig"},
        {"tracking_number": number, "status": "in_transit", "at": "2025-03-02T06:30:00+01:00",
         "description": "Arrived at the Berlin hub", "location": "Berlin"},
    )  # fmt: skip
    assert oms.handle_tracking_webhook("tablerate", {}, body) == 2
    assert oms.handle_tracking_webhook("tablerate", {}, body) == 0  # replayed: nothing new
    tracking = [e for e in oms.timeline(order.id) if e.kind == "tracking"]
    assert [(e.message, e.source) for e in tracking] == [
        (f"{number}: accepted - Parcel received", "tablerate"),
        (f"{number}: in_transit - Arrived at the Berlin hub", "tablerate"),
    ]
    assert oms.shipments(order.id)[0].state == ShipmentState.SHIPPED

    delivered = push(
        {"tracking_number": number, "status": "in_transit", "at": "2025-03-02T05:30:00Z"},  # the same instant in UTC
        {"tracking_number": number, "status": "delivered", "at": "2025-03-02T14:05:00+01:00",
         "description": "Handed to the recipient", "location": "Berlin", "delivered": True},
    )  # fmt: skip
    assert oms.handle_tracking_webhook("tablerate", {}, delivered) == 1
    assert oms.handle_tracking_webhook("tablerate", {}, delivered) == 0
    timeline = oms.timeline(order.id)
    assert [e.kind for e in timeline].count("tracking") == 3
    assert [e.kind for e in timeline].count("delivered") == 1
    [after] = oms.shipments(order.id)
    assert after.state == ShipmentState.DELIVERED
    assert after.delivered_at == dt.datetime(2025, 3, 2, 13, 5, tzinfo=dt.UTC)
    order = oms.get_order(order.id)
    assert (order.status, order.fulfillment_status) == (OrderStatus.COMPLETED, FulfillmentStatus.DELIVERED)


def test_a_push_for_an_unknown_parcel_records_nothing(oms):
    order, shipment = shipped_order(oms)
    body = push(
        {"tracking_number": shipment.tracking_number, "status": "accepted", "at": "2025-03-01T18:00:00+01:00"},
        {"tracking_number": tracking_number("TR", 99_999), "status": "accepted", "at": "2025-03-01T18:00:00+01:00"},
    )
    with pytest.raises(NotFound):
        oms.handle_tracking_webhook("tablerate", {}, body)
    assert [e for e in oms.timeline(order.id) if e.kind == "tracking"] == []  # one transaction: all or nothing


def test_a_bad_push_is_refused_before_anything_is_written(oms):
    order, shipment = shipped_order(oms)
    body = push({"tracking_number": shipment.tracking_number, "status": "accepted", "at": "2025-03-01T18:00:00"})
    with pytest.raises(ValidationError, match=r"events\[0\]\.at"):
        oms.handle_tracking_webhook("tablerate", {}, body)
    assert [e for e in oms.timeline(order.id) if e.kind == "tracking"] == []
