"""The payload toolkit channel connectors share: typed readers whose errors name the field path."""

import base64
import hashlib
import hmac
from decimal import Decimal

import pytest

from oms_core import ValidationError, WebhookRejected, payload


def test_json_numbers_are_decimals_as_written():
    assert payload.load_json(b'{"price": 0.1, "qty": 2}') == {"price": Decimal("0.1"), "qty": 2}


def test_bad_json_names_the_body():
    with pytest.raises(ValidationError) as err:
        payload.load_json(b"{nope")
    assert err.value.field == "body"


@pytest.mark.parametrize("value", ["-1.00", "abc", True, 1.5, None, "NaN"])
def test_money_refuses_with_the_path(value):
    with pytest.raises(ValidationError) as err:
        payload.money(value, "line_items[2].price")
    assert err.value.field == "line_items[2].price"


def test_readers():
    assert payload.money(" 12.50 ", "p") == Decimal("12.50")
    assert payload.field_path("line_items", "[2]") == "line_items[2]"
    assert payload.field_path("line_items[2]", "sku") == "line_items[2].sku"
    assert payload.field_path("", "sku") == "sku"
    assert payload.as_list(None, "x") == []
    assert payload.text("  ") is None
    assert payload.currency(" EUR ", "currency") == "EUR"
    with pytest.raises(ValidationError):
        payload.currency("EURO", "currency")
    assert payload.header({"HTTP_X_SHOPIFY_TOPIC": "orders/create"}, "X-Shopify-Topic") == "orders/create"


def test_hmac_verification_in_constant_time_over_the_raw_body():
    body = b'{"id": 1}'
    good = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    payload.verify_hmac_sha256_base64("shop", "s3cret", {"X-Sig": good}, "X-Sig", body)
    for headers, why in [({}, "missing"), ({"X-Sig": good}, "does not match")]:
        with pytest.raises(WebhookRejected, match=why):
            payload.verify_hmac_sha256_base64("shop", "s3cret", headers, "X-Sig", body + b" " * (why != "missing"))
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        payload.verify_hmac_sha256_base64("shop", "", {"X-Sig": good}, "X-Sig", body)
