"""The label and the packing slip: real PDFs that carry the tracking number (as text and as a Code128 barcode),
the recipient and the lines."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from oms_carrier_tablerate import EXAMPLE_TABLE, TableRateCarrier
from oms_carrier_tablerate.documents import latin, spaced
from reportlab.graphics.barcode.code128 import _patterns
from reportlab.pdfbase.pdfmetrics import stringWidth

from oms_core import LabelResult, ShipmentLine


def content(pdf: bytes) -> str:
    """The page content streams of an uncompressed PDF (not its metadata), as text."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    assert streams, "no content stream: is the PDF compressed?"
    return b"\n".join(streams).decode("latin-1")


def shown_text(pdf: bytes) -> list[str]:
    """Every string the page shows with Tj, unescaped (octal codes in the font's Windows-1252), stripped."""

    def unescape(m: re.Match[str]) -> str:
        code = m.group(1)
        return bytes([int(code, 8)]).decode("cp1252") if code[0].isdigit() else code

    return [re.sub(r"\\([0-7]{3}|.)", unescape, s).strip() for s in re.findall(r"\((.*?)(?<!\\)\) Tj", content(pdf))]


# -- a Code128 reader for the bars reportlab draws: "n x y w h re f*" ---------------------------------------------


def widths(pattern: str) -> str:
    """reportlab's pattern letters as module widths: 'BaBbBb' (bar 2, space 1, ...) -> '212222'."""
    return "".join(str("abcd".index(ch.lower()) + 1) for ch in pattern)


SYMBOLS = {widths(p): value for value, p in _patterns.items()}


def read_code128(pdf: bytes) -> str:
    rects = [
        tuple(float(v) for v in m) for m in re.findall(r"n ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f\*", content(pdf))
    ]
    height = Counter(h for _, _, _, h in rects).most_common(1)[0][0]
    bars = sorted((x, w) for x, _, w, h in rects if h == height)
    module = min(w for _, w in bars)
    runs = []
    for (x, w), nxt in zip(bars, [*bars[1:], None], strict=True):
        runs.append(round(w / module))
        if nxt is not None:
            runs.append(round((nxt[0] - x - w) / module))
    digits = "".join(str(r) for r in runs)
    values = []
    while len(digits) > 7:
        values.append(SYMBOLS[digits[:6]])
        digits = digits[6:]
    assert digits == "2331112", "the symbol must end with the stop pattern"
    start, *data, check = values
    assert check == (start + sum(i * v for i, v in enumerate(data, 1))) % 103, "wrong Code128 checksum"
    code = {103: "A", 104: "B", 105: "C"}[start]
    out = ""
    for v in data:
        if code == "C" and v < 100:
            out += f"{v:02d}"
        elif v in (99, 100, 101):
            code = {99: "C", 100: "B", 101: "A"}[v]
        elif code == "B":
            out += chr(v + 32)
        else:
            out += chr(v + 32) if v < 64 else chr(v - 64)
    return out


def test_the_reader_uses_the_standard_code128_table():
    assert widths(_patterns[0]) == "212222"
    assert widths(_patterns[103]) == "211412"  # start A
    assert widths(_patterns[104]) == "211214"  # start B
    assert widths(_patterns[105]) == "211232"  # start C
    assert widths(_patterns[106]) == "2331112"  # stop


# -- the label ------------------------------------------------------------------------------------------------------


@pytest.fixture
def label(carrier, make_parcel) -> LabelResult:
    curie = {"name": "Marie Curie", "line1": "1 Rue Pierre et Marie Curie", "city": "Paris",
             "company": "Institut du Radium"}  # fmt: skip
    return carrier.create_label(make_parcel("FR", "75001", 1250, ship_to=curie))


def test_label_result(label):
    assert label.tracking_number == "TR000000425"
    assert (label.service, str(label.cost)) == ("standard", "13.90 EUR")
    assert [(d.kind, d.media_type, d.filename) for d in label.documents] == [
        ("label", "application/pdf", "TR000000425-label.pdf"),
        ("packing_slip", "application/pdf", "TR000000425-packing-slip.pdf"),
    ]
    assert all(d.content.startswith(b"%PDF-") and d.content.rstrip().endswith(b"%%EOF") for d in label.documents)


def test_the_label_barcode_encodes_the_tracking_number(label):
    assert read_code128(label.documents[0].content) == "TR000000425"


def test_the_label_shows_tracking_number_recipient_service_and_weight(label):
    text = shown_text(label.documents[0].content)
    wanted = ["TR000000425", "TR 0000 0042 5", "Marie Curie", "Institut du Radium", "1 Rue Pierre et Marie Curie",
                "75001 Paris", "FRANCE", "STANDARD", "1.250 kg", "#7", "3", "eu", "Muster Versand GmbH",
                "04109 Leipzig", "From DE to FR"]  # fmt: skip
    for expected in wanted:
        assert expected in text, f"{expected!r} is not on the label: {text}"


