"""Shopify order JSON to order drafts, to the cent, on payloads shaped like Shopify's published examples."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from oms_channel_shopify import ShopifyChannel
from shopify_support import SECRET, data, payload, sign, webhook_headers

from oms_core import (
    CHANNELS,
    OrderStatus,
    StockLevel,
    ValidationError,
    ValidationErrors,
    WebhookRejected,
)
from oms_core.testing import seed_catalogue

D = Decimal


def lines(draft):
    return [(x.sku, x.quantity, x.unit_price, x.discount, x.tax) for x in draft.lines]


def totals(draft):
    t = draft.totals()
    return t.subtotal.amount, t.discount_total.amount, t.shipping_total.amount, t.tax_total.amount, t.total.amount


def field_error(excinfo) -> str:
    return excinfo.value.field


# -- mapping ----------------------------------------------------------------------------------------------------


def test_us_order_with_a_discount_code_spread_over_the_lines(shopify):
    body = payload("orders_create_us.json")
    [draft] = shopify.parse_orders(body, webhook_headers(body))
    assert (draft.channel, draft.external_id, draft.currency) == ("shopify", "5820172140763", "USD")
    assert draft.taxes_included is False
    assert lines(draft) == [
        ("TRS-42-BLU", 1, D("129.00"), D("12.90"), D("8.42")),
        ("SOCK-MER-M", 3, D("14.50"), D("4.35"), D("2.84")),
    ]
    assert (draft.shipping, draft.shipping_tax, draft.order_discount) == (D("9.95"), D(0), D(0))
    # 172.50 - 17.25 + 9.95 + 11.26 (tax on top)
    assert totals(draft) == (D("172.50"), D("17.25"), D("9.95"), D("11.26"), D("176.46"))
    assert draft.expected_total == D("176.46")
    assert draft.problems() == []
    assert draft.placed_at == dt.datetime(2024, 5, 14, 16, 12, 44, tzinfo=dt.UTC)
    assert [x.name for x in draft.lines] == ["Trail running shoes - 42 / Blue", "Merino socks - M"]
    assert [x.external_id for x in draft.lines] == ["14203118911707", "14203118944475"]


def test_addresses_customer_and_attributes(shopify):
    body = payload("orders_create_us.json")
    [draft] = shopify.parse_orders(body, webhook_headers(body))
    ship = draft.shipping_address
    assert (ship.name, ship.line1, ship.line2, ship.city, ship.postcode, ship.country, ship.region) == (
        "Maya Okafor", "1450 Bayshore Blvd", "Apt 3B", "San Mateo", "94401", "US", "CA"
    )  # fmt: skip
    assert ship.phone == "+16505550142"
    assert draft.billing_address == ship
    customer = draft.customer
    assert (customer.email, customer.name, customer.phone, customer.external_id) == (
        "maya.okafor@example.com", "Maya Okafor", "+16505550142", "7301295612123"
    )  # fmt: skip
    assert draft.attributes == {
        "name": "#1042",
        "order_number": 1042,
        "financial_status": "paid",
        "topic": "orders/create",
        "webhook_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }


def test_rest_order_resource_example_with_a_fixed_discount_across_three_lines(shopify):
    """The Order resource's example order #1001: TENOFF (10.00) allocated 3.34 + 3.33 + 3.33, 6 % state tax."""
    [draft] = shopify.parse_orders(payload("rest_order_1001.json"))
    assert draft.external_id == "450789469"
    assert lines(draft) == [
        ("IPOD2008GREEN", 1, D("199.00"), D("3.34"), D("3.98")),
        ("IPOD2008RED", 1, D("199.00"), D("3.33"), D("3.98")),
        ("IPOD2008BLACK", 1, D("199.00"), D("3.33"), D("3.98")),
    ]
    assert totals(draft) == (D("597.00"), D("10.00"), D("0.00"), D("11.94"), D("598.94"))
    assert draft.problems() == []
    assert draft.placed_at == dt.datetime(2008, 1, 10, 16, 0, tzinfo=dt.UTC)
    assert draft.attributes["financial_status"] == "partially_refunded"
    assert "topic" not in draft.attributes


