"""CRM: customers with addresses and contact data, their sale orders; payment notes; version differences."""

from __future__ import annotations

import datetime as dt

from odoo_support import Target, adapter_of

from oms_core import Address, Money
from oms_core.testing import address


def test_customer_with_addresses_and_order_history(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    email = f"ada{odoo.run.lower()}@example.com"
    billing = address(name="Ada Lovelace", line1="1 Billing Road", city="London", postcode="EC1A 1BB")
    shipping = address(name="Ada Lovelace", line1="12 St James's Square", line2="Flat 2", phone="+44 20 7946 0000")
    customer = odoo.draft("4001", [(hammer, 2, "17.90")]).customer
    customer = type(customer)(email=email, name="Ada Lovelace", phone="+44 20 7946 0001")
    first = oms.place_order(
        odoo.draft(
            "4001", [(hammer, 2, "17.90")], customer=customer, billing_address=billing, shipping_address=shipping
        )
    )
    second = oms.place_order(odoo.draft("4002", [(hammer, 1, "17.90")], customer=customer, shipping_address=shipping))
    oms.confirm_order(first.id)
    oms.confirm_order(second.id)

    found = adapter.customer(email)
    assert found is not None
    assert (found.name, found.email, found.phone) == ("Ada Lovelace", email, "+44 20 7946 0001")
    assert found.address is not None and found.address.line1 == "1 Billing Road"  # the contact's own address
    kinds = {kind: a for kind, a in found.addresses}
    assert set(kinds) == {"delivery"}  # the billing address is the contact's own: no separate invoice contact
    assert kinds["delivery"] == Address(
        name="Ada Lovelace", line1="12 St James's Square", line2="Flat 2", city="London", postcode="SW1Y 4JH",
        country="GB", phone="+44 20 7946 0000",
    )  # fmt: skip
    # one delivery contact for both orders, not one per order
    children = odoo.call("res.partner", "search_count", [("parent_id", "=", found.id), ("type", "=", "delivery")])
    assert children == 1
    assert {o.oms_order_id for o in found.orders} == {first.id, second.id}
    by_oms = {o.oms_order_id: o for o in found.orders}
    assert by_oms[first.id].state == "sale"
    assert by_oms[first.id].total == Money("35.80", odoo.currency)
    assert by_oms[first.id].ordered_at is not None and by_oms[first.id].ordered_at.tzinfo is dt.UTC
    assert by_oms[first.id].reference == adapter.reference(first)


def test_an_existing_partner_is_found_by_email_and_not_overwritten(odoo: Target, odoo_oms) -> None:
    email = f"Linus{odoo.run}@Example.com"
    partner = odoo.call("res.partner", "create", {"name": "Linus T. (from Odoo)", "email": email})
    oms = odoo_oms()
    adapter = adapter_of(oms)
    customer = odoo.draft("4003", [("X", 1, "1.00")]).customer
    customer = type(customer)(email=email.lower(), name="Linus", phone="+358 1 234")
    assert adapter.export_customer(customer) == str(partner)
    [row] = odoo.call("res.partner", "read", [partner], fields=["name", "phone"])
    assert row["name"] == "Linus T. (from Odoo)"  # Odoo's data stays
    assert row["phone"] == "+358 1 234"  # a blank is filled


def test_payment_notes_are_posted_once_per_event(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms(payment_notes=True)
    adapter = adapter_of(oms)
    adapter.sync(oms)
    order = oms.place_order(odoo.draft("4004", [(hammer, 2, "17.90")]))
    oms.confirm_order(order.id)
    oms.pay(order.id)
    sale_id = int(oms.binding(adapter.backend, "order", local_id=order.id).remote_id)
    notes = odoo.call("mail.message", "search_read", [("model", "=", "sale.order"), ("res_id", "=", sale_id)],
                      fields=["body"])  # fmt: skip
    paid = [n for n in notes if "OMS payment status: paid" in n["body"]]
    assert len(paid) == 1 and "captured 35.80" in paid[0]["body"]
    event = next(d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "payment_captured")
    # redelivery of the same event posts nothing new
    assert adapter.push_payment_state(oms.get_order(order.id), event.event_id) is False


def test_storable_products_and_done_quantities_follow_the_version(odoo: Target) -> None:
    adapter = odoo.adapter()
    version = adapter.connect()
    assert version.major == odoo.version.major
    if version.major >= 18:
        assert version.storable_domain() == [("type", "=", "consu"), ("is_storable", "=", True)]
        assert version.move_quantity_field == "quantity"
    elif version.major == 17:
        assert version.storable_domain() == [("detailed_type", "=", "product")]
        assert version.move_quantity_field == "quantity"
    else:
        assert version.storable_domain() == [("detailed_type", "=", "product")]
        assert version.move_quantity_field == "quantity_done"
        assert not version.has_locked_flag
