"""The payment gateway contract of oms-core, run against the Stripe sandbox served on 127.0.0.1."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from oms_payment_stripe import StripeGateway
from oms_payment_stripe.sandbox import WEBHOOK_SECRET, StripeSandbox

from oms_core import OMS, GatewayError, Money, Order, PaymentState, PaymentStatus
from oms_core.testing.contracts import PaymentGatewayContract

Payload = tuple[dict[str, str], bytes]


class TestStripeGatewayContract(PaymentGatewayContract):
    @pytest.fixture
    def gateway(self, stripe_gateway: StripeGateway) -> StripeGateway:
        return stripe_gateway

    @pytest.fixture
    def gateway_name(self) -> str:
        return "stripe"

    @pytest.fixture
    def webhook_payload(self, stripe_api: StripeSandbox, stripe_gateway: StripeGateway) -> Payload:
        """A ``payment_intent.amount_capturable_updated`` Event, as Stripe sends it after an authorization."""
        order = SimpleNamespace(id=99, channel="web", external_id="webhook-1", currency="EUR")
        stripe_gateway.authorize(order, Money("25.00", "EUR"), "default", "contract-webhook")  # type: ignore[arg-type]
        [event] = stripe_api.events_of("payment_intent.amount_capturable_updated")
        return stripe_api.signed(event, WEBHOOK_SECRET)

    @pytest.fixture
    def tampered_webhook(self, webhook_payload: Payload) -> Payload:
        headers, body = webhook_payload
        return headers, body.replace(b'"amount_capturable": 2500', b'"amount_capturable": 250000')

    def test_capture_in_two_parts_pays_the_order(
        self, payment_oms: OMS, payment_order: Order, gateway_name: str, payment_method: str
    ) -> None:
        """Overridden: Stripe captures a PaymentIntent once.

        Stripe's documentation ("Place a hold on a payment method"): a partial capture releases the rest of the
        authorization, and a PaymentIntent cannot be captured again for the difference. So the first part is
        captured as the contract expects, and the second one is refused by Stripe; the OMS raises GatewayError
        with Stripe's message and writes nothing. (The manual gateway, by contrast, captures in as many parts as
        wanted.) Collecting the rest takes a new payment from the customer.
        """
        payment = self._uncaptured(payment_oms, payment_order, gateway_name, payment_method)
        part = self._part(payment_order)
        partly = payment_oms.capture_payment(payment.id, part)
        assert (partly.state, partly.captured) == (PaymentState.PARTIALLY_CAPTURED, part)
        assert payment_oms.get_order(payment_order.id).payment_status == PaymentStatus.PARTIALLY_PAID
        with pytest.raises(GatewayError, match="payment_intent_unexpected_state"):
            payment_oms.capture_payment(payment.id, payment_order.total - part)
        [after] = payment_oms.payments(payment_order.id)
        assert (after.state, after.captured) == (PaymentState.PARTIALLY_CAPTURED, part)
