"""A tiny reference channel, local to these tests: it proves ``ChannelContract`` and shows what a channel does.

It is an example, not a driver the OMS ships. Its payload is a JSON list of orders, signed with HMAC-SHA256 over
the raw body in the ``X-Signature`` header (hex)::

    [{"id": "1001", "currency": "EUR", "email": "ada@example.com", "name": "Ada Lovelace",
      "shipping_address": {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
                           "postcode": "SW1Y 4JH", "country": "GB"},
      "lines": [{"sku": "SKU-1", "quantity": 2, "price": "12.50"}],
      "shipping": "4.90"}]

Amounts may be JSON strings or numbers; numbers are read as ``Decimal``, never as ``float``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from oms_core import (
    Address,
    Channel,
    Customer,
    LineDraft,
    OrderDraft,
    StockLevel,
    ValidationError,
    WebhookRejected,
)

SIGNATURE_HEADER = "X-Signature"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


class JsonHmacChannel(Channel):
    def __init__(self, secret: str, channel: str = "reference") -> None:
        self.secret = secret
        self.channel = channel

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        given = _header(headers, SIGNATURE_HEADER)
        if not given:
            raise WebhookRejected(self.channel, f"the {SIGNATURE_HEADER} header is missing")
        if not hmac.compare_digest(given.strip().lower(), sign(self.secret, body)):
            raise WebhookRejected(self.channel, "the signature does not match the body")

    def parse_orders(self, body: bytes, headers: Mapping[str, str] | None = None) -> list[OrderDraft]:
        try:
            data = json.loads(body, parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError("channel", "body", f"is not JSON: {exc}") from None
        if not isinstance(data, list):
            raise ValidationError("channel", "body", "must be a JSON list of orders")
        return [self._draft(item, f"orders[{i}]") for i, item in enumerate(data)]

    def _draft(self, item: Any, at: str) -> OrderDraft:
        if not isinstance(item, dict):
            raise ValidationError("channel", at, "must be an object")
        lines = _get(item, "lines", list, at)
        address = _get(item, "shipping_address", dict, at)
        return OrderDraft(
            channel=self.channel,
            external_id=str(_get(item, "id", str | int, at)),
            currency=_get(item, "currency", str, at),
            customer=Customer(email=item.get("email"), name=item.get("name")),
            shipping_address=Address(**{k: address.get(k) for k in Address.REQUIRED}),
            lines=[self._line(line, f"{at}.lines[{j}]") for j, line in enumerate(lines)],
            shipping=_amount(item.get("shipping", "0"), f"{at}.shipping"),
        )

    def _line(self, line: Any, at: str) -> LineDraft:
        if not isinstance(line, dict):
            raise ValidationError("channel", at, "must be an object")
        quantity = _get(line, "quantity", int, at)
        if isinstance(quantity, bool):
            raise ValidationError("channel", f"{at}.quantity", "must be a whole number", quantity)
        return LineDraft(_get(line, "sku", str, at), quantity, _amount(_get(line, "price", object, at), f"{at}.price"))

    def export_stock(self, levels: Iterable[StockLevel]) -> list[dict[str, Any]]:
        """One entry per SKU with what is available across every location (the shop sells from all of them)."""
        available: dict[str, int] = {}
        for level in levels:
            available[level.sku] = available.get(level.sku, 0) + max(0, level.available)
        return [{"sku": sku, "quantity": qty} for sku, qty in sorted(available.items())]


def _get(data: dict[str, Any], key: str, kind: Any, at: str) -> Any:
    if key not in data:
        raise ValidationError("channel", f"{at}.{key}", "is required")
    value = data[key]
    if not isinstance(value, kind):
        raise ValidationError("channel", f"{at}.{key}", f"has the wrong type ({type(value).__name__})", value)
    return value


def _amount(value: Any, at: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationError("channel", at, "must be a decimal amount", value)
    try:
        return Decimal(value)
    except ArithmeticError:
        raise ValidationError("channel", at, f"{value!r} is not a decimal amount", value) from None
