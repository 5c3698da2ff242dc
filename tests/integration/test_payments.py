"""Payments: split tender, partial capture, void, refunds across payments, payment status, webhook replays."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from oms_core import (
    PAYMENT_GATEWAYS,
    GatewayOutcome,
    GatewayResult,
    Money,
    PaymentError,
    PaymentEvent,
    PaymentEventKind,
    PaymentGateway,
    PaymentState,
    PaymentStatus,
    WebhookRejected,
    hookimpl,
)
from oms_core.testing import draft, seed_catalogue

TOTAL = Money("34.99", "EUR")  # 2 x 12.50 + 1 x 9.99


class LocalTestGateway(PaymentGateway):
    """A local test double of a card gateway, not a real provider.

    Every authorization succeeds with a reference of its own. Its webhook body is a small JSON object made up for
    this test only, ``{"id": ..., "type": "captured", "reference": ..., "amount": "..."}``; it is not the format of
    any payment provider, and it carries no signature because nothing here leaves the test.
    """

    def __init__(self, currency: str = "EUR") -> None:
        self.currency = currency
        self.calls: list[tuple[str, str | None, Money | None, str]] = []

    def authorize(self, order, amount, method, idempotency_key):
        self.calls.append(("authorize", None, amount, idempotency_key))
        return GatewayResult(GatewayOutcome.AUTHORIZED, reference=f"tst_{idempotency_key}", amount=amount)

    def capture(self, reference, amount, idempotency_key):
        self.calls.append(("capture", reference, amount, idempotency_key))
        return GatewayResult(GatewayOutcome.CAPTURED, reference=reference, amount=amount)

    def void(self, reference, idempotency_key):
        self.calls.append(("void", reference, None, idempotency_key))
        return GatewayResult(GatewayOutcome.VOIDED, reference=reference)

    def refund(self, reference, amount, reason, idempotency_key):
        self.calls.append(("refund", reference, amount, idempotency_key))
        return GatewayResult(GatewayOutcome.REFUNDED, reference=f"{reference}:refund:{idempotency_key}", amount=amount)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        try:
            data = json.loads(body)
            kind = PaymentEventKind(data["type"])
            event_id, reference = str(data["id"]), str(data["reference"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(self.name, f"malformed body: {exc!r}") from None
        amount = Money(data["amount"], self.currency) if data.get("amount") is not None else None
        return PaymentEvent(event_id=event_id, kind=kind, reference=reference, amount=amount, raw=data)


class Recorder:
    """Records the payment events it receives."""

    oms_plugin_name = "recorder"

    def __init__(self) -> None:
        self.events = []

    @hookimpl
    def payment_authorized(self, event):
        self.events.append(event)

    @hookimpl
    def payment_captured(self, event):
        self.events.append(event)

    @hookimpl
    def payment_voided(self, event):
        self.events.append(event)

    @hookimpl
    def payment_refunded(self, event):
        self.events.append(event)

    @hookimpl
    def order_status_changed(self, event):
        self.events.append(event)

    def names(self, name: str | None = None) -> list[str]:
        return [e.name for e in self.events if name is None or e.name == name]


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def shop(make_oms, recorder):
    oms = make_oms(plugins=[recorder])
    oms.register_driver(PAYMENT_GATEWAYS, "test", LocalTestGateway)
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}, "SKU-2": {"WH1": 5}})
    return oms


@pytest.fixture
def order(shop):
    placed = shop.place_order(draft("1", [("SKU-1", 2, "12.50"), ("SKU-2", 1, "9.99")]))
    assert placed.total == TOTAL
    return shop.confirm_order(placed.id)


def gateway(shop) -> LocalTestGateway:
    return shop.driver(PAYMENT_GATEWAYS, "test")


def payment_moves(shop, order_id) -> list[tuple[str, str]]:
    return [
        (e.data["old"], e.data["new"])
        for e in shop.timeline(order_id)
        if e.kind == "status" and e.data.get("field") == "payment_status"
    ]


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


# -- split tender and captures ----------------------------------------------------------------------------------


def test_split_tender_two_payments_cover_the_total(shop, order):
    card = shop.pay(order.id, "20.00", gateway="test", method="card")
    assert (card.state, card.amount, card.captured) == (PaymentState.CAPTURED, eur("20.00"), eur("20.00"))
    after_card = shop.get_order(order.id)
    assert after_card.payment_status == PaymentStatus.PARTIALLY_PAID
    assert after_card.amount_captured == eur("20.00")

    transfer = shop.pay(order.id, method="bank_transfer")  # the manual gateway, for what is still open
    assert (transfer.gateway, transfer.amount, transfer.state) == ("manual", eur("14.99"), PaymentState.CAPTURED)
    paid = shop.get_order(order.id)
    assert paid.payment_status == PaymentStatus.PAID
    assert (paid.amount_authorized, paid.amount_captured, paid.amount_refunded) == (TOTAL, TOTAL, eur("0"))
    assert [(p.gateway, p.captured) for p in shop.payments(order.id)] == [
        ("test", eur("20.00")),
        ("manual", eur("14.99")),
    ]
    assert payment_moves(shop, order.id) == [("unpaid", "partially_paid"), ("partially_paid", "paid")]

    with pytest.raises(PaymentError) as caught:
        shop.pay(order.id, "0.01")
    assert caught.value.field == "amount"


def test_partial_capture_then_the_rest(shop, order):
    payment = shop.authorize_payment(order.id, gateway="test")
    assert (payment.state, payment.amount, payment.reference) == (
        PaymentState.AUTHORIZED,
        TOTAL,
        f"tst_{payment.idempotency_key}",
    )
    assert shop.get_order(order.id).payment_status == PaymentStatus.AUTHORIZED

    part = shop.capture_payment(payment.id, "10.00")
    assert (part.state, part.captured, part.capturable) == (PaymentState.PARTIALLY_CAPTURED, eur("10.00"), eur("24.99"))
    partly = shop.get_order(order.id)
    assert partly.payment_status == PaymentStatus.PARTIALLY_PAID
    assert (partly.amount_authorized, partly.amount_captured) == (TOTAL, eur("10.00"))

    rest = shop.capture_payment(payment.id)
    assert (rest.state, rest.captured, rest.capturable) == (PaymentState.CAPTURED, TOTAL, eur("0"))
    assert shop.get_order(order.id).payment_status == PaymentStatus.PAID

    captures = [c for c in gateway(shop).calls if c[0] == "capture"]
    assert [(c[1], c[2]) for c in captures] == [(payment.reference, eur("10.00")), (payment.reference, eur("24.99"))]
    assert len({c[3] for c in captures}) == 2  # each capture has its own idempotency key
    assert payment_moves(shop, order.id) == [
        ("unpaid", "authorized"),
        ("authorized", "partially_paid"),
        ("partially_paid", "paid"),
    ]
    assert [e.kind for e in shop.timeline(order.id)].count("payment_captured") == 2


def test_what_a_partial_capture_leaves_authorized_cannot_be_authorized_again(shop, order):
    payment = shop.authorize_payment(order.id, gateway="test")
    shop.capture_payment(payment.id, "10.00")
    with pytest.raises(PaymentError) as caught:
        shop.authorize_payment(order.id, "0.01", gateway="test")
    assert caught.value.field == "amount"
    assert len(shop.payments(order.id)) == 1


def test_manual_payment_is_pending_until_marked_as_paid(shop, order):
    payment = shop.authorize_payment(order.id, method="invoice")
    assert (payment.gateway, payment.state) == ("manual", PaymentState.PENDING)
    assert shop.get_order(order.id).payment_status == PaymentStatus.UNPAID
    shop.capture_payment(payment.id)
    assert shop.get_order(order.id).payment_status == PaymentStatus.PAID


def test_an_idempotency_key_pays_once(shop, order):
    first = shop.pay(order.id, "10.00", gateway="test", idempotency_key="checkout-1")
    again = shop.pay(order.id, "10.00", gateway="test", idempotency_key="checkout-1")
    assert again.id == first.id
    assert len(shop.payments(order.id)) == 1
    assert [c[0] for c in gateway(shop).calls] == ["authorize", "capture"]


# -- void -------------------------------------------------------------------------------------------------------


def test_void_of_an_authorization(shop, order, recorder):
    payment = shop.authorize_payment(order.id, gateway="test")
    voided = shop.void_payment(payment.id, "customer asked")
    assert (voided.state, voided.capturable) == (PaymentState.VOIDED, eur("0"))
    after = shop.get_order(order.id)
    assert after.payment_status == PaymentStatus.VOIDED
    assert (after.amount_authorized, after.amount_captured) == (eur("0"), eur("0"))
    assert ("void", payment.reference) in [(c[0], c[1]) for c in gateway(shop).calls]
    assert payment_moves(shop, order.id) == [("unpaid", "authorized"), ("authorized", "voided")]
    assert recorder.names("payment_voided") == ["payment_voided"]

    with pytest.raises(PaymentError) as caught:
        shop.capture_payment(payment.id)
    assert caught.value.field == "state"
    with pytest.raises(PaymentError) as caught:
        shop.void_payment(payment.id)
    assert caught.value.field == "state"


def test_a_captured_payment_cannot_be_voided(shop, order):
    payment = shop.pay(order.id, gateway="test")
    with pytest.raises(PaymentError) as caught:
        shop.void_payment(payment.id)
    assert caught.value.field == "state"
    assert shop.payments(order.id)[0].state == PaymentState.CAPTURED


def test_after_a_void_another_payment_still_pays_the_order(shop, order):
    first = shop.authorize_payment(order.id, gateway="test")
    shop.void_payment(first.id)
    second = shop.pay(order.id, gateway="test")
    assert second.captured == TOTAL
    assert shop.get_order(order.id).payment_status == PaymentStatus.PAID
    assert payment_moves(shop, order.id)[-1] == ("voided", "paid")


# -- refunds ----------------------------------------------------------------------------------------------------


def test_refunds_take_the_newest_payment_first(shop, order, recorder):
    older = shop.pay(order.id, "20.00", gateway="test")
    newer = shop.pay(order.id, gateway="test")  # 14.99

    assert shop.refund(order.id, "20.00", "damaged in transit") == eur("20.00")
    assert [(r.payment_id, r.amount) for r in shop.refunds(order.id)] == [
        (newer.id, eur("14.99")),
        (older.id, eur("5.01")),
    ]
    assert [(p.id, p.refunded) for p in shop.payments(order.id)] == [(older.id, eur("5.01")), (newer.id, eur("14.99"))]
    partly = shop.get_order(order.id)
    assert (partly.payment_status, partly.amount_refunded) == (PaymentStatus.PARTIALLY_REFUNDED, eur("20.00"))

    shop.refund(order.id, "14.99", "goodwill")
    assert [(r.payment_id, r.amount, r.reason) for r in shop.refunds(order.id)][-1] == (
        older.id,
        eur("14.99"),
        "goodwill",
    )
    refunded = shop.get_order(order.id)
    assert (refunded.payment_status, refunded.amount_refunded) == (PaymentStatus.REFUNDED, TOTAL)
    assert [(c[1], c[2]) for c in gateway(shop).calls if c[0] == "refund"] == [
        (newer.reference, eur("14.99")),
        (older.reference, eur("5.01")),
        (older.reference, eur("14.99")),
    ]
    assert recorder.names("payment_refunded") == ["payment_refunded"] * 3
    assert payment_moves(shop, order.id) == [
        ("unpaid", "partially_paid"),
        ("partially_paid", "paid"),
        ("paid", "partially_refunded"),
        ("partially_refunded", "refunded"),
    ]
    with pytest.raises(PaymentError):
        shop.refund(order.id, "0.01", "again")


def test_payment_status_changes_are_events(shop, order, recorder):
    payment = shop.authorize_payment(order.id, gateway="test")
    shop.capture_payment(payment.id)
    moves = [
        (e.payload["old"], e.payload["new"])
        for e in recorder.events
        if e.name == "order_status_changed" and e.payload["field"] == "payment_status"
    ]
    assert moves == [("unpaid", "authorized"), ("authorized", "paid")]
    assert recorder.names("payment_authorized") == ["payment_authorized"]
    assert recorder.names("payment_captured") == ["payment_captured"]


def test_cancelling_voids_authorizations_and_refunds_captures(shop, order):
    card = shop.pay(order.id, "20.00", gateway="test")
    auth = shop.authorize_payment(order.id, gateway="test")  # 14.99, not captured
    shop.cancel_order(order.id, "out of stock")
    by_id = {p.id: p for p in shop.payments(order.id)}
    assert (by_id[card.id].refunded, by_id[auth.id].state) == (eur("20.00"), PaymentState.VOIDED)
    cancelled = shop.get_order(order.id)
    assert (cancelled.status, cancelled.payment_status) == ("cancelled", PaymentStatus.REFUNDED)


# -- webhooks ---------------------------------------------------------------------------------------------------


def webhook(event_id: str, reference: str, amount: str | None, kind: str = "captured") -> bytes:
    return json.dumps({"id": event_id, "type": kind, "reference": reference, "amount": amount}).encode()


def test_a_webhook_replayed_five_times_captures_once(shop, order, recorder):
    payment = shop.authorize_payment(order.id, gateway="test")
    body = webhook("evt_1", payment.reference, "34.99")

    results = [shop.handle_payment_webhook("test", {}, body) for _ in range(5)]

    assert results == [("applied captured", True)] + [("applied captured", False)] * 4
    [stored] = shop.payments(order.id)
    assert (stored.state, stored.captured) == (PaymentState.CAPTURED, TOTAL)
    assert shop.get_order(order.id).payment_status == PaymentStatus.PAID
    assert recorder.names("payment_captured") == ["payment_captured"]
    assert [e.kind for e in shop.timeline(order.id)].count("payment_captured") == 1
    assert "capture" not in [c[0] for c in gateway(shop).calls]  # the provider reported it; nobody calls it back


def test_a_second_webhook_for_a_capture_already_recorded_changes_nothing(shop, order, recorder):
    payment = shop.authorize_payment(order.id, gateway="test")
    shop.handle_payment_webhook("test", {}, webhook("evt_1", payment.reference, "34.99"))
    outcome, _ = shop.handle_payment_webhook("test", {}, webhook("evt_2", payment.reference, "34.99"))
    assert outcome == "already captured"
    assert shop.payments(order.id)[0].captured == TOTAL
    assert recorder.names("payment_captured") == ["payment_captured"]


def test_webhooks_of_partial_captures_add_up(shop, order):
    payment = shop.authorize_payment(order.id, gateway="test")
    shop.handle_payment_webhook("test", {}, webhook("evt_1", payment.reference, "10.00"))
    shop.handle_payment_webhook("test", {}, webhook("evt_1", payment.reference, "10.00"))
    assert shop.get_order(order.id).payment_status == PaymentStatus.PARTIALLY_PAID
    shop.handle_payment_webhook("test", {}, webhook("evt_2", payment.reference, "24.99"))
    [stored] = shop.payments(order.id)
    assert (stored.state, stored.captured) == (PaymentState.CAPTURED, TOTAL)


def test_a_webhook_for_an_unknown_payment_is_recorded_not_applied(shop, order):
    outcome, applied = shop.handle_payment_webhook("test", {}, webhook("evt_9", "tst_unknown", "1.00"))
    assert not applied
    assert "tst_unknown" in outcome
    assert shop.get_order(order.id).payment_status == PaymentStatus.UNPAID


def test_a_malformed_webhook_is_rejected(shop, order):
    with pytest.raises(WebhookRejected) as caught:
        shop.handle_payment_webhook("test", {}, b"not json")
    assert caught.value.source == "test"
    with pytest.raises(WebhookRejected):
        shop.handle_payment_webhook("test", {}, json.dumps({"id": "evt_1", "type": "teleported"}).encode())


def test_what_a_pending_payment_awaits_is_not_open_to_a_second_payment(shop, order):
    # the customer chose bank transfer: the whole total is awaited; paying it again by card would charge twice
    pending = shop.authorize_payment(order.id, method="bank_transfer")
    for amount in (None, "0.01"):
        with pytest.raises(PaymentError) as caught:
            shop.pay(order.id, amount, gateway="test")
        assert caught.value.field == "amount"
        assert "awaited by pending payments" in caught.value.reason
    assert gateway(shop).calls == []  # refused before any gateway is asked
    # the transfer is called off: the total is open again, and the card pays it
    shop.void_payment(pending.id, "customer pays by card instead")
    assert shop.pay(order.id, gateway="test").amount == TOTAL
    assert shop.get_order(order.id).payment_status == PaymentStatus.PAID


def test_a_partly_awaited_total_leaves_the_rest_open(shop, order):
    shop.authorize_payment(order.id, "20.00", method="invoice")
    with pytest.raises(PaymentError):
        shop.pay(order.id, "15.00", gateway="test")
    assert shop.pay(order.id, gateway="test").amount == Money("14.99", "EUR")
