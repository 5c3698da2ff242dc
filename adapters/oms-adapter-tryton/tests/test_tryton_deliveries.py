"""Deliveries come back from Tryton: a done customer shipment ships the OMS order, once."""

from __future__ import annotations

from collections.abc import Callable

import tryton_support as erp
from oms_adapter_tryton import SyncReport, TrytonAdapter
from tryton_support import BACKEND

from oms_core import OMS, FulfillmentStatus
from oms_core.testing import draft


def test_a_done_tryton_shipment_ships_the_oms_order(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    assert adapter.sync(erp_oms).ok  # products and stock from Tryton: 10 chairs, 4 desks at WH
    order = erp_oms.confirm_order(erp_oms.place_order(draft("6001", [("CHAIR-1", 2, "110.00")])).id)
    [sale] = erp.sales(adapter.proteus)
    assert adapter.sync_deliveries(erp_oms) == 0, "nothing is delivered yet"

    [shipment_id] = erp.deliver(adapter.proteus, sale.id)
    assert adapter.sync_deliveries(erp_oms) == 1
    order = erp_oms.get_order(order.id)
    assert order.fulfillment_status == FulfillmentStatus.SHIPPED
    [shipment] = erp_oms.shipments(order.id)
    assert (shipment.location, [(sl.sku, sl.quantity) for sl in shipment.lines]) == ("WH", [("CHAIR-1", 2)])
    assert erp_oms.binding(BACKEND, "order", local_id=order.id).data["shipments"] == {str(shipment_id): shipment.id}
    assert adapter.sync_deliveries(erp_oms) == 0, "a delivery ships once"

    # both sides now agree on the stock: the next sync has nothing to correct
    assert {s.sku: (s.on_hand, s.reserved) for s in erp_oms.stock(location="WH")}["CHAIR-1"] == (8, 0)
    assert adapter.sync(erp_oms) == SyncReport()


def test_what_the_oms_shipped_itself_is_not_shipped_again(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    adapter.sync(erp_oms)
    order = erp_oms.confirm_order(
        erp_oms.place_order(draft("6002", [("CHAIR-1", 1, "110.00"), ("DESK-1", 1, "499.00")])).id
    )
    erp_oms.ship(order.id, {"CHAIR-1": 1})  # the OMS shipped the chair by itself
    [sale] = erp.sales(adapter.proteus)
    erp.deliver(adapter.proteus, sale.id)  # Tryton delivers chair and desk

    assert adapter.sync_deliveries(erp_oms) == 1
    shipped = [[(sl.sku, sl.quantity) for sl in s.lines] for s in erp_oms.shipments(order.id)]
    assert shipped == [[("CHAIR-1", 1)], [("DESK-1", 1)]]
    assert erp_oms.get_order(order.id).fulfillment_status == FulfillmentStatus.SHIPPED


def test_sync_sends_what_the_reactions_did_not_and_nothing_twice(make_erp_oms: Callable[..., OMS]) -> None:
    """Confirmed orders without a binding go out with the sync; the reactions delivered later find them bound."""
    oms = make_erp_oms(settings={"inline_dispatch": False})  # as if no worker had run yet
    adapter = oms.driver("oms.adapters", "tryton")
    assert adapter.sync(oms).products_created == 4
    order = oms.confirm_order(oms.place_order(draft("6003", [("DESK-1", 1, "499.00")])).id)
    assert oms.bindings(BACKEND, "order") == []

    report = adapter.sync(oms)
    assert (report.orders_exported, report.errors) == (1, ())
    oms.process_outbox()  # the order_confirmed reaction, late: finds the binding, creates nothing
    assert [d.status for d in oms.deliveries() if d.handler == "tryton"] == ["delivered"]
    [sale] = erp.sales(adapter.proteus)
    assert sale.reference == str(order.id)

    erp.deliver(adapter.proteus, sale.id)
    report = adapter.sync(oms)
    assert (report.shipments, report.orders_exported, report.stock_adjusted, report.errors) == (1, 0, 0, ())
    assert oms.get_order(order.id).fulfillment_status == FulfillmentStatus.SHIPPED
    assert {s.sku: s.on_hand for s in oms.stock(location="WH")}["DESK-1"] == 3
