"""The table-rate carrier: prices from a zone x weight table, PDF label and packing slip, JSON tracking push."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oms_carrier_tablerate import documents, tracking
from oms_carrier_tablerate.table import Format, RateTable, Zone, load_table
from oms_core import Address, Carrier, Document, LabelResult, Parcel, Rate, TrackingEvent, ValidationError

SENDER_FIELDS = ("name", "company", "line1", "line2", "postcode", "city", "region", "country", "phone")
SENDER_REQUIRED = ("name", "line1", "postcode", "city", "country")


class TableRateCarrier(Carrier):
    """A carrier whose prices come from a rate table (TOML or CSV; see the README for both formats).

    :param table: path of the table file (relative paths are relative to the working directory).
    :param table_text: the table itself, instead of a file.
    :param format: ``"toml"`` or ``"csv"``; by default the file's suffix (for ``table_text``: CSV when its first
        line starts with ``kind,``, TOML otherwise).
    :param sender: the return address printed on labels and packing slips (``name``, ``company``, ``line1``,
        ``line2``, ``postcode``, ``city``, ``region``, ``country``, ``phone``); without it the stock location is shown.
    :param tracking_prefix: up to 4 capital letters before the serial of each tracking number.
    :param label_size: ``"4x6"`` (4 x 6 in, thermal printers) or ``"A6"``.
    :param counter: a callable returning the next serial (for example from a database sequence); it wins over
        ``counter_file`` and ``sequence_start``.
    :param counter_file: a file that keeps the last serial, shared by the processes of one machine.
    :param sequence_start: the first serial.
    :param webhook_secret: when set, a tracking push must carry ``X-Tablerate-Signature: sha256=<hex HMAC>``.
    :param fonts: ``{"regular": "path.ttf", "bold": "path-bold.ttf"}``: TrueType fonts for addresses in scripts
        beyond Western European letters (by default Helvetica; other letters lose their accents).
    :param compress: compress the PDF page streams (turn off to read them in a text editor).
    """

    def __init__(
        self,
        table: str | Path | None = None,
        table_text: str | None = None,
        format: Format | None = None,
        sender: Mapping[str, Any] | Address | None = None,
        tracking_prefix: str = "TR",
        *,
        label_size: str = "4x6",
        counter: tracking.Counter | None = None,
        counter_file: str | Path | None = None,
        sequence_start: int = 1,
        webhook_secret: str | None = None,
        fonts: Mapping[str, str] | None = None,
        compress: bool = True,
    ) -> None:
        self.table: RateTable = load_table(table, text=table_text, format=format)
        self.sender = _sender(sender)
        self.tracking_prefix = tracking.check_prefix(tracking_prefix)
        if label_size not in documents.LABEL_SIZES:
            raise ValidationError("carrier", "label_size", f"must be one of {', '.join(documents.LABEL_SIZES)}")
        self.label_size = label_size
        if isinstance(sequence_start, bool) or not isinstance(sequence_start, int) or sequence_start < 0:
            raise ValidationError("carrier", "sequence_start", "must be a whole number from 0", sequence_start)
        if counter is None:
            counter = (
                tracking.FileCounter(counter_file, sequence_start)
                if counter_file is not None
                else tracking.MemoryCounter(sequence_start)
            )
        self.counter = counter
        self.webhook_secret = webhook_secret
        self.fonts = _fonts(fonts)
        self.compress = compress

    @property
    def title(self) -> str:
        return (self.name or "tablerate").replace("_", " ").upper()

    # -- rating -------------------------------------------------------------------------------------------------

    def zone(self, parcel: Parcel) -> Zone:
        """The zone of the parcel's destination; ``ValidationError`` naming it when the table has none."""
        country = str(parcel.ship_to.get("country") or "").strip().upper()
        postcode = str(parcel.ship_to.get("postcode") or "").strip()
        if not country:
            raise ValidationError("parcel", "ship_to.country", "is required: the table rates by destination")
        zone = self.table.zone_for(country, postcode)
        if zone is None:
            where = f"{country} {postcode}".strip()
            raise ValidationError(
                "parcel", "ship_to", f"no zone of rate table {self.table.source} covers the destination {where}", where
            )
        return zone

    def rates(self, parcel: Parcel) -> list[Rate]:
        """The services of the destination's zone that take the parcel's weight, cheapest first.

        With ``parcel.service`` set, only that service is quoted (an error if the zone does not offer it).
        """
        zone = self.zone(parcel)
        offered = self.table.rates[zone.name]
        weight = parcel.weight_grams
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise ValidationError("parcel", "weight_grams", "must be a whole number of grams from 0", weight)
        names = sorted(offered)
        if parcel.service is not None:
            if parcel.service not in offered:
                raise ValidationError(
                    "parcel",
                    "service",
                    f"zone {zone.name} offers {', '.join(names)}, not {parcel.service!r}",
                    parcel.service,
                )
            names = [parcel.service]
        quotes = []
        for name in names:
            price = offered[name].price(weight, parcel.value)
            if price is not None:
                quotes.append(Rate(self.name or "tablerate", name, price, offered[name].days))
        if not quotes:
            heaviest = max(offered[n].max_grams for n in names)
            raise ValidationError(
                "parcel",
                "weight_grams",
                f"{weight} g is over the heaviest bracket ({heaviest} g) of {'/'.join(names)} in zone {zone.name}",
                weight,
            )
        return sorted(quotes, key=lambda r: (r.amount.amount, r.service))

    # -- labels -------------------------------------------------------------------------------------------------

    def next_tracking_number(self) -> str:
        return tracking.tracking_number(self.tracking_prefix, self.counter())

    def create_label(self, parcel: Parcel) -> LabelResult:
        """Book the cheapest fitting service (or ``parcel.service``): tracking number, PDF label and packing slip."""
        rate = self.rates(parcel)[0]
        zone = self.zone(parcel)
        number = self.next_tracking_number()
        common = {
            "sender": self.sender,
            "ship_from": parcel.ship_from,
            "recipient": parcel.ship_to,
            "fonts": self.fonts,
        }
        label = documents.render_label(
            tracking_number=number,
            service=rate.service,
            zone=zone.name,
            weight_grams=parcel.weight_grams,
            order_id=parcel.order_id,
            items=sum(line.quantity for line in parcel.lines),
            carrier_title=self.title,
            size=self.label_size,
            compress=self.compress,
            **common,
        )
        slip = documents.render_packing_slip(
            order_id=parcel.order_id,
            tracking_number=number,
            service=rate.service,
            lines=parcel.lines,
            compress=self.compress,
            **common,
        )
        return LabelResult(
            tracking_number=number,
            documents=(
                Document("label", "application/pdf", label, f"{number}-label.pdf"),
                Document("packing_slip", "application/pdf", slip, f"{number}-packing-slip.pdf"),
            ),
            cost=rate.amount,
            service=rate.service,
        )

    # -- tracking -----------------------------------------------------------------------------------------------

    def parse_tracking(self, headers: Mapping[str, str], body: bytes) -> list[TrackingEvent]:
        """Parse this carrier's JSON tracking push (see the README); verify its signature when a secret is set."""
        if self.webhook_secret:
            tracking.verify_signature(self.name or "tablerate", self.webhook_secret, headers or {}, body)
        return tracking.parse_push(body)


def _fonts(fonts: Mapping[str, str] | None) -> documents.Fonts:
    if fonts is None:
        return documents.DEFAULT_FONTS
    if not isinstance(fonts, Mapping) or not fonts.get("regular") or set(fonts) - {"regular", "bold"}:
        raise ValidationError("carrier", "fonts", 'must be {"regular": "font.ttf", "bold": "font-bold.ttf"}', fonts)
    return documents.Fonts.truetype(fonts["regular"], fonts.get("bold"))


def _sender(sender: Mapping[str, Any] | Address | None) -> dict[str, str] | None:
    if sender is None:
        return None
    if isinstance(sender, Address):
        sender = sender.to_json()
    if not isinstance(sender, Mapping):
        raise ValidationError("carrier", "sender", f"must be a table of address fields, not {type(sender).__name__}")
    for key in sender:
        if key not in SENDER_FIELDS:
            raise ValidationError(
                "carrier", f"sender.{key}", f"is not an address field; use {', '.join(SENDER_FIELDS)}"
            )
    out = {k: str(v).strip() for k, v in sender.items() if v is not None and str(v).strip()}
    for key in SENDER_REQUIRED:
        if not out.get(key):
            raise ValidationError("carrier", f"sender.{key}", "is required")
    return out
