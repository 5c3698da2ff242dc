"""The gateway in an OMS (SQLite, and PostgreSQL when configured), found through its entry point."""

from __future__ import annotations

from typing import Any

import pytest
from oms_payment_stripe import StripeGateway
from oms_payment_stripe.sandbox import WEBHOOK_SECRET, StripeSandbox

from oms_core import (
    OMS,
    PAYMENT_GATEWAYS,
    GatewayError,
    Money,
    Order,
    PaymentState,
    PaymentStatus,
    WebhookRejected,
)
from oms_core.testing import draft


def place(oms: OMS, external_id: str = "1", price: str = "50.00", currency: str = "EUR") -> Order:
    """An order of two items at ``price`` (100.00 EUR by default)."""
    return oms.place_order(draft(external_id, [("SKU-1", 2, price)], currency=currency))


def kinds(oms: OMS, order_id: int) -> list[str]:
    return [entry.kind for entry in oms.timeline(order_id)]


def deliver(oms: OMS, stripe_api: StripeSandbox, event: dict[str, Any]) -> tuple[str, bool]:
    headers, body = stripe_api.signed(event, WEBHOOK_SECRET)
    return oms.handle_payment_webhook("stripe", headers, body)


def test_the_driver_is_found_by_its_entry_point(stripe_oms: OMS) -> None:
    assert "stripe" in stripe_oms.driver_names(PAYMENT_GATEWAYS)
    driver = stripe_oms.driver(PAYMENT_GATEWAYS, "stripe")
    assert isinstance(driver, StripeGateway)
    assert driver.name == "stripe"


