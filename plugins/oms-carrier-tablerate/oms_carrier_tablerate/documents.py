"""The PDF documents of a shipment: a shipping label (4 x 6 in or A6) and an A4 packing slip.

Both are drawn with reportlab in invariant mode: the same input gives the same bytes (no creation date, no random
document id), which keeps tests and archives reproducible. ``compress=False`` leaves the page streams readable.

Text is set in Helvetica, whose PDF encoding covers Western European letters (Windows-1252). Other Latin letters
are printed without their accents (``Łódź`` → ``Lodz``) and other scripts as ``?``, unless :class:`Fonts` names
TrueType files that have the glyphs; then the text is printed as it is.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from oms_core import ShipmentLine, ValidationError

LABEL_SIZES = {"4x6": (4 * inch, 6 * inch), "A6": A6}
CREATOR = "oms-carrier-tablerate"
QUIET_MODULES = 10  # blank space each side of a Code128 symbol, in bar widths, so scanners find its ends

COUNTRY_NAMES = {
    "AT": "AUSTRIA", "AU": "AUSTRALIA", "BE": "BELGIUM", "BG": "BULGARIA", "BR": "BRAZIL", "CA": "CANADA",
    "CH": "SWITZERLAND", "CN": "CHINA", "CY": "CYPRUS", "CZ": "CZECHIA", "DE": "GERMANY", "DK": "DENMARK",
    "EE": "ESTONIA", "ES": "SPAIN", "FI": "FINLAND", "FR": "FRANCE", "GB": "UNITED KINGDOM", "GR": "GREECE",
    "HR": "CROATIA", "HU": "HUNGARY", "IE": "IRELAND", "IN": "INDIA", "IS": "ICELAND", "IT": "ITALY", "JP": "JAPAN",
    "KR": "KOREA, REPUBLIC OF", "LI": "LIECHTENSTEIN", "LT": "LITHUANIA", "LU": "LUXEMBOURG", "LV": "LATVIA",
    "MT": "MALTA", "MX": "MEXICO", "NL": "NETHERLANDS", "NO": "NORWAY", "NZ": "NEW ZEALAND", "PL": "POLAND",
    "PT": "PORTUGAL", "RO": "ROMANIA", "RS": "SERBIA", "SE": "SWEDEN", "SG": "SINGAPORE", "SI": "SLOVENIA",
    "SK": "SLOVAKIA", "TR": "TURKIYE", "UA": "UKRAINE", "US": "UNITED STATES", "ZA": "SOUTH AFRICA",
}  # fmt: skip

# Latin letters that do not decompose into a base letter and an accent.
_PLAIN = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "\u0131": "i", "Ŧ": "T", "ŧ": "t",
                        "Ŀ": "L", "ŀ": "l", "Ŋ": "N", "ŋ": "n", "ĸ": "k", "\u017f": "s"})  # fmt: skip


def latin(text: str) -> str:
    """``text`` with only characters Helvetica can print: accents dropped where needed, other scripts as ``?``."""
    out = []
    for ch in text.translate(_PLAIN):
        if _printable(ch):
            out.append(ch)
            continue
        base = "".join(x for x in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(x))
        out.append(base if base and all(_printable(x) for x in base) else "?")
    return "".join(out)


def _printable(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return ch.isprintable() or ch == " "


@attrs.frozen
class Fonts:
    """The two fonts of the documents. :meth:`truetype` registers TrueType files (for scripts beyond Latin-1)."""

    regular: str = "Helvetica"
    bold: str = "Helvetica-Bold"
    builtin: bool = True

    @classmethod
    def truetype(cls, regular: str | Path, bold: str | Path | None = None) -> Fonts:
        names = []
        for path in (regular, bold or regular):
            name = "TR-" + hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:12]
            if name not in pdfmetrics.getRegisteredFontNames():
                try:
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                except Exception as exc:  # reportlab raises TTFError, OSError …
                    raise ValidationError("carrier", "fonts", f"cannot use {path} as a TrueType font: {exc}") from None
            names.append(name)
        return cls(names[0], names[1], builtin=False)

    def text(self, value: Any) -> str:
        text = "" if value is None else str(value)
        return latin(text) if self.builtin else text


DEFAULT_FONTS = Fonts()


def address_lines(address: Mapping[str, Any] | None, fonts: Fonts = DEFAULT_FONTS) -> list[str]:
    """An address as printed: name, company, street lines, postcode and city, region, country code."""
    if not address:
        return []
    a = {k: fonts.text(v).strip() for k, v in address.items() if v is not None and str(v).strip()}
    lines = [a.get("name", ""), a.get("company", ""), a.get("line1", ""), a.get("line2", "")]
    lines.append(" ".join(x for x in (a.get("postcode", ""), a.get("city", "")) if x))
    lines += [a.get("region", ""), a.get("country", "").upper()]
    return [x for x in lines if x]


def _recipient_lines(recipient: Mapping[str, Any], fonts: Fonts) -> list[tuple[str, bool]]:
    """The recipient's address lines, each with whether it is printed large: name, postcode and city, country."""
    a = {k: fonts.text(v).strip() for k, v in recipient.items() if v is not None and str(v).strip()}
    country = a.get("country", "").upper()
    lines = [
        (a.get("name", ""), True),
        (a.get("company", ""), False),
        (a.get("line1", ""), False),
        (a.get("line2", ""), False),
        (" ".join(x for x in (a.get("postcode", ""), a.get("city", "")) if x), True),
        (a.get("region", ""), False),
        (COUNTRY_NAMES.get(country, country), True),
    ]
    return [(text, big) for text, big in lines if text]