def test_eu_taxes_included_with_two_shipping_lines_and_a_shipping_discount(shopify):
    """VAT is inside the prices: the total is what the lines and shipping cost, the tax is only reported."""
    de, gb = shopify.parse_orders(payload("rest_orders_eu_taxes_included.json"))
    assert (de.currency, de.taxes_included) == ("EUR", True)
    assert lines(de) == [
        ("CUP-ESP-01", 2, D("14.90"), D("2.98"), D("4.28")),
        ("JUG-350", 1, D("24.50"), D("2.45"), D("3.52")),
    ]
    # DHL Paket 5.90 minus its 1.90 discount allocation, plus the 3.00 express surcharge
    assert (de.shipping, de.shipping_tax) == (D("7.00"), D("1.12"))
    assert totals(de) == (D("54.30"), D("5.43"), D("7.00"), D("8.92"), D("55.87"))
    assert de.expected_total == D("55.87")
    assert de.problems() == []
    assert de.placed_at == dt.datetime(2024, 6, 3, 12, 27, 9, tzinfo=dt.UTC)
    assert de.shipping_address.company == "Weber Design GmbH"

    assert (gb.currency, gb.taxes_included, gb.external_id) == ("GBP", True, "5820188262619")
    assert lines(gb) == [("KETTLE-PO-1", 1, D("18.00"), D(0), D("3.00"))]
    assert totals(gb) == (D("18.00"), D("0.00"), D("4.99"), D("3.83"), D("22.99"))
    assert gb.billing_address is None
    assert (gb.shipping_address.postcode, gb.shipping_address.country) == ("BN1 2FL", "GB")
    assert gb.problems() == []


def test_digital_order_without_a_shipping_address_ships_to_the_billing_address(shopify):
    order = data("orders_create_us.json")
    order["shipping_address"] = None
    [draft] = shopify.parse_orders(json.dumps(order).encode())
    assert draft.shipping_address == draft.billing_address
    assert draft.shipping_address.line1 == "1450 Bayshore Blvd"


def test_line_discount_falls_back_to_total_discount(shopify):
    order = data("orders_create_us.json")
    for item in order["line_items"]:
        del item["discount_allocations"]
    order["line_items"][0]["total_discount"] = "12.90"
    order["line_items"][1]["total_discount"] = "4.35"
    [draft] = shopify.parse_orders(json.dumps(order).encode())
    assert [x.discount for x in draft.lines] == [D("12.90"), D("4.35")]
    assert draft.problems() == []


def test_json_numbers_become_decimals_never_floats(shopify):
    order = data("orders_create_us.json")
    order["line_items"][1]["price"] = 14.5  # a number instead of Shopify's string
    body = json.dumps(order).encode()
    [draft] = shopify.parse_orders(body)
    assert draft.lines[1].unit_price == D("14.5")
    assert type(draft.lines[1].unit_price) is Decimal
    assert totals(draft)[-1] == D("176.46")


# -- amounts that do not add up ---------------------------------------------------------------------------------


def test_the_published_orders_create_sample_does_not_add_up(shopify):
    """Shopify's current sample payload: 369.97 of lines, ``total_discounts`` 20.00 allocated to no line, 10.00
    shipping, ``total_price`` 359.97. The lines add up to 379.97, and the mismatch is caught, not absorbed."""
    [draft] = shopify.parse_orders(payload("orders_create_reference_sample.json"))
    assert totals(draft)[-1] == D("379.97")
    [problem] = draft.problems()
    assert problem.field == "expected_total"
    assert "359.97" in problem.reason and "379.97" in problem.reason


def test_a_line_tax_that_does_not_add_up_is_refused_through_the_oms(make_oms):
    order = data("orders_create_us.json")
    order["line_items"][1]["tax_lines"][0]["price"] = "2.48"  # the order's total_price still says 176.46
    body = json.dumps(order).encode()
    oms = make_oms(load_entry_points=False)
    oms.register_driver(CHANNELS, "shopify", lambda **_: ShopifyChannel(secret=SECRET))
    seed_catalogue(oms, {"TRS-42-BLU": {"WH": 5}, "SOCK-MER-M": {"WH": 10}})
    result = oms.import_orders("shopify", body, webhook_headers(body))
    assert (result.created, result.replayed) == (0, 0)
    [(position, external_id, error)] = result.errors
    assert (position, external_id) == (0, "5820172140763")
    assert isinstance(error, ValidationErrors)
    assert [e.field for e in error.errors] == ["expected_total"]


