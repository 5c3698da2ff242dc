"""Sandbox mode: the gateway with the in-process emulation of Stripe, no network, configured as a host would."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from oms_payment_stripe import StripeGateway, StripeSandbox
from oms_payment_stripe.sandbox import API_KEY

from oms_core import OMS, PAYMENT_GATEWAYS, GatewayOutcome, Money, PaymentState, PaymentStatus
from oms_core.testing import draft, seed_catalogue

SECRET = "whsec_sandbox_demo"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("sandbox mode opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def sandbox_oms(make_oms: Any) -> OMS:
    config = {"sandbox": True, "api_key": "sk_test_demo", "webhook_secret": SECRET}
    oms = make_oms(driver_config={PAYMENT_GATEWAYS: {"stripe": config}}, default_gateway="stripe")
    seed_catalogue(oms, {"SKU-1": {"WH1": 100}})
    return oms


def test_a_sandbox_gateway_works_without_a_network(no_network: None) -> None:
    with StripeGateway(sandbox=True, api_key="sk_test_demo") as gateway:
        gateway.name = "stripe"
        order = type("O", (), {"id": 1, "channel": "web", "external_id": "A-1", "currency": "EUR"})()
        result = gateway.authorize(order, Money("10.00", "EUR"), "default", "key-1")  # type: ignore[arg-type]
        assert result.outcome == GatewayOutcome.AUTHORIZED
        assert isinstance(gateway.sandbox, StripeSandbox)
        assert gateway.sandbox.intents[result.reference]["status"] == "requires_capture"
        captured = gateway.capture(result.reference, Money("10.00", "EUR"), "key-2")
        assert captured.outcome == GatewayOutcome.CAPTURED
        [request] = [r for r in gateway.sandbox.posts() if r["path"] == "/v1/payment_intents"]
        assert request["headers"]["authorization"] == "Bearer sk_test_demo"


def test_without_an_api_key_the_sandbox_uses_its_own() -> None:
    gateway = StripeGateway(sandbox=True)
    assert gateway.sandbox is not None and gateway.api_key == gateway.sandbox.api_key == API_KEY


def test_sandbox_mode_refuses_a_live_key_and_a_transport() -> None:
    with pytest.raises(ValueError, match="never a live one"):
        StripeGateway(sandbox=True, api_key="sk_live_123")
    with pytest.raises(ValueError, match="own transport"):
        StripeGateway(sandbox=True, api_key="sk_test_demo", transport=StripeSandbox().transport())


def test_without_sandbox_mode_there_is_no_sandbox() -> None:
    assert StripeGateway(api_key="sk_test_demo").sandbox is None


def test_an_oms_pays_captures_refunds_and_hears_webhooks_in_sandbox_mode(sandbox_oms: OMS, no_network: None) -> None:
    order = sandbox_oms.place_order(draft("S-1", [("SKU-1", 2, "50.00")]))
    paid = sandbox_oms.pay(order.id)
    assert (paid.state, paid.gateway, paid.captured) == (PaymentState.CAPTURED, "stripe", Money("100.00", "EUR"))
    assert sandbox_oms.refund(order.id, "25.00", "damaged") == Money("25.00", "EUR")
    assert sandbox_oms.get_order(order.id).payment_status == PaymentStatus.PARTIALLY_REFUNDED

    # a refund made in the sandbox's "Dashboard" reaches the OMS through a signed webhook
    sandbox = sandbox_oms.driver(PAYMENT_GATEWAYS, "stripe").sandbox
    sandbox.dashboard_refund(paid.reference, 1500)
    headers, body = sandbox.signed(sandbox.events_of("charge.refunded")[-1], SECRET)
    assert sandbox_oms.handle_payment_webhook("stripe", headers, body) == ("applied refunded", True)
    assert sandbox_oms.get_order(order.id).amount_refunded == Money("40.00", "EUR")


def test_a_declined_test_card_is_a_failed_payment_in_sandbox_mode(sandbox_oms: OMS) -> None:
    order = sandbox_oms.place_order(draft("S-2", [("SKU-1", 1, "20.00")]))
    failed = sandbox_oms.authorize_payment(order.id, method="pm_card_visa_chargeDeclined")
    assert failed.state == PaymentState.FAILED
    assert "Your card was declined." in (failed.error or "")
