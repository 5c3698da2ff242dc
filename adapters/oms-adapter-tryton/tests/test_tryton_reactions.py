"""The reaction hooks: confirmed orders go to Tryton, cancelled ones are cancelled there, through the outbox."""

from __future__ import annotations

from collections.abc import Callable

import tryton_support as erp
from tryton_support import BACKEND

from oms_core import OMS, OrderStatus
from oms_core.testing import draft, seed_catalogue

RETRY_NOW = {"max_delivery_attempts": 2, "retry_base_seconds": 0}


def place(oms: OMS, external_id: str, quantity: int = 1) -> int:
    seed_catalogue(oms, {"CHAIR-1": {"WH": 10}})
    return oms.place_order(draft(external_id, [("CHAIR-1", quantity, "110.00")])).id


def tryton_deliveries(oms: OMS) -> list[tuple[str, str]]:
    return sorted((d.event_name, d.status) for d in oms.deliveries() if d.handler == "tryton")


def test_an_oms_without_tryton_configured_is_left_alone(make_oms: Callable[..., OMS]) -> None:
    """Installed but not configured, the adapter subscribes to nothing: no delivery, nothing to fail."""
    oms = make_oms()  # every installed plugin, no driver_config
    assert "tryton" not in dict(oms.plugins())
    order_id = place(oms, "5001")
    oms.confirm_order(order_id)
    oms.cancel_order(order_id, "test")
    assert tryton_deliveries(oms) == []
    assert oms.bindings(BACKEND) == []


def test_a_held_order_goes_to_tryton_when_released(make_erp_oms: Callable[..., OMS]) -> None:
    oms = make_erp_oms(settings={"short_stock": "hold"})
    adapter = oms.driver("oms.adapters", "tryton")
    order_id = place(oms, "5002", quantity=12)  # 10 in stock: held for a person
    assert oms.confirm_order(order_id).status == OrderStatus.ON_HOLD
    assert erp.sales(adapter.proteus) == []
    oms.receive_stock("CHAIR-1", "WH", 5)
    oms.allocate_backorders(order_id)
    assert oms.release_hold(order_id).status == OrderStatus.CONFIRMED
    [sale] = erp.sales(adapter.proteus)
    assert (sale.reference, sale.state, sale.lines[0].quantity) == (str(order_id), "processing", 12.0)


def test_cancelling_a_quotation_cancels_the_sale(make_erp_oms: Callable[..., OMS]) -> None:
    oms = make_erp_oms(confirm_sales=False)
    adapter = oms.driver("oms.adapters", "tryton")
    order_id = place(oms, "5003")
    oms.confirm_order(order_id)
    oms.cancel_order(order_id, "customer changed their mind")
    [sale] = erp.sales(adapter.proteus)
    assert sale.state == "cancelled"
    assert oms.binding(BACKEND, "order", local_id=order_id).data["state"] == "cancelled"
    assert tryton_deliveries(oms) == [("order_cancelled", "delivered"), ("order_confirmed", "delivered")]
    assert adapter.cancel_order(order_id) == "already cancelled"  # a redelivery changes nothing


def test_cancelling_an_order_never_exported_touches_nothing(make_erp_oms: Callable[..., OMS]) -> None:
    oms = make_erp_oms()
    order_id = place(oms, "5004")
    oms.cancel_order(order_id, "never confirmed")
    assert tryton_deliveries(oms) == [("order_cancelled", "delivered")]
    assert erp.sales(oms.driver("oms.adapters", "tryton").proteus) == []


def test_a_sale_tryton_cannot_cancel_is_dead_lettered_with_the_reason(make_erp_oms: Callable[..., OMS]) -> None:
    """A processing sale (its shipment exists) is for a person in Tryton: the delivery ends dead, saying so."""
    oms = make_erp_oms(settings=RETRY_NOW)
    adapter = oms.driver("oms.adapters", "tryton")
    order_id = place(oms, "5005")
    oms.confirm_order(order_id)
    assert oms.cancel_order(order_id, "too late").status == OrderStatus.CANCELLED  # the OMS does not wait

    [pending] = [d for d in oms.deliveries() if d.event_name == "order_cancelled"]
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert "CancelRefused" in pending.last_error and "processing" in pending.last_error
    oms.process_outbox()
    [dead] = [d for d in oms.deliveries() if d.event_name == "order_cancelled"]
    assert (dead.status, dead.attempts) == ("dead", 2)
    assert "cancel them in Tryton by hand" in dead.last_error
    [sale] = erp.sales(adapter.proteus)
    assert sale.state == "processing"
    assert oms.binding(BACKEND, "order", local_id=order_id).data["cancel"] == "refused: the sale is processing"


def test_a_late_confirmation_of_a_cancelled_order_exports_nothing(make_erp_oms: Callable[..., OMS]) -> None:
    """order_confirmed redelivered after the order was cancelled (Tryton was down in between) exports nothing."""
    oms = make_erp_oms(settings={"inline_dispatch": False})
    order_id = place(oms, "5006")
    oms.confirm_order(order_id)
    oms.cancel_order(order_id, "changed")
    assert oms.get_order(order_id).status == OrderStatus.CANCELLED
    oms.process_outbox()
    assert tryton_deliveries(oms) == [("order_cancelled", "delivered"), ("order_confirmed", "delivered")]
    assert erp.sales(oms.driver("oms.adapters", "tryton").proteus) == []