# -- refused input ----------------------------------------------------------------------------------------------


def test_missing_sku_names_the_line(shopify):
    """A custom line item (here gift wrapping) has no SKU: the OMS cannot reserve it, the payload is refused."""
    body = payload("orders_create_missing_sku.json")
    with pytest.raises(ValidationError) as excinfo:
        shopify.parse_orders(body, webhook_headers(body))
    assert field_error(excinfo) == "line_items[2].sku"


def test_missing_sku_in_a_rest_list_names_the_order_and_the_line(shopify):
    orders = data("rest_orders_eu_taxes_included.json")
    orders["orders"][1]["line_items"][0]["sku"] = "  "
    with pytest.raises(ValidationError) as excinfo:
        shopify.parse_orders(json.dumps(orders).encode())
    assert field_error(excinfo) == "orders[1].line_items[0].sku"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.update(currency="EURO"), "currency"),
        (lambda o: o.update(currency=None), "currency"),
        (lambda o: o.update(id=None), "id"),
        (lambda o: o["line_items"][0].update(price="12,90"), "line_items[0].price"),
        (lambda o: o["line_items"][0].update(price=True), "line_items[0].price"),
        (lambda o: o["line_items"][1].update(quantity="3"), "line_items[1].quantity"),
        (lambda o: o["line_items"][1].update(quantity=0), "line_items[1].quantity"),
        (lambda o: o["line_items"][1]["tax_lines"][0].update(price="-2.84"), "line_items[1].tax_lines[0].price"),
        (
            lambda o: o["line_items"][0]["discount_allocations"][0].update(amount=None),
            "line_items[0].discount_allocations[0].amount",
        ),
        (lambda o: o["shipping_lines"][0].update(price="free"), "shipping_lines[0].price"),
        (lambda o: o.update(total_price="NaN"), "total_price"),
        (lambda o: o.update(taxes_included="false"), "taxes_included"),
        (lambda o: o.update(processed_at="14/05/2024"), "processed_at"),
        (lambda o: o.update(processed_at="2024-05-14T09:12:44"), "processed_at"),
        (lambda o: o.update(line_items=[]), "line_items"),
        (lambda o: o.update(total_tip_received="5.00"), "total_tip_received"),
    ],
)
def test_bad_fields_are_named(shopify, change, field):
    order = data("orders_create_us.json")
    change(order)
    with pytest.raises(ValidationError) as excinfo:
        shopify.parse_orders(json.dumps(order).encode())
    assert field_error(excinfo) == field


@pytest.mark.parametrize("body", [b"", b"not json", b'{"line_items": [', b"\xff\xfe", b"[]", b'{"order": 5}'])
def test_malformed_bodies_are_refused(shopify, body):
    with pytest.raises(ValidationError) as excinfo:
        shopify.parse_orders(body)
    assert field_error(excinfo) == "body"


@pytest.mark.parametrize("topic", ["orders/delete", "products/update", "app/uninstalled"])
def test_topics_that_carry_no_order_give_no_drafts(shopify, topic):
    body = b'{"id": 5820172140763}'
    assert shopify.parse_orders(body, webhook_headers(body, topic)) == []


# -- signatures -------------------------------------------------------------------------------------------------


def test_a_valid_signature_is_accepted_whatever_the_header_spelling(shopify):
    body = payload("orders_create_us.json")
    shopify.verify({"x-shopify-hmac-sha256": sign(body)}, body)
    shopify.verify({"HTTP_X_SHOPIFY_HMAC_SHA256": sign(body)}, body)  # a WSGI environ


def test_a_signature_made_with_another_secret_is_rejected(shopify):
    body = payload("orders_create_us.json")
    with pytest.raises(WebhookRejected, match="does not match"):
        shopify.verify(webhook_headers(body, secret="someone-elses-secret"), body)


def test_the_signature_covers_the_raw_body_not_its_json(shopify):
    body = payload("orders_create_us.json")
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    with pytest.raises(WebhookRejected):
        shopify.verify(webhook_headers(body), reserialised)


