"""WooCommerce-shaped test payloads and signatures, shared by the connector's test modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oms_core import payload as payload_tools

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-webhook-secret"


def payload(name: str) -> bytes:
    """The raw bytes of a fixture file, as WooCommerce would send them."""
    return (FIXTURES / name).read_bytes()


def data(name: str) -> Any:
    return json.loads(payload(name))


def sign(body: bytes, secret: str = SECRET) -> str:
    """``X-WC-Webhook-Signature`` for ``body``: base64 of the HMAC-SHA256 digest."""
    return payload_tools.sign_hmac_sha256_base64(secret, body)


def webhook_headers(body: bytes, topic: str = "order.created", secret: str = SECRET) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.6.2)",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-ID": "17",
        "X-WC-Webhook-Delivery-ID": "5f1d5e9c0b7a2e4f8c3d6a1b9e0f2c4d",
    }
