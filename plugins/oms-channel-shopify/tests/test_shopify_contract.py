"""The channel contract every connector passes, run on a Shopify webhook and on a REST order list."""

from __future__ import annotations

import pytest
from oms_channel_shopify import ShopifyChannel
from shopify_support import SECRET, payload, webhook_headers

from oms_core.testing.contracts import ChannelContract


class TestShopifyWebhook(ChannelContract):
    """An ``orders/create`` webhook: one order, US sales tax on top, a discount code spread over the lines."""

    @pytest.fixture
    def channel(self) -> ShopifyChannel:
        return ShopifyChannel(secret=SECRET)

    @pytest.fixture
    def valid_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("orders_create_us.json")
        return webhook_headers(body), body

    @pytest.fixture
    def tampered_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("orders_create_us.json")
        return webhook_headers(body), body.replace(b'"129.00"', b'"1.29"')

    @pytest.fixture
    def malformed_body(self) -> bytes:
        return payload("orders_create_us.json")[:700]


class TestShopifyRestList(ChannelContract):
    """A ``GET /orders.json`` answer: two orders with VAT included, one with two shipping lines."""

    @pytest.fixture
    def channel(self) -> ShopifyChannel:
        return ShopifyChannel(secret=SECRET)

    @pytest.fixture
    def valid_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("rest_orders_eu_taxes_included.json")
        headers = webhook_headers(body)
        del headers["X-Shopify-Topic"]
        return headers, body

    @pytest.fixture
    def tampered_payload(self) -> tuple[dict[str, str], bytes]:
        headers, body = webhook_headers(b"{}"), payload("rest_orders_eu_taxes_included.json")
        return headers, body

    @pytest.fixture
    def malformed_body(self) -> bytes:
        return b'{"orders": {"id": 5820188229851}}'
