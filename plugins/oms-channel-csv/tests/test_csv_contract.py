"""The channel contract every connector passes, run on a CSV file and on an NDJSON file."""

from __future__ import annotations

import pytest
from csvchannel_support import csv_bytes, ndjson_bytes, ndjson_order, order_rows
from oms_channel_csv import CsvChannel

from oms_core.testing.contracts import ChannelContract

CSV_FILE = csv_bytes(
    order_rows("A-1001", [("MUG-01", "2", "12.50"), ("TEA-07", "1", "3.20")], shipping="4.90", expected_total="33.10")
    + order_rows("A-1002", [("PEN-02", "3", "1.99")], line_tax="0.95", taxes_included="false")
)


class TestCsvFile(ChannelContract):
    """Two orders, one of two lines, with the standard columns."""

    @pytest.fixture
    def channel(self) -> CsvChannel:
        return CsvChannel()

    @pytest.fixture
    def valid_payload(self) -> tuple[dict[str, str], bytes]:
        return {"Content-Type": "text/csv; charset=utf-8"}, CSV_FILE

    @pytest.fixture
    def tampered_payload(self) -> None:
        return None  # files carry no signature

    @pytest.fixture
    def malformed_body(self) -> bytes:
        return b"id,product,amount\n1,MUG-01,12.50\n"  # none of the required columns


class TestNdjsonFile(ChannelContract):
    """Two orders in NDJSON, named so by the Content-Type of the upload."""

    @pytest.fixture
    def channel(self) -> CsvChannel:
        return CsvChannel()

    @pytest.fixture
    def valid_payload(self) -> tuple[dict[str, str], bytes]:
        body = ndjson_bytes(
            [
                ndjson_order("N-1", [("MUG-01", 2, "12.50"), ("TEA-07", 1, "3.20")], shipping="4.90"),
                ndjson_order("N-2", [("PEN-02", 1, "1.99")], taxes_included=True),
            ]
        )
        return {"Content-Type": "application/x-ndjson"}, body

    @pytest.fixture
    def tampered_payload(self) -> None:
        return None

    @pytest.fixture
    def malformed_body(self) -> bytes:
        return b'{"order_id": "N-1", "lines": [\n'
