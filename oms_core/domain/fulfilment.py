"""Shipments: lines leaving one location with a carrier, tracking number, documents and tracking events."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs

from oms_core.domain.money import Money


class ShipmentState(enum.StrEnum):
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@attrs.frozen
class ShipmentLine:
    line_id: int
    sku: str
    quantity: int


@attrs.frozen
class Document:
    """A document a carrier produced (label, packing slip). ``content`` holds the bytes."""

    kind: str
    media_type: str
    content: bytes
    filename: str


@attrs.frozen
class TrackingEvent:
    tracking_number: str
    status: str
    at: dt.datetime
    description: str = ""
    location: str | None = None
    delivered: bool = False


@attrs.frozen
class Shipment:
    id: int
    order_id: int
    location: str
    carrier: str
    service: str | None
    tracking_number: str | None
    state: ShipmentState
    lines: tuple[ShipmentLine, ...]
    created_at: dt.datetime
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cost: Money | None = None
    documents: tuple[Document, ...] = ()


@attrs.frozen
class Parcel:
    """What a carrier needs to rate or label a shipment."""

    order_id: int
    ship_from: dict[str, Any]
    ship_to: dict[str, Any]
    weight_grams: int
    value: Money
    lines: tuple[ShipmentLine, ...]
    service: str | None = None


@attrs.frozen
class Rate:
    carrier: str
    service: str
    amount: Money
    days: int | None = None


@attrs.frozen
class LabelResult:
    tracking_number: str
    documents: tuple[Document, ...] = ()
    cost: Money | None = None
    service: str | None = None
