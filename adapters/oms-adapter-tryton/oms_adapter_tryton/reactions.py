"""What the adapter does when the outbox delivers an event (its ``order_confirmed`` and ``order_cancelled`` hooks).

* ``order_confirmed``: export the customer and the order to Tryton (a sale, quoted and confirmed).
* ``order_cancelled``: cancel the sale in Tryton while it is still draft, quotation or confirmed.

The hooks are methods of :class:`~oms_adapter_tryton.adapter.TrytonAdapter`: the OMS registers the adapter as the
hook plugin ``tryton`` only where ``driver_config`` configures it, so an OMS without Tryton subscribes nothing.

A hook that raises (Tryton unreachable, a SKU Tryton does not know, a sale Tryton refuses to cancel) has the outbox
deliver the event again with back-off, and after the last attempt the delivery is ``dead`` with the error: the
list an operator works through (``oms.deliveries("dead")``, then ``oms.retry_dead([...])``). The committed OMS
state never depends on Tryton. Redeliveries are harmless: the binding table makes every export idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oms_core import Event, OrderStatus

if TYPE_CHECKING:
    from oms_adapter_tryton.adapter import TrytonAdapter
    from oms_core import OMS

#: order statuses in which a confirmed order is still to be exported (a held order is exported when released)
EXPORTABLE = (OrderStatus.CONFIRMED, OrderStatus.COMPLETED)


def on_order_confirmed(adapter: TrytonAdapter, event: Event, oms: OMS) -> None:
    adapter.attach(oms)
    order = oms.get_order(event.payload["order_id"])
    if order.status not in EXPORTABLE:
        return  # held again or cancelled since: a release sends order_confirmed again, a cancel order_cancelled
    adapter.export_order(order)


def on_order_cancelled(adapter: TrytonAdapter, event: Event, oms: OMS) -> None:
    adapter.attach(oms).cancel_order(event.payload["order_id"])
