"""One abstract base class per driver kind: the contract with integrators.

A driver is one named implementation, chosen by configuration and loaded by stevedore from its namespace:

=====================  =====================  ====================================================
namespace              base class             what it does
=====================  =====================  ====================================================
``oms.channels``       :class:`Channel`       verify and parse inbound orders, export stock levels
``oms.payment_gateways`` :class:`PaymentGateway` authorize, capture, void, refund, parse webhooks
``oms.carriers``       :class:`Carrier`       rate, label a shipment, parse tracking events
``oms.adapters``       :class:`ErpAdapter`    push orders and customers, pull products and stock
=====================  =====================  ====================================================

A driver is built as ``factory(**config)`` where ``config`` comes from ``OMS(driver_config=...)``
(``{"oms.carriers": {"flat_rate": {"amount": "4.90"}}}``). ``docs/drivers.md`` shows each method with an example.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from oms_core.domain.fulfilment import LabelResult, Parcel, Rate, TrackingEvent
from oms_core.domain.inventory import Product, StockLevel
from oms_core.domain.money import Money
from oms_core.domain.order import Order, OrderDraft
from oms_core.domain.party import Customer
from oms_core.domain.payment import GatewayResult, PaymentEvent

CHANNELS = "oms.channels"
PAYMENT_GATEWAYS = "oms.payment_gateways"
CARRIERS = "oms.carriers"
ADAPTERS = "oms.adapters"
NAMESPACES = (CHANNELS, PAYMENT_GATEWAYS, CARRIERS, ADAPTERS)


class Driver(abc.ABC):
    """Common base: ``name`` is the driver's registered name, set by the loader."""

    namespace: ClassVar[str]
    name: str = ""


class Channel(Driver):
    """A source of orders: a web shop, a marketplace, a file format."""

    namespace = CHANNELS

    @abc.abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check that an inbound request really comes from the channel; raise ``WebhookRejected`` if not.

        Compare signatures in constant time (``hmac.compare_digest``) over the raw ``body``.
        """

    @abc.abstractmethod
    def parse_orders(self, body: bytes, headers: Mapping[str, str] | None = None) -> Iterable[OrderDraft]:
        """Turn a payload (a webhook body, a file's bytes) into order drafts, exact to the cent.

        Raise ``ValidationError`` naming the field for malformed input.
        """

    def export_stock(self, levels: Iterable[StockLevel]) -> list[dict[str, Any]]:
        """Shape stock levels as the channel's API expects them. Optional; the default is a plain list."""
        return [{"sku": s.sku, "location": s.location, "available": s.available} for s in levels]


class PaymentGateway(Driver):
    """A payment provider. Every call carries an ``idempotency_key`` that the provider must honour."""

    namespace = PAYMENT_GATEWAYS

    @abc.abstractmethod
    def authorize(self, order: Order, amount: Money, method: str, idempotency_key: str) -> GatewayResult:
        """Reserve ``amount`` on the customer's means of payment. ``PENDING`` for offline methods."""

    @abc.abstractmethod
    def capture(self, reference: str | None, amount: Money, idempotency_key: str) -> GatewayResult:
        """Take ``amount`` (at most what is authorized and not captured yet) of an authorization."""

    @abc.abstractmethod
    def void(self, reference: str | None, idempotency_key: str) -> GatewayResult:
        """Cancel an authorization that was not captured."""

    @abc.abstractmethod
    def refund(self, reference: str | None, amount: Money, reason: str, idempotency_key: str) -> GatewayResult:
        """Give back ``amount`` of what was captured."""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        """Verify and parse a provider's webhook into a :class:`PaymentEvent`. Optional for offline gateways."""
        raise NotImplementedError(f"the {self.name} gateway does not receive webhooks")


class Carrier(Driver):
    """A shipping carrier."""

    namespace = CARRIERS

    @abc.abstractmethod
    def rates(self, parcel: Parcel) -> list[Rate]:
        """Quote the services that can carry ``parcel``, cheapest first."""

    @abc.abstractmethod
    def create_label(self, parcel: Parcel) -> LabelResult:
        """Book the shipment: tracking number, label and other documents."""

    def parse_tracking(self, headers: Mapping[str, str], body: bytes) -> list[TrackingEvent]:
        """Turn a carrier's tracking push into events. Optional."""
        raise NotImplementedError(f"the {self.name} carrier does not push tracking events")


class ErpAdapter(Driver):
    """An ERP or CRM on the other side. Exports are idempotent: the adapter keeps its own id bindings."""

    namespace = ADAPTERS

    @abc.abstractmethod
    def export_order(self, order: Order) -> str:
        """Create or update the order in the ERP; return the ERP's id for it."""

    @abc.abstractmethod
    def export_customer(self, customer: Customer) -> str:
        """Create or update the customer in the ERP/CRM; return the ERP's id."""

    @abc.abstractmethod
    def import_products(self) -> Iterable[Product]:
        """The ERP's sellable products."""

    @abc.abstractmethod
    def import_stock(self) -> Iterable[StockLevel]:
        """On-hand quantities per SKU and location (``reserved`` is ignored)."""
