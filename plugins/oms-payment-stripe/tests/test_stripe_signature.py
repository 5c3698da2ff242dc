"""Webhook signatures: valid, tampered, expired, rolled secrets, malformed headers."""

import hashlib
import hmac
import json
import time

import pytest
from oms_payment_stripe import StripeGateway, compute_signature, signature_header
from oms_payment_stripe.sandbox import WEBHOOK_SECRET

from oms_core import PaymentEventKind, WebhookRejected

OLD_SECRET = "whsec_old_secret_before_rolling"

EVENT = {
    "id": "evt_1Sig",
    "object": "event",
    "type": "payment_intent.succeeded",
    "created": 1700000000,
    "data": {"object": {"id": "pi_1Sig", "object": "payment_intent", "amount": 2000, "amount_received": 2000,
                        "amount_capturable": 0, "currency": "eur", "status": "succeeded"}},
}  # fmt: skip
BODY = json.dumps(EVENT).encode()


def gateway(secret: str | list[str] = WEBHOOK_SECRET, tolerance: int = 300) -> StripeGateway:
    return StripeGateway(api_key="sk_test_x", webhook_secret=secret, tolerance=tolerance)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(WEBHOOK_SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert compute_signature(WEBHOOK_SECRET, 1700000000, BODY) == expected
    assert signature_header(WEBHOOK_SECRET, BODY, 1700000000) == f"t=1700000000,v1={expected}"


def test_a_valid_signature_is_accepted() -> None:
    event = gateway().parse_webhook({"Stripe-Signature": signature_header(WEBHOOK_SECRET, BODY)}, BODY)
    assert (event.event_id, event.kind, event.reference) == ("evt_1Sig", PaymentEventKind.CAPTURED, "pi_1Sig")


def test_the_header_name_is_case_insensitive() -> None:
    gateway().parse_webhook({"stripe-signature": signature_header(WEBHOOK_SECRET, BODY)}, BODY)


def test_a_tampered_body_is_rejected() -> None:
    header = signature_header(WEBHOOK_SECRET, BODY)
    tampered = BODY.replace(b"2000", b"9000")
    with pytest.raises(WebhookRejected, match="no signature matches"):
        gateway().parse_webhook({"Stripe-Signature": header}, tampered)


def test_a_changed_timestamp_is_rejected() -> None:
    header = signature_header(WEBHOOK_SECRET, BODY)
    t, _, rest = header.partition(",")
    forged = f"t={int(t[2:]) + 1},{rest}"
    with pytest.raises(WebhookRejected, match="no signature matches"):
        gateway().parse_webhook({"Stripe-Signature": forged}, BODY)


def test_another_secret_is_rejected() -> None:
    header = signature_header("whsec_someone_else", BODY)
    with pytest.raises(WebhookRejected):
        gateway().parse_webhook({"Stripe-Signature": header}, BODY)


def test_an_expired_timestamp_is_rejected_even_when_correctly_signed() -> None:
    header = signature_header(WEBHOOK_SECRET, BODY, int(time.time()) - 301)
    with pytest.raises(WebhookRejected, match="tolerance"):
        gateway().parse_webhook({"Stripe-Signature": header}, BODY)


def test_a_timestamp_far_in_the_future_is_rejected() -> None:
    header = signature_header(WEBHOOK_SECRET, BODY, int(time.time()) + 3600)
    with pytest.raises(WebhookRejected, match="tolerance"):
        gateway().parse_webhook({"Stripe-Signature": header}, BODY)


def test_the_tolerance_is_configurable() -> None:
    header = signature_header(WEBHOOK_SECRET, BODY, int(time.time()) - 600)
    gateway(tolerance=900).parse_webhook({"Stripe-Signature": header}, BODY)


def test_while_rolling_stripe_signs_with_both_secrets_and_one_match_is_enough() -> None:
    header = signature_header([WEBHOOK_SECRET, OLD_SECRET], BODY)
    assert header.count("v1=") == 2
    gateway(WEBHOOK_SECRET).parse_webhook({"Stripe-Signature": header}, BODY)
    gateway(OLD_SECRET).parse_webhook({"Stripe-Signature": header}, BODY)


def test_a_list_of_secrets_accepts_either() -> None:
    both = gateway([WEBHOOK_SECRET, OLD_SECRET])
    both.parse_webhook({"Stripe-Signature": signature_header(OLD_SECRET, BODY)}, BODY)
    both.parse_webhook({"Stripe-Signature": signature_header(WEBHOOK_SECRET, BODY)}, BODY)
    with pytest.raises(WebhookRejected):
        both.parse_webhook({"Stripe-Signature": signature_header("whsec_third", BODY)}, BODY)


def test_only_the_v1_scheme_counts() -> None:
    ts = int(time.time())
    v0 = compute_signature(WEBHOOK_SECRET, ts, BODY)  # right value, wrong scheme
    with pytest.raises(WebhookRejected, match="no v1 signature"):
        gateway().parse_webhook({"Stripe-Signature": f"t={ts},v0={v0}"}, BODY)


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no Stripe-Signature header"),
        ({"Stripe-Signature": "v1=abc"}, "no timestamp"),
        ({"Stripe-Signature": "t=soon,v1=abc"}, "malformed"),
        ({"Stripe-Signature": "garbage"}, "malformed"),
        # "{now}" is filled in when the test runs: a timestamp taken at collection would be stale in a long session
        ({"Stripe-Signature": "t={now},v1=ünïcödé"}, "no signature matches"),
    ],
)
def test_malformed_headers_are_rejected(headers: dict[str, str], why: str) -> None:
    headers = {k: v.replace("{now}", str(int(time.time()))) for k, v in headers.items()}
    with pytest.raises(WebhookRejected, match=why):
        gateway().parse_webhook(headers, BODY)


def test_without_a_configured_secret_every_webhook_is_rejected() -> None:
    with pytest.raises(WebhookRejected, match="no webhook_secret"):
        gateway("").parse_webhook({"Stripe-Signature": signature_header(WEBHOOK_SECRET, BODY)}, BODY)


def test_a_signed_body_that_is_not_an_event_is_rejected() -> None:
    for body in (b"not json", b"[1, 2]", b'{"id": "evt_1"}', b'{"id": "evt_1", "type": "x", "data": {}}'):
        with pytest.raises(WebhookRejected):
            gateway().parse_webhook({"Stripe-Signature": signature_header(WEBHOOK_SECRET, body)}, body)
