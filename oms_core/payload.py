"""Reading a provider's payload into typed values: the toolkit of channel connectors.

Every reader names the field path it reads (``line_items[2].price``) in the :class:`~oms_core.ValidationError` it
raises, JSON numbers are read as ``Decimal`` (never ``float``), and webhook signatures are compared in constant
time over the raw body. A connector imports these instead of writing its own::

    from oms_core import payload

    order = payload.as_object(payload.load_json(body), "body")
    price = payload.money(item.get("price"), payload.field_path("line_items[0]", "price"))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from oms_core.domain.errors import ValidationError, WebhookRejected
from oms_core.domain.money import minor_unit

__all__ = [
    "as_list",
    "as_object",
    "currency",
    "field_path",
    "header",
    "load_json",
    "money",
    "raw_bytes",
    "sign_hmac_sha256_base64",
    "text",
    "verify_hmac_sha256_base64",
]


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header's value, found case-insensitively; WSGI-style keys (``HTTP_X_SHOPIFY_TOPIC``) work too."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower().replace("_", "-").removeprefix("http-") == wanted:
            return value
    return None


def raw_bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    """The body as bytes (a ``str`` is encoded as UTF-8): what signatures are computed over."""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def load_json(body: bytes | bytearray | memoryview | str, entity: str = "order") -> Any:
    """Parse JSON with every number that has a fraction read as ``Decimal`` exactly as written."""
    try:
        return json.loads(raw_bytes(body), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(entity, "body", f"is not valid JSON ({exc})") from None


def field_path(prefix: str, name: str) -> str:
    """``field_path("line_items[2]", "price")`` → ``line_items[2].price``; an index name joins without a dot."""
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


def money(value: Any, path: str, entity: str = "order") -> Decimal:
    """A non-negative amount from a JSON string (the usual money format) or number (read as ``Decimal``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationError(entity, path, "is not a decimal amount", value)
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValidationError(entity, path, f"{value!r} is not a decimal amount", value) from None
    if not amount.is_finite():
        raise ValidationError(entity, path, f"{value!r} is not a finite amount", value)
    if amount < 0:
        raise ValidationError(entity, path, "must not be negative", value)
    return amount


def as_list(value: Any, path: str, entity: str = "order") -> list[Any]:
    """A JSON array (``None`` reads as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(entity, path, "must be a list", value)
    return value


def as_object(value: Any, path: str, entity: str = "order") -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise ValidationError(entity, path, "must be an object", value)
    return value


def text(value: Any) -> str | None:
    """The value as stripped text, or ``None`` when it is missing or blank."""
    if value is None:
        return None
    found = str(value).strip()
    return found or None


def currency(value: Any, path: str, entity: str = "order") -> str:
    """An ISO 4217 currency code."""
    if not isinstance(value, str):
        raise ValidationError(entity, path, "is required (an ISO 4217 currency code)", value)
    code = value.strip()
    try:
        minor_unit(code)
    except ValidationError:
        raise ValidationError(entity, path, f"{value!r} is not an ISO 4217 currency code", value) from None
    return code


def sign_hmac_sha256_base64(secret: str, body: bytes | str) -> str:
    """The base64 HMAC-SHA256 of the raw ``body`` keyed with ``secret`` (what a shop puts in its signature header)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), raw_bytes(body), hashlib.sha256).digest()).decode("ascii")


def verify_hmac_sha256_base64(
    source: str, secret: str, headers: Mapping[str, str] | None, header_name: str, body: bytes | str
) -> None:
    """Check that ``header_name`` holds the base64 HMAC-SHA256 of the raw ``body`` keyed with ``secret``.

    The scheme of Shopify's ``X-Shopify-Hmac-Sha256`` and WooCommerce's ``X-WC-Webhook-Signature``, compared in
    constant time. Raises :class:`~oms_core.WebhookRejected` naming ``source`` and what is wrong.
    """
    if not secret:
        raise WebhookRejected(source, "no webhook secret is configured")
    given = header(headers, header_name)
    if not given:
        raise WebhookRejected(source, f"the {header_name} header is missing")
    expected = sign_hmac_sha256_base64(secret, body).encode("ascii")
    if not hmac.compare_digest(expected, given.strip().encode("utf-8", "replace")):
        raise WebhookRejected(source, f"the {header_name} signature does not match the body")
