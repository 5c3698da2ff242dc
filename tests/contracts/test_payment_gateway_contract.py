"""PaymentGatewayContract on the core's manual gateway, and on a small signed-webhook gateway (a local example)."""

import hashlib
import hmac
import json

import pytest

from oms_core import GatewayOutcome, GatewayResult, Money, PaymentEvent, PaymentEventKind, WebhookRejected
from oms_core.defaults.manual_payment import ManualPaymentGateway
from oms_core.testing import draft, seed_catalogue
from oms_core.testing.contracts import PaymentGatewayContract


class TestManualPaymentGateway(PaymentGatewayContract):
    @pytest.fixture
    def gateway(self):
        return ManualPaymentGateway()


class TestManualPaymentGatewayByName(PaymentGatewayContract):
    """The same gateway under its installed name and with an offline method."""

    @pytest.fixture
    def gateway(self):
        return ManualPaymentGateway()

    @pytest.fixture
    def gateway_name(self):
        return "manual"

    @pytest.fixture
    def payment_method(self):
        return "bank_transfer"


class SignedWebhookGateway(ManualPaymentGateway):
    """A local example: the manual gateway plus HMAC-signed JSON webhooks ``{"id", "type", "reference"}``."""

    secret = b"whsec-contract"

    def authorize(self, order, amount, method, idempotency_key):
        return GatewayResult(GatewayOutcome.AUTHORIZED, reference=f"sig-{idempotency_key}", amount=amount)

    def parse_webhook(self, headers, body):
        expected = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("Signature", ""), expected):
            raise WebhookRejected(self.name or "signed", "bad signature")
        data = json.loads(body)
        amount = Money(data["amount"], data["currency"]) if "amount" in data else None
        return PaymentEvent(data["id"], PaymentEventKind(data["type"]), data["reference"], amount, data)


def signed(data):
    body = json.dumps(data).encode()
    return {"Signature": hmac.new(SignedWebhookGateway.secret, body, hashlib.sha256).hexdigest()}, body


class TestSignedWebhookGateway(PaymentGatewayContract):
    @pytest.fixture
    def gateway(self):
        return SignedWebhookGateway()

    @pytest.fixture
    def webhook_payload(self):
        return signed({"id": "evt_1", "type": "captured", "reference": "sig-unknown", "amount": "10.00",
                       "currency": "EUR"})  # fmt: skip

    @pytest.fixture
    def tampered_webhook(self):
        headers, body = signed({"id": "evt_2", "type": "refunded", "reference": "sig-unknown"})
        return headers, body.replace(b"refunded", b"captured")


# -- the suite catches what it should -----------------------------------------------------------------------------


def test_a_gateway_without_a_reference_fails_the_suite(make_oms):
    class NoReference(ManualPaymentGateway):
        def authorize(self, order, amount, method, idempotency_key):
            return GatewayResult(GatewayOutcome.PENDING, amount=amount)

    suite = PaymentGatewayContract()
    gateway = NoReference()
    oms = make_oms()
    oms.register_driver("oms.payment_gateways", "contract", lambda **_: gateway)
    seed_catalogue(oms, {"CONTRACT-SKU": {"CONTRACT-WH": 100}})
    order = oms.place_order(draft("x", [("CONTRACT-SKU", 2, "50.00")]))
    with pytest.raises(AssertionError, match="reference"):
        suite.test_authorize(oms, order, "contract", "default")
