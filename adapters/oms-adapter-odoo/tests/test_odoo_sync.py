"""Products and stock in, orders out: the first slice, on every Odoo target and both OMS backends."""

from __future__ import annotations

from decimal import Decimal

import pytest
from odoo_support import Target, adapter_of
from oms_adapter_odoo import OdooError

from oms_core import Customer, LineDraft


def test_sync_imports_storable_products_and_counts_stock(odoo: Target, odoo_oms) -> None:
    hammer, saw, glue = odoo.sku("HAMMER"), odoo.sku("SAW"), odoo.sku("GLUE")
    odoo.seed_product(hammer, "Claw hammer 500 g", 40, weight=0.65)
    odoo.seed_product(saw, "Hand saw", 12.0)
    odoo.call("product.product", "create", {"name": "Glue (consumable)", "default_code": glue, "type": "consu"})
    oms = odoo_oms()
    report = adapter_of(oms).sync(oms)

    products = {p.sku: p for p in oms.products()}
    assert products[hammer].name == "Claw hammer 500 g"
    assert products[hammer].weight_grams == 650
    assert glue not in products  # not storable: the OMS does not keep its stock
    stock = {(s.sku, s.location): s.on_hand for s in oms.stock()}
    assert stock[(hammer, odoo.location)] == 40
    assert stock[(saw, odoo.location)] == 12
    assert report.products_created >= 2 and report.stock_adjusted >= 2
    assert [e.note for e in oms.ledger(hammer)] == ["erp sync"]


def test_sync_twice_changes_nothing_and_follows_new_counts(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    product = odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    again = adapter.sync(oms)
    assert (again.products_created, again.products_updated) == (0, 0)
    assert len(oms.ledger(hammer)) == 1

    odoo.set_stock(product, 35)
    adapter.sync(oms)
    assert oms.stock(hammer, odoo.location)[0].on_hand == 35
    assert [e.delta for e in oms.ledger(hammer)] == [40, -5]


def test_confirmed_order_becomes_a_confirmed_sale_order_once(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)

    order = oms.place_order(odoo.draft("1001", [(hammer, 2, "17.90")]))
    oms.confirm_order(order.id)  # the reaction exports it

    binding = oms.binding(adapter.backend, "order", local_id=order.id)
    assert binding is not None
    sale = odoo.sale_order(binding.remote_id, ["state", "client_order_ref", "amount_total", "order_line", "partner_id"])
    assert sale["state"] == "sale"
    assert sale["client_order_ref"] == adapter.reference(order)
    lines = odoo.call("sale.order.line", "read", sale["order_line"], fields=["product_uom_qty", "price_unit"])
    assert [(Decimal(str(x["product_uom_qty"])), Decimal(str(x["price_unit"]))) for x in lines] == [
        (Decimal(2), Decimal("17.9"))
    ]
    # again, and through the reaction's retry path: the same sale order, never a second one
    assert adapter.export_order(oms.get_order(order.id)) == binding.remote_id
    found = odoo.call("sale.order", "search", [("client_order_ref", "=", adapter.reference(order))])
    assert found == [int(binding.remote_id)]
    partner = oms.binding(adapter.backend, "customer", local_id="ada@example.com")
    assert partner is not None and int(partner.remote_id) == sale["partner_id"][0]


def test_crash_between_create_and_bind_finds_the_sale_order(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    order = oms.place_order(odoo.draft("1002", [LineDraft(hammer, 1, "17.90")]))
    oms.confirm_order(order.id)
    first = oms.binding(adapter.backend, "order", local_id=order.id)
    oms.unbind(adapter.backend, "order", order.id)  # as if the process died before binding

    assert adapter.export_order(oms.get_order(order.id)) == first.remote_id
    assert odoo.call("sale.order", "search_count", [("client_order_ref", "=", adapter.reference(order))]) == 1


def test_locations_map_children_to_their_parent_and_fractions_are_reported(odoo: Target, odoo_oms) -> None:
    if odoo.real:
        pytest.skip("uses the test server's second warehouse and shelf")
    hammer = odoo.sku("HAMMER")
    product = odoo.seed_product(hammer, "Claw hammer", 10)
    odoo.set_stock(product, 5, location=9)  # WH/Stock/Shelf 1, below WH/Stock
    odoo.set_stock(product, 2.5, location=18)  # WH2/Stock
    oms = odoo_oms(locations={"WH/Stock": "MAIN", 18: "BERLIN"})
    report = adapter_of(oms).sync(oms)
    stock = {(s.sku, s.location): s.on_hand for s in oms.stock()}
    assert stock == {(hammer, "MAIN"): 15, (hammer, "BERLIN"): 2}
    assert any("2.5" in p and "BERLIN" in p for p in report.problems)
    assert {loc.code for loc in oms.locations()} >= {"MAIN", "BERLIN"}


def test_order_lines_discounts_shipping_and_underscored_emails(odoo: Target, odoo_oms) -> None:
    hammer, ship = odoo.sku("HAMMER"), odoo.sku("SHIP")
    odoo.seed_product(hammer, "Claw hammer", 40)
    odoo.call("product.product", "create", {"name": "Shipping", "default_code": ship, "type": "service"})
    oms = odoo_oms(shipping_product=ship)
    adapter = adapter_of(oms)
    adapter.sync(oms)
    lookalike = f"ada.x{odoo.run.lower()}@example.com"
    odoo.call("res.partner", "create", {"name": "Someone else", "email": lookalike})
    email = f"ada_x{odoo.run.lower()}@example.com"  # "_" must not match the "." of the other address
    order = oms.place_order(
        odoo.draft(
            "1003",
            [LineDraft(hammer, 2, "20.00", discount="4.00"), LineDraft(hammer, 1, "20.00")],
            customer=Customer(email=email, name="Ada X"),
            shipping=Decimal("4.90"),
        )
    )
    oms.confirm_order(order.id)
    sale_id = oms.binding(adapter.backend, "order", local_id=order.id).remote_id
    sale = odoo.sale_order(sale_id, ["order_line", "partner_id"])
    lines = odoo.call(
        "sale.order.line", "read", sale["order_line"], fields=["product_uom_qty", "price_unit", "discount"]
    )
    assert [(x["product_uom_qty"], x["price_unit"], x["discount"]) for x in lines] == [
        (2, 20.0, 10.0),
        (1, 20.0, 0.0),
        (1, 4.9, 0.0),
    ]
    [partner] = odoo.call("res.partner", "read", [sale["partner_id"][0]], fields=["email"])
    assert partner["email"] == email

    odoo.deliver(sale_id, tracking="T-1")
    assert adapter.sync_deliveries(oms) == 1  # one SKU on two lines: both lines shipped
    assert [line.quantity_shipped for line in oms.get_order(order.id).lines] == [2, 1]


def test_an_order_in_a_currency_odoo_cannot_price_is_refused(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    currency = "JPY" if odoo.currency != "JPY" else "CHF"
    order = oms.place_order(odoo.draft("1004", [(hammer, 1, "1790")], currency=currency))
    with pytest.raises(OdooError, match=f"no pricelist in {currency}"):
        adapter.export_order(oms.confirm_order(order.id))
    assert odoo.call("sale.order", "search_count", [("client_order_ref", "=", adapter.reference(order))]) == 0
