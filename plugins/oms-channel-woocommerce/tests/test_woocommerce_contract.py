"""The channel contract every connector passes, run on a WooCommerce webhook and on a REST order list."""

from __future__ import annotations

import pytest
from oms_channel_woocommerce import WooCommerceChannel
from woocommerce_support import SECRET, payload, webhook_headers

from oms_core.testing.contracts import ChannelContract


class TestWooCommerceWebhook(ChannelContract):
    """An ``order.created`` webhook: prices without tax, a coupon spread over the lines, two shipping packages."""

    @pytest.fixture
    def channel(self) -> WooCommerceChannel:
        return WooCommerceChannel(secret=SECRET)

    @pytest.fixture
    def valid_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("order_us_coupon_two_packages.json")
        return webhook_headers(body), body

    @pytest.fixture
    def tampered_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("order_us_coupon_two_packages.json")
        return webhook_headers(body), body.replace(b'"total": "156.60"', b'"total": "15.66"')

    @pytest.fixture
    def malformed_body(self) -> bytes:
        return payload("order_us_coupon_two_packages.json")[:900]


class TestWooCommerceRestList(ChannelContract):
    """A ``GET /wp-json/wc/v3/orders`` answer: two German orders, prices including VAT, one without shipping."""

    @pytest.fixture
    def channel(self) -> WooCommerceChannel:
        return WooCommerceChannel(secret=SECRET)

    @pytest.fixture
    def valid_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("orders_list_de_prices_include_tax.json")
        return {"X-WC-Webhook-Signature": webhook_headers(body)["X-WC-Webhook-Signature"]}, body

    @pytest.fixture
    def tampered_payload(self) -> tuple[dict[str, str], bytes]:
        body = payload("orders_list_de_prices_include_tax.json")
        return {"X-WC-Webhook-Signature": webhook_headers(body)["X-WC-Webhook-Signature"]}, body + b" "

    @pytest.fixture
    def malformed_body(self) -> bytes:
        return b'{"id": 5120, "line_items": "BECHER-SG-400"}'
