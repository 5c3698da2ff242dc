"""A European spreadsheet export: UTF-8 with byte order mark, semicolons, decimal comma, CRLF, German headings."""

from __future__ import annotations

import io
from decimal import Decimal

from oms_channel_csv import CsvChannel, import_file

D = Decimal

GERMAN = {"order_id": "Bestellnummer", "currency": "Währung", "customer_email": "E-Mail", "ship_name": "Name",
          "ship_line1": "Straße", "ship_postcode": "PLZ", "ship_city": "Ort", "ship_country": "Land",
          "sku": "Artikelnummer", "quantity": "Menge", "unit_price": "Einzelpreis", "line_tax": "MwSt",
          "shipping": "Versand", "taxes_included": "Brutto"}  # fmt: skip

EXPORT = (
    "\ufeffBestellnummer;Währung;E-Mail;Name;Straße;PLZ;Ort;Land;Artikelnummer;Menge;Einzelpreis;MwSt;Versand;Brutto\r\n"
    "DE-1;EUR;jörg@example.de;Jörg Müller;Königsallee 12;40212;Düsseldorf;DE;MUG-01;2;12,50;3,99;4,90;ja\r\n"
    "DE-1;EUR;jörg@example.de;Jörg Müller;Königsallee 12;40212;Düsseldorf;DE;TEA-07;10;1.234,50;1.971,09;4,90;ja\r\n"
    "DE-2;EUR;anna@example.de;Anna Groß;Hauptstraße 5;10115;Berlin;DE;PEN-02;1;12.50;0,00;0;ja\r\n"
    "DE-3;EUR;otto@example.de;Otto Weiß;Marktplatz 1;80331;München;DE;PEN-02;3;1,5;0,72;;nein\r\n"
).encode("utf-8")


def channel() -> CsvChannel:
    return CsvChannel(columns=GERMAN, delimiter=";", decimal=",", thousands=".")


def test_bom_semicolons_and_decimal_comma():
    results = list(channel().read(io.BytesIO(EXPORT)))
    assert [(r.order_id, r.row, r.last_row, r.ok) for r in results] == [
        ("DE-1", 2, 3, False),  # "ja" is not a boolean the reader knows: the whole order is refused
        ("DE-2", 4, 4, False),
        ("DE-3", 5, 5, False),
    ]
    assert [(e.row, e.field, e.reason) for r in results for e in r.errors] == [
        (2, "Brutto", "'ja' is not true or false (true/false, yes/no, 1/0)"),
        (4, "Einzelpreis", "'12.50' has a misplaced thousands separator"),
        (4, "Brutto", "'ja' is not true or false (true/false, yes/no, 1/0)"),
        (5, "Brutto", "'nein' is not true or false (true/false, yes/no, 1/0)"),
    ]


def test_the_same_export_with_booleans_the_reader_knows():
    body = EXPORT.replace(b";ja\r\n", b";true\r\n").replace(b";nein\r\n", b";false\r\n")
    de1, de2, de3 = channel().read(io.BytesIO(body))
    assert de1.draft.shipping_address.name == "Jörg Müller"  # the BOM is not part of the first heading
    assert [(x.sku, x.quantity, x.unit_price, x.tax) for x in de1.draft.lines] == [
        ("MUG-01", 2, D("12.50"), D("3.99")),
        ("TEA-07", 10, D("1234.50"), D("1971.09")),
    ]
    assert (de1.draft.shipping, de1.draft.taxes_included) == (D("4.90"), True)
    assert de1.draft.totals().total.amount == D("12374.90")
    assert [(e.row, e.field) for e in de2.errors] == [(4, "Einzelpreis")]  # 12.50 is not how this file writes it
    assert (de3.draft.lines[0].unit_price, de3.draft.taxes_included, de3.draft.shipping) == (D("1.5"), False, D(0))


def test_without_the_decimal_option_a_decimal_comma_is_refused_not_misread():
    body = EXPORT.replace(b";ja\r\n", b";true\r\n").replace(b";nein\r\n", b";false\r\n")
    results = list(CsvChannel(columns=GERMAN, delimiter=";").read(io.BytesIO(body)))
    assert not any(r.ok for r in results[:1])
    assert (results[0].errors[0].field, results[0].errors[0].reason) == (
        "Einzelpreis",
        "'12,50' is not a decimal amount: the decimal separator is '.', with no thousands separator (see the "
        "decimal and thousands options)",
    )


def test_a_european_file_imported_through_the_configured_driver(make_oms, catalogue_oms):
    oms = make_oms(
        load_entry_points=False,
        driver_config={
            "oms.channels": {
                "csv": {"columns": GERMAN, "delimiter": ";", "decimal": ",", "thousands": ".", "taxes_included": True}
            }
        },
    )
    body = EXPORT.replace(b";ja\r\n", b";\r\n").replace(b";nein\r\n", b";false\r\n")
    report = import_file(oms, io.BytesIO(body))
    assert (report.created, report.replayed, report.failed) == (2, 0, 1)
    assert [(e.row, e.order_id, e.field) for e in report.errors] == [(4, "DE-2", "Einzelpreis")]
    order = oms.find_order("csv", "DE-1")
    assert (order.total.amount, order.taxes_included) == (D("12374.90"), True)
    assert oms.find_order("csv", "DE-3").taxes_included is False
