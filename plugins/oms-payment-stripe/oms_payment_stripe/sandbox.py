"""Sandbox mode: an offline emulation of the part of Stripe's HTTP API that the gateway uses.

This is **not** Stripe's test mode. Stripe's test mode is Stripe itself, reached over the network with a
``sk_test_...`` key; the sandbox is a stand-in that runs inside the process, for tests and demos that must work
without a network and without a Stripe account. It follows Stripe's documented request and response shapes, and
checks what Stripe checks:

* ``Authorization: Bearer <secret key>`` (401 without the key the sandbox was given);
* form-encoded bodies (``metadata[order_id]=...``), unknown parameters refused (400 ``parameter_unknown``);
* ``Idempotency-Key``: the first response to a key is saved and replayed for the same request, and a key reused
  with other parameters is refused (400 ``idempotency_error``);
* PaymentIntents: manual capture, one capture only (a partial capture releases the rest), ``amount_to_capture``
  at most ``amount_capturable``, cancel only in cancelable statuses;
* refunds of at most what was received and not refunded yet;
* lowercase currencies, integer amounts in the smallest unit, three-decimal amounts ending in 0, ISK amounts in
  whole krónur;
* Stripe's test PaymentMethods: ``pm_card_visa`` and ``pm_card_mastercard`` succeed,
  ``pm_card_visa_chargeDeclined`` and ``pm_card_visa_chargeDeclinedInsufficientFunds`` are declined (402
  ``card_error``), ``pm_card_threeDSecure2Required`` needs the customer (``requires_action``); any other
  PaymentMethod does not exist (400 ``resource_missing``).

Every change makes an Event (``evt_...``) like the ones Stripe sends to webhook endpoints, kept in
:attr:`StripeSandbox.events`; :meth:`StripeSandbox.signed` gives the headers and body of a delivery signed with an
endpoint secret, to feed to ``oms.handle_payment_webhook``. Nothing is delivered by itself.

Two ways to reach it:

* ``StripeGateway(sandbox=True)`` (or ``{"sandbox": True}`` in ``driver_config``): the gateway talks to its own
  sandbox through :meth:`StripeSandbox.transport`, an ``httpx`` transport that never opens a socket. The sandbox
  is ``gateway.sandbox``.
* :meth:`StripeSandbox.start` serves it over HTTP on 127.0.0.1, for tests that want the real HTTP client and
  server in the loop: point the gateway's ``api_base`` at :attr:`StripeSandbox.url`.

Message texts are the sandbox's own unless a comment says otherwise; tests should match codes and types, and only
the words the gateway passes on. The state lives in memory and is lost with the object.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx

from oms_payment_stripe.signature import signature_header

#: The key a sandbox accepts unless it is given another one.
API_KEY = "sk_test_sandbox_4eC39HqLyjWDarjtT1zdp7dc"
#: A signing secret for the sandbox's webhook deliveries (any secret works: the gateway must be configured with it).
WEBHOOK_SECRET = "whsec_test_sandbox_0123456789abcdef"

ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
                "xof", "xpf"}  # fmt: skip
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
SUPPORTED = ZERO_DECIMAL | THREE_DECIMAL | {"eur", "usd", "gbp", "chf", "isk", "huf", "twd", "sek", "nok", "dkk"}

DECLINES = {
    # documented test PaymentMethods and the card errors they give
    "pm_card_visa_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_visa_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}
SUCCEEDS = {"pm_card_visa", "pm_card_mastercard"}
NEEDS_ACTION = {"pm_card_threeDSecure2Required"}

CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CANCELLATION_REASONS = {"duplicate", "fraudulent", "requested_by_customer", "abandoned"}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


class StripeFailure(Exception):
    """An error answer: HTTP status and Stripe's error object."""

    def __init__(self, status: int, type_: str, message: str, **fields: Any) -> None:
        self.status = status
        self.error = {"type": type_, "message": message, **{k: v for k, v in fields.items() if v is not None}}
        super().__init__(message)


def invalid(message: str, param: str | None = None, code: str | None = None, **fields: Any) -> StripeFailure:
    return StripeFailure(400, "invalid_request_error", message, param=param, code=code, **fields)


