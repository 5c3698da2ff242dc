"""Domain events: what happened, stored with the transaction and dispatched to reaction hooks after commit."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import attrs

from oms_core.domain.order import utcnow

#: Every event name, which is also the name of the reaction hook that receives it.
EVENT_NAMES = (
    "order_placed",
    "order_confirmed",
    "order_held",
    "order_released",
    "order_cancelled",
    "order_completed",
    "order_status_changed",
    "payment_authorized",
    "payment_captured",
    "payment_refunded",
    "payment_voided",
    "payment_failed",
    "shipment_created",
    "shipment_shipped",
    "shipment_delivered",
    "stock_changed",
    "stock_low",
    "return_received",
)


@attrs.frozen
class Event:
    """An event. ``id`` is stable across redeliveries, so a handler can use it to act only once."""

    name: str
    payload: dict[str, Any]
    order_id: int | None = None
    id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    occurred_at: dt.datetime = attrs.field(factory=utcnow)
    attempt: int = 1
