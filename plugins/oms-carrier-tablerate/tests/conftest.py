"""Fixtures of the tablerate carrier's tests (``make_oms`` and friends come from the repository's conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from oms_carrier_tablerate import EXAMPLE_TABLE, TableRateCarrier

from oms_core import Money, Parcel, ShipmentLine

SENDER = {"name": "Muster Versand GmbH", "line1": "Lagerstrasse 5", "postcode": "04109", "city": "Leipzig",
          "country": "DE", "phone": "+49 341 000000"}  # fmt: skip


@pytest.fixture
def sender() -> dict[str, str]:
    return dict(SENDER)


@pytest.fixture
def carrier(sender: dict[str, str]) -> TableRateCarrier:
    """The example table, a sender, serials from 42, readable (uncompressed) PDFs."""
    return TableRateCarrier(EXAMPLE_TABLE, sender=sender, sequence_start=42, compress=False)


@pytest.fixture
def make_parcel() -> Callable[..., Parcel]:
    def make(
        country: str = "DE", postcode: str = "10117", grams: int = 1000, value: str = "25.00", **kw: Any
    ) -> Parcel:
        ship_to = {"name": "Grace Hopper", "line1": "Unter den Linden 5", "city": "Berlin", "postcode": postcode,
                   "country": country}  # fmt: skip
        ship_to.update(kw.pop("ship_to", {}))
        return Parcel(
            order_id=kw.pop("order_id", 7),
            ship_from={"location": "WH1"},
            ship_to=ship_to,
            weight_grams=grams,
            value=Money(value, kw.pop("currency", "EUR")),
            lines=kw.pop("lines", (ShipmentLine(1, "MUG-RED", 2), ShipmentLine(2, "TEA-250G", 1))),
            service=kw.pop("service", None),
        )

    return make
