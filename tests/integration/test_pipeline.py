"""The order-to-shipment pipeline on each backend."""

from oms_core import FulfillmentStatus, OrderStatus, PaymentStatus
from oms_core.testing import draft, seed_catalogue


def test_order_to_shipment(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}, "SKU-2": {"WH1": 5}})
    order = oms.place_order(draft("1", [("SKU-1", 2, "12.50"), ("SKU-2", 1, "9.99")]))
    assert str(order.total) == "34.99 EUR"
    oms.confirm_order(order.id)
    oms.pay(order.id)
    oms.ship(order.id)
    order = oms.get_order(order.id, timeline=True)
    assert (order.status, order.payment_status, order.fulfillment_status) == (
        OrderStatus.COMPLETED,
        PaymentStatus.PAID,
        FulfillmentStatus.SHIPPED,
    )
    assert [(s.sku, s.location, s.on_hand, s.reserved) for s in oms.stock()] == [
        ("SKU-1", "WH1", 8, 0),
        ("SKU-2", "WH1", 4, 0),
    ]
    assert oms.verify_stock() == []
    assert order.timeline[0].kind == "placed"
