"""The gateway against the Stripe sandbox served on 127.0.0.1, through a real HTTP client and server."""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from oms_payment_stripe import StripeGateway
from oms_payment_stripe.sandbox import API_KEY, StripeSandbox

from oms_core import GatewayError, GatewayOutcome, Money, Order

EUR100 = Money("100.00", "EUR")


def order(currency: str = "EUR", id: int = 7) -> Order:
    """What the gateway reads of an order (a stand-in; the OMS passes the real one)."""
    return SimpleNamespace(id=id, channel="web", external_id=f"A-{id}", currency=currency)  # type: ignore[return-value]


def authorized(gateway: StripeGateway, amount: Money = EUR100, key: str = "oms-1") -> str:
    result = gateway.authorize(order(amount.currency), amount, "default", key)
    assert result.outcome == GatewayOutcome.AUTHORIZED, result.error
    assert result.reference
    return result.reference


# -- authorize ---------------------------------------------------------------------------------------------------


def test_authorize_creates_a_confirmed_manual_capture_payment_intent(
    stripe_gateway: StripeGateway, stripe_api: StripeSandbox
) -> None:
    result = stripe_gateway.authorize(order(), Money("12.34", "EUR"), "default", "oms-abc")
    assert result.outcome == GatewayOutcome.AUTHORIZED
    assert result.reference is not None and result.reference.startswith("pi_")
    assert result.amount == Money("12.34", "EUR")
    [request] = stripe_api.posts()
    assert request["path"] == "/v1/payment_intents"
    assert request["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert request["headers"]["idempotency-key"] == "oms-abc"
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert "metadata%5Border_id%5D=7" in request["body"]
    form = request["form"]
    assert (form["amount"], form["currency"], form["capture_method"], form["confirm"]) == (
        "1234",
        "eur",
        "manual",
        "true",
    )
    assert form["payment_method"] == "pm_card_visa"  # the configured default: "default" is not a pm_ id
    assert form["automatic_payment_methods"] == {"enabled": "true", "allow_redirects": "never"}
    assert form["metadata"] == {"order_id": "7", "channel": "web", "external_id": "A-7"}
    intent = stripe_api.intents[result.reference]
    assert (intent["status"], intent["amount_capturable"], intent["amount_received"]) == ("requires_capture", 1234, 0)


def test_a_pm_method_is_passed_to_stripe(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    result = stripe_gateway.authorize(order(), EUR100, "pm_card_mastercard", "oms-mc")
    assert result.outcome == GatewayOutcome.AUTHORIZED
    assert stripe_api.posts()[0]["form"]["payment_method"] == "pm_card_mastercard"


def test_a_decline_is_a_failed_result_with_stripes_message(
    stripe_gateway: StripeGateway, stripe_api: StripeSandbox
) -> None:
    result = stripe_gateway.authorize(order(), EUR100, "pm_card_visa_chargeDeclined", "oms-declined")
    assert result.outcome == GatewayOutcome.FAILED
    assert result.error == "Your card was declined. (card_declined/generic_decline)"
    assert result.reference in stripe_api.intents  # the declined PaymentIntent, for the record
    assert result.raw["type"] == "card_error"


def test_insufficient_funds_names_the_decline_code(stripe_gateway: StripeGateway) -> None:
    result = stripe_gateway.authorize(order(), EUR100, "pm_card_visa_chargeDeclinedInsufficientFunds", "oms-if")
    assert result.outcome == GatewayOutcome.FAILED
    assert result.error is not None and "insufficient_funds" in result.error


def test_an_unknown_payment_method_is_a_failed_result(stripe_gateway: StripeGateway) -> None:
    result = stripe_gateway.authorize(order(), EUR100, "pm_does_not_exist", "oms-unknown")
    assert result.outcome == GatewayOutcome.FAILED
    assert result.error is not None and "No such PaymentMethod" in result.error


def test_3d_secure_leaves_the_payment_pending(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    result = stripe_gateway.authorize(order(), EUR100, "pm_card_threeDSecure2Required", "oms-3ds")
    assert result.outcome == GatewayOutcome.PENDING
    assert stripe_api.intents[result.reference]["status"] == "requires_action"


def test_zero_decimal_amounts_are_not_multiplied(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    result = stripe_gateway.authorize(order("JPY"), Money("1500", "JPY"), "default", "oms-jpy")
    assert (result.outcome, result.amount) == (GatewayOutcome.AUTHORIZED, Money("1500", "JPY"))
    form = stripe_api.posts()[0]["form"]
    assert (form["amount"], form["currency"]) == ("1500", "jpy")


def test_three_decimal_amounts_end_in_zero(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    result = stripe_gateway.authorize(order("KWD"), Money("12.340", "KWD"), "default", "oms-kwd")
    assert result.outcome == GatewayOutcome.AUTHORIZED
    assert stripe_api.posts()[0]["form"]["amount"] == "12340"
    with pytest.raises(GatewayError, match=r"steps of 0\.010"):
        stripe_gateway.authorize(order("KWD"), Money("12.345", "KWD"), "default", "oms-kwd-2")
    assert len(stripe_api.posts()) == 1  # refused before asking Stripe


# -- capture -----------------------------------------------------------------------------------------------------


def test_capture_part_then_stripe_refuses_a_second_capture(
    stripe_gateway: StripeGateway, stripe_api: StripeSandbox
) -> None:
    pi = authorized(stripe_gateway)
    first = stripe_gateway.capture(pi, Money("60.00", "EUR"), "oms-1:capture:60.00")
    assert (first.outcome, first.reference, first.amount) == (GatewayOutcome.CAPTURED, pi, Money("60.00", "EUR"))
    assert stripe_api.posts()[-1]["form"] == {"amount_to_capture": "6000"}
    intent = stripe_api.intents[pi]
    assert (intent["status"], intent["amount_received"], intent["amount_capturable"]) == ("succeeded", 6000, 0)
    # Stripe captures a PaymentIntent once: the 40.00 left were released by the partial capture
    second = stripe_gateway.capture(pi, Money("40.00", "EUR"), "oms-1:capture:100.00")
    assert second.outcome == GatewayOutcome.FAILED
    assert second.error is not None
    assert "could not be captured because it has a status of succeeded" in second.error
    assert "payment_intent_unexpected_state" in second.error


def test_capture_more_than_capturable_is_refused(stripe_gateway: StripeGateway) -> None:
    pi = authorized(stripe_gateway)
    result = stripe_gateway.capture(pi, Money("100.01", "EUR"), "oms-1:capture:100.01")
    assert result.outcome == GatewayOutcome.FAILED
    assert "amount_too_large" in (result.error or "")


def test_capture_of_an_unknown_payment_intent_is_refused(stripe_gateway: StripeGateway) -> None:
    result = stripe_gateway.capture("pi_nope", EUR100, "oms-x:capture")
    assert result.outcome == GatewayOutcome.FAILED
    assert "resource_missing" in (result.error or "")


def test_capture_needs_a_reference(stripe_gateway: StripeGateway) -> None:
    with pytest.raises(GatewayError, match="no PaymentIntent"):
        stripe_gateway.capture(None, EUR100, "oms-x:capture")


# -- void --------------------------------------------------------------------------------------------------------


def test_void_cancels_the_payment_intent(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    pi = authorized(stripe_gateway)
    result = stripe_gateway.void(pi, "oms-1:void")
    assert (result.outcome, result.reference) == (GatewayOutcome.VOIDED, pi)
    assert stripe_api.posts()[-1]["form"] == {"cancellation_reason": "requested_by_customer"}
    assert (stripe_api.intents[pi]["status"], stripe_api.intents[pi]["cancellation_reason"]) == (
        "canceled",
        "requested_by_customer",
    )


def test_void_after_capture_is_refused(stripe_gateway: StripeGateway) -> None:
    pi = authorized(stripe_gateway)
    stripe_gateway.capture(pi, EUR100, "oms-1:capture:100.00")
    result = stripe_gateway.void(pi, "oms-1:void")
    assert result.outcome == GatewayOutcome.FAILED
    assert "You cannot cancel this PaymentIntent" in (result.error or "")


def test_the_cancellation_reason_is_one_of_stripes() -> None:
    with pytest.raises(ValueError, match="cancellation_reason"):
        StripeGateway(api_key="sk_test_x", cancellation_reason="because")
    assert StripeGateway(api_key="sk_test_x", cancellation_reason="abandoned").cancellation_reason == "abandoned"


# -- refund ------------------------------------------------------------------------------------------------------


def test_refund_part_of_a_capture(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    pi = authorized(stripe_gateway)
    stripe_gateway.capture(pi, EUR100, "oms-1:capture:100.00")
    result = stripe_gateway.refund(pi, Money("30.00", "EUR"), "damaged in transit", "oms-1:refund:30.00")
    assert result.outcome == GatewayOutcome.REFUNDED
    assert result.reference is not None and result.reference.startswith("re_")
    assert result.amount == Money("30.00", "EUR")
    form = stripe_api.posts()[-1]["form"]
    assert form == {"payment_intent": pi, "amount": "3000", "metadata": {"reason": "damaged in transit"}}
    charge = stripe_api.charges[stripe_api.intents[pi]["latest_charge"]]
    assert (charge["amount_refunded"], charge["refunded"]) == (3000, False)


def test_a_stripe_refund_reason_is_passed_on(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    pi = authorized(stripe_gateway)
    stripe_gateway.capture(pi, EUR100, "oms-1:capture:100.00")
    stripe_gateway.refund(pi, EUR100, "duplicate", "oms-1:refund:100.00")
    assert stripe_api.posts()[-1]["form"]["reason"] == "duplicate"


def test_refund_more_than_what_is_left_is_refused(stripe_gateway: StripeGateway) -> None:
    pi = authorized(stripe_gateway)
    stripe_gateway.capture(pi, Money("50.00", "EUR"), "oms-1:capture:50.00")
    stripe_gateway.refund(pi, Money("30.00", "EUR"), "x", "oms-1:refund:30.00")
    result = stripe_gateway.refund(pi, Money("20.01", "EUR"), "x", "oms-1:refund:50.01")
    assert result.outcome == GatewayOutcome.FAILED
    assert "amount_too_large" in (result.error or "")


def test_refund_of_an_uncaptured_payment_is_refused(stripe_gateway: StripeGateway) -> None:
    pi = authorized(stripe_gateway)
    result = stripe_gateway.refund(pi, Money("1.00", "EUR"), "x", "oms-1:refund:1.00")
    assert result.outcome == GatewayOutcome.FAILED


# -- idempotency -------------------------------------------------------------------------------------------------


def test_every_post_carries_an_idempotency_key(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    pi = authorized(stripe_gateway)
    stripe_gateway.capture(pi, EUR100, "oms-1:capture:100.00")
    stripe_gateway.refund(pi, Money("1.00", "EUR"), "x", "oms-1:refund:1.00")
    keys = [r["headers"].get("idempotency-key") for r in stripe_api.posts()]
    assert keys == ["oms-1", "oms-1:capture:100.00", "oms-1:refund:1.00"]


def test_a_retry_with_the_same_key_does_not_charge_twice(
    stripe_gateway: StripeGateway, stripe_api: StripeSandbox
) -> None:
    first = stripe_gateway.authorize(order(), EUR100, "default", "oms-retry")
    again = stripe_gateway.authorize(order(), EUR100, "default", "oms-retry")
    assert again.reference == first.reference
    assert len(stripe_api.intents) == 1


def test_a_key_reused_for_another_request_is_an_error(stripe_gateway: StripeGateway) -> None:
    stripe_gateway.authorize(order(), EUR100, "default", "oms-reused")
    with pytest.raises(GatewayError, match="idempotent requests can only be used with the same parameters"):
        stripe_gateway.authorize(order(), Money("99.00", "EUR"), "default", "oms-reused")


def test_a_very_long_key_is_shortened_the_same_way_every_time(
    stripe_gateway: StripeGateway, stripe_api: StripeSandbox
) -> None:
    key = "k" * 300
    first = stripe_gateway.authorize(order(), EUR100, "default", key)
    again = stripe_gateway.authorize(order(), EUR100, "default", key)
    assert first.reference == again.reference
    sent = {r["headers"]["idempotency-key"] for r in stripe_api.posts()}
    assert len(sent) == 1 and len(sent.pop()) <= 255


# -- failures that are not answers ---------------------------------------------------------------------------------


def test_a_500_raises_gateway_error(stripe_gateway: StripeGateway, stripe_api: StripeSandbox) -> None:
    stripe_api.fail_next(500)
    with pytest.raises(GatewayError, match="HTTP 500"):
        stripe_gateway.authorize(order(), EUR100, "default", "oms-500")
    assert stripe_api.intents == {}
    # the same key works once Stripe is back: nothing was saved for it
    assert stripe_gateway.authorize(order(), EUR100, "default", "oms-500").outcome == GatewayOutcome.AUTHORIZED


@pytest.mark.parametrize("status", [401, 409, 429, 503])
def test_other_errors_raise_gateway_error(
    stripe_gateway: StripeGateway, stripe_api: StripeSandbox, status: int
) -> None:
    stripe_api.fail_next(status)
    with pytest.raises(GatewayError, match=f"HTTP {status}"):
        stripe_gateway.authorize(order(), EUR100, "default", "oms-err")


def test_a_wrong_api_key_raises_gateway_error(stripe_config: dict[str, Any]) -> None:
    with (
        StripeGateway(**{**stripe_config, "api_key": "sk_test_wrong"}) as gateway,
        pytest.raises(GatewayError, match="Invalid API Key"),
    ):
        gateway.authorize(order(), EUR100, "default", "oms-key")


def test_no_api_key_raises_gateway_error() -> None:
    with pytest.raises(GatewayError, match="no api_key"):
        StripeGateway().authorize(order(), EUR100, "default", "oms-key")


def test_no_answer_raises_gateway_error() -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        StripeGateway(api_key=API_KEY, api_base=f"http://127.0.0.1:{port}", timeout=2) as gateway,
        pytest.raises(GatewayError, match="cannot reach Stripe"),
    ):
        gateway.authorize(order(), EUR100, "default", "oms-down")


def test_a_timeout_raises_gateway_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with (
        StripeGateway(api_key=API_KEY, transport=httpx.MockTransport(slow)) as gateway,
        pytest.raises(GatewayError, match="a retry is safe"),
    ):
        gateway.capture("pi_1", EUR100, "oms-slow")


def test_an_answer_that_is_not_json_raises_gateway_error() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    with (
        StripeGateway(api_key=API_KEY, transport=httpx.MockTransport(html)) as gateway,
        pytest.raises(GatewayError, match="HTTP 502"),
    ):
        gateway.void("pi_1", "oms-html")
