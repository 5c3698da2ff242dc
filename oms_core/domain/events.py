"""Domain events: what happened, stored with the transaction and dispatched to reaction hooks after commit."""

from __future__ import annotations

import datetime as dt
import random
import time
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


def new_event_id() -> str:
    """A 32-hex-digit id that sorts by creation time (the UUIDv7 layout: 48 bits of Unix milliseconds, then random).

    Time-ordered ids make every new event row land at the end of the events table's key index instead of on a
    random page, so a commit writes one index page for its events rather than one per event.
    """
    rand = random.getrandbits(80)  # unique, not secret: the random module is reseeded in a forked child
    value = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | (rand >> 4) & ((1 << 76) - 1)
    value = value & ~(0xC << 60) | (0x8 << 60)  # the RFC 9562 variant bits
    return f"{value:032x}"


@attrs.frozen
class Event:
    """An event. ``id`` is stable across redeliveries, so a handler can use it to act only once."""

    name: str
    payload: dict[str, Any]
    order_id: int | None = None
    id: str = attrs.field(factory=new_event_id)
    occurred_at: dt.datetime = attrs.field(factory=utcnow)
    attempt: int = 1
