"""Customers and orders go out to Tryton: mapped field by field, bound, never created twice; the OMS wins."""

from __future__ import annotations

from decimal import Decimal

import pytest
import tryton_support as erp
from oms_adapter_tryton import RemoteRecordMissing, TrytonAdapter, TrytonError
from tryton_support import BACKEND

from oms_core import OMS, Customer, LineDraft, Order, OrderStatus
from oms_core.testing import address, draft, seed_catalogue

GRACE = Customer(email="Grace@Example.com", name="Grace Hopper", phone="+1 202 555 0100", external_id="c-42")
BERLIN = address(name="Grace Hopper", line1="Unter den Linden 5", line2="3rd floor", city="Berlin",
                 postcode="10117", country="DE")  # fmt: skip
PARIS = address(name="Grace Hopper", line1="5 rue de Rivoli", city="Paris", postcode="75001", country="FR")


def confirmed(oms: OMS, external_id: str, lines: list, **overrides) -> Order:
    seed_catalogue(oms, {"CHAIR-1": {"WH": 10}, "DESK-1": {"WH": 4}})
    order = oms.place_order(draft(external_id, lines, customer=GRACE, shipping_address=BERLIN, **overrides))
    return oms.confirm_order(order.id)


def test_a_confirmed_order_becomes_a_confirmed_sale(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    order = confirmed(erp_oms, "1001", [("CHAIR-1", 2, "110.00"), LineDraft("DESK-1", 3, "10.00", discount="1.00")])

    [sale] = erp.sales(adapter.proteus)  # exported by the order_confirmed reaction
    assert (sale.reference, sale.description, sale.state) == (str(order.id), "web order 1001", "processing")
    assert (sale.currency.code, sale.warehouse.code, sale.company.id) == (
        "EUR",
        "WH",
        adapter.proteus.context["company"],
    )
    assert sorted((line.product.code, line.quantity, line.unit_price) for line in sale.lines) == [
        ("CHAIR-1", 2.0, Decimal("110.00")),
        ("DESK-1", 3.0, Decimal("9.6667")),  # the line's 1.00 discount is in the unit price
    ]
    assert all(isinstance(line.unit_price, Decimal) for line in sale.lines)
    shipment_address = sale.shipment_address
    assert (shipment_address.street, shipment_address.postal_code, shipment_address.city) == (
        "Unter den Linden 5\n3rd floor",
        "10117",
        "Berlin",
    )
    assert shipment_address.country.code == "DE"
    assert sale.invoice_address.id == shipment_address.id  # no billing address: the shipping one
    assert len(sale.shipments) == 1  # Tryton processed the sale: a customer shipment waits for the warehouse

    party = sale.party
    assert party.name == "Grace Hopper"
    assert sorted((m.type, m.value) for m in party.contact_mechanisms) == [
        ("email", "Grace@Example.com"),
        ("phone", "+1 202 555 0100"),
    ]
    order_binding = erp_oms.binding(BACKEND, "order", local_id=order.id)
    assert order_binding is not None and order_binding.remote_id == str(sale.id)
    assert order_binding.data == {"reference": str(order.id), "number": sale.number, "state": "processing"}
    customer_binding = erp_oms.binding(BACKEND, "customer", local_id="email:grace@example.com")
    assert customer_binding is not None and customer_binding.remote_id == str(party.id)


def test_exporting_again_creates_nothing(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    order = confirmed(erp_oms, "1002", [("CHAIR-1", 1, "110.00")])
    first = erp_oms.binding(BACKEND, "order", local_id=order.id).remote_id
    assert adapter.export_order(erp_oms.get_order(order.id)) == first
    assert (
        adapter.export_customer(GRACE)
        == erp_oms.binding(BACKEND, "customer", local_id="email:grace@example.com").remote_id
    )
    assert len(erp.sales(adapter.proteus)) == 1
    assert len(erp.model(adapter.proteus, "party.party").find([("name", "=", "Grace Hopper")])) == 1


def test_a_crash_between_creating_and_binding_does_not_duplicate(make_erp_oms, monkeypatch: pytest.MonkeyPatch) -> None:
    oms = make_erp_oms(settings={"inline_dispatch": False})
    adapter = oms.driver("oms.adapters", "tryton").attach(oms)
    order = confirmed(oms, "1003", [("CHAIR-1", 1, "110.00")])
    real_bind = oms.bind

    def crash(backend, entity, local_id, remote_id, data=None):
        if entity == "order":
            raise OSError("the process died right after Tryton created the sale")
        return real_bind(backend, entity, local_id, remote_id, data)

    monkeypatch.setattr(oms, "bind", crash)
    with pytest.raises(OSError):
        adapter.export_order(order)
    monkeypatch.setattr(oms, "bind", real_bind)
    [draft_sale] = erp.sales(adapter.proteus)
    assert (draft_sale.state, draft_sale.reference) == ("draft", str(order.id))

    sale_id = adapter.export_order(order)  # the redelivery finds the sale by its reference
    [sale] = erp.sales(adapter.proteus)
    assert (sale_id, sale.state) == (str(draft_sale.id), "processing")
    assert oms.binding(BACKEND, "order", local_id=order.id).remote_id == sale_id


def test_a_sale_deleted_in_tryton_is_reported_with_the_rebind_path(make_erp_oms) -> None:
    oms = make_erp_oms(confirm_sales=False)
    adapter = oms.driver("oms.adapters", "tryton").attach(oms)
    order = confirmed(oms, "1004", [("CHAIR-1", 1, "110.00")])
    [sale] = erp.sales(adapter.proteus)
    assert sale.state == "quotation"  # confirm_sales=False: a person in Tryton confirms
    sale.click("draft")
    sale.delete()

    with pytest.raises(RemoteRecordMissing) as caught:
        adapter.export_order(order)
    message = str(caught.value)
    assert f"sale {sale.id}" in message and f"order {order.id}" in message
    assert f"oms.unbind('{BACKEND}', 'order', '{order.id}')" in message
    assert erp.sales(adapter.proteus) == [], "nothing is created in place of the deleted sale"

    assert oms.unbind(BACKEND, "order", order.id)  # the re-bind path
    new_id = adapter.export_order(order)
    [again] = erp.sales(adapter.proteus)
    assert str(again.id) == new_id != str(sale.id)


def test_a_draft_sale_gets_the_oms_lines_back(make_erp_oms) -> None:
    """The OMS wins for orders: a sale put back to draft and edited in Tryton is re-exported as the OMS has it."""
    oms = make_erp_oms(confirm_sales=False)
    adapter = oms.driver("oms.adapters", "tryton").attach(oms)
    order = confirmed(oms, "1005", [("CHAIR-1", 2, "110.00")])
    [sale] = erp.sales(adapter.proteus)
    sale.click("draft")
    sale.lines[0].quantity = 5.0
    sale.save()

    adapter.export_order(order)
    sale.reload()
    assert sale.state == "quotation"
    assert [(line.product.code, line.quantity) for line in sale.lines] == [("CHAIR-1", 2.0)]


def test_unknown_skus_and_currencies_create_nothing(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    erp_oms.add_product("NOT-IN-TRYTON", "A product only the OMS has")
    order = confirmed(erp_oms, "1006", [("NOT-IN-TRYTON", 1, "5.00")])
    [delivery] = erp_oms.deliveries()
    assert delivery.status == "pending" and "NOT-IN-TRYTON" in delivery.last_error
    with pytest.raises(TrytonError, match="NOT-IN-TRYTON"):
        adapter.export_order(order)
    usd = confirmed(erp_oms, "1007", [("CHAIR-1", 1, "110.00")], currency="JPY")
    with pytest.raises(TrytonError, match="JPY"):
        adapter.export_order(usd)
    assert erp.sales(adapter.proteus) == []
    assert erp.model(adapter.proteus, "party.party").find([("name", "=", "Grace Hopper")]) == []


def test_the_crm_sees_the_customer_and_the_order_history(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    first = confirmed(erp_oms, "2001", [("CHAIR-1", 1, "110.00")])
    second = erp_oms.confirm_order(
        erp_oms.place_order(
            draft("2002", [("DESK-1", 1, "499.00")], customer=GRACE, shipping_address=PARIS, billing_address=BERLIN)
        ).id
    )
    record = adapter.customer_record(GRACE)
    assert record is not None
    assert (record.name, record.emails, record.phones) == ("Grace Hopper", ("Grace@Example.com",), ("+1 202 555 0100",))
    assert [(a["city"], a["country"]) for a in record.addresses] == [("Berlin", "DE"), ("Paris", "FR")]
    assert [(s.reference, s.state, s.total, s.currency) for s in record.sales] == [
        (str(second.id), "processing", Decimal("499.00"), "EUR"),
        (str(first.id), "processing", Decimal("110.00"), "EUR"),
    ]
    [sale] = erp.sales(adapter.proteus, ("reference", "=", str(second.id)))
    assert (sale.shipment_address.city, sale.invoice_address.city) == ("Paris", "Berlin")
    assert adapter.customer_record(Customer(email="nobody@example.com")) is None


def test_a_cancelled_order_that_never_reached_tryton_is_not_exported(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    seed_catalogue(erp_oms, {"CHAIR-1": {"WH": 10}})
    order = erp_oms.place_order(draft("3001", [("CHAIR-1", 1, "110.00")]))
    cancelled = erp_oms.cancel_order(order.id, "customer changed their mind")
    assert cancelled.status == OrderStatus.CANCELLED
    with pytest.raises(TrytonError, match="cancelled"):
        adapter.export_order(cancelled)
    assert erp.sales(adapter.proteus) == []
