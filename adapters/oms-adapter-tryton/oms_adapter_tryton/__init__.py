"""A Tryton adapter for oms: products and stock in, customers and sales out, deliveries back in.

The ``oms.adapters`` driver ``tryton`` is :class:`TrytonAdapter`. Where it is configured, the OMS also registers
it as the hook plugin ``tryton``, which exports confirmed orders and cancels cancelled ones. Importing this package
imports neither proteus nor trytond: that happens when an adapter connects.
"""

from oms_adapter_tryton.adapter import (
    CustomerRecord,
    SaleSummary,
    SyncError,
    SyncReport,
    TrytonAdapter,
    customer_key,
)
from oms_adapter_tryton.connection import CancelRefused, RemoteRecordMissing, TrytonError, TrytonUnavailable

__all__ = [
    "CancelRefused",
    "CustomerRecord",
    "RemoteRecordMissing",
    "SaleSummary",
    "SyncError",
    "SyncReport",
    "TrytonAdapter",
    "TrytonError",
    "TrytonUnavailable",
    "customer_key",
]
