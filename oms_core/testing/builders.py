"""Small builders for test data. Every value can be overridden; defaults are valid."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from oms_core.app import OMS
from oms_core.domain.order import LineDraft, OrderDraft
from oms_core.domain.party import Address, Customer


def address(**overrides: Any) -> Address:
    values = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postcode": "SW1Y 4JH",
              "country": "GB"}  # fmt: skip
    values.update(overrides)
    return Address(**values)


def draft(external_id: str = "1", lines: Iterable[tuple[str, int, str] | LineDraft] = (("SKU-1", 1, "10.00"),),
          **overrides: Any) -> OrderDraft:  # fmt: skip
    """An order draft from channel ``web`` in EUR; ``lines`` as ``(sku, quantity, unit price)`` or LineDraft."""
    values: dict[str, Any] = {
        "channel": "web",
        "external_id": external_id,
        "currency": "EUR",
        "customer": Customer(email="ada@example.com", name="Ada Lovelace"),
        "shipping_address": address(),
        "lines": [x if isinstance(x, LineDraft) else LineDraft(x[0], x[1], x[2]) for x in lines],
    }
    values.update(overrides)
    return OrderDraft(**values)


def seed_catalogue(oms: OMS, stock: dict[str, dict[str, int]], *, priorities: dict[str, int] | None = None) -> None:
    """Create the products and locations named in ``stock`` ({sku: {location: on hand}}) and receive the stock."""
    locations = sorted({loc for per in stock.values() for loc in per})
    for i, code in enumerate(locations):
        oms.add_location(code, f"Location {code}", priority=(priorities or {}).get(code, i + 1))
    with oms.transaction():
        for sku, per in stock.items():
            oms.add_product(sku, f"Product {sku}", weight_grams=250)
            for loc, qty in per.items():
                if qty:
                    oms.receive_stock(sku, loc, qty, reference="seed")
