"""Faults: wrong credentials, Odoo down or slow, Odoo refusing, records deleted behind the OMS's back."""

from __future__ import annotations

import pytest
from odoo_support import Target, adapter_of
from odoo_testserver import Fault, OdooTestServer
from oms_adapter_odoo import BindingBroken, OdooAdapter, OdooUnavailable

from oms_core import ADAPTERS, ConfigurationError, Customer
from oms_core.testing import draft, seed_catalogue


def test_wrong_credentials_are_a_configuration_error(odoo: Target) -> None:
    adapter = odoo.adapter(password="not-the-password")
    with pytest.raises(ConfigurationError, match="refused the login"):
        adapter.connect()


def test_wrong_database_is_a_configuration_error(odoo: Target) -> None:
    with pytest.raises(ConfigurationError, match="no-such-db"):
        odoo.adapter(db="no-such-db").connect()


def test_half_a_configuration_names_what_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="lacks db, password"):
        OdooAdapter(url="http://127.0.0.1:1", user="admin")


def test_without_configuration_nothing_subscribes(make_oms) -> None:
    oms = make_oms()  # the odoo package is installed, but no odoo adapter is configured
    assert "odoo" not in dict(oms.plugins())
    seed_catalogue(oms, {"SKU-1": {"WH": 5}})
    order = oms.place_order(draft("1"))
    oms.confirm_order(order.id)
    oms.cancel_order(order.id, "test")
    assert oms.driver(ADAPTERS, "odoo").configured is False
    assert [d for d in oms.deliveries() if d.handler == "odoo"] == []
    assert oms.bindings("odoo:default") == []


def prepared(odoo: Target, odoo_oms, **options):
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms(retry_base_seconds=0, max_delivery_attempts=2, **options)
    adapter_of(oms).sync(oms)
    return oms, hammer


def test_odoo_down_the_reaction_is_retried_then_dead_and_the_oms_keeps_working(
    odoo: Target, odoo_server: OdooTestServer, odoo_oms
) -> None:
    oms, hammer = prepared(odoo, odoo_oms)
    order_draft = odoo.draft("3001", [(hammer, 1, "17.90")])
    odoo_server.stop()
    order = oms.place_order(order_draft)
    oms.confirm_order(order.id)  # committed whatever Odoo does
    assert str(oms.get_order(order.id).status) == "confirmed"
    [pending] = [d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "order_confirmed"]
    assert pending.status == "pending" and "did not answer" in pending.last_error
    oms.process_outbox()
    [dead] = [d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "order_confirmed"]
    assert dead.status == "dead" and "OdooUnavailable" in dead.last_error


def test_odoo_slow_times_out_and_a_retry_exports_once(odoo: Target, odoo_server: OdooTestServer, odoo_oms) -> None:
    oms, hammer = prepared(odoo, odoo_oms, timeout=0.3)
    order_draft = odoo.draft("3002", [(hammer, 1, "17.90")])
    odoo_server.delay = 1.0
    order = oms.place_order(order_draft)
    oms.confirm_order(order.id)
    oms.process_outbox()
    [dead] = [d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "order_confirmed"]
    assert dead.status == "dead" and "timeout 0.3 s" in dead.last_error

    odoo_server.delay = 0
    oms.retry_dead([dead.id])
    oms.process_outbox()
    [done] = [d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "order_confirmed"]
    assert done.status == "delivered"
    ref = adapter_of(oms).reference(order)
    assert len(odoo_server.records("sale.order", lambda r: r.get("client_order_ref") == ref)) == 1


def test_a_create_whose_answer_was_lost_is_found_not_repeated(
    odoo: Target, odoo_server: OdooTestServer, odoo_oms
) -> None:
    oms, hammer = prepared(odoo, odoo_oms, timeout=0.3)
    odoo_server.slow_answers[("sale.order", "create")] = 1.0  # Odoo creates it; the answer never arrives
    order = oms.place_order(odoo.draft("3006", [(hammer, 1, "17.90")]))
    oms.confirm_order(order.id)
    [failed] = [d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "order_confirmed"]
    assert failed.status == "pending"
    odoo_server.slow_answers.clear()
    oms.process_outbox()  # the retry finds the sale order by its client_order_ref, binds and confirms it
    ref = adapter_of(oms).reference(order)
    [sale] = odoo_server.records("sale.order", lambda r: r.get("client_order_ref") == ref)
    assert sale["state"] == "sale"
    assert oms.binding(adapter_of(oms).backend, "order", local_id=order.id).remote_id == str(sale["id"])


