"""oms-adapter-odoo: Odoo (16, 17, 18) for oms over Odoo's external JSON-RPC API.

* :class:`OdooAdapter` — the ``odoo`` driver of ``oms.adapters``: ``import_products``, ``import_stock``,
  ``export_customer``, ``export_order``, and ``sync(oms)``, ``sync_deliveries(oms)``, ``customer(email)``.
* the reactions are methods of :class:`OdooAdapter`; the OMS registers the adapter as a hook plugin where it is
  configured.
* :class:`OdooTransport` — the one class that talks to Odoo (:class:`OdooRPCTransport`: JSON-RPC via odoorpc).
"""

from oms_adapter_odoo.adapter import (
    CUSTOMER,
    DELIVERY,
    ORDER,
    SYNC_REASON,
    BindingBroken,
    OdooAdapter,
    OdooCarrier,
    OdooCustomer,
    OdooSaleOrder,
    SyncReport,
    customer_key,
)
from oms_adapter_odoo.transport import (
    OdooError,
    OdooMissingRecord,
    OdooRPCTransport,
    OdooTransport,
    OdooUnavailable,
    OdooVersion,
)

__all__ = [
    "CUSTOMER",
    "DELIVERY",
    "ORDER",
    "SYNC_REASON",
    "BindingBroken",
    "OdooAdapter",
    "OdooCarrier",
    "OdooCustomer",
    "OdooError",
    "OdooMissingRecord",
    "OdooRPCTransport",
    "OdooSaleOrder",
    "OdooTransport",
    "OdooUnavailable",
    "OdooVersion",
    "SyncReport",
    "customer_key",
]