def spaced(number: str) -> str:
    """The tracking number grouped for reading aloud: ``TR000000425`` -> ``TR 0000 0042 5``."""
    head = number.rstrip("0123456789")
    digits = number[len(head) :]
    if len(digits) != 9:
        return number
    return " ".join(x for x in (head, digits[:4], digits[4:8], digits[8]) if x)


def _fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> tuple[str, float]:
    """Shrink ``size`` until ``text`` fits ``width`` (not below ``smallest``), then cut it with an ellipsis."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) > width:
        while text and pdfmetrics.stringWidth(text + "...", font, size) > width:
            text = text[:-1]
        text += "..."
    return text, size


def _text(c: Canvas, x: float, y: float, text: str, font: str, size: float, width: float) -> None:
    text, size = _fit(text, font, size, width)
    c.setFont(font, size)
    c.drawString(x, y, text)


def _wrapped(text: str, font: str, size: float, width: float, lines: int = 2) -> tuple[list[str], float]:
    """``text`` on at most ``lines`` lines of ``width``: wrapped at spaces, shrunk and cut only if that fails."""
    smallest = size * 0.7
    while True:
        parts = simpleSplit(text, font, size, width)
        if len(parts) <= lines and all(pdfmetrics.stringWidth(p, font, size) <= width for p in parts):
            return parts, size
        if size - 0.5 < smallest:
            parts = parts[:lines]
            parts[-1] = _fit(" ".join(simpleSplit(text, font, size, width)[lines - 1 :]), font, size, width, size)[0]
            return [_fit(p, font, size, width, size)[0] for p in parts], size
        size -= 0.5


def _caption(c: Canvas, fonts: Fonts, x: float, y: float, text: str) -> None:
    c.setFont(fonts.bold, 6.5)
    c.setFillColor(colors.black)
    c.drawString(x, y, text.upper())


def render_label(
    *,
    tracking_number: str,
    service: str,
    zone: str,
    weight_grams: int,
    order_id: int,
    items: int,
    sender: Mapping[str, Any] | None,
    ship_from: Mapping[str, Any],
    recipient: Mapping[str, Any],
    carrier_title: str = "TABLE RATE",
    size: str = "4x6",
    fonts: Fonts = DEFAULT_FONTS,
    compress: bool = True,
) -> bytes:
    """A one-page shipping label with the tracking number as a Code128 barcode."""
    width, height = LABEL_SIZES[size]
    regular, bold = fonts.regular, fonts.bold
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), invariant=1, pageCompression=1 if compress else 0)
    c.setTitle(f"Shipping label {tracking_number}")
    c.setSubject(f"order {order_id}")
    c.setCreator(CREATOR)
    c.setAuthor(CREATOR)
    m = 10  # margin
    inner = width - 2 * m
    c.setLineWidth(1.5)
    c.rect(m, m, inner, height - 2 * m)

    # header: carrier and route on the left, the service inverted on the right
    top = height - m
    band = 48
    c.setLineWidth(1)
    c.line(m, top - band, width - m, top - band)
    box = inner * 0.46
    c.rect(width - m - box, top - band, box, band, stroke=0, fill=1)
    c.setFillColor(colors.white)
    name, fs = _fit(fonts.text(service).upper(), bold, 22, box - 12, 10)
    c.setFont(bold, fs)
    c.drawCentredString(width - m - box / 2, top - band / 2 - fs * 0.35, name)
    c.setFillColor(colors.black)
    _text(c, m + 6, top - 20, fonts.text(carrier_title), bold, 15, inner - box - 12)
    origin = (sender or {}).get("country")
    dest = fonts.text(recipient.get("country") or "?").upper()
    _text(c, m + 6, top - 36, f"From {origin} to {dest}" if origin else f"To {dest}", regular, 9, inner - box - 12)

    # sender
    y = top - band
    _caption(c, fonts, m + 6, y - 10, "From")
    lines = address_lines(sender, fonts) or [fonts.text(f"Location {ship_from.get('location', '')}").strip()]
    ty = y - 20
    for line in lines[:5]:
        _text(c, m + 6, ty, line, regular, 7.5, inner - 12)
        ty -= 8.5
    y -= 62
    c.line(m, y, width - m, y)

    # recipient: name, postcode and city, and country large
    to_h = 150
    floor = y - to_h + 6
    _caption(c, fonts, m + 6, y - 11, "Ship to")
    ty = y - 12  # the baseline of the line above; each line moves down by its own size
    for text, big in _recipient_lines(recipient, fonts):
        font, fs = (bold, 14.0) if big else (regular, 11.5)
        parts, fs = _wrapped(text, font, fs, inner - 24)
        for part in parts:
            if ty - fs - 4 < floor + 10:
                break
            ty -= fs + 4
            c.setFont(font, fs)
            c.drawString(m + 16, ty, part)
    if recipient.get("phone"):
        _text(c, m + 16, max(ty - 16, floor), "Tel. " + fonts.text(recipient["phone"]), regular, 8.5, inner - 24)
    y -= to_h
    c.line(m, y, width - m, y)

    # facts
    facts_h = 34
    cells = [
        ("Weight", f"{weight_grams // 1000}.{weight_grams % 1000:03d} kg"),
        ("Order", f"#{order_id}"),
        ("Items", str(items)),
        ("Zone", fonts.text(zone)),
    ]
    cw = inner / len(cells)
    for i, (caption, value) in enumerate(cells):
        x = m + i * cw
        if i:
            c.line(x, y, x, y - facts_h)
        _caption(c, fonts, x + 5, y - 10, caption)
        _text(c, x + 5, y - 26, value, bold, 11, cw - 10)
    y -= facts_h
    c.line(m, y, width - m, y)

    # the tracking number: barcode, grouped digits, plain
    _caption(c, fonts, m + 6, y - 11, "Tracking number")
    bottom = m + 34
    bar_h = min(72, y - 18 - bottom)
    modules = Code128(tracking_number, barWidth=1, barHeight=bar_h, humanReadable=0, quiet=0).width
    bar_w = min(2.2, (inner - 4) / (modules + 2 * QUIET_MODULES))  # the quiet zones stay inside the frame
    quiet = QUIET_MODULES * bar_w
    code = Code128(tracking_number, barWidth=bar_w, barHeight=bar_h, humanReadable=0, lquiet=quiet, rquiet=quiet)
    code.drawOn(c, (width - code.width) / 2, bottom)
    c.setFont(bold, 14)
    c.drawCentredString(width / 2, bottom - 17, spaced(tracking_number))
    c.setFont(regular, 6)
    c.drawCentredString(width / 2, bottom - 27, tracking_number)
    c.showPage()
    c.save()
    return buf.getvalue()


def render_packing_slip(
    *,
    order_id: int,
    tracking_number: str,
    service: str,
    lines: Sequence[ShipmentLine],
    sender: Mapping[str, Any] | None,
    ship_from: Mapping[str, Any],
    recipient: Mapping[str, Any],
    fonts: Fonts = DEFAULT_FONTS,
    compress: bool = True,
) -> bytes:
    """An A4 packing slip: order, shipment, addresses and one row per line with SKU and quantity."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Packing slip order {order_id}",
        author=CREATOR,
        creator=CREATOR,
        invariant=1,
        pageCompression=1 if compress else 0,
    )
    base = getSampleStyleSheet()
    body = ParagraphStyle("slip-body", parent=base["BodyText"], fontName=fonts.regular)
    strong = ParagraphStyle("slip-strong", parent=body, fontName=fonts.bold)
    title = ParagraphStyle("slip-title", parent=base["Title"], fontName=fonts.bold, alignment=TA_LEFT, spaceAfter=4)

    def para(lines: list[str], style: ParagraphStyle = body) -> Paragraph:
        return Paragraph("<br/>".join(_escape(x) for x in lines) or "-", style)

    def fact(caption: str, value: str) -> Paragraph:
        return Paragraph(f'<font name="{fonts.bold}">{caption}</font> {_escape(value)}', body)

    sender_lines = address_lines(sender, fonts) or [fonts.text(f"Location {ship_from.get('location', '')}").strip()]
    head = Table(
        [
            [Paragraph("Packing slip", title), ""],
            [fact("Order", f"#{order_id}"), fact("Tracking", tracking_number)],
            [fact("Service", fonts.text(service)), ""],
            [para(["Ship to"], strong), para(["From"], strong)],
            [para(address_lines(recipient, fonts)), para(sender_lines)],
        ],
        colWidths=[doc.width / 2] * 2,
    )
    head.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 3), (-1, 3), 10),
            ]
        )
    )
    rows: list[list[Any]] = [["#", "SKU", "Quantity", "Packed"]]
    rows += [[str(i), para([fonts.text(line.sku)]), str(line.quantity), _checkbox()] for i, line in enumerate(lines, 1)]
    rows.append(["", "Total units", str(sum(line.quantity for line in lines)), ""])
    table = Table(rows, colWidths=[12 * mm, doc.width - 62 * mm, 25 * mm, 25 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 10),
                ("FONT", (0, 0), (-1, 0), fonts.bold, 10),
                ("FONT", (0, -1), (-1, -1), fonts.bold, 10),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#EEEEEE")]),
                ("ALIGN", (2, 0), (3, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )

    def footer(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.regular, 8)
        canvas.drawString(doc.leftMargin, 10 * mm, f"Order #{order_id} - {tracking_number}")
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    doc.build([head, Spacer(1, 8 * mm), table], onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _checkbox() -> Drawing:
    box = Drawing(10, 10)
    box.add(Rect(0, 0, 10, 10, strokeWidth=0.8, strokeColor=colors.black, fillColor=None))
    return box


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
