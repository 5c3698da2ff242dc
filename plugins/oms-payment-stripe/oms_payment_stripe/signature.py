"""Stripe's webhook signatures: ``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]``.

The signed text is the timestamp, a dot and the raw request body; the signature is its HMAC-SHA256 with the
endpoint's signing secret (``whsec_...``), in hex. While a secret is being rolled, Stripe signs with both the old
and the new one, so the header carries several ``v1`` values: one match is enough. Other schemes (``v0``) are
ignored. The timestamp must be within ``tolerance`` seconds of now, so that a captured request cannot be replayed
later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

from oms_core import WebhookRejected

HEADER = "Stripe-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}." + body`` with ``secret``."""
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: str | Iterable[str], body: bytes, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` value for ``body``, one ``v1`` per secret (as Stripe sends while rolling a secret).

    Meant for tests of a host application: sign a payload as Stripe would, then feed it to the OMS.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    return ",".join([f"t={ts}", *(f"{SCHEME}={compute_signature(k, ts, body)}" for k in keys)])


def find_header(headers: Mapping[str, str], name: str = HEADER) -> str | None:
    """The value of header ``name`` in ``headers``, whatever its case."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def parse_header(value: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])`` of a ``Stripe-Signature`` value; ``ValueError`` if it has neither."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = int(val)
        elif key == SCHEME:
            signatures.append(val.strip())
    if timestamp is None:
        raise ValueError("no timestamp (t=)")
    if not signatures:
        raise ValueError(f"no {SCHEME} signature")
    return timestamp, signatures


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str],
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
    source: str = "stripe",
) -> int:
    """Check the ``Stripe-Signature`` of ``body`` against any of ``secrets``; return the signed timestamp.

    Raise :class:`WebhookRejected` when the header is missing or malformed, when the timestamp is more than
    ``tolerance`` seconds away from ``now``, or when no ``v1`` signature matches any secret.
    """
    keys = [s for s in secrets if s]
    if not keys:
        raise WebhookRejected(source, "no webhook_secret is configured")
    value = find_header(headers)
    if value is None:
        raise WebhookRejected(source, f"no {HEADER} header")
    try:
        timestamp, signatures = parse_header(value)
    except ValueError as exc:
        raise WebhookRejected(source, f"malformed {HEADER} header: {exc}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookRejected(source, f"timestamp {timestamp} is outside the tolerance of {tolerance} s")
    if not isinstance(body, bytes | bytearray):
        raise WebhookRejected(source, "the raw request body (bytes) is needed to check the signature")
    matched = False
    for key in keys:
        expected = compute_signature(key, timestamp, bytes(body)).encode("ascii")
        for candidate in signatures:
            # every pair is compared, in constant time, so the time taken says nothing about which one matched
            matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise WebhookRejected(source, "no signature matches the payload")
    return timestamp
