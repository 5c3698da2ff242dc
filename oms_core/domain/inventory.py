"""Stock per (SKU, location), its ledger, reservations and the sourcing plan."""

from __future__ import annotations

import datetime as dt
import enum

import attrs


class LedgerReason(enum.StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    SHIPMENT = "shipment"
    RETURN = "return"


@attrs.frozen
class Product:
    sku: str
    name: str
    weight_grams: int | None = None
    low_stock_threshold: int | None = None
    active: bool = True


@attrs.frozen
class Location:
    """A place that holds stock. Lower ``priority`` is preferred by default sourcing."""

    code: str
    name: str
    priority: int = 100
    postcode: str | None = None
    country: str | None = None
    active: bool = True


@attrs.frozen
class StockLevel:
    sku: str
    location: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@attrs.frozen
class LedgerEntry:
    id: int
    sku: str
    location: str
    delta: int
    reason: LedgerReason
    reference: str | None
    note: str | None
    at: dt.datetime


@attrs.frozen
class Reservation:
    id: int
    order_id: int
    line_id: int
    sku: str
    location: str
    quantity: int
    shipped: int
    released: int

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.shipped - self.released


@attrs.frozen
class Allocation:
    """Part of a sourcing plan: reserve ``quantity`` of the line ``line_id`` at ``location``."""

    line_id: int
    location: str
    quantity: int


@attrs.frozen
class StockProblem:
    """One discrepancy found by ``stock verify``."""

    sku: str
    location: str
    check: str
    expected: int
    actual: int

    def __str__(self) -> str:
        return f"{self.sku}@{self.location}: {self.check}: expected {self.expected}, found {self.actual}"