def parse_form(body: str) -> dict[str, Any]:
    """A form body as Stripe reads it: ``a[b]=c`` is a nested object, ``a[]=x`` a list."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body)):
        match = re.fullmatch(r"([A-Za-z0-9_]+)\[([A-Za-z0-9_]*)\]", key)
        if match is None:
            result[key] = value
        elif match.group(2) == "":
            result.setdefault(match.group(1), []).append(value)
        else:
            result.setdefault(match.group(1), {})[match.group(2)] = value
    return result


class StripeSandbox:
    """Stripe's API state (PaymentIntents, Charges, Refunds, Events), served in process or over local HTTP."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        #: every request received: method, path, headers (lower-case names), raw body and parsed form
        self.requests: list[dict[str, Any]] = []
        self._saved: dict[tuple[str, str], tuple[str, str, dict[str, Any], int, dict[str, Any]]] = {}
        self._faults: list[tuple[int, bool]] = []
        self._request: dict[str, Any] = {"id": None, "idempotency_key": None}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- server ---------------------------------------------------------------------------------------------------

    def start(self) -> StripeSandbox:
        """Serve the sandbox over HTTP on 127.0.0.1 (a free port; see :attr:`url`) until :meth:`stop`."""
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload, extra = sandbox.handle(self.command, self.path, headers, body)
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="stripe-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the sandbox first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def transport(self) -> SandboxTransport:
        """An ``httpx`` transport that answers every request from this sandbox, in process: no socket is opened."""
        return SandboxTransport(self)

    # -- controls for tests and demos -------------------------------------------------------------------------------

    def fail_next(self, status: int = 500, *, after_executing: bool = False, count: int = 1) -> None:
        """Answer the next ``count`` POSTs with ``status`` and an ``api_error``.

        ``after_executing=True`` does the work first and then fails, with the failure saved for the idempotency key
        (Stripe saves responses "after the execution of an endpoint begins", 500s included).
        """
        self._faults.extend([(status, after_executing)] * count)

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    def events_of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    def signed(
        self, event: dict[str, Any], secrets: str | Iterable[str], timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """``(headers, body)`` of a webhook delivery of ``event``, signed as Stripe signs it."""
        body = json.dumps(event, indent=2).encode("utf-8")
        return {
            "Stripe-Signature": signature_header(secrets, body, timestamp),
            "Content-Type": "application/json",
        }, body

    # what happens at Stripe without the OMS asking (the Dashboard, the customer, the bank)

    def dashboard_capture(self, intent_id: str, amount: int | None = None) -> dict[str, Any]:
        with self._lock:
            return self._capture(self.intents[intent_id], {} if amount is None else {"amount_to_capture": str(amount)})

    def dashboard_refund(self, intent_id: str, amount: int | None = None) -> dict[str, Any]:
        with self._lock:
            form: dict[str, Any] = {"payment_intent": intent_id}
            if amount is not None:
                form["amount"] = str(amount)
            return self._refund(form)

    def customer_authenticates(self, intent_id: str) -> dict[str, Any]:
        """The customer completes 3D Secure: the PaymentIntent is authorized."""
        with self._lock:
            intent = self.intents[intent_id]
            assert intent["status"] == "requires_action"
            self._authorize(intent)
            return intent

    # -- request handling -------------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one request: ``(HTTP status, JSON object, extra response headers)``.

        ``headers`` have lower-case names; ``body`` is the form-encoded text. Both ways of reaching the sandbox
        (:meth:`transport`, :meth:`start`) come through here.
        """
        with self._lock:
            record: dict[str, Any] = {"method": method, "path": path, "headers": headers, "body": body}
            self.requests.append(record)
            request_id = f"req_sandbox{len(self.requests):010d}"
            self._request = {"id": request_id, "idempotency_key": headers.get("idempotency-key")}
            status, payload, extra = self._answer(method, path, headers, body, record)
            return status, payload, {"Request-Id": request_id, **extra}

    def _answer(
        self, method: str, path: str, headers: dict[str, str], body: str, record: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            self._authenticate(headers)
            if method == "POST" and headers.get("content-type", "").split(";")[0].strip() != (
                "application/x-www-form-urlencoded"
            ):
                raise invalid("Request bodies must be form-encoded (application/x-www-form-urlencoded).")
            try:
                form = parse_form(body)
            except ValueError:
                raise invalid("Invalid request body.") from None
            record["form"] = form
            if method != "POST":
                return 200, self._get(path), {}
            if self._faults and not self._faults[0][1]:
                status, _ = self._faults.pop(0)
                raise StripeFailure(status, "api_error", "An unexpected error occurred (injected).")
            key = headers.get("idempotency-key")
            if key is None:
                return *self._execute(path, form), {}
            if len(key) > 255:
                raise invalid("Idempotency keys are up to 255 characters long.", param="Idempotency-Key")
            saved = self._saved.get((self.api_key, key))
            if saved is not None:
                saved_path, _body, saved_form, status, payload = saved
                if (saved_path, saved_form) != (path, form):
                    raise StripeFailure(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        "different request.",
                    )
                return status, payload, {"Idempotent-Replayed": "true"}
            status, payload = self._execute(path, form)
            self._saved[(self.api_key, key)] = (path, body, form, status, payload)
            return status, payload, {}
        except StripeFailure as failure:
            return failure.status, {"error": failure.error}, {}
        finally:
            # what happens later without a request (Dashboard, customer) has no request in its events
            self._request = {"id": None, "idempotency_key": None}

    def _authenticate(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        if not auth:
            raise StripeFailure(401, "invalid_request_error", "You did not provide an API key.")
        scheme, _, key = auth.partition(" ")
        if scheme != "Bearer" or key != self.api_key:
            raise StripeFailure(401, "invalid_request_error", f"Invalid API Key provided: {key[:8]}***")

    def _execute(self, path: str, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Run a POST; failures after execution began are answered (and saved) like successes."""
        try:
            result = self._route(path, form)
        except StripeFailure as failure:
            return failure.status, {"error": failure.error}
        if self._faults and self._faults[0][1]:
            status, _ = self._faults.pop(0)
            return status, {"error": {"type": "api_error", "message": "An unexpected error occurred (injected)."}}
        return 200, result

    def _route(self, path: str, form: dict[str, Any]) -> dict[str, Any]:
        if path == "/v1/payment_intents":
            return self._create_intent(form)
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)/(capture|cancel)", path)
        if match:
            intent = self._intent(match.group(1))
            return self._capture(intent, form) if match.group(2) == "capture" else self._cancel(intent, form)
        if path == "/v1/refunds":
            return self._refund(form)
        raise StripeFailure(404, "invalid_request_error", f"Unrecognized request URL (POST: {path}).")

    def _get(self, path: str) -> dict[str, Any]:
        match = re.fullmatch(r"/v1/(payment_intents|charges|refunds)/([^/?]+)", path)
        store = {"payment_intents": self.intents, "charges": self.charges, "refunds": self.refunds}
        if match and match.group(2) in store[match.group(1)]:
            return store[match.group(1)][match.group(2)]
        raise StripeFailure(404, "invalid_request_error", f"No such object: {path}", code="resource_missing")

    # -- objects ----------------------------------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}_3Sandbox{next(self._ids):014d}"

    def _intent(self, intent_id: str) -> dict[str, Any]:
        if intent_id not in self.intents:
            raise StripeFailure(
                404,
                "invalid_request_error",
                f"No such payment_intent: '{intent_id}'",
                code="resource_missing",
                param="intent",
            )
        return self.intents[intent_id]

    def _event(self, type_: str, obj: dict[str, Any]) -> None:
        self.events.append(
            {
                "id": self._id("evt"),
                "object": "event",
                "api_version": "2024-06-20",
                "created": int(time.time()),
                "data": {"object": json.loads(json.dumps(obj))},
                "livemode": False,
                "pending_webhooks": 1,
                "request": dict(self._request),
                "type": type_,
            }
        )

    @staticmethod
    def _unknown(form: dict[str, Any], allowed: set[str]) -> None:
        for name in form:
            if name not in allowed:
                raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")

    @staticmethod
    def _amount(value: Any, param: str, currency: str) -> int:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]+", value):
            raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
        amount = int(value)
        if amount <= 0:
            raise invalid("This value must be greater than or equal to 1.", param=param)
        if currency in THREE_DECIMAL and amount % 10:
            # documented: three-decimal amounts must end in 0
            raise invalid(f"Invalid amount for {currency.upper()}: the last digit must be 0.", param=param)
        if currency == "isk" and amount % 100:
            # documented (support article on fractional ISK), code and wording from it
            raise invalid(
                "Invalid amount. Currency ISK has become effectively zero-decimal and charged amounts must be "
                "evenly divisible by 100.",
                param=param,
                code="invalid_charge_amount_no_decimal_compatible",
            )
        return amount

    @staticmethod
    def _metadata(form: dict[str, Any]) -> dict[str, str]:
        metadata = form.get("metadata", {})
        if not isinstance(metadata, dict):
            raise invalid("Invalid object", param="metadata")
        if len(metadata) > 50:
            raise invalid("Metadata can have up to 50 keys.", param="metadata")
        for key, value in metadata.items():
            if len(key) > 40:
                raise invalid("Metadata keys can be up to 40 characters long.", param=f"metadata[{key}]")
            if len(value) > 500:
                raise invalid("Metadata values can be up to 500 characters long.", param=f"metadata[{key}]")
        return dict(metadata)

    def _create_intent(self, form: dict[str, Any]) -> dict[str, Any]:
        self._unknown(
            form,
            {"amount", "currency", "capture_method", "confirm", "payment_method", "automatic_payment_methods",
             "payment_method_types", "return_url", "description", "metadata", "customer", "receipt_email"},
        )  # fmt: skip
        for required in ("amount", "currency"):
            if required not in form:
                raise invalid(f"Missing required param: {required}.", param=required, code="parameter_missing")
        currency = form["currency"]
        if currency != currency.lower() or currency not in SUPPORTED:
            # documented: the three-letter ISO code in lowercase
            raise invalid(f"Invalid currency: {currency}.", param="currency")
        amount = self._amount(form["amount"], "amount", currency)
        capture_method = form.get("capture_method", "automatic")
        if capture_method not in ("automatic", "automatic_async", "manual"):
            raise invalid(f"Invalid capture_method: {capture_method}", param="capture_method")
        confirm = form.get("confirm", "false")
        if confirm not in ("true", "false"):
            raise invalid(f"Invalid boolean: {confirm}", param="confirm")
        apm = form.get("automatic_payment_methods", {})
        intent = {
            "id": self._id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": (
                {"enabled": apm.get("enabled") == "true", "allow_redirects": apm.get("allow_redirects", "always")}
                if apm
                else None
            ),
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": None,
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": currency,
            "description": form.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": self._metadata(form),
            "next_action": None,
            "payment_method": form.get("payment_method"),
            "payment_method_types": form.get("payment_method_types", ["card"]),
            "status": "requires_payment_method" if "payment_method" not in form else "requires_confirmation",
        }
        intent["client_secret"] = f"{intent['id']}_secret_sandbox"
        if confirm == "true":
            pm = form.get("payment_method")
            if not pm:
                raise invalid(
                    "You cannot confirm this PaymentIntent because it's missing a payment method.",
                    code="payment_intent_unexpected_state",
                )
            redirects_allowed = apm.get("allow_redirects", "always") != "never"
            if "payment_method_types" not in form and redirects_allowed and "return_url" not in form:
                # documented: with automatic payment methods, a server-side confirm needs a return_url unless
                # redirect-based methods are turned off
                raise invalid(
                    "A `return_url` must be specified because this Payment Intent is configured to automatically "
                    "accept the payment methods enabled in the Dashboard, some of which may require a full page "
                    "redirect to succeed. If you do not want to accept redirect-based payment methods, set "
                    "`automatic_payment_methods[enabled]` to `true` and "
                    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and "
                    "Payment Intents."
                )
            if pm not in SUCCEEDS and pm not in DECLINES and pm not in NEEDS_ACTION:
                raise invalid(f"No such PaymentMethod: '{pm}'", param="payment_method", code="resource_missing")
            self.intents[intent["id"]] = intent
            if pm in DECLINES:
                code, decline_code, message = DECLINES[pm]
                charge = self._charge(intent, status="failed")
                error = {"type": "card_error", "code": code, "decline_code": decline_code, "message": message,
                         "charge": charge["id"]}  # fmt: skip
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = dict(error)
                intent["latest_charge"] = charge["id"]
                self._event("payment_intent.payment_failed", intent)
                raise StripeFailure(402, "card_error", message, code=code, decline_code=decline_code,
                                    charge=charge["id"], payment_intent=json.loads(json.dumps(intent)))  # fmt: skip
            if pm in NEEDS_ACTION:
                intent["status"] = "requires_action"
                intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
                self._event("payment_intent.requires_action", intent)
                return intent
            if capture_method == "manual":
                self._authorize(intent)
            else:
                charge = self._charge(intent, status="succeeded")
                charge.update(captured=True, amount_captured=amount)
                intent.update(status="succeeded", amount_received=amount, latest_charge=charge["id"])
                self._event("payment_intent.succeeded", intent)
            return intent
        self.intents[intent["id"]] = intent
        self._event("payment_intent.created", intent)
        return intent

    def _authorize(self, intent: dict[str, Any]) -> None:
        charge = self._charge(intent, status="succeeded")
        intent.update(
            status="requires_capture",
            amount_capturable=intent["amount"],
            latest_charge=charge["id"],
            next_action=None,
        )
        # documented: a manual-capture PaymentIntent that is authorized triggers amount_capturable_updated
        self._event("payment_intent.amount_capturable_updated", intent)

    def _charge(self, intent: dict[str, Any], status: str) -> dict[str, Any]:
        charge = {
            "id": self._id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "captured": False,
            "currency": intent["currency"],
            "paid": status == "succeeded",
            "payment_intent": intent["id"],
            "refunded": False,
            "status": status,
        }
        self.charges[charge["id"]] = charge
        return charge

    def _capture(self, intent: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
        self._unknown(form, {"amount_to_capture", "metadata", "expand"})
        if intent["status"] != "requires_capture":
            # documented wording and code (Stripe's answer to capturing a PaymentIntent twice)
            raise invalid(
                f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
                "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                code="payment_intent_unexpected_state",
                payment_intent=json.loads(json.dumps(intent)),
            )
        capturable = intent["amount_capturable"]
        amount = capturable
        if "amount_to_capture" in form:
            amount = self._amount(form["amount_to_capture"], "amount_to_capture", intent["currency"])
        if amount > capturable:
            raise invalid(
                f"The amount to capture ({amount}) is greater than the amount capturable ({capturable}).",
                param="amount_to_capture",
                code="amount_too_large",
            )
        charge = self.charges[intent["latest_charge"]]
        charge.update(captured=True, amount_captured=amount)
        # documented: capturing less than the authorization releases the rest; a PaymentIntent is captured once
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        intent["metadata"].update(self._metadata(form))
        self._event("payment_intent.succeeded", intent)
        self._event("charge.captured", charge)
        return intent

    def _cancel(self, intent: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
        self._unknown(form, {"cancellation_reason", "expand"})
        reason = form.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            raise invalid(f"Invalid cancellation_reason: {reason}", param="cancellation_reason")
        if intent["status"] not in CANCELABLE:
            # documented wording and code
            raise invalid(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
                f"PaymentIntent with one of the following statuses may be canceled: {', '.join(CANCELABLE)}.",
                code="payment_intent_unexpected_state",
                payment_intent=json.loads(json.dumps(intent)),
            )
        intent.update(status="canceled", canceled_at=int(time.time()), cancellation_reason=reason, amount_capturable=0)
        self._event("payment_intent.canceled", intent)
        return intent

    def _refund(self, form: dict[str, Any]) -> dict[str, Any]:
        self._unknown(form, {"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
        if "payment_intent" in form:
            intent = self._intent(form["payment_intent"])
            charge = self.charges.get(intent["latest_charge"] or "")
        elif "charge" in form:
            charge = self.charges.get(form["charge"])
        else:
            raise invalid("One of `charge` or `payment_intent` is required.", code="parameter_missing")
        if charge is None or not charge["captured"]:
            raise invalid(
                "This PaymentIntent does not have a successful charge to refund.", code="charge_not_refundable"
            )
        left = charge["amount_captured"] - charge["amount_refunded"]
        amount = left if "amount" not in form else self._amount(form["amount"], "amount", charge["currency"])
        if left == 0:
            raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        if amount > left:
            raise invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
                code="amount_too_large",
            )
        reason = form.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid(f"Invalid reason: {reason}", param="reason")
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": self._metadata(form),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
        self._event("charge.refunded", charge)
        self._event("refund.created", refund)
        return refund


class SandboxTransport(httpx.BaseTransport):
    """An ``httpx`` transport that hands each request to a :class:`StripeSandbox` instead of the network."""

    def __init__(self, sandbox: StripeSandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read().decode("utf-8")
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = request.url.raw_path.decode("ascii")
        status, payload, extra = self.sandbox.handle(request.method, path, headers, body)
        return httpx.Response(status, json=payload, headers=extra, request=request)
