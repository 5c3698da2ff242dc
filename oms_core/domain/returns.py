"""Returns (RMA): lines coming back, their reason, what happens to the goods and the refund they trigger."""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from oms_core.domain.money import Money


class ReturnState(enum.StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Disposition(enum.StrEnum):
    RESTOCK = "restock"
    SCRAP = "scrap"


@attrs.frozen
class ReturnLine:
    line_id: int
    sku: str
    quantity: int
    reason: str
    disposition: Disposition | None = None
    location: str | None = None


@attrs.frozen
class Return:
    id: int
    order_id: int
    state: ReturnState
    reason: str
    lines: tuple[ReturnLine, ...]
    created_at: dt.datetime
    received_at: dt.datetime | None
    refund_amount: Money | None = None
