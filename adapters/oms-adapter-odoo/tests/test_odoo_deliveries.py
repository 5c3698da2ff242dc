"""Deliveries back (Odoo → OMS) and cancellations out (OMS → Odoo)."""

from __future__ import annotations

from odoo_support import Target, adapter_of

from oms_core import OMS


def confirmed(odoo: Target, oms: OMS, external_id: str, lines: list[tuple[str, int, str]]) -> tuple[int, str]:
    order = oms.place_order(odoo.draft(external_id, lines))
    oms.confirm_order(order.id)
    binding = oms.binding(adapter_of(oms).backend, "order", local_id=order.id)
    assert binding is not None, "the order_confirmed reaction did not export the order"
    return order.id, binding.remote_id


def test_a_done_delivery_ships_the_order_with_odoo_tracking_reference(odoo: Target, odoo_oms) -> None:
    hammer, saw = odoo.sku("HAMMER"), odoo.sku("SAW")
    odoo.seed_product(hammer, "Claw hammer", 40)
    odoo.seed_product(saw, "Hand saw", 12)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    order_id, sale_id = confirmed(odoo, oms, "2001", [(hammer, 2, "17.90"), (saw, 1, "24.50")])

    assert adapter.sync_deliveries(oms) == 0  # nothing delivered yet
    odoo.deliver(sale_id, tracking="1Z999AA10123456784")
    assert adapter.sync_deliveries(oms) == 1
    [shipment] = oms.shipments(order_id)
    assert shipment.tracking_number == "1Z999AA10123456784"
    assert shipment.carrier == "odoo"
    assert sorted((sl.sku, sl.quantity) for sl in shipment.lines) == sorted([(hammer, 2), (saw, 1)])
    assert str(oms.get_order(order_id).fulfillment_status) == "shipped"
    assert adapter.sync_deliveries(oms) == 0  # idempotent: the picking is bound
    assert len(oms.shipments(order_id)) == 1
    # a fully shipped order is closed on its binding: later syncs do not load it again
    assert oms.binding(adapter.backend, "order", local_id=order_id).data["closed"] is True
    # the stock the OMS takes over afterwards is Odoo's count after the delivery: no double deduction
    adapter.sync(oms)
    assert oms.stock(hammer, odoo.location)[0].on_hand == 38


def test_partial_delivery_then_backorder(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    order_id, sale_id = confirmed(odoo, oms, "2002", [(hammer, 5, "17.90")])

    odoo.deliver(sale_id, {hammer: 2}, tracking="TRACK-1")
    assert adapter.sync_deliveries(oms) == 1
    assert str(oms.get_order(order_id).fulfillment_status) == "partially_shipped"
    odoo.deliver(sale_id, tracking="TRACK-2")  # the backorder, for the rest
    assert adapter.sync_deliveries(oms) == 1
    shipments = oms.shipments(order_id)
    assert [(s.tracking_number, s.lines[0].quantity) for s in shipments] == [("TRACK-1", 2), ("TRACK-2", 3)]
    assert str(oms.get_order(order_id).fulfillment_status) == "shipped"


def test_what_the_oms_already_shipped_is_skipped(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    order_id, sale_id = confirmed(odoo, oms, "2003", [(hammer, 3, "17.90")])
    oms.ship(order_id, {hammer: 1})  # shipped by hand in the OMS

    odoo.deliver(sale_id)
    assert adapter.sync_deliveries(oms) == 1
    assert [sum(line.quantity for line in s.lines) for s in oms.shipments(order_id)] == [1, 2]
    assert oms.get_order(order_id).lines[0].quantity_shipped == 3


def test_cancelling_in_the_oms_cancels_the_sale_order(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter_of(oms).sync(oms)
    order_id, sale_id = confirmed(odoo, oms, "2004", [(hammer, 1, "17.90")])

    oms.cancel_order(order_id, "customer changed their mind")
    assert odoo.sale_order(sale_id)["state"] == "cancel"
    assert {d.status for d in oms.deliveries() if d.handler == "odoo"} == {"delivered"}


def test_a_locked_sale_order_is_not_cancelled_and_says_why(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter_of(oms).sync(oms)
    order_id, sale_id = confirmed(odoo, oms, "2005", [(hammer, 1, "17.90")])
    odoo.lock(sale_id)

    oms.cancel_order(order_id, "fraud")
    assert odoo.sale_order(sale_id)["state"] != "cancel"
    notes = odoo.call("mail.message", "search_read", [("model", "=", "sale.order"), ("res_id", "=", int(sale_id))],
                      fields=["body"])  # fmt: skip
    assert any("not cancelled" in n["body"] and "locked" in n["body"] for n in notes)
    assert {d.status for d in oms.deliveries() if d.handler == "odoo"} == {"delivered"}


def test_an_order_cancelled_before_reaching_odoo_needs_nothing(odoo: Target, odoo_oms) -> None:
    hammer = odoo.sku("HAMMER")
    odoo.seed_product(hammer, "Claw hammer", 40)
    oms = odoo_oms()
    adapter = adapter_of(oms)
    adapter.sync(oms)
    order = oms.place_order(odoo.draft("2006", [(hammer, 1, "17.90")]))
    oms.cancel_order(order.id, "duplicate")
    assert oms.binding(adapter.backend, "order", local_id=order.id) is None
    assert odoo.call("sale.order", "search_count", [("client_order_ref", "=", adapter.reference(order))]) == 0
