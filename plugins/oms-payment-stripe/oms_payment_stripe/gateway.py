"""The Stripe gateway: PaymentIntents with manual capture, over Stripe's form-encoded HTTP API.

================  =========================================================================================
OMS call          Stripe request
================  =========================================================================================
``authorize``     ``POST /v1/payment_intents`` (``capture_method=manual``, ``confirm=true``, a payment method)
``capture``       ``POST /v1/payment_intents/{id}/capture`` with ``amount_to_capture``
``void``          ``POST /v1/payment_intents/{id}/cancel`` with ``cancellation_reason``
``refund``        ``POST /v1/refunds`` with ``payment_intent`` and ``amount``
================  =========================================================================================

Every request carries the OMS's idempotency key as ``Idempotency-Key``, so a retry after a timeout cannot charge
twice. How answers become results:

* a card decline (HTTP 402, ``card_error``) and any other refusal of the request itself (400, 404) is a
  :class:`GatewayResult` with outcome ``FAILED`` and Stripe's message: the OMS records a failed attempt;
* no answer, a 5xx, a rate limit (429), a bad API key (401, 403), a conflict (409) or an idempotency error
  raise :class:`GatewayError`: the OMS rolls the use case back, and retrying it is safe.

Stripe captures a PaymentIntent once: a partial capture releases the rest of the authorization. A second capture
of the same payment is refused by Stripe, and so by the OMS (see the README).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from oms_core import (
    GatewayError,
    GatewayOutcome,
    GatewayResult,
    Money,
    Order,
    PaymentEvent,
    PaymentEventKind,
    PaymentGateway,
    WebhookRejected,
)
from oms_payment_stripe import signature
from oms_payment_stripe.money import from_minor_units, to_minor_units
from oms_payment_stripe.sandbox import StripeSandbox

DEFAULT_API_BASE = "https://api.stripe.com"
USER_AGENT = "oms-payment-stripe/0.1.0"

#: Values Stripe accepts for ``cancellation_reason`` when cancelling a PaymentIntent.
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})
#: Values Stripe accepts for a refund's ``reason``; any other OMS reason goes to the refund's metadata only.
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
#: Stripe's limits on metadata (documented on "Metadata").
METADATA_VALUE_MAX = 500
#: Stripe's limit on the length of an idempotency key.
IDEMPOTENCY_KEY_MAX = 255
#: Live secret and restricted keys: refused in sandbox mode.
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")

#: PaymentIntent statuses that wait for the customer or the bank: the OMS records a pending payment.
_WAITING = frozenset({"requires_action", "requires_confirmation", "processing"})

_EVENT_KINDS = {
    "payment_intent.amount_capturable_updated": PaymentEventKind.AUTHORIZED,
    "payment_intent.succeeded": PaymentEventKind.CAPTURED,
    "payment_intent.payment_failed": PaymentEventKind.FAILED,
    "payment_intent.canceled": PaymentEventKind.VOIDED,
    "charge.refunded": PaymentEventKind.REFUNDED,
}


class _Refused(Exception):
    """Stripe refused the request (4xx with an error object): the caller turns it into a FAILED result."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        self.status = status
        self.error = error
        super().__init__(describe_error(error))


def describe_error(error: Mapping[str, Any]) -> str:
    """Stripe's message, followed by its code and decline code when there are any."""
    message = error.get("message") or error.get("type") or "request refused"
    codes = "/".join(str(c) for c in (error.get("code"), error.get("decline_code")) if c)
    return f"{message} ({codes})" if codes else str(message)


def _int(obj: Mapping[str, Any], field: str) -> int:
    """``obj[field]`` as Stripe sends amounts: a JSON integer, nothing else."""
    value = obj[field]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} is {value!r}, not an integer")
    return value


def _path(reference: str) -> str:
    return quote(reference, safe="")


def _metadata_value(value: Any) -> str:
    return str(value)[:METADATA_VALUE_MAX]


