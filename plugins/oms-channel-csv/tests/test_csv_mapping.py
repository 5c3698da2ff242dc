"""CSV rows to order drafts: columns, their mapping, order values over several rows, and each refusal by row."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from csvchannel_support import HEADER, csv_bytes, order_rows
from oms_channel_csv import CsvChannel, RowError

from oms_core import Address, ConfigurationError, Customer, ValidationErrors

D = Decimal


def read(body: bytes, **options):
    return list(CsvChannel(**options).read(io.BytesIO(body)))


def errors(body: bytes, **options) -> list[tuple[int, str | None, str, str]]:
    return [(e.row, e.order_id, e.field, e.reason) for r in read(body, **options) for e in r.errors]


def only_draft(body: bytes, **options):
    [result] = read(body, **options)
    assert result.errors == ()
    return result.draft


# -- the standard columns ---------------------------------------------------------------------------------------


def test_an_order_of_two_rows_is_one_draft_to_the_cent():
    body = csv_bytes(
        order_rows("A-1", [("MUG-01", "2", "12.50"), ("TEA-07", "1", "3.20")], shipping="4.90", line_discount="1.00",
                   line_tax="4.00", placed_at="2024-05-14T10:30:00+02:00", expected_total="36.10")
    )  # fmt: skip
    [result] = read(body)
    assert (result.order_id, result.row, result.last_row, result.line_rows) == ("A-1", 2, 3, (2, 3))
    draft = result.draft
    assert (draft.channel, draft.external_id, draft.currency, draft.taxes_included) == ("csv", "A-1", "EUR", False)
    assert [(x.sku, x.quantity, x.unit_price, x.discount, x.tax) for x in draft.lines] == [
        ("MUG-01", 2, D("12.50"), D("1.00"), D("4.00")),
        ("TEA-07", 1, D("3.20"), D(0), D(0)),
    ]
    assert draft.shipping == D("4.90")
    assert draft.totals().total.amount == D("36.10")
    assert draft.placed_at == dt.datetime(2024, 5, 14, 8, 30, tzinfo=dt.UTC)
    assert draft.customer == Customer(email="ada@example.com", name="Ada Lovelace")
    assert draft.shipping_address == Address("Ada Lovelace", "Unter den Linden 5", "Berlin", "10117", "DE")
    assert draft.billing_address is None


def test_every_optional_column():
    header = (*HEADER, "customer_phone", "customer_id", "ship_company", "ship_line2", "ship_region", "ship_phone",
              "bill_name", "bill_line1", "bill_city", "bill_postcode", "bill_country", "shipping_tax",
              "order_discount", "notes", "line_name", "line_id")  # fmt: skip
    rows = order_rows(
        "A-1", [("MUG-01", "1", "10.00"), ("TEA-07", "1", "30.00")], customer_phone="+49 30 1234", customer_id="C-9",
        ship_company="Analytical Engines", ship_line2="Hinterhaus", ship_region="BE", ship_phone="+49 30 5678",
        bill_name="Accounts", bill_line1="Hauptstraße 1", bill_city="Potsdam", bill_postcode="14467",
        bill_country="de", shipping_tax="0.50", order_discount="4.00", notes="ring twice", taxes_included="yes",
    )  # fmt: skip
    rows[0] |= {"line_name": "Mug", "line_id": "L-1"}
    draft = only_draft(csv_bytes(rows, header))
    assert draft.customer == Customer("ada@example.com", "Ada Lovelace", "+49 30 1234", "C-9")
    ship = draft.shipping_address
    assert (ship.company, ship.line2, ship.region, ship.phone) == (
        "Analytical Engines",
        "Hinterhaus",
        "BE",
        "+49 30 5678",
    )
    assert draft.billing_address == Address("Accounts", "Hauptstraße 1", "Potsdam", "14467", "DE")
    assert (draft.shipping_tax, draft.order_discount, draft.notes, draft.taxes_included) == (
        D("0.50"), D("4.00"), "ring twice", True
    )  # fmt: skip
    assert [(x.name, x.external_id) for x in draft.lines] == [("Mug", "L-1"), (None, None)]
    assert [d.amount for d in draft.line_discounts()] == [D("1.00"), D("3.00")]


def test_order_values_may_be_repeated_or_given_on_any_row_of_the_order():
    rows = order_rows("A-1", [("MUG-01", "1", "10.00"), ("TEA-07", "1", "3.00"), ("PEN-02", "1", "2.00")])
    rows[1] |= {k: v for k, v in rows[0].items() if k not in ("sku", "quantity", "unit_price")}  # repeated
    rows[2]["shipping"] = "4.90"  # given once, on the last row
    draft = only_draft(csv_bytes(rows))
    assert (draft.shipping, len(draft.lines)) == (D("4.90"), 3)


def test_an_order_value_that_differs_between_rows_refuses_the_order_on_that_row():
    rows = order_rows("A-1", [("MUG-01", "1", "10.00"), ("TEA-07", "1", "3.00")])
    rows[1]["currency"] = "GBP"
    assert errors(csv_bytes(rows)) == [(3, "A-1", "currency", "'GBP' differs from 'EUR' on row 2 of the same order")]


# -- column mapping ---------------------------------------------------------------------------------------------


MARKETPLACE = {"order_id": "Order Number", "sku": "Seller SKU", "quantity": "Qty", "unit_price": "Item Price",
               "ship_name": "Recipient", "ship_line1": "Address 1", "ship_city": "Town", "ship_postcode": "ZIP",
               "ship_country": "Country Code", "customer_email": "Buyer Email"}  # fmt: skip


def marketplace_file() -> bytes:
    header = ["Order Number", "order-item-id", "Buyer Email", "Recipient", "Address 1", "Town", "ZIP",
              "Country Code", "Seller SKU", "Qty", "Item Price", "Fulfilment Channel"]  # fmt: skip
    rows = [
        ["302-1", "1", "ada@example.com", "Ada Lovelace", "1 Main Street", "London", "SW1Y 4JH", "GB", "MUG-01", "2",
         "12.50", "MFN"],
        ["302-1", "2", "ada@example.com", "Ada Lovelace", "1 Main Street", "London", "SW1Y 4JH", "GB", "TEA-07", "1",
         "3.20", "MFN"],
        ["302-2", "3", "grace@example.com", "Grace Hopper", "2 High Street", "Leeds", "LS1 1AA", "GB", "PEN-02", "5",
         "0.99", "AFN"],
    ]  # fmt: skip
    return csv_bytes([dict(zip(header, r, strict=True)) for r in rows], header)


def test_columns_are_mapped_to_the_headings_of_the_file_and_other_columns_are_ignored():
    results = read(marketplace_file(), columns=MARKETPLACE, currency="GBP")
    assert [(r.order_id, r.row, r.last_row, r.ok) for r in results] == [("302-1", 2, 3, True), ("302-2", 4, 4, True)]
    first, second = (r.draft for r in results)
    assert [(x.sku, x.quantity, x.unit_price) for x in first.lines] == [
        ("MUG-01", 2, D("12.50")),
        ("TEA-07", 1, D("3.20")),
    ]
    assert (first.currency, first.customer.email, first.shipping_address.postcode) == (
        "GBP",
        "ada@example.com",
        "SW1Y 4JH",
    )
    assert second.totals().total.amount == D("4.95")


def test_headings_match_regardless_of_case_and_spaces():
    body = marketplace_file().replace(b"Order Number", b"  ORDER   number ", 1)
    assert [r.ok for r in read(body, columns=MARKETPLACE, currency="GBP")] == [True, True]


def test_errors_name_the_column_as_the_file_does():
    body = marketplace_file().replace(b"MUG-01,2,", b"MUG-01,two,")
    assert errors(body, columns=MARKETPLACE, currency="GBP") == [(2, "302-1", "Qty", "'two' is not a whole number")]


def test_a_missing_required_column_refuses_the_file_on_the_header_row():
    header = [h for h in HEADER if h not in ("sku", "ship_city")]
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "10.00")]), header)
    assert errors(body) == [
        (1, None, "sku", "is a required column and is missing from the header"),
        (1, None, "ship_city", "is a required column and is missing from the header"),
    ]
    mapped = errors(marketplace_file(), columns=MARKETPLACE)  # no currency column and no default
    assert mapped == [(1, None, "currency", "is a required column and is missing from the header")]


def test_a_column_twice_in_the_header_refuses_the_file():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "10.00")]), (*HEADER, "SKU"))
    assert errors(body) == [(1, None, "sku", "appears 2 times in the header")]


def test_an_empty_file_is_refused():
    assert errors(b"") == [(1, None, "", "the file is empty: the first line must name the columns")]


def test_the_default_channel_is_the_driver_name_or_the_configured_one():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "10.00")]))
    assert only_draft(body).channel == "csv"
    assert only_draft(body, channel_name="b2b-acme").channel == "b2b-acme"
    named = CsvChannel()
    named.name = "marketplace"  # what the loader does
    assert next(named.read([body])).draft.channel == "marketplace"


# -- values -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "expected"),
    [("12.50", "12.50"), ("12.5", "12.5"), ("12", "12"), (" 12.50 ", "12.50"), ("0.1234", "0.1234"), (".5", ".5")],
)
def test_amounts_are_decimals_from_their_text(price, expected):
    draft = only_draft(csv_bytes(order_rows("A-1", [("MUG-01", "1", price)])))
    assert draft.lines[0].unit_price == D(expected)
    assert isinstance(draft.lines[0].unit_price, Decimal)


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("12.499999999999998", "'12.499999999999998' has more than 4 decimals (a floating-point artefact?)"),
        ("1e3", "'1e3' is not a decimal amount"),
        ("NaN", "'NaN' is not a decimal amount"),
        ("inf", "'inf' is not a decimal amount"),
        ("€12.50", "'€12.50' is not a decimal amount"),
        ("-12.50", "must not be negative (-12.50)"),
        ("12,50", "'12,50' is not a decimal amount: the decimal separator is '.', with no thousands separator (see "
                  "the decimal and thousands options)"),
        ("1,234.50", "'1,234.50' is not a decimal amount: the decimal separator is '.', with no thousands separator "
                     "(see the decimal and thousands options)"),
        ("", "is required"),
    ],
)  # fmt: skip
def test_amounts_that_are_not_plain_decimals_are_refused_naming_the_column(price, reason):
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", price)]))
    assert errors(body) == [(2, "A-1", "unit_price", reason)]


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [("-1", "must not be negative (-1)"), ("0", "must be greater than zero"), ("2.0", "'2.0' is not a whole number"),
     ("1,5", "'1,5' is not a whole number"), ("", "is required")],
)  # fmt: skip
def test_quantities_are_whole_numbers_above_zero(quantity, reason):
    body = csv_bytes(order_rows("A-1", [("MUG-01", quantity, "1.00")]))
    assert errors(body) == [(2, "A-1", "quantity", reason)]


def test_every_problem_of_an_order_is_reported_on_its_row():
    rows = order_rows("A-1", [("MUG-01", "1", "10.00"), ("", "-2", "abc")], ship_postcode="", customer_email="ada")
    rows[1]["line_discount"] = "1.5e1"
    assert errors(csv_bytes(rows)) == [
        (3, "A-1", "sku", "is required"),
        (3, "A-1", "quantity", "must not be negative (-2)"),
        (3, "A-1", "unit_price", "'abc' is not a decimal amount"),
        (3, "A-1", "line_discount", "'1.5e1' is not a decimal amount"),
    ]
    # once the values can be read, the draft's own checks name the column and the row too
    rows = order_rows("A-1", [("MUG-01", "1", "10.00"), ("TEA-07", "1", "2.00")], ship_postcode="", ship_country="DEU",
                      customer_email="ada", expected_total="11.00")  # fmt: skip
    rows[1]["line_discount"] = "3.00"
    assert errors(csv_bytes(rows)) == [
        (2, "A-1", "ship_postcode", "is required"),
        (2, "A-1", "ship_country", "must be an ISO 3166-1 alpha-2 code"),
        (2, "A-1", "customer_email", "is not an e-mail address"),
        (3, "A-1", "line_discount", "exceeds the line amount"),
    ]


def test_expected_total_is_checked_against_the_lines():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "2", "12.50")], shipping="4.90", expected_total="40.00"))
    assert errors(body) == [(2, "A-1", "expected_total", "the channel says 40.00 but the lines add up to 29.90")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("FALSE", False), ("yes", True), ("n", False), ("1", True), ("0", False), ("", False)],
)
def test_taxes_included(text, expected):
    assert (
        only_draft(csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], taxes_included=text))).taxes_included
        is expected
    )


def test_taxes_included_default_and_refusal():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")]))
    assert only_draft(body, taxes_included=True).taxes_included is True
    bad = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], taxes_included="maybe"))
    assert errors(bad) == [(2, "A-1", "taxes_included", "'maybe' is not true or false (true/false, yes/no, 1/0)")]


def test_placed_at_needs_an_offset_or_a_configured_time_zone():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], placed_at="2024-01-15 10:30"))
    assert errors(body) == [
        (2, "A-1", "placed_at", "'2024-01-15 10:30' has no UTC offset (write +02:00 or Z, or configure a timezone)")
    ]
    assert only_draft(body, timezone="Europe/Berlin").placed_at == dt.datetime(2024, 1, 15, 9, 30, tzinfo=dt.UTC)
    zulu = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], placed_at="2024-05-14T10:30:00Z"))
    assert only_draft(zulu).placed_at == dt.datetime(2024, 5, 14, 10, 30, tzinfo=dt.UTC)
    bad = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], placed_at="14/05/2024"))
    assert errors(bad)[0][3] == "'14/05/2024' is not an ISO 8601 date and time (2024-05-14T10:30:00+02:00)"


def test_currency_default_and_refusal():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], currency=""))
    assert errors(body) == [(2, "A-1", "currency", "is required")]
    assert only_draft(body, currency="CHF").currency == "CHF"
    bad = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], currency="EURO"))
    assert errors(bad) == [(2, "A-1", "currency", "'EURO' is not an ISO 4217 currency code")]


# -- rows that break the layout ---------------------------------------------------------------------------------


def test_an_order_id_that_comes_back_later_is_an_error_on_each_of_its_rows():
    rows = (
        order_rows("A-1", [("MUG-01", "1", "1.00")])
        + order_rows("A-2", [("MUG-01", "1", "1.00")])
        + order_rows("A-1", [("TEA-07", "1", "1.00"), ("PEN-02", "1", "1.00")])
    )
    results = read(csv_bytes(rows))
    assert [(r.order_id, r.ok) for r in results] == [("A-1", True), ("A-2", True), ("A-1", False)]
    reason = "order A-1 appeared earlier in the file: the rows of an order must be contiguous"
    assert errors(csv_bytes(rows)) == [(4, "A-1", "order_id", reason), (5, "A-1", "order_id", reason)]


def test_a_row_without_order_id_is_reported_alone_and_blank_lines_are_skipped():
    rows = [*order_rows("A-1", [("MUG-01", "1", "1.00")]), {"sku": "TEA-07", "quantity": "1"}]
    body = csv_bytes(rows) + b"\n,,,\n" + csv_bytes(order_rows("A-2", [("MUG-01", "1", "1.00")]), with_header=False)
    results = read(body)
    assert [(r.order_id, r.row, r.ok) for r in results] == [(None, 3, False), ("A-1", 2, True), ("A-2", 6, True)]
    assert errors(body) == [(3, None, "order_id", "is required: every row names its order")]


def test_more_fields_than_the_header_refuses_the_order():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")])).replace(b"MUG-01,1,1.00", b"MUG-01,1,1,00")
    assert errors(body) == [
        (2, "A-1", "", "has 19 fields, the header 18 (check the delimiter and the quoting of values that contain it)")
    ]


def test_a_line_break_inside_a_quoted_value_keeps_the_row_numbers_of_the_file():
    rows = order_rows("A-1", [("MUG-01", "1", "1.00")], ship_name="Ada\nLovelace") + order_rows(
        "A-2", [("MUG-01", "x", "1.00")]
    )
    assert errors(csv_bytes(rows)) == [(4, "A-2", "quantity", "'x' is not a whole number")]


def test_bytes_that_are_not_in_the_encoding_are_reported_on_their_column():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], ship_city="München"), encoding="cp1252")
    assert errors(body) == [
        (2, "A-1", "ship_city", "contains bytes that are not utf-8 text (check the encoding option)")
    ]
    assert only_draft(body, encoding="cp1252").shipping_address.city == "München"


def test_the_stream_may_come_in_chunks_of_any_size():
    body = csv_bytes(order_rows("A-1", [("MUG-01", "1", "1.00")], ship_city="Zürich") * 1, newline="\r\n")
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    [result] = CsvChannel().read(chunks)
    assert result.draft.shipping_address.city == "Zürich"
    with pytest.raises(TypeError, match="binary mode"):
        list(CsvChannel().read(["order_id\n"]))


# -- parse_orders: the Channel interface, all or nothing ---------------------------------------------------------


def test_parse_orders_refuses_the_whole_file_naming_every_bad_row():
    rows = order_rows("A-1", [("MUG-01", "1", "1.00")]) + order_rows("A-2", [("MUG-01", "-1", "1.00")])
    with pytest.raises(ValidationErrors) as caught:
        CsvChannel().parse_orders(csv_bytes(rows))
    assert [(e.field, e.reason) for e in caught.value.errors] == [("row[3].quantity", "must not be negative (-1)")]


def test_parse_orders_reads_ndjson_when_the_content_type_says_so():
    body = b'{"order_id": "N-1", "currency": "EUR", "customer_email": "a@example.com", "ship_name": "A", ' \
           b'"ship_line1": "1 Main St", "ship_city": "B", "ship_postcode": "10115", "ship_country": "DE", ' \
           b'"lines": [{"sku": "MUG-01", "quantity": 1, "unit_price": "1.00"}]}\n'  # fmt: skip
    [draft] = CsvChannel().parse_orders(body, {"content-type": "application/x-ndjson"})
    assert draft.external_id == "N-1"
    [draft] = CsvChannel(format="ndjson").parse_orders(body)
    assert draft.external_id == "N-1"


def test_verify_accepts_any_file():
    CsvChannel().verify({}, b"anything")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": {"order_number": "Order"}}, "unknown columns ['order_number']"),
        ({"delimiter": ";;"}, "delimiter must be one character"),
        ({"encoding": "klingon"}, "unknown encoding"),
        ({"decimal": "'"}, "decimal must be"),
        ({"decimal": ",", "thousands": ","}, "thousands separator"),
        ({"currency": "EURO"}, "not an ISO 4217 currency code"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"format": "xlsx"}, "format must be one of csv, ndjson"),
    ],
)
def test_bad_options_are_refused_when_the_driver_is_built(options, message):
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        CsvChannel(**options)


def test_row_error_reads_as_a_sentence():
    assert str(RowError(4, "A-2", "quantity", "must be greater than zero")) == (
        "row 4 (order A-2): quantity: must be greater than zero"
    )
    assert str(RowError(7, None, "", "is not valid JSON")) == "row 7: is not valid JSON"
