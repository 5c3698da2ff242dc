"""WooCommerce REST API v3 order JSON to order drafts, to the cent, on payloads shaped like the documented ones."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from oms_channel_woocommerce import WooCommerceChannel, split_line
from woocommerce_support import SECRET, data, payload, sign, webhook_headers

from oms_core import CHANNELS, Money, StockLevel, ValidationError, ValidationErrors, WebhookRejected
from oms_core.testing import seed_catalogue

D = Decimal


def lines(draft):
    return [(x.sku, x.quantity, x.unit_price, x.discount, x.tax) for x in draft.lines]


def totals(draft):
    t = draft.totals()
    return t.subtotal.amount, t.discount_total.amount, t.shipping_total.amount, t.tax_total.amount, t.total.amount


def parse(channel, order) -> list:
    return channel.parse_orders(json.dumps(order).encode())


# -- the documented example -------------------------------------------------------------------------------------


def test_the_documented_example_has_a_line_without_sku(woo):
    """The REST API's "Retrieve an order" example (order 727): its first line, "Woo Single #1", has ``"sku": ""``.
    The OMS reserves stock by SKU, so that order is refused, naming the line."""
    with pytest.raises(ValidationError) as excinfo:
        woo.parse_orders(payload("order_727_documented.json"))
    assert excinfo.value.field == "line_items[0].sku"


def test_the_documented_example_with_its_sku_maps_to_the_cent(woo):
    order = data("order_727_documented.json")
    order["line_items"][0]["sku"] = "woo-single-1"
    [draft] = parse(woo, order)
    assert (draft.channel, draft.external_id, draft.currency, draft.taxes_included) == (
        "woocommerce", "727", "USD", False
    )  # fmt: skip
    assert lines(draft) == [("woo-single-1", 2, D("3.00"), D(0), D("0.45")), ("Bar3", 1, D("12.00"), D(0), D("0.90"))]
    assert (draft.shipping, draft.shipping_tax) == (D("10.00"), D("0.00"))
    assert totals(draft) == (D("18.00"), D("0.00"), D("10.00"), D("1.35"), D("29.35"))
    assert draft.expected_total == D("29.35")
    assert draft.problems() == []
    assert draft.placed_at == dt.datetime(2017, 3, 22, 19, 28, 2, tzinfo=dt.UTC)  # date_created_gmt
    assert draft.lines[1].name == "Ship Your Idea \u2013 Color: Black, Size: M Test"  # "&ndash;" unescaped
    ship = draft.shipping_address
    assert (ship.name, ship.line1, ship.city, ship.region, ship.postcode, ship.country) == (
        "John Doe", "969 Market", "San Francisco", "CA", "94103", "US"
    )  # fmt: skip
    assert (draft.customer.email, draft.customer.name, draft.customer.external_id) == (
        "john.doe@example.com", "John Doe", None
    )  # fmt: skip
    assert draft.attributes == {"number": "727", "status": "processing", "payment_method": "bacs",
                                "created_via": "rest-api"}  # fmt: skip


# -- mapping ----------------------------------------------------------------------------------------------------


def test_us_coupon_spread_over_the_lines_and_two_shipping_packages(woo):
    body = payload("order_us_coupon_two_packages.json")
    [draft] = woo.parse_orders(body, webhook_headers(body))
    # gross = subtotal, discount = subtotal - total, tax = total_tax (tax charged on top)
    assert lines(draft) == [
        ("woo-hoodie-with-logo", 2, D("45.00"), D("9.38"), D("7.05")),
        ("woo-beanie", 3, D("18.00"), D("5.62"), D("4.23")),
    ]
    assert (draft.shipping, draft.shipping_tax) == (D("15.00"), D("1.32"))
    assert totals(draft) == (D("144.00"), D("15.00"), D("15.00"), D("12.60"), D("156.60"))
    assert draft.expected_total == D("156.60")
    assert draft.problems() == []
    assert draft.customer.external_id == "58"
    assert draft.attributes["topic"] == "order.created"
    assert draft.attributes["delivery_id"] == "5f1d5e9c0b7a2e4f8c3d6a1b9e0f2c4d"


def test_prices_including_vat_are_kept_as_the_customer_saw_them(woo):
    """WooCommerce reports line amounts without tax even when the shop's prices include it. The OMS line gets the
    price with VAT (subtotal + subtotal_tax per unit), so that 2 x 12.90 stays 2 x 12.90."""
    de, virtual = woo.parse_orders(payload("orders_list_de_prices_include_tax.json"))
    assert (de.currency, de.taxes_included, de.external_id) == ("EUR", True, "5120")
    assert lines(de) == [
        ("BECHER-SG-400", 2, D("12.90"), D("2.58"), D("3.71")),
        ("FILTER-4-100", 3, D("4.99"), D("1.50"), D("2.15")),
    ]
    assert (de.shipping, de.shipping_tax) == (D("4.90"), D("0.78"))  # 4.12 + 0.78 VAT
    assert totals(de) == (D("40.77"), D("4.08"), D("4.90"), D("6.64"), D("41.59"))
    assert de.expected_total == D("41.59")
    assert de.problems() == []
    assert de.notes == "Bitte beim Nachbarn abgeben."
    assert de.shipping_address.line2 == "3. OG"
    assert de.placed_at == dt.datetime(2024, 10, 7, 7, 15, 22, tzinfo=dt.UTC)

    # a voucher: no shipping address, the billing address is used
    assert virtual.shipping_address == virtual.billing_address
    assert (virtual.shipping_address.company, virtual.customer.name) == ("Krämer & Söhne KG", "Tobias Krämer")
    assert lines(virtual) == [("KURS-BARISTA-GS", 2, D("11.99"), D("0.00"), D("3.83"))]
    assert totals(virtual)[-1] == D("23.98")
    assert virtual.problems() == []


def test_a_list_error_names_the_order_in_the_list(woo):
    orders = data("orders_list_de_prices_include_tax.json")
    orders[1]["line_items"][0]["quantity"] = 2.0
    with pytest.raises(ValidationError) as excinfo:
        parse(woo, orders)
    assert excinfo.value.field == "[1].line_items[0].quantity"


# -- unit prices that do not divide -----------------------------------------------------------------------------


def test_a_subtotal_that_does_not_divide_by_the_quantity(woo):
    """3 for 10.00: the unit price is 3.3334 (rounded up to 4 decimals), 3 x 3.3334 rounds to 10.00 again."""
    order = data("order_us_coupon_two_packages.json")
    order["line_items"][1].update(subtotal="10.00", total="10.00", subtotal_tax="0.88", total_tax="0.88")
    order["total"] = "114.87"  # 80.62 + 10.00 + 7.05 + 0.88 + 15.00 + 1.32
    [draft] = parse(woo, order)
    assert lines(draft)[1] == ("woo-beanie", 3, D("3.3334"), D("0.00"), D("0.88"))
    assert totals(draft)[-1] == D("114.87")
    assert draft.problems() == []


def test_from_a_hundred_units_the_rounding_cent_goes_into_the_discount(woo):
    """150 for 100.00, 90.00 after the coupon: 150 x 0.6667 = 100.005 rounds to 100.01, so the discount is
    10.01 and the line still comes to exactly 90.00."""
    order = data("order_us_coupon_two_packages.json")
    order["line_items"] = [order["line_items"][0] | {"quantity": 150, "subtotal": "100.00", "total": "90.00",
                                                     "subtotal_tax": "8.75", "total_tax": "7.88"}]  # fmt: skip
    order["total"] = "114.20"  # 90.00 + 7.88 + 15.00 + 1.32
    [draft] = parse(woo, order)
    assert lines(draft) == [("woo-hoodie-with-logo", 150, D("0.6667"), D("10.01"), D("7.88"))]
    assert totals(draft) == (D("100.01"), D("10.01"), D("15.00"), D("9.20"), D("114.20"))
    assert draft.problems() == []


@pytest.mark.parametrize(
    ("gross", "net", "quantity", "currency"),
    [("6.00", "6.00", 2, "USD"), ("10.00", "0.00", 3, "EUR"), ("100.00", "99.99", 7, "EUR"),
     ("1000.00", "875.50", 999, "GBP"), ("1000", "900", 7, "JPY"), ("12.345", "12.000", 11, "KWD")],
)  # fmt: skip
def test_split_line_keeps_the_net_amount_exact(gross, net, quantity, currency):
    unit, discount = split_line(D(gross), D(net), quantity, currency)
    assert unit.as_tuple().exponent >= -4
    assert unit * quantity >= D(gross)
    assert discount >= D(gross) - D(net)
    charged = Money(unit * quantity, currency).rounded().amount
    assert charged - discount == D(net)


# -- amounts that do not add up ---------------------------------------------------------------------------------


def test_a_line_total_that_does_not_add_up_is_caught(woo):
    order = data("order_us_coupon_two_packages.json")
    order["line_items"][1]["total"] = "49.38"  # one dollar more than the order's total accounts for
    [draft] = parse(woo, order)
    [problem] = draft.problems()
    assert problem.field == "expected_total"
    assert "156.60" in problem.reason and "157.60" in problem.reason


def test_a_line_total_that_does_not_add_up_is_refused_through_the_oms(make_oms):
    order = data("order_us_coupon_two_packages.json")
    order["line_items"][0]["total_tax"] = "7.15"
    body = json.dumps(order).encode()
    oms = make_oms(load_entry_points=False)
    oms.register_driver(CHANNELS, "woocommerce", lambda **_: WooCommerceChannel(secret=SECRET))
    seed_catalogue(oms, {"woo-hoodie-with-logo": {"WH": 5}, "woo-beanie": {"WH": 10}})
    result = oms.import_orders("woocommerce", body, webhook_headers(body))
    [(_, external_id, error)] = result.errors
    assert external_id == "4812"
    assert isinstance(error, ValidationErrors)
    assert [e.field for e in error.errors] == ["expected_total"]


def test_fees_are_refused_by_name(woo):
    order = data("order_us_coupon_two_packages.json")
    order["fee_lines"] = [
        {
            "id": 1940,
            "name": "Cash on delivery fee",
            "tax_class": "",
            "tax_status": "taxable",
            "amount": "2.50",
            "total": "2.50",
            "total_tax": "0.22",
            "taxes": [],
            "meta_data": [],
        }
    ]
    with pytest.raises(ValidationError) as excinfo:
        parse(woo, order)
    assert excinfo.value.field == "fee_lines[0].total"
    order["fee_lines"][0].update(total="0.00", total_tax="0.00")
    assert parse(woo, order)[0].problems() == []


# -- refused input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.update(currency="US$"), "currency"),
        (lambda o: o.update(id=""), "id"),
        (lambda o: o["line_items"][1].update(sku=None), "line_items[1].sku"),
        (lambda o: o["line_items"][0].update(subtotal=90.0), None),  # a number is read exactly: accepted
        (lambda o: o["line_items"][0].update(subtotal="ninety"), "line_items[0].subtotal"),
        (lambda o: o["line_items"][0].update(total="95.00"), "line_items[0].total"),
        (lambda o: o["line_items"][0].update(quantity=-2), "line_items[0].quantity"),
        (lambda o: o["shipping_lines"][1].update(total_tax="-0.44"), "shipping_lines[1].total_tax"),
        (lambda o: o.update(prices_include_tax=1), "prices_include_tax"),
        (lambda o: o.update(date_created_gmt="yesterday"), "date_created_gmt"),
        (lambda o: o.update(total=None), None),  # no total: nothing to compare with
    ],
)
def test_bad_fields_are_named(woo, change, field):
    order = data("order_us_coupon_two_packages.json")
    change(order)
    if field is None:
        [draft] = parse(woo, order)
        assert draft.problems() == []
        return
    with pytest.raises(ValidationError) as excinfo:
        parse(woo, order)
    assert excinfo.value.field == field


@pytest.mark.parametrize("body", [b"", b"<html>Bad gateway</html>", b'{"id": 1', b'"order"', b'{"id": 4812}'])
def test_malformed_bodies_are_refused(woo, body):
    with pytest.raises(ValidationError) as excinfo:
        woo.parse_orders(body)
    assert excinfo.value.field == "body"


# -- webhooks ---------------------------------------------------------------------------------------------------


def test_the_ping_sent_when_a_webhook_is_saved_is_accepted_and_gives_nothing(woo, make_oms):
    ping = b"webhook_id=17"
    woo.verify({"User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.6.2)"}, ping)  # unsigned, as sent
    assert woo.parse_orders(ping, {}) == []
    oms = make_oms(load_entry_points=False, driver_config={"oms.channels": {"woocommerce": {"secret": SECRET}}})
    oms.register_driver(CHANNELS, "woocommerce", WooCommerceChannel)
    result = oms.import_orders("woocommerce", ping, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (result.created, result.replayed, result.errors) == (0, 0, ())


@pytest.mark.parametrize("topic", ["order.deleted", "product.updated", "customer.created", "action.woocommerce_x"])
def test_topics_that_carry_no_order_give_no_drafts(woo, topic):
    body = b'{"id": 4812}'
    assert woo.parse_orders(body, webhook_headers(body, topic)) == []


def test_order_updated_and_restored_are_orders(woo):
    body = payload("order_us_coupon_two_packages.json")
    for topic in ("order.updated", "order.restored"):
        [draft] = woo.parse_orders(body, webhook_headers(body, topic))
        assert draft.attributes["topic"] == topic


def test_signatures(woo):
    body = payload("order_us_coupon_two_packages.json")
    woo.verify(webhook_headers(body), body)
    woo.verify({"x-wc-webhook-signature": sign(body)}, body)
    woo.verify({"HTTP_X_WC_WEBHOOK_SIGNATURE": sign(body)}, body)
    with pytest.raises(WebhookRejected, match="does not match"):
        woo.verify(webhook_headers(body, secret="another-webhook-secret"), body)
    with pytest.raises(WebhookRejected, match="does not match"):
        woo.verify(webhook_headers(body), json.dumps(json.loads(body)).encode())
    with pytest.raises(WebhookRejected, match="missing"):
        woo.verify({"X-WC-Webhook-Topic": "order.created"}, body)
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        WooCommerceChannel().verify(webhook_headers(body), body)


def test_the_installed_entry_point_receives_a_webhook(make_oms):
    oms = make_oms(driver_config={"oms.channels": {"woocommerce": {"secret": SECRET}}})
    assert "woocommerce" in oms.driver_names(CHANNELS)
    seed_catalogue(oms, {"woo-hoodie-with-logo": {"WH": 5}, "woo-beanie": {"WH": 10}})
    body = payload("order_us_coupon_two_packages.json")
    result = oms.import_orders("woocommerce", body, webhook_headers(body))
    assert (result.created, result.errors) == (1, ())
    order = oms.find_order("woocommerce", "4812")
    assert order.total.amount == D("156.60")
    again = oms.import_orders("woocommerce", body, webhook_headers(body, "order.updated"))
    assert (again.created, again.replayed) == (0, 1)


# -- stock ------------------------------------------------------------------------------------------------------


def test_export_stock_sums_the_locations_per_sku(woo):
    levels = [
        StockLevel("woo-beanie", "WH-EAST", 12, 2),
        StockLevel("woo-hoodie-with-logo", "WH-EAST", 4, 4),
        StockLevel("woo-beanie", "WH-WEST", 6, 1),
        StockLevel("woo-album", "WH-WEST", 0, 0),
    ]
    assert woo.export_stock(levels) == [
        {"sku": "woo-album", "stock_quantity": 0},
        {"sku": "woo-beanie", "stock_quantity": 15},
        {"sku": "woo-hoodie-with-logo", "stock_quantity": 0},
    ]
