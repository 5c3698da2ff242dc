"""Tracking numbers (prefix, serial, UPU S10 check digit) and the carrier's JSON tracking push.

Tracking number: ``prefix + serial + check digit``, for example ``TR`` ``00000042`` ``5``. The serial is 8 digits,
zero-padded, taken from a counter. The check digit is the one the Universal Postal Union's S10 standard uses for
international postal items: multiply the 8 serial digits by the weights 8 6 4 2 3 5 9 7, add the products, and
take ``11 - (sum mod 11)``; a result of 10 becomes 0 and 11 becomes 5. A wrong check digit is always caught; a
mistyped serial digit is caught unless it moves the remainder between 0 and 6 (both give 5), about one
typo in sixty on random serials; most swaps of two neighbouring digits are caught too.

The tracking push is this carrier's own format (not a third party's):
``{"events": [{"tracking_number", "status", "at", "description", "location", "delivered"}]}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from oms_core import ConfigurationError, TrackingEvent, ValidationError, WebhookRejected

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
SERIAL_DIGITS = 8
MAX_SERIAL = 10**SERIAL_DIGITS - 1
SIGNATURE_HEADER = "X-Tablerate-Signature"
_PREFIX = re.compile(r"^[A-Z]{0,4}$")
_NUMBER = re.compile(r"^([A-Z]{0,4})(\d{8})(\d)$")
EVENT_FIELDS = {"tracking_number", "status", "at", "description", "location", "delivered"}


def check_digit(serial: str) -> int:
    """The UPU S10 check digit of an 8-digit serial: ``check_digit("12345678") == 5``."""
    if len(serial) != SERIAL_DIGITS or not serial.isdigit():
        raise ValueError(f"the serial must be {SERIAL_DIGITS} digits, not {serial!r}")
    rest = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(rest, rest)


def tracking_number(prefix: str, sequence: int) -> str:
    """``prefix`` + the zero-padded ``sequence`` + its check digit: ``tracking_number("TR", 42) == "TR000000425"``."""
    if not 0 <= sequence <= MAX_SERIAL:
        raise ValidationError("carrier", "sequence", f"{sequence} is outside 0..{MAX_SERIAL}; the serial has 8 digits")
    serial = f"{sequence:0{SERIAL_DIGITS}d}"
    return f"{prefix}{serial}{check_digit(serial)}"


def is_valid(number: str) -> bool:
    """Whether ``number`` has the shape ``[A-Z]{0,4}`` + 8 digits + a correct check digit."""
    m = _NUMBER.match(number)
    return bool(m) and check_digit(m.group(2)) == int(m.group(3))


def check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise ValidationError("carrier", "tracking_prefix", "must be up to 4 capital letters A-Z", prefix)
    return prefix


# -- counters -------------------------------------------------------------------------------------------------------


class MemoryCounter:
    """Numbers from ``start`` upwards, in this process only (thread-safe). Restarting starts again at ``start``."""

    def __init__(self, start: int = 1) -> None:
        self._next = start
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
            return value


class FileCounter:
    """Numbers kept in a text file holding the last number given out, shared by the processes of one machine.

    Each call locks the file (``fcntl.flock``), reads, increments, writes and flushes it to disk.
    """

    def __init__(self, path: str | Path, start: int = 1) -> None:
        try:
            import fcntl  # noqa: F401  (POSIX only)
        except ImportError:  # pragma: no cover - not on POSIX
            raise ConfigurationError("counter_file needs a POSIX system (fcntl); pass counter=... instead") from None
        self.path = Path(path)
        self.start = start

    def __call__(self) -> int:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            text = os.read(fd, 64).decode("ascii", "replace").strip()
            if text and not text.isdigit():
                raise ConfigurationError(f"tracking counter file {self.path} holds {text!r}, not a number")
            value = max(int(text) + 1 if text else self.start, self.start)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{value}\n".encode("ascii"))
            os.fsync(fd)
            return value
        finally:
            os.close(fd)  # closing releases the lock


Counter = Callable[[], int]


# -- the tracking push ----------------------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=`` + hex HMAC-SHA256 with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(source: str, secret: str, headers: Mapping[str, str], body: bytes) -> None:
    given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
    if given is None:
        raise WebhookRejected(source, f"the {SIGNATURE_HEADER} header is missing")
    if not hmac.compare_digest(given.strip().encode(), sign(secret, body).encode()):
        raise WebhookRejected(source, f"the {SIGNATURE_HEADER} header does not match the body")


def parse_push(body: bytes) -> list[TrackingEvent]:
    """Parse a tracking push; every problem is a ``ValidationError`` naming the field (``events[1].at``)."""
    try:
        data = json.loads(body.decode("utf-8") if isinstance(body, bytes | bytearray) else body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError("tracking", "body", f"is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError("tracking", "body", f"must be a JSON object, not {_json_type(data)}")
    for key in data:
        if key != "events":
            raise ValidationError("tracking", key, 'is not a known field; the body is {"events": [...]}')
    events = data.get("events")
    if not isinstance(events, list):
        raise ValidationError("tracking", "events", f"must be a list, not {_json_type(events)}")
    return [_event(item, f"events[{i}]") for i, item in enumerate(events)]


def _event(item: Any, path: str) -> TrackingEvent:
    if not isinstance(item, dict):
        raise ValidationError("tracking", path, f"must be an object, not {_json_type(item)}")
    for key in item:
        if key not in EVENT_FIELDS:
            raise ValidationError(
                "tracking", f"{path}.{key}", f"is not a known field; use {', '.join(sorted(EVENT_FIELDS))}"
            )
    number = _text(item, "tracking_number", path, required=True)
    assert number is not None
    if not is_valid(number):
        raise ValidationError(
            "tracking", f"{path}.tracking_number", f"{number!r} is not a tracking number of this carrier (check digit)"
        )
    status = _text(item, "status", path, required=True)
    assert status is not None
    if len(status) > 64:
        raise ValidationError("tracking", f"{path}.status", "is longer than 64 characters", status)
    raw_at = _text(item, "at", path, required=True)
    assert raw_at is not None
    try:
        at = dt.datetime.fromisoformat(raw_at)
    except ValueError:
        raise ValidationError(
            "tracking", f"{path}.at", f"{raw_at!r} is not an ISO 8601 date and time", raw_at
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError("tracking", f"{path}.at", f"{raw_at!r} has no UTC offset; add one (Z or +01:00)", raw_at)
    delivered = item.get("delivered", status == "delivered")
    if not isinstance(delivered, bool):
        raise ValidationError("tracking", f"{path}.delivered", f"must be true or false, not {_json_type(delivered)}")
    location = _text(item, "location", path, required=False) or None
    if location is not None and len(location) > 255:
        raise ValidationError("tracking", f"{path}.location", "is longer than 255 characters", location)
    return TrackingEvent(
        tracking_number=number,
        status=status,
        at=at.astimezone(dt.UTC),
        description=_text(item, "description", path, required=False) or "",
        location=location,
        delivered=delivered,
    )


def _text(item: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        what = "is required" if value is None else f"must be a non-empty string, not {_json_type(value)}"
        raise ValidationError("tracking", f"{path}.{key}", what, value)
    return value.strip()


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "an array", dict: "an object"}  # fmt: skip
    return names.get(type(value), type(value).__name__)
