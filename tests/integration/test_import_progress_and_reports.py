"""Bulk import through the facade: progress reports, streamed payloads, and the SQL-aggregated reports."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping

import pytest

from oms_core import CHANNELS, Channel, OrderDraft, ValidationError, WebhookRejected
from oms_core.testing import draft, seed_catalogue


class JsonLines(Channel):
    """A test channel: one order per line, ``{"id": ..., "sku": ..., "qty": ...}``; signed with ``X-Sig: ok``."""

    def __init__(self) -> None:
        self.verified: list[bytes] = []
        self.parsed: list[str] = []

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if headers.get("X-Sig") != "ok":
            raise WebhookRejected(self.name, "bad signature")
        self.verified.append(body)

    def _draft(self, line: bytes, n: int) -> OrderDraft | ValidationError:
        try:
            data = json.loads(line)
        except ValueError:
            return ValidationError("order", f"line[{n}]", "is not JSON")
        return draft(str(data["id"]), [(data["sku"], data["qty"], "10.00")])

    def parse_orders(self, body: bytes, headers: Mapping[str, str] | None = None) -> list[OrderDraft]:
        self.parsed.append("bytes")
        drafts = [self._draft(line, n) for n, line in enumerate(body.splitlines(), 1)]
        bad = [d for d in drafts if isinstance(d, ValidationError)]
        if bad:
            raise bad[0]
        return drafts  # type: ignore[return-value]

    def parse_stream(self, stream: io.BufferedIOBase, headers: Mapping[str, str] | None = None) -> Iterator:
        self.parsed.append("stream")
        for n, line in enumerate(stream, 1):
            yield self._draft(line, n)


def lines(*orders: tuple[str, str, int] | str) -> bytes:
    out = [o if isinstance(o, str) else json.dumps({"id": o[0], "sku": o[1], "qty": o[2]}) for o in orders]
    return "\n".join(out).encode() + b"\n"


@pytest.fixture
def shop(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 100}})
    driver = JsonLines()
    oms.register_driver(CHANNELS, "jsonl", lambda: driver)
    return oms, driver


def test_progress_is_reported_before_the_first_batch_and_after_each(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 100}})
    calls: list[tuple[int, int | None]] = []
    drafts = [draft(str(i)) for i in range(5)]
    result = oms.place_orders(drafts, batch_size=2, progress=lambda done, total: calls.append((done, total)))
    assert result.created == 5
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
    streamed: list[tuple[int, int | None]] = []
    oms.place_orders((d for d in drafts), batch_size=3, progress=lambda done, total: streamed.append((done, total)))
    assert streamed == [(0, None), (3, None), (5, None)]


def test_a_stream_is_parsed_as_it_is_read_when_the_driver_can_and_bad_orders_are_reported(shop):
    oms, driver = shop
    body = lines(("A-1", "SKU-1", 1), "{not json", ("A-2", "NOPE", 1), ("A-3", "SKU-1", 2))
    calls: list[int] = []
    result = oms.import_orders(
        "jsonl", io.BytesIO(body), verify=False, batch_size=2, progress=lambda done, total: calls.append(done)
    )
    assert driver.parsed == ["stream"]
    assert (result.created, result.replayed) == (2, 0)
    assert [(i, ext, err.field) for i, ext, err in result.errors] == [(1, None, "line[2]"), (2, "A-2", "lines[0].sku")]
    assert calls == [0, 2, 4]
    assert oms.find_order("web", "A-3").lines[0].quantity == 2


def test_a_stream_to_verify_is_read_whole_and_verified_first(shop):
    oms, driver = shop
    body = lines(("A-1", "SKU-1", 1))
    with pytest.raises(WebhookRejected):
        oms.import_orders("jsonl", io.BytesIO(body), {"X-Sig": "forged"})
    assert driver.parsed == []
    result = oms.import_orders("jsonl", io.BytesIO(body), {"X-Sig": "ok"})
    assert (result.created, driver.verified, driver.parsed) == (1, [body], ["bytes"])


def test_a_stream_for_a_driver_without_parse_stream_is_read_whole(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 100}})

    class Plain(JsonLines):
        parse_stream = None  # type: ignore[assignment]

    driver = Plain()
    oms.register_driver(CHANNELS, "plain", lambda: driver)
    result = oms.import_orders("plain", io.BytesIO(lines(("P-1", "SKU-1", 1))), verify=False)
    assert (result.created, driver.parsed) == (1, ["bytes"])


def test_reports_per_channel_gateway_and_carrier(oms):
    seed_catalogue(oms, {"SKU-1": {"WH1": 100}})
    web = oms.place_order(draft("W-1", [("SKU-1", 2, "10.00")]))
    shop = oms.place_order(draft("S-1", [("SKU-1", 1, "25.00")], channel="shop"))
    oms.place_order(draft("S-2", channel="shop"))
    for order in (web, shop):
        oms.confirm_order(order.id)
        oms.pay(order.id)
        oms.ship(order.id)
    by_gateway = oms.payments_by_gateway()
    assert [(g, n, str(m)) for g, n, m in by_gateway] == [("manual", 2, "45.00 EUR")]
    assert oms.order_counts("channel") == {"shop": 2, "web": 1}
    assert oms.shipment_counts() == {"flat_rate": 2}
    assert oms.shipment_counts("location") == {"WH1": 2}
    with pytest.raises(ValidationError, match=r"report\.by"):
        oms.shipment_counts("sku")
    with pytest.raises(ValidationError, match=r"report\.by"):
        oms.order_counts("customer_email")