def _safe_key(key: str) -> str:
    """The idempotency key as sent: unchanged if Stripe accepts its length, else a stable digest of it."""
    if len(key) <= IDEMPOTENCY_KEY_MAX:
        return key
    return "oms-sha256-" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class StripeGateway(PaymentGateway):
    """Payments through Stripe's PaymentIntents API.

    :param api_key: the secret key (``sk_test_...``/``sk_live_...``) or a restricted key, sent as a Bearer token.
    :param webhook_secret: the endpoint's signing secret (``whsec_...``), or a list of them while rolling one.
    :param api_base: Stripe's API address (in tests, a sandbox served on 127.0.0.1).
    :param timeout: seconds to wait for Stripe; past it the call fails and can be retried with the same key.
    :param payment_method: the PaymentMethod used when the OMS's ``method`` is not a ``pm_...`` id.
    :param tolerance: how far, in seconds, a webhook's signed timestamp may be from now.
    :param transport: an ``httpx`` transport to use instead of the network (tests, proxies).
    :param cancellation_reason: sent when voiding; one of Stripe's values, or empty to send none.
    :param sandbox: talk to an offline, in-process emulation of Stripe's API (:mod:`oms_payment_stripe.sandbox`)
        instead of Stripe: for tests and demos, never for real payments. It is not Stripe's test mode. The
        emulation is :attr:`sandbox`; it takes ``api_key`` (a test key, ``sk_test_...``), or its own when none is
        given.
    """

    def __init__(
        self,
        api_key: str = "",
        webhook_secret: str | list[str] = "",
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
        payment_method: str = "pm_card_visa",
        tolerance: int = signature.DEFAULT_TOLERANCE,
        transport: httpx.BaseTransport | None = None,
        cancellation_reason: str = "requested_by_customer",
        sandbox: bool = False,
    ) -> None:
        if cancellation_reason and cancellation_reason not in CANCELLATION_REASONS:
            raise ValueError(f"cancellation_reason must be one of {sorted(CANCELLATION_REASONS)} or empty")
        #: the offline emulation of Stripe this gateway talks to in sandbox mode, else ``None``
        self.sandbox: StripeSandbox | None = None
        if sandbox:
            if transport is not None:
                raise ValueError("sandbox mode brings its own transport; do not pass transport as well")
            if api_key.startswith(LIVE_KEY_PREFIXES):
                raise ValueError("sandbox mode takes a test key (sk_test_...), never a live one")
            self.sandbox = StripeSandbox(api_key) if api_key else StripeSandbox()
            api_key = self.sandbox.api_key
            transport = self.sandbox.transport()
        self.api_key = api_key
        if isinstance(webhook_secret, str):
            self.webhook_secrets = [webhook_secret] if webhook_secret else []
        else:
            self.webhook_secrets = [s for s in webhook_secret if s]
        self.api_base = api_base.rstrip("/")
        self.timeout = float(timeout)
        self.payment_method = payment_method
        self.tolerance = int(tolerance)
        self.cancellation_reason = cancellation_reason
        self._client = httpx.Client(
            base_url=self.api_base,
            timeout=self.timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    # -- life cycle ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> StripeGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _driver(self) -> str:
        return self.name or "stripe"

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def _post(self, path: str, form: list[tuple[str, str]], idempotency_key: str) -> dict[str, Any]:
        """POST ``form`` (form-encoded) to ``path``; the JSON object on success, :class:`_Refused` on a refusal."""
        if not self.api_key:
            raise GatewayError(self._driver, "no api_key is configured")
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Idempotency-Key": _safe_key(idempotency_key),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            response = self._client.post(path, content=urlencode(form), headers=headers)
        except httpx.TimeoutException as exc:
            raise GatewayError(
                self._driver, f"no answer from Stripe within {self.timeout} s ({type(exc).__name__}); a retry is safe"
            ) from exc
        except httpx.HTTPError as exc:
            raise GatewayError(self._driver, f"cannot reach Stripe: {type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise GatewayError(self._driver, f"Stripe answered HTTP {status} without a JSON object")
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            raise GatewayError(self._driver, f"Stripe answered HTTP {status} without an error object")
        if status in (400, 402, 404) and error.get("type") != "idempotency_error":
            raise _Refused(status, error)
        raise GatewayError(self._driver, f"Stripe answered HTTP {status}: {describe_error(error)}")

    # -- results ------------------------------------------------------------------------------------------------

    def _failed(self, refused: _Refused) -> GatewayResult:
        intent = refused.error.get("payment_intent")
        reference = intent.get("id") if isinstance(intent, dict) else None
        return GatewayResult(GatewayOutcome.FAILED, reference=reference, error=str(refused), raw=refused.error)

    def _intent_result(self, intent: dict[str, Any]) -> GatewayResult:
        """A PaymentIntent's status as the OMS's outcome."""
        status = intent.get("status")
        reference = intent.get("id")
        currency = str(intent.get("currency", ""))
        if status == "requires_capture":
            amount = from_minor_units(_int(intent, "amount_capturable"), currency)
            return GatewayResult(GatewayOutcome.AUTHORIZED, reference=reference, amount=amount, raw=intent)
        if status == "succeeded":
            amount = from_minor_units(_int(intent, "amount_received"), currency)
            return GatewayResult(GatewayOutcome.CAPTURED, reference=reference, amount=amount, raw=intent)
        if status in _WAITING:
            amount = from_minor_units(_int(intent, "amount"), currency)
            return GatewayResult(GatewayOutcome.PENDING, reference=reference, amount=amount, raw=intent)
        if status == "canceled":
            return GatewayResult(GatewayOutcome.VOIDED, reference=reference, raw=intent)
        error = intent.get("last_payment_error") or {}
        reason = describe_error(error) if error else f"the PaymentIntent is {status}"
        return GatewayResult(GatewayOutcome.FAILED, reference=reference, error=reason, raw=intent)

    # -- the four operations ------------------------------------------------------------------------------------

    def authorize(self, order: Order, amount: Money, method: str, idempotency_key: str) -> GatewayResult:
        payment_method = method if method.startswith("pm_") else self.payment_method
        form = [
            ("amount", str(to_minor_units(amount, self._driver))),
            ("currency", amount.currency.lower()),
            ("capture_method", "manual"),
            ("confirm", "true"),
            ("payment_method", payment_method),
            # confirmed on the server: no redirect-based payment method, so no return_url is needed
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "never"),
            ("description", f"Order #{order.id} ({order.channel}/{order.external_id})"),
            ("metadata[order_id]", _metadata_value(order.id)),
            ("metadata[channel]", _metadata_value(order.channel)),
            ("metadata[external_id]", _metadata_value(order.external_id)),
        ]
        try:
            intent = self._post("/v1/payment_intents", form, idempotency_key)
        except _Refused as refused:
            return self._failed(refused)
        result = self._intent_result(intent)
        if result.outcome == GatewayOutcome.VOIDED:  # cancelled at once: nothing was authorized
            return GatewayResult(GatewayOutcome.FAILED, reference=result.reference, error="canceled", raw=intent)
        return result

    def capture(self, reference: str | None, amount: Money, idempotency_key: str) -> GatewayResult:
        if not reference:
            raise GatewayError(self._driver, "no PaymentIntent to capture (the payment has no reference)")
        form = [("amount_to_capture", str(to_minor_units(amount, self._driver)))]
        try:
            intent = self._post(f"/v1/payment_intents/{_path(reference)}/capture", form, idempotency_key)
        except _Refused as refused:
            return self._failed(refused)
        result = self._intent_result(intent)
        if result.outcome != GatewayOutcome.CAPTURED:
            return GatewayResult(
                GatewayOutcome.FAILED,
                reference=reference,
                error=result.error or f"the PaymentIntent is {intent.get('status')} after capture",
                raw=intent,
            )
        return result

    def void(self, reference: str | None, idempotency_key: str) -> GatewayResult:
        if not reference:
            raise GatewayError(self._driver, "no PaymentIntent to cancel (the payment has no reference)")
        form = [("cancellation_reason", self.cancellation_reason)] if self.cancellation_reason else []
        try:
            intent = self._post(f"/v1/payment_intents/{_path(reference)}/cancel", form, idempotency_key)
        except _Refused as refused:
            return self._failed(refused)
        if intent.get("status") != "canceled":
            return GatewayResult(
                GatewayOutcome.FAILED,
                reference=reference,
                error=f"the PaymentIntent is {intent.get('status')} after cancel",
                raw=intent,
            )
        return GatewayResult(GatewayOutcome.VOIDED, reference=reference, raw=intent)

    def refund(self, reference: str | None, amount: Money, reason: str, idempotency_key: str) -> GatewayResult:
        if not reference:
            raise GatewayError(self._driver, "no PaymentIntent to refund (the payment has no reference)")
        form = [
            ("payment_intent", reference),
            ("amount", str(to_minor_units(amount, self._driver))),
        ]
        if reason in REFUND_REASONS:
            form.append(("reason", reason))
        if reason:
            form.append(("metadata[reason]", _metadata_value(reason)))
        try:
            refund = self._post("/v1/refunds", form, idempotency_key)
        except _Refused as refused:
            return self._failed(refused)
        status = refund.get("status")
        if status in ("failed", "canceled"):
            error = refund.get("failure_reason") or f"refund {status}"
            return GatewayResult(GatewayOutcome.FAILED, reference=refund.get("id"), error=str(error), raw=refund)
        money = from_minor_units(_int(refund, "amount"), str(refund["currency"]))
        return GatewayResult(GatewayOutcome.REFUNDED, reference=refund.get("id"), amount=money, raw=refund)

    # -- webhooks -----------------------------------------------------------------------------------------------

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        """Verify the ``Stripe-Signature`` of ``body`` and turn the Event into a :class:`PaymentEvent`.

        Amounts of captures and refunds are Stripe's running totals (``amount_received`` of the PaymentIntent,
        ``amount_refunded`` of the charge), so the event is marked ``cumulative``: the OMS applies only what it
        has not recorded yet, and an event for a capture or refund the OMS made itself changes nothing.
        """
        signature.verify(headers, body, self.webhook_secrets, self.tolerance, source=self._driver)
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise WebhookRejected(self._driver, f"the body is not JSON: {exc}") from None
        if (
            not isinstance(event, dict)
            or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str)
        ):
            raise WebhookRejected(self._driver, "the body is not a Stripe Event (id and type are needed)")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise WebhookRejected(self._driver, "the Event has no data.object")
        kind = _EVENT_KINDS.get(event["type"], PaymentEventKind.IGNORED)
        if event["type"] == "charge.refunded":
            reference = obj.get("payment_intent")
            if not isinstance(reference, str):  # a charge made without a PaymentIntent: not one of the OMS's
                kind, reference = PaymentEventKind.IGNORED, str(obj.get("id", ""))
        else:
            reference = str(obj.get("id", ""))
        try:
            amount = self._event_amount(kind, obj)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookRejected(self._driver, f"{event['type']}: unreadable amount: {exc}") from None
        return PaymentEvent(
            event_id=event["id"], kind=kind, reference=reference, amount=amount, raw=event, cumulative=True
        )

    @staticmethod
    def _event_amount(kind: PaymentEventKind, obj: Mapping[str, Any]) -> Money | None:
        field = {
            PaymentEventKind.AUTHORIZED: "amount_capturable",
            PaymentEventKind.CAPTURED: "amount_received",
            PaymentEventKind.REFUNDED: "amount_refunded",
        }.get(kind)
        if field is None:
            return None
        return from_minor_units(_int(obj, field), str(obj["currency"]))
