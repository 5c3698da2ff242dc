"""NDJSON: one order per line with nested lines; errors name the line of the file and the key's path."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from csvchannel_support import ndjson_bytes, ndjson_order
from oms_channel_csv import CsvChannel, import_file

D = Decimal


def read(body: bytes, **options):
    return list(CsvChannel(**options).read(io.BytesIO(body), "ndjson"))


def errors(body: bytes, **options):
    return [(e.row, e.order_id, e.field, e.reason) for r in read(body, **options) for e in r.errors]


def test_orders_with_nested_lines():
    body = ndjson_bytes(
        [
            ndjson_order("N-1", [("MUG-01", 2, "12.50"), ("TEA-07", "1", "3.20")], shipping="4.90",
                         placed_at="2024-05-14T10:30:00+02:00", bill_name="Accounts", bill_line1="1 Main St",
                         bill_city="Berlin", bill_postcode="10115", bill_country="DE"),
            ndjson_order("N-2", [("PEN-02", 1, "1.99")], taxes_included=True, order_discount="0.99"),
        ]
    )  # fmt: skip
    one, two = read(body)
    assert (one.order_id, one.row, one.line_rows, one.format) == ("N-1", 1, (1, 1), "ndjson")
    assert [(x.sku, x.quantity, x.unit_price) for x in one.draft.lines] == [
        ("MUG-01", 2, D("12.50")),
        ("TEA-07", 1, D("3.20")),
    ]
    assert one.draft.totals().total.amount == D("33.10")
    assert one.draft.billing_address.city == "Berlin"
    assert (two.draft.taxes_included, two.draft.totals().total.amount) == (True, D("1.00"))


def test_json_numbers_are_read_exactly_as_written_never_as_floats():
    body = b'{"order_id": 7, "currency": "EUR", "customer_email": "a@example.com", "ship_name": "A", "ship_line1": ' \
           b'"1 Main St", "ship_city": "B", "ship_postcode": "10115", "ship_country": "DE", "shipping": 4.9, ' \
           b'"lines": [{"sku": "MUG-01", "quantity": 3, "unit_price": 0.1, "line_tax": 0.0570}]}\n'  # fmt: skip
    [result] = read(body)
    draft = result.draft
    assert (draft.external_id, draft.shipping, draft.lines[0].unit_price, draft.lines[0].tax) == (
        "7", D("4.9"), D("0.1"), D("0.0570")
    )  # fmt: skip
    assert all(isinstance(v, Decimal) for v in (draft.shipping, draft.lines[0].unit_price, draft.lines[0].tax))
    assert draft.totals().total.amount == D("5.26")  # 0.30 + 4.90 + 0.06 (tax rounded to the cent)


def test_each_problem_names_its_line_and_path():
    body = ndjson_bytes(
        [
            ndjson_order("N-1", [("MUG-01", 1, "1.00")]),
            "{not json",
            "[1, 2]",
            ndjson_order("N-3", [("MUG-01", 2.0, 12.499999999999998), ("", -1, "1e3")], currency="XXY"),
            {"order_id": "N-4", "currency": "EUR", "lines": "MUG-01"},
            {"order_id": "N-5", "currency": "EUR", "lines": [{"sku": "MUG-01", "quantity": 1, "unit_price": "1"}, 5]},
            {"currency": "EUR", "lines": []},
            ndjson_order("N-8", [("MUG-01", 1, "1.00")], shipping=True, customer_email=None, customer_name=None),
            '{"order_id": "N-9", "shipping": NaN, "lines": []}',
        ]
    )
    assert errors(body) == [
        (2, None, "", "is not valid JSON: Expecting property name enclosed in double quotes"),
        (3, None, "", "is not a JSON object: each line must be one order"),
        (4, "N-3", "currency", "'XXY' is not an ISO 4217 currency code"),
        (4, "N-3", "lines[0].quantity", "2.0 is not a whole number"),
        (4, "N-3", "lines[0].unit_price", "'12.499999999999998' has more than 4 decimals (a floating-point artefact?)"),
        (4, "N-3", "lines[1].sku", "is required"),
        (4, "N-3", "lines[1].quantity", "must not be negative (-1)"),
        (4, "N-3", "lines[1].unit_price", "'1e3' is not a decimal amount (write it as \"12.50\")"),
        (5, "N-4", "lines", "must be a list of one or more lines"),
        (6, "N-5", "lines[1]", "must be a JSON object"),
        (7, None, "order_id", "is required"),
        (8, "N-8", "shipping", "true is not a decimal amount"),
        (9, None, "", "is not valid JSON: NaN is not a number"),
    ]
    assert [r.order_id for r in read(body) if r.ok] == ["N-1"]


def test_the_draft_checks_name_the_path_too():
    body = ndjson_bytes([ndjson_order("N-1", [("MUG-01", 1, "1.00"), ("TEA-07", 1, "2.00")], ship_postcode=None)])
    body = body.replace(
        b'"quantity": 1, "unit_price": "2.00"', b'"quantity": 1, "unit_price": "2.00", "line_discount": "3"'
    )
    assert errors(body) == [
        (1, "N-1", "lines[1].line_discount", "exceeds the line amount"),
        (1, "N-1", "ship_postcode", "is required"),
    ]


def test_keys_are_mapped_like_columns():
    order = {"id": "N-1", "currency": "EUR", "email": "a@example.com", "ship_name": "A", "ship_line1": "1 Main St",
             "ship_city": "B", "ship_postcode": "10115", "ship_country": "DE",
             "items": [{"article": "MUG-01", "quantity": 1, "unit_price": "1.00"}, {"article": "TEA-07"}]}  # fmt: skip
    columns = {"order_id": "id", "customer_email": "email", "lines": "items", "sku": "article"}
    assert errors(ndjson_bytes([order]), columns=columns) == [
        (1, "N-1", "items[1].quantity", "is required"),
        (1, "N-1", "items[1].unit_price", "is required"),
    ]


def test_an_ndjson_file_is_imported_and_a_resent_order_is_a_replay(catalogue_oms, tmp_path):
    orders = [ndjson_order(f"N-{i}", [("MUG-01", 1, "12.50")]) for i in range(1, 6)]
    changed = ndjson_order("N-2", [("MUG-01", 2, "12.50")])
    path = tmp_path / "orders.jsonl"
    path.write_bytes(ndjson_bytes([*orders, orders[0], changed]))
    report = import_file(catalogue_oms, path, batch_size=2)  # NDJSON from the file name
    assert (report.created, report.replayed, report.failed) == (5, 1, 1)
    assert [(e.row, e.order_id, e.field, e.reason) for e in report.errors] == [
        (7, "N-2", "order_id", "was imported before (order #2) with different lines; the order was not changed")
    ]
    assert json.loads(path.read_text().splitlines()[6])["order_id"] == "N-2"