def test_authorize_then_capture_part_and_the_rest_is_refused(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    assert (payment.state, payment.gateway, payment.amount) == (PaymentState.AUTHORIZED, "stripe", order.total)
    assert payment.reference in stripe_api.intents
    assert stripe_oms.get_order(order.id).payment_status == PaymentStatus.AUTHORIZED

    partly = stripe_oms.capture_payment(payment.id, "60.00")  # at the first shipment
    assert (partly.state, partly.captured) == (PaymentState.PARTIALLY_CAPTURED, Money("60.00", "EUR"))
    assert stripe_api.intents[payment.reference]["amount_received"] == 6000
    before = kinds(stripe_oms, order.id)

    # Stripe captures a PaymentIntent once: its partial capture released the other 40.00
    with pytest.raises(GatewayError, match="could not be captured because it has a status of succeeded"):
        stripe_oms.capture_payment(payment.id, "40.00")
    [after] = stripe_oms.payments(order.id)
    assert (after.state, after.captured) == (PaymentState.PARTIALLY_CAPTURED, Money("60.00", "EUR"))
    assert kinds(stripe_oms, order.id) == before
    assert stripe_oms.get_order(order.id).payment_status == PaymentStatus.PARTIALLY_PAID


def test_void(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    voided = stripe_oms.void_payment(payment.id, "customer changed their mind")
    assert voided.state == PaymentState.VOIDED
    assert stripe_api.intents[payment.reference]["status"] == "canceled"
    assert stripe_oms.get_order(order.id).payment_status == PaymentStatus.VOIDED


def test_cancelling_the_order_voids_the_authorization(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    stripe_oms.cancel_order(order.id, "out of stock")
    assert stripe_api.intents[payment.reference]["status"] == "canceled"
    assert stripe_oms.payments(order.id)[0].state == PaymentState.VOIDED


def test_refund_part(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.pay(order.id)
    assert payment.state == PaymentState.CAPTURED
    assert stripe_oms.refund(order.id, "30.00", "damaged in transit") == Money("30.00", "EUR")
    order = stripe_oms.get_order(order.id)
    assert (order.payment_status, order.amount_refunded) == (PaymentStatus.PARTIALLY_REFUNDED, Money("30.00", "EUR"))
    [refund] = stripe_oms.refunds(order.id)
    assert refund.reference in stripe_api.refunds
    assert stripe_api.refunds[refund.reference]["amount"] == 3000
    assert stripe_api.refunds[refund.reference]["metadata"] == {"reason": "damaged in transit"}


def test_a_decline_is_recorded_on_the_timeline(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id, method="pm_card_visa_chargeDeclined")
    assert payment.state == PaymentState.FAILED
    assert payment.error == "Your card was declined. (card_declined/generic_decline)"
    assert payment.reference in stripe_api.intents
    [failed] = [e for e in stripe_oms.timeline(order.id) if e.kind == "payment_failed"]
    assert "Your card was declined." in failed.message
    assert failed.source == "stripe"
    assert stripe_oms.get_order(order.id).payment_status == PaymentStatus.UNPAID
    # Stripe's payment_intent.payment_failed for the same attempt changes nothing more
    [event] = stripe_api.events_of("payment_intent.payment_failed")
    assert deliver(stripe_oms, stripe_api, event) == ("payment already failed", True)


def test_a_500_writes_nothing(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    before = kinds(stripe_oms, order.id)
    stripe_api.fail_next(500)
    with pytest.raises(GatewayError, match="HTTP 500"):
        stripe_oms.authorize_payment(order.id)
    assert stripe_oms.payments(order.id) == []
    assert kinds(stripe_oms, order.id) == before
    assert stripe_oms.get_order(order.id).payment_status == PaymentStatus.UNPAID


def test_a_capture_answered_with_500_is_reconciled_by_the_webhook(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    """Stripe captured but the answer was a 500: the OMS rolls back, and Stripe's event brings it in line."""
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    stripe_api.fail_next(500, after_executing=True)
    with pytest.raises(GatewayError, match="HTTP 500"):
        stripe_oms.capture_payment(payment.id)
    assert stripe_oms.payments(order.id)[0].captured == Money("0.00", "EUR")
    assert stripe_api.intents[payment.reference]["status"] == "succeeded"
    [event] = stripe_api.events_of("payment_intent.succeeded")
    assert deliver(stripe_oms, stripe_api, event) == ("applied captured", True)
    [after] = stripe_oms.payments(order.id)
    assert (after.state, after.captured) == (PaymentState.CAPTURED, order.total)
    assert stripe_oms.get_order(order.id).payment_status == PaymentStatus.PAID


def test_a_webhook_delivered_five_times_is_applied_once(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    stripe_api.dashboard_capture(payment.reference, 7000)  # someone captures 70.00 in Stripe's Dashboard
    [event] = stripe_api.events_of("payment_intent.succeeded")
    results = [deliver(stripe_oms, stripe_api, event) for _ in range(5)]
    assert results == [("applied captured", True)] + [("applied captured", False)] * 4
    [after] = stripe_oms.payments(order.id)
    assert (after.state, after.captured) == (PaymentState.PARTIALLY_CAPTURED, Money("70.00", "EUR"))
    assert kinds(stripe_oms, order.id).count("payment_captured") == 1


def test_the_webhook_of_a_capture_the_oms_made_changes_nothing(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    stripe_oms.capture_payment(payment.id, "60.00")
    [event] = stripe_api.events_of("payment_intent.succeeded")
    assert event["data"]["object"]["amount_received"] == 6000
    assert deliver(stripe_oms, stripe_api, event) == ("already captured", True)
    assert stripe_oms.payments(order.id)[0].captured == Money("60.00", "EUR")
    assert kinds(stripe_oms, order.id).count("payment_captured") == 1


def test_refund_webhooks_are_running_totals(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.pay(order.id)
    stripe_oms.refund(order.id, "30.00", "damaged")
    [own] = stripe_api.events_of("charge.refunded")
    assert deliver(stripe_oms, stripe_api, own) == ("already refunded", True)
    stripe_api.dashboard_refund(payment.reference, 2000)  # 20.00 more, refunded in the Dashboard
    dashboard = stripe_api.events_of("charge.refunded")[-1]
    assert dashboard["data"]["object"]["amount_refunded"] == 5000
    assert deliver(stripe_oms, stripe_api, dashboard) == ("applied refunded", True)
    assert deliver(stripe_oms, stripe_api, own) == ("already refunded", False)  # a late replay of the first
    order = stripe_oms.get_order(order.id)
    assert order.amount_refunded == Money("50.00", "EUR")
    assert sorted(r.amount.amount for r in stripe_oms.refunds(order.id)) == [20, 30]


def test_3d_secure_is_pending_until_stripe_reports_the_authorization(
    stripe_oms: OMS, stripe_api: StripeSandbox
) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id, method="pm_card_threeDSecure2Required")
    assert payment.state == PaymentState.PENDING
    stripe_api.customer_authenticates(payment.reference)
    [event] = stripe_api.events_of("payment_intent.amount_capturable_updated")
    assert deliver(stripe_oms, stripe_api, event) == ("applied authorized", True)
    assert stripe_oms.payments(order.id)[0].state == PaymentState.AUTHORIZED
    captured = stripe_oms.capture_payment(payment.id)
    assert captured.state == PaymentState.CAPTURED


def test_yen_amounts_are_whole_yen(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms, price="1500", currency="JPY")
    payment = stripe_oms.authorize_payment(order.id)
    intent = stripe_api.intents[payment.reference]
    assert (intent["amount"], intent["currency"]) == (3000, "jpy")
    stripe_oms.capture_payment(payment.id, "2000")
    assert stripe_api.intents[payment.reference]["amount_received"] == 2000
    stripe_oms.refund(order.id, "500", "requested_by_customer")
    [refund] = stripe_api.refunds.values()
    assert (refund["amount"], refund["currency"], refund["reason"]) == (500, "jpy", "requested_by_customer")
    [event] = stripe_api.events_of("charge.refunded")
    assert deliver(stripe_oms, stripe_api, event) == ("already refunded", True)
    assert stripe_oms.get_order(order.id).amount_refunded == Money("500", "JPY")


def test_a_webhook_about_another_payment_intent_is_recorded_but_not_applied(
    stripe_oms: OMS, stripe_api: StripeSandbox, stripe_gateway: StripeGateway
) -> None:
    stripe_gateway.authorize(place(stripe_oms), Money("100.00", "EUR"), "default", "outside-the-oms")
    [event] = stripe_api.events_of("payment_intent.amount_capturable_updated")
    outcome, applied = deliver(stripe_oms, stripe_api, event)
    assert applied is False and outcome.startswith("no payment with reference")


def test_a_tampered_webhook_is_rejected_and_changes_nothing(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.authorize_payment(order.id)
    stripe_api.dashboard_capture(payment.reference, 1000)
    [event] = stripe_api.events_of("payment_intent.succeeded")
    headers, body = stripe_api.signed(event, WEBHOOK_SECRET)
    with pytest.raises(WebhookRejected):
        stripe_oms.handle_payment_webhook(
            "stripe", headers, body.replace(b'"amount_received": 1000', b'"amount_received": 10000')
        )
    assert stripe_oms.payments(order.id)[0].captured == Money("0.00", "EUR")


def test_events_the_oms_does_not_need_are_ignored(stripe_oms: OMS, stripe_api: StripeSandbox) -> None:
    order = place(stripe_oms)
    payment = stripe_oms.pay(order.id)
    [event] = stripe_api.events_of("charge.captured")
    assert deliver(stripe_oms, stripe_api, event)[1] is False
    assert stripe_oms.payments(order.id)[0].captured == payment.captured
