"""Shopify-shaped test payloads and signatures, shared by the connector's test modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oms_core import payload as payload_tools

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-app-client-secret"


def payload(name: str) -> bytes:
    """The raw bytes of a fixture file, as Shopify would send them."""
    return (FIXTURES / name).read_bytes()


def data(name: str) -> Any:
    return json.loads(payload(name))


def sign(body: bytes, secret: str = SECRET) -> str:
    """``X-Shopify-Hmac-Sha256`` for ``body``: base64 of the HMAC-SHA256 digest."""
    return payload_tools.sign_hmac_sha256_base64(secret, body)


def webhook_headers(body: bytes, topic: str = "orders/create", secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": "northwind-outdoor.myshopify.com",
        "X-Shopify-API-Version": "2024-04",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Triggered-At": "2024-05-14T16:12:45.108732157Z",
    }
