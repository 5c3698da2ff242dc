"""oms_core: an embeddable order management system.

The public API is what this module exports (and ``oms_core.testing``); plugins import nothing else.
"""

from oms_core import payload
from oms_core.app import OMS, ImportResult
from oms_core.domain.bindings import Binding
from oms_core.domain.errors import (
    ConcurrentUpdate,
    ConfigurationError,
    CurrencyMismatch,
    DriverNotFound,
    DuplicateOrder,
    GatewayError,
    HookFailed,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    OMSError,
    PaymentError,
    RuleRejected,
    ValidationError,
    ValidationErrors,
    WebhookRejected,
)
from oms_core.domain.events import EVENT_NAMES, Event
from oms_core.domain.fulfilment import (
    Document,
    LabelResult,
    Parcel,
    Rate,
    Shipment,
    ShipmentLine,
    ShipmentState,
    TrackingEvent,
)
from oms_core.domain.inventory import (
    Allocation,
    LedgerEntry,
    LedgerReason,
    Location,
    Product,
    Reservation,
    StockLevel,
    StockProblem,
)
from oms_core.domain.money import Money
from oms_core.domain.order import Hold, LineDraft, Order, OrderDraft, OrderLine, TimelineEntry, Totals
from oms_core.domain.party import Address, Customer
from oms_core.domain.payment import (
    GatewayOutcome,
    GatewayResult,
    Payment,
    PaymentEvent,
    PaymentEventKind,
    PaymentState,
    Refund,
)
from oms_core.domain.returns import Disposition, Return, ReturnLine, ReturnState
from oms_core.domain.status import FulfillmentStatus, OrderStatus, PaymentStatus
from oms_core.drivers import (
    ADAPTERS,
    CARRIERS,
    CHANNELS,
    PAYMENT_GATEWAYS,
    Carrier,
    Channel,
    ErpAdapter,
    PaymentGateway,
)
from oms_core.hookspecs import hookimpl
from oms_core.services.context import Settings, ShortStockPolicy

__version__ = "0.1.0"

__all__ = [
    "ADAPTERS", "CARRIERS", "CHANNELS", "EVENT_NAMES", "OMS", "PAYMENT_GATEWAYS", "Address", "Allocation",
    "Binding", "Carrier", "Channel", "ConcurrentUpdate", "ConfigurationError", "CurrencyMismatch", "Customer",
    "Disposition",
    "Document", "DriverNotFound", "DuplicateOrder", "ErpAdapter", "Event", "FulfillmentStatus", "GatewayError",
    "GatewayOutcome", "GatewayResult", "Hold", "HookFailed", "ImportResult", "InsufficientStock",
    "InvalidTransition", "LabelResult", "LedgerEntry", "LedgerReason", "LineDraft", "Location", "Money",
    "NotFound", "OMSError", "Order", "OrderDraft", "OrderLine", "OrderStatus", "Parcel", "Payment",
    "PaymentError", "PaymentEvent", "PaymentEventKind", "PaymentGateway", "PaymentState", "PaymentStatus",
    "Product", "Rate", "Refund", "Reservation", "Return", "ReturnLine", "ReturnState", "RuleRejected",
    "Settings", "Shipment", "ShipmentLine", "ShipmentState", "ShortStockPolicy", "StockLevel", "StockProblem",
    "TimelineEntry", "Totals", "TrackingEvent", "ValidationError", "ValidationErrors", "WebhookRejected",
    "hookimpl", "payload",
]  # fmt: skip