@pytest.mark.parametrize("value", [None, "", "not base64 at all", "ÄÖÜ"])
def test_a_missing_or_garbled_signature_is_rejected(shopify, value):
    body = payload("orders_create_us.json")
    headers = webhook_headers(body)
    if value is None:
        del headers["X-Shopify-Hmac-Sha256"]
    else:
        headers["X-Shopify-Hmac-Sha256"] = value
    with pytest.raises(WebhookRejected):
        shopify.verify(headers, body)


def test_without_a_secret_every_webhook_is_rejected():
    body = payload("orders_create_us.json")
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        ShopifyChannel().verify(webhook_headers(body, secret=""), body)


# -- cancellation -----------------------------------------------------------------------------------------------


def test_cancellation_reads_the_cancelled_order(shopify):
    assert shopify.cancellation(payload("orders_cancelled_us.json")) == ("5820172140763", "customer")
    assert shopify.cancellation(payload("orders_create_us.json")) is None
    assert shopify.cancellation(json.dumps({"order": data("orders_cancelled_us.json")}).encode()) == (
        "5820172140763",
        "customer",
    )


def test_a_cancelled_webhook_cancels_the_order_in_the_oms(make_oms):
    oms = make_oms(load_entry_points=False, driver_config={"oms.channels": {"shopify": {"secret": SECRET}}})
    oms.register_driver(CHANNELS, "shopify", ShopifyChannel)
    seed_catalogue(oms, {"TRS-42-BLU": {"WH": 5}, "SOCK-MER-M": {"WH": 10}})
    created = payload("orders_create_us.json")
    assert oms.import_orders("shopify", created, webhook_headers(created)).created == 1

    cancelled = payload("orders_cancelled_us.json")
    result = oms.import_orders("shopify", cancelled, webhook_headers(cancelled, "orders/cancelled"))
    assert (result.created, result.replayed, result.errors) == (0, 1, ())
    external_id, reason = oms.driver(CHANNELS, "shopify").cancellation(cancelled)
    order = oms.find_order("shopify", external_id)
    oms.cancel_order(order.id, reason)
    assert oms.get_order(order.id).status == OrderStatus.CANCELLED
    assert all(r.open_quantity == 0 for r in oms.reservations(order.id))


# -- the installed driver ---------------------------------------------------------------------------------------


def test_the_installed_entry_point_receives_a_webhook(make_oms):
    oms = make_oms(driver_config={"oms.channels": {"shopify": {"secret": SECRET}}})
    assert "shopify" in oms.driver_names(CHANNELS)
    seed_catalogue(oms, {"TRS-42-BLU": {"WH": 5}, "SOCK-MER-M": {"WH": 10}})
    body = payload("orders_create_us.json")
    result = oms.import_orders("shopify", body, webhook_headers(body))
    assert (result.created, result.errors) == (1, ())
    order = oms.find_order("shopify", "5820172140763")
    assert order.total.amount == D("176.46")
    assert order.attributes["name"] == "#1042"
    with pytest.raises(WebhookRejected):
        oms.import_orders("shopify", body, webhook_headers(body, secret="wrong"))


# -- stock ------------------------------------------------------------------------------------------------------


def test_export_stock_as_shopify_inventory_levels():
    channel = ShopifyChannel(
        secret=SECRET,
        location_map={"BER-1": 655441491, "BER-2": 655441491, "HAM": 48752903},
        inventory_item_map={"CUP-ESP-01": 808950810, "JUG-350": 39072856},
    )
    levels = [
        StockLevel("CUP-ESP-01", "BER-1", 10, 2),
        StockLevel("CUP-ESP-01", "BER-2", 5, 0),
        StockLevel("CUP-ESP-01", "HAM", 3, 3),
        StockLevel("JUG-350", "HAM", 7, 1),
        StockLevel("JUG-350", "MUC", 4, 0),  # no Shopify location for MUC
        StockLevel("KETTLE-PO-1", "HAM", 2, 0),  # no inventory item for this SKU
    ]
    assert channel.export_stock(levels) == [
        {"inventory_item_id": 808950810, "location_id": 655441491, "available": 13},
        {"inventory_item_id": 808950810, "location_id": 48752903, "available": 0},
        {"inventory_item_id": 39072856, "location_id": 48752903, "available": 6},
        {"sku": "JUG-350", "location": "MUC", "available": 4},
        {"sku": "KETTLE-PO-1", "location": "HAM", "available": 2},
    ]