def test_the_label_is_4x6_inches_or_a6(carrier, make_parcel):
    assert b"/MediaBox [ 0 0 288 432 ]" in carrier.create_label(make_parcel()).documents[0].content
    a6 = TableRateCarrier(EXAMPLE_TABLE, label_size="A6", compress=False).create_label(make_parcel())
    assert re.search(rb"/MediaBox \[ 0 0 297\.6\d* 419\.5\d* \]", a6.documents[0].content)
    assert read_code128(a6.documents[0].content) == a6.tracking_number


def test_without_sender_the_label_names_the_location(make_parcel):
    label = TableRateCarrier(EXAMPLE_TABLE, compress=False).create_label(make_parcel())
    text = shown_text(label.documents[0].content)
    assert "Location WH1" in text and "To DE" in text


def test_documents_are_deterministic(make_parcel):
    def documents():
        return TableRateCarrier(EXAMPLE_TABLE, sequence_start=9).create_label(make_parcel()).documents

    assert documents() == documents()


def test_compressed_by_default(make_parcel):
    label = TableRateCarrier(EXAMPLE_TABLE).create_label(make_parcel())
    assert b"/FlateDecode" in label.documents[0].content
    assert b"(Grace Hopper) Tj" not in label.documents[0].content


def test_letters_beyond_latin_1_lose_their_accents(carrier, make_parcel):
    assert latin("Łódź, Gęślą Jaźń, Škoda, Müller, Straße, Ærø") == "Lódz, Gesla Jazn, Škoda, Müller, Straße, Ærø"
    assert latin("Москва 東京") == "?????? ??"
    label = carrier.create_label(make_parcel("PL", "90-926", ship_to={"name": "Zażółć Gęślą", "city": "Łódź"}))
    text = shown_text(label.documents[0].content)
    assert "Zazólc Gesla" in text and "90-926 Lódz" in text


def test_truetype_fonts_print_every_letter(make_parcel):
    import reportlab

    fonts = Path(reportlab.__file__).parent / "fonts"
    carrier = TableRateCarrier(
        EXAMPLE_TABLE, fonts={"regular": str(fonts / "Vera.ttf"), "bold": str(fonts / "VeraBd.ttf")}, compress=False
    )
    label = carrier.create_label(make_parcel())
    assert label.documents[0].content.startswith(b"%PDF")
    assert b"/FontFile2" in label.documents[0].content  # the TrueType font is embedded
    assert read_code128(label.documents[0].content) == label.tracking_number


def test_long_addresses_stay_inside_the_label(carrier, make_parcel):
    long = "Very Long Company Name With Many Words " * 4
    label = carrier.create_label(make_parcel(ship_to={"name": long, "line1": long, "line2": "x" * 200}))
    assert read_code128(label.documents[0].content) == label.tracking_number
    fonts = {"F1": "Helvetica", "F2": "Helvetica-Bold"}
    font, size, drawn = "F1", 12.0, 0
    for m in re.finditer(
        r"/(F\d) ([\d.]+) Tf|BT 1 0 0 1 ([\d.]+) [\d.]+ Tm \((.*?)(?<!\\)\) Tj", content(label.documents[0].content)
    ):
        if m.group(1):
            font, size = m.group(1), float(m.group(2))
            continue
        x, text = float(m.group(3)), m.group(4)
        assert x >= 10 and x + stringWidth(text, fonts[font], size) <= 278 + 0.01, (text, x, size)
        drawn += 1
    assert drawn > 20


def test_spaced():
    assert spaced("TR000000425") == "TR 0000 0042 5"
    assert spaced("000000425") == "0000 0042 5"
    assert spaced("ODD1") == "ODD1"


# -- the packing slip -----------------------------------------------------------------------------------------------


def test_packing_slip_lists_order_skus_and_quantities(label):
    text = shown_text(label.documents[1].content)
    for expected in ["Packing slip", "#7", "TR000000425", "MUG-RED", "TEA-250G", "Total units", "Marie Curie",
                     "75001 Paris", "Muster Versand GmbH"]:  # fmt: skip
        assert expected in text, f"{expected!r} is not on the packing slip: {text}"
    rows = content(label.documents[1].content)
    assert rows.index("(MUG-RED)") < rows.index("(TEA-250G)")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in label.documents[1].content  # A4


def test_a_long_packing_slip_runs_over_pages(carrier, make_parcel):
    lines = tuple(ShipmentLine(i, f"SKU-{i:03d}", i) for i in range(1, 121))
    slip = carrier.create_label(make_parcel(lines=lines)).documents[1].content
    pages = int(re.search(rb"/Count (\d+)", slip).group(1))
    assert pages >= 3
    text = shown_text(slip)
    assert "SKU-001" in text and "SKU-120" in text and str(sum(range(1, 121))) in text
    assert f"Page {pages}" in text
    assert text.count("SKU") == pages  # the header row repeats on every page