def test_odoo_refusing_is_dead_lettered_with_odoo_error(odoo: Target, odoo_server: OdooTestServer, odoo_oms) -> None:
    oms, hammer = prepared(odoo, odoo_oms)
    odoo_server.faults[("sale.order", "create")] = Fault("odoo.exceptions.ValidationError", "The company is closed")
    order = oms.place_order(odoo.draft("3003", [(hammer, 1, "17.90")]))
    oms.confirm_order(order.id)
    oms.process_outbox()
    [dead] = [d for d in oms.deliveries() if d.handler == "odoo" and d.event_name == "order_confirmed"]
    assert dead.status == "dead"
    assert "Odoo refused sale.order.create: odoo.exceptions.ValidationError: The company is closed" in dead.last_error


def test_password_changed_after_login_is_a_configuration_error(
    odoo: Target, odoo_server: OdooTestServer, odoo_oms
) -> None:
    oms, _ = prepared(odoo, odoo_oms)
    odoo_server.password = "rotated"
    with pytest.raises(ConfigurationError, match="AccessDenied"):
        adapter_of(oms).sync(oms)


def test_a_sale_order_deleted_in_odoo_is_named_never_duplicated(odoo: Target, odoo_oms) -> None:
    oms, hammer = prepared(odoo, odoo_oms)
    adapter = adapter_of(oms)
    order = oms.place_order(odoo.draft("3004", [(hammer, 1, "17.90")]))
    oms.confirm_order(order.id)
    sale_id = oms.binding(adapter.backend, "order", local_id=order.id).remote_id
    odoo.delete_sale_order(sale_id)

    with pytest.raises(BindingBroken) as caught:
        adapter.export_order(oms.get_order(order.id))
    message = str(caught.value)
    assert f"sale.order {sale_id}" in message
    assert f"oms.unbind({adapter.backend!r}, 'order', '{order.id}')" in message
    assert odoo.call("sale.order", "search_count", [("client_order_ref", "=", adapter.reference(order))]) == 0

    oms.unbind(adapter.backend, "order", order.id)  # the re-bind path
    new_id = adapter.export_order(oms.get_order(order.id))
    assert new_id != sale_id
    assert odoo.sale_order(new_id)["state"] == "sale"


def test_a_partner_deleted_in_odoo_is_named_never_duplicated(odoo: Target, odoo_oms) -> None:
    oms = odoo_oms()
    adapter = adapter_of(oms)
    customer = Customer(email=f"grace{odoo.run.lower()}@example.com", name="Grace Hopper", phone="+1 555 0100")
    partner_id = adapter.export_customer(customer)
    assert adapter.export_customer(customer) == partner_id
    odoo.call("res.partner", "unlink", [int(partner_id)])
    with pytest.raises(BindingBroken, match=r"oms.unbind\("):
        adapter.export_customer(customer)
    oms.unbind(adapter.backend, "customer", customer.email)
    assert adapter.export_customer(customer) != partner_id


def test_a_missing_product_is_a_clear_error(odoo: Target, odoo_oms) -> None:
    oms = odoo_oms()
    seed_catalogue(oms, {"NOT-IN-ODOO": {odoo.location: 5}})
    order = oms.place_order(odoo.draft("3005", [("NOT-IN-ODOO", 1, "5.00")]))
    with pytest.raises(Exception, match=r"no product\.product with internal reference NOT-IN-ODOO"):
        adapter_of(oms).export_order(order)


def test_unreachable_odoo_is_unavailable_not_configuration() -> None:
    adapter = OdooAdapter(url="http://127.0.0.1:9", db="odoo", user="admin", password="admin", timeout=1)
    with pytest.raises(OdooUnavailable, match="did not answer"):
        adapter.connect()
