"""import_file: a file of good and bad orders places the good ones, batch by batch, and reports exactly the bad rows."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from csvchannel_support import HEADER, csv_bytes, order_rows
from oms_channel_csv import CsvChannel, ImportReport, RowError, import_file

from oms_core import CHANNELS, Channel, ConfigurationError, NotFound, ValidationErrors, hookimpl

D = Decimal


def mixed_file() -> bytes:
    rows = (
        order_rows("A-1", [("MUG-01", "2", "12.50"), ("TEA-07", "1", "3.20")], shipping="4.90")  # rows 2-3
        + order_rows("A-2", [("MUG-01", "1", "12.50"), ("TEA-07", "-3", "3.20")])  # rows 4-5: bad quantity
        + order_rows("A-3", [("PEN-02", "4", "1.99")])  # row 6
        + order_rows("A-4", [("MUG-01", "1", "12.50"), ("MUG-99", "1", "9.90")])  # rows 7-8: unknown SKU
        + order_rows("A-5", [("TEA-07", "1", "3.20")], expected_total="3.20")  # row 9
        + [{"sku": "MUG-01", "quantity": "1", "unit_price": "12.50"}]  # row 10: no order id
        + order_rows("A-6", [("MUG-01", "1", "12,50")])  # row 11: decimal comma, quoted by the writer
    )
    return csv_bytes(rows)


def test_good_orders_are_placed_and_exactly_the_bad_rows_are_reported(catalogue_oms):
    report = import_file(catalogue_oms, io.BytesIO(mixed_file()), batch_size=2)
    assert (report.created, report.replayed, report.failed, report.ok) == (3, 0, 3, False)
    assert [(e.row, e.order_id, e.field, e.reason) for e in report.errors] == [
        (5, "A-2", "quantity", "must not be negative (-3)"),
        (8, "A-4", "sku", "unknown SKU 'MUG-99'"),
        (10, None, "order_id", "is required: every row names its order"),
        (11, "A-6", "unit_price", "'12,50' is not a decimal amount: the decimal separator is '.', with no thousands "
                                  "separator (see the decimal and thousands options)"),
    ]  # fmt: skip
    a1 = catalogue_oms.find_order("csv", "A-1")
    assert ([(x.sku, x.quantity) for x in a1.lines], a1.total.amount) == ([("MUG-01", 2), ("TEA-07", 1)], D("33.10"))
    assert catalogue_oms.find_order("csv", "A-3").total.amount == D("7.96")
    assert catalogue_oms.find_order("csv", "A-5").total.amount == D("3.20")
    for refused in ("A-2", "A-4", "A-6"):  # never half an order: the good line of A-2 and of A-4 is not there
        with pytest.raises(NotFound):
            catalogue_oms.find_order("csv", refused)


def test_importing_the_same_file_again_replays_and_changes_nothing(catalogue_oms):
    first = import_file(catalogue_oms, io.BytesIO(mixed_file()))
    again = import_file(catalogue_oms, io.BytesIO(mixed_file()))
    assert (again.created, again.replayed, again.failed) == (0, 3, 3)
    assert again.errors == first.errors
    assert len(catalogue_oms.list_orders()) == 3


def test_a_business_rule_refusal_is_reported_on_the_orders_first_row(make_oms, catalogue_oms):
    class QuantityCap:
        oms_plugin_name = "quantity_cap"

        @hookimpl
        def validate_order(self, draft):
            if sum(line.quantity for line in draft.lines) > 10:
                return "at most 10 units per order"
            return None

    oms = make_oms(load_entry_points=False, plugins=[QuantityCap()])
    rows = order_rows("B-1", [("MUG-01", "6", "1.00"), ("TEA-07", "6", "1.00")]) + order_rows(
        "B-2", [("MUG-01", "1", "1.00")]
    )
    report = import_file(oms, io.BytesIO(csv_bytes(rows)))
    assert (report.created, report.failed) == (1, 1)
    assert report.errors == [RowError(2, "B-1", "", "refused by quantity_cap: at most 10 units per order")]


def test_the_first_batch_is_placed_before_the_file_is_read_further(catalogue_oms, monkeypatch):
    """Streaming, proved on the input: the file is read no further than one batch and one order past what is placed."""
    batch = 5
    placed: list[int] = []
    place_orders = catalogue_oms.place_orders

    def counting(drafts, **kwargs):
        result = place_orders(drafts, **kwargs)
        placed.append(result.created)
        return result

    monkeypatch.setattr(catalogue_oms, "place_orders", counting)

    def lines():
        yield csv_bytes([], HEADER)
        for n in range(1, 31):
            if n > sum(placed) + batch + 1:
                raise AssertionError(f"order {n} was read before order {sum(placed) + 1} was placed")
            yield csv_bytes(order_rows(f"S-{n}", [("MUG-01", "1", "1.00"), ("TEA-07", "2", "0.50")]), with_header=False)

    report = import_file(catalogue_oms, lines(), batch_size=batch)
    assert (report.created, report.failed, placed) == (30, 0, [5, 5, 5, 5, 5, 5])


def test_reading_is_lazy_one_order_past_the_one_handed_out():
    read: list[int] = []

    def endless():
        yield csv_bytes([], HEADER)
        n = 0
        while True:
            n += 1
            read.append(n)
            yield csv_bytes(order_rows(f"E-{n}", [("MUG-01", "1", "1.00")]), with_header=False)

    results = CsvChannel().read(endless())
    assert [next(results).order_id for _ in range(3)] == ["E-1", "E-2", "E-3"]
    assert read == [1, 2, 3, 4]


def test_a_path_is_opened_and_its_format_follows_the_suffix(catalogue_oms, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(mixed_file())
    report = import_file(catalogue_oms, path)
    assert (report.created, report.failed) == (3, 3)
    assert import_file(catalogue_oms, str(path)).replayed == 3


def test_an_explicit_channel_instance(catalogue_oms):
    body = csv_bytes(order_rows("X-1", [("MUG-01", "1", "1.00")])).replace(b",", b"|")
    report = import_file(catalogue_oms, [body], channel=CsvChannel(delimiter="|", channel_name="b2b-acme"))
    assert report.created == 1
    assert catalogue_oms.find_order("b2b-acme", "X-1").channel == "b2b-acme"


def test_the_report_as_csv(tmp_path):
    report = ImportReport(
        created=1,
        failed=2,
        errors=[
            RowError(3, "A-2", "quantity", "must not be negative (-3)"),
            RowError(7, "=HYPERLINK(1)", "unit_price", 'has "quotes", and commas'),
            RowError(9, None, "", "is not valid CSV"),
        ],
    )
    expected = (
        "row,order_id,field,reason\n"
        "3,A-2,quantity,must not be negative (-3)\n"
        '7,\'=HYPERLINK(1),unit_price,"has ""quotes"", and commas"\n'
        "9,,,is not valid CSV\n"
    )
    assert report.to_csv() == expected
    report.to_csv(tmp_path / "errors.csv")
    assert (tmp_path / "errors.csv").read_text(encoding="utf-8") == expected
    out = io.StringIO()
    report.to_csv(out)
    assert out.getvalue() == expected


def test_bad_arguments(catalogue_oms):
    class NotCsv(Channel):
        def verify(self, headers, body):
            pass

        def parse_orders(self, body, headers=None):
            return []

    catalogue_oms.register_driver(CHANNELS, "json-api", lambda **_: NotCsv())
    with pytest.raises(ConfigurationError, match="not a CsvChannel"):
        import_file(catalogue_oms, [b""], channel="json-api")
    with pytest.raises(ConfigurationError, match="batch_size"):
        import_file(catalogue_oms, [b""], batch_size=0)
    with pytest.raises(ConfigurationError, match="format"):
        import_file(catalogue_oms, [b""], format="xlsx")


def test_parse_stream_yields_drafts_and_an_error_in_place_of_each_bad_order():
    items = list(CsvChannel().parse_stream(io.BytesIO(mixed_file()), {"Content-Type": "text/csv"}))
    assert [getattr(x, "external_id", None) for x in items] == ["A-1", "A-2", "A-3", "A-4", None, "A-5", "A-6"]
    a2 = items[1]
    assert isinstance(a2, ValidationErrors)
    assert [(e.field, e.reason) for e in a2.errors] == [("row[5].quantity", "must not be negative (-3)")]
    # a row without order id is reported when it is read, before the order around it is complete
    assert [e.field for e in items[4].errors] == ["row[10].order_id"]


def test_import_orders_streams_a_file_object_through_parse_stream(catalogue_oms):
    result = catalogue_oms.import_orders("csv", io.BytesIO(mixed_file()), verify=False, batch_size=2)
    assert (result.created, result.replayed) == (3, 0)
    refused = [(i, external_id, getattr(e, "field", None)) for i, external_id, e in result.errors]
    assert refused == [(1, "A-2", "row[5].quantity"), (3, "A-4", "lines[1].sku"), (4, None, "row[10].order_id"),
                       (6, "A-6", "row[11].unit_price")]  # fmt: skip
