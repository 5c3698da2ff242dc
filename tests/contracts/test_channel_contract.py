"""ChannelContract on the reference channel (a local example, see reference_channel.py)."""

import json
from decimal import Decimal

import attrs
import pytest

from oms_core import Address, Customer, LineDraft, OrderDraft
from oms_core.testing.contracts import ChannelContract, find_floats

from .reference_channel import SIGNATURE_HEADER, JsonHmacChannel, sign

SECRET = "contract-secret"

ORDERS = [
    {
        "id": "1001",
        "currency": "EUR",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "shipping_address": {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
                             "postcode": "SW1Y 4JH", "country": "GB"},
        "lines": [{"sku": "MUG", "quantity": 2, "price": "12.50"}, {"sku": "TEA", "quantity": 1, "price": 4.99}],
        "shipping": "4.90",
    },
    {
        "id": 1002,
        "currency": "JPY",
        "email": "grace@example.com",
        "shipping_address": {"name": "Grace Hopper", "line1": "1-1 Chiyoda", "city": "Tokyo",
                             "postcode": "100-0001", "country": "JP"},
        "lines": [{"sku": "MUG", "quantity": 3, "price": "1500"}],
    },
]  # fmt: skip


def payload(orders: object = ORDERS) -> tuple[dict[str, str], bytes]:
    body = json.dumps(orders).encode()
    return {SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/json"}, body


class TestReferenceChannel(ChannelContract):
    @pytest.fixture
    def channel(self):
        return JsonHmacChannel(SECRET)

    @pytest.fixture
    def valid_payload(self):
        return payload()

    @pytest.fixture
    def tampered_payload(self):
        headers, body = payload()
        return headers, body.replace(b'"12.50"', b'"1.25"')

    @pytest.fixture
    def malformed_body(self):
        return b'[{"id": "1003", "currency": "EUR", "lines": "not a list"'


class TestUnsignedChannel(ChannelContract):
    """A channel without signatures: ``tampered_payload`` is ``None`` and that test is skipped."""

    class Unsigned(JsonHmacChannel):
        def verify(self, headers, body):
            return None

    @pytest.fixture
    def channel(self):
        return self.Unsigned(SECRET, channel="unsigned")

    @pytest.fixture
    def valid_payload(self):
        return {}, json.dumps(ORDERS[:1]).encode()

    @pytest.fixture
    def tampered_payload(self):
        return None

    @pytest.fixture
    def malformed_body(self):
        return json.dumps([{"id": "1", "currency": "EUR", "lines": [{"sku": "MUG"}]}]).encode()


# -- the suite catches what it should -----------------------------------------------------------------------------


def test_numbers_in_the_payload_become_decimals():
    headers, body = payload()
    [first, _] = JsonHmacChannel(SECRET).parse_orders(body, headers)
    assert first.lines[1].unit_price == Decimal("4.99")
    assert find_floats(first) == []


def test_find_floats_names_the_path():
    address = Address("A", "1 Road", "Paris", "75001", "FR")
    d = OrderDraft("web", "1", "EUR", [LineDraft("SKU", 1, "1.00")], address, Customer(email="a@example.com"),
                   attributes={"score": 0.5, "tags": [1, 2.0]})  # fmt: skip
    assert find_floats(d) == ["draft.attributes['score'] = 0.5", "draft.attributes['tags'][1] = 2.0"]


def test_a_float_amount_fails_the_suite():
    class FloatChannel(JsonHmacChannel):
        def parse_orders(self, body, headers=None):
            return [attrs.evolve(d, attributes={"raw_total": 29.99}) for d in super().parse_orders(body)]

    headers, body = payload()
    with pytest.raises(AssertionError, match="floats in the draft"):
        ChannelContract().test_parse_orders_gives_valid_drafts(FloatChannel(SECRET), (headers, body))


def test_a_channel_raising_a_foreign_error_fails_the_suite():
    class Sloppy(JsonHmacChannel):
        def parse_orders(self, body, headers=None):
            return [json.loads(body)["missing"]]

    headers, _ = payload()
    with pytest.raises(TypeError):
        ChannelContract().test_parse_orders_refuses_a_malformed_body(Sloppy(SECRET), (headers, b""), b"[1]")
