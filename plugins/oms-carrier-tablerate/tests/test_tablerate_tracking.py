"""Tracking numbers (UPU S10 check digit) and the carrier's JSON tracking push."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from oms_carrier_tablerate import EXAMPLE_TABLE, SIGNATURE_HEADER, TableRateCarrier, check_digit, is_valid, sign
from oms_carrier_tablerate import tracking_number as make_number

from oms_core import TrackingEvent, ValidationError, WebhookRejected

# -- tracking numbers -----------------------------------------------------------------------------------------------


def test_check_digit_is_the_upu_s10_one():
    assert check_digit("12345678") == 5  # the standard's own example: EE 12345678 5 GB
    assert check_digit("00000042") == 5  # 4*9 + 2*7 = 50; 50 mod 11 = 6; 11 - 6 = 5
    assert check_digit("00000000") == 5  # 11 - 0 = 11 -> 5
    assert check_digit("00000001") == 4  # 11 - 7 = 4
    assert check_digit("00000003") == 1  # 21 mod 11 = 10 -> 11 - 10 = 1
    assert check_digit("00000008") == 0  # 56 mod 11 = 1 -> 11 - 1 = 10 -> 0


def test_tracking_number_is_prefix_serial_and_check_digit():
    assert make_number("TR", 42) == "TR000000425"
    assert make_number("", 12345678) == "123456785"
    with pytest.raises(ValidationError, match=r"100000000 is outside 0\.\.99999999"):
        make_number("TR", 100_000_000)


def remainder(serial: str) -> int:
    return sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11


def test_a_wrong_digit_is_caught_unless_the_remainder_moves_between_0_and_6():
    """S10 folds 11 - remainder: 10 to 0 and 11 to 5; remainders 0 and 6 both give 5, all others differ."""
    missed = tried = 0
    for serial in (1, 42, 12345678, 99999999, 31415926, 27182818, 16180339):
        number = make_number("TR", serial)
        assert is_valid(number)
        for d in "0123456789":  # a wrong check digit is always caught
            assert d == number[-1] or not is_valid(number[:-1] + d)
        for i in range(2, 10):
            for d in "0123456789":
                if d == number[i]:
                    continue
                typo = number[:i] + d + number[i + 1 :]
                tried += 1
                if is_valid(typo):
                    missed += 1
                    assert {remainder(number[2:10]), remainder(typo[2:10])} == {0, 6}, (number, typo)
    assert missed / tried < 0.05


def test_a_swap_of_neighbouring_digits_is_mostly_caught():
    number = make_number("TR", 12345678)
    swaps = [number[:i] + number[i + 1] + number[i] + number[i + 2 :] for i in range(2, 10)]
    assert not any(is_valid(s) for s in swaps)


def test_is_valid_checks_the_shape():
    assert not is_valid("TR00000042")  # a digit short
    assert not is_valid("tr000000425")
    assert not is_valid("TRACK000000425")


def test_the_carrier_numbers_from_its_counter():
    carrier = TableRateCarrier(EXAMPLE_TABLE, tracking_prefix="AB", sequence_start=7)
    numbers = [carrier.next_tracking_number() for _ in range(3)]
    assert numbers == [make_number("AB", 7), make_number("AB", 8), make_number("AB", 9)]
    assert numbers == ["AB000000076", "AB000000080", "AB000000093"]


def test_the_memory_counter_is_thread_safe():
    carrier = TableRateCarrier(EXAMPLE_TABLE)
    numbers: list[str] = []
    threads = [threading.Thread(target=lambda: numbers.extend(carrier.next_tracking_number() for _ in range(200)))
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(numbers)) == 800


def test_a_counter_file_continues_where_the_last_process_stopped(tmp_path):
    path = tmp_path / "tracking.counter"
    first = TableRateCarrier(EXAMPLE_TABLE, counter_file=path, sequence_start=1000)
    assert [first.next_tracking_number() for _ in range(2)] == [make_number("TR", 1000), make_number("TR", 1001)]
    again = TableRateCarrier(EXAMPLE_TABLE, counter_file=str(path), sequence_start=1000)
    assert again.next_tracking_number() == make_number("TR", 1002)
    assert path.read_text() == "1002\n"


def test_a_counter_callable_wins():
    serials = iter([500, 501])
    carrier = TableRateCarrier(EXAMPLE_TABLE, counter=lambda: next(serials), counter_file="/nonexistent/x")
    assert carrier.next_tracking_number() == make_number("TR", 500)


# -- the tracking push ----------------------------------------------------------------------------------------------


def push(*events: dict) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def event(**overrides) -> dict:
    base = {"tracking_number": "TR000000425", "status": "in_transit", "at": "2025-03-01T10:15:00+01:00",
            "description": "Arrived at the Leipzig hub", "location": "Leipzig", "delivered": False}  # fmt: skip
    base.update(overrides)
    return base


def test_parse_a_push(carrier):
    events = carrier.parse_tracking(
        {}, push(event(), event(status="delivered", at="2025-03-02T08:00:00Z", delivered=True))
    )
    assert events == [
        TrackingEvent("TR000000425", "in_transit", dt.datetime(2025, 3, 1, 9, 15, tzinfo=dt.UTC),
                      "Arrived at the Leipzig hub", "Leipzig", False),
        TrackingEvent("TR000000425", "delivered", dt.datetime(2025, 3, 2, 8, 0, tzinfo=dt.UTC),
                      "Arrived at the Leipzig hub", "Leipzig", True),
    ]  # fmt: skip
    assert all(e.at.tzinfo is dt.UTC for e in events)


def test_optional_fields_and_delivered_by_status(carrier):
    [minimal, delivered] = carrier.parse_tracking(
        {},
        push(
            {"tracking_number": "TR000000425", "status": "accepted", "at": "2025-03-01T10:15:00-05:00"},
            {"tracking_number": "TR000000425", "status": "delivered", "at": "2025-03-03T10:15:00+00:00"},
        ),
    )
    assert (minimal.description, minimal.location, minimal.delivered) == ("", None, False)
    assert minimal.at == dt.datetime(2025, 3, 1, 15, 15, tzinfo=dt.UTC)
    assert delivered.delivered is True
    assert carrier.parse_tracking({}, push()) == []


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (b"\xff\xfe", "body", "is not UTF-8 JSON"),
        (b"{not json", "body", "is not UTF-8 JSON"),
        (b"[]", "body", "must be a JSON object, not an array"),
        (b'{"evts": []}', "evts", "is not a known field"),
        (b"{}", "events", "must be a list, not null"),
        (b'{"events": {"a": 1}}', "events", "must be a list, not an object"),
        (push(event(), "x"), "events[1]", "must be an object, not a string"),
        (push(event(tracking_number=None)), "events[0].tracking_number", "is required"),
        (push(event(tracking_number="TR000000426")), "events[0].tracking_number", "(check digit)"),
        (push(event(tracking_number=425)), "events[0].tracking_number", "must be a non-empty string, not a number"),
        (push(event(status="")), "events[0].status", "must be a non-empty string"),
        (push(event(status="x" * 65)), "events[0].status", "is longer than 64 characters"),
        (push(event(at="2025-03-01T10:15:00")), "events[0].at", "has no UTC offset; add one (Z or +01:00)"),
        (push(event(at="1 March 2025")), "events[0].at", "is not an ISO 8601 date and time"),
        (push(event(at=1740820500)), "events[0].at", "must be a non-empty string, not a number"),
        (push(event(), event(delivered="yes")), "events[1].delivered", "must be true or false, not a string"),
        (push(event(description=3)), "events[0].description", "must be a non-empty string, not a number"),
        (push(event(location="x" * 256)), "events[0].location", "is longer than 255 characters"),
        (push(event(deliverd=True)), "events[0].deliverd", "is not a known field"),
    ],
)
def test_bad_push_names_the_field(carrier, body, field, reason):
    with pytest.raises(ValidationError) as err:
        carrier.parse_tracking({}, body)
    assert (err.value.entity, err.value.field) == ("tracking", field)
    assert reason in err.value.reason


def test_signed_pushes():
    carrier = TableRateCarrier(EXAMPLE_TABLE, webhook_secret="s3cret")
    body = push(event())
    assert len(carrier.parse_tracking({SIGNATURE_HEADER.lower(): sign("s3cret", body)}, body)) == 1
    with pytest.raises(WebhookRejected, match="header is missing"):
        carrier.parse_tracking({}, body)
    with pytest.raises(WebhookRejected, match="does not match the body"):
        carrier.parse_tracking({SIGNATURE_HEADER: sign("s3cret", body)}, body.replace(b"in_transit", b"delivered"))
    with pytest.raises(WebhookRejected, match="does not match the body"):
        carrier.parse_tracking({SIGNATURE_HEADER: sign("other", body)}, body)
