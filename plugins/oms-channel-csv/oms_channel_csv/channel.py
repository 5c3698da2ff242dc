"""``CsvChannel``: order files in CSV (one row per order line) or NDJSON (one order per line), read as a stream.

The reader never holds the file: it decodes the bytes as they come, keeps the rows of one order until the next
order starts, and hands out one :class:`RowResult` per order, with its draft or with every problem found in its
rows. A problem in one row refuses that row's whole order; the other orders are unaffected.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import attrs

from oms_core import (
    Address,
    Channel,
    ConfigurationError,
    Customer,
    DuplicateOrder,
    LineDraft,
    Money,
    OMSError,
    OrderDraft,
    RuleRejected,
    ValidationError,
    ValidationErrors,
)

__all__ = [
    "ADDRESS_FIELDS",
    "COLUMNS",
    "FORMATS",
    "LINE_COLUMNS",
    "ORDER_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvChannel",
    "RowError",
    "RowResult",
]

FORMATS = ("csv", "ndjson")

#: the fields of an address, as ``ship_<field>`` and ``bill_<field>`` columns
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "postcode", "region", "country", "phone")

#: columns that describe the order: the same on every row of an order (or given once, on any of its rows)
ORDER_COLUMNS = (
    "order_id",
    "currency",
    "customer_email",
    "customer_name",
    "customer_phone",
    "customer_id",
    *(f"ship_{f}" for f in ADDRESS_FIELDS),
    *(f"bill_{f}" for f in ADDRESS_FIELDS),
    "shipping",
    "shipping_tax",
    "order_discount",
    "taxes_included",
    "placed_at",
    "expected_total",
    "notes",
)

#: columns that describe one order line: one row per line in CSV, one object of ``lines`` in NDJSON
LINE_COLUMNS = ("sku", "quantity", "unit_price", "line_name", "line_discount", "line_tax", "line_id")

#: every name ``columns=`` may map; ``lines`` is the key of the list of lines in NDJSON
COLUMNS = (*ORDER_COLUMNS, *LINE_COLUMNS, "lines")

#: columns a CSV header must have (``currency`` only when no default ``currency`` is configured)
REQUIRED_COLUMNS = ("order_id", "currency", "sku", "quantity", "unit_price", "ship_name", "ship_line1", "ship_city",
                    "ship_country")  # fmt: skip

_AMOUNTS = ("shipping", "shipping_tax", "order_discount", "expected_total")
_LINE_AMOUNTS = ("unit_price", "line_discount", "line_tax")
#: draft field names (``lines[i].<attr>``) -> column
_LINE_ATTRS = {"sku": "sku", "quantity": "quantity", "unit_price": "unit_price", "name": "line_name",
               "discount": "line_discount", "tax": "line_tax", "external_id": "line_id"}  # fmt: skip
_CUSTOMER_ATTRS = {"email": "customer_email", "name": "customer_name", "phone": "customer_phone",
                   "external_id": "customer_id"}  # fmt: skip
_MAX_DECIMALS = 4
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_WHOLE = re.compile(r"[+-]?\d+")
_LINE_FIELD = re.compile(r"lines\[(\d+)\]\.(\w+)")
_ADDRESS_FIELD = re.compile(r"(shipping|billing)_address\.(\w+)")
_REPLACEMENT = "\ufffd"


@attrs.frozen
class RowError:
    """One problem of an order file.

    :param row: the line of the file where the problem is (the CSV header is line 1).
    :param order_id: the order the row belongs to, ``None`` when it names none.
    :param field: the column as the file names it (CSV) or the key's path (NDJSON: ``lines[1].quantity``);
        ``""`` when the problem is the whole row (not CSV, not JSON) or the whole order (a business rule).
    :param reason: what is wrong, in words.
    """

    row: int
    order_id: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (order {self.order_id})" if self.order_id is not None else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.reason}"


@attrs.frozen
class RowResult:
    """One order read from a file: its draft, or the problems that refuse it.

    A row that belongs to no order (no order id, a line that is not JSON, a header without a required column) is a
    result of its own, with ``order_id`` ``None`` and no draft.

    :param order_id: the order's id in the file.
    :param row: the first line of the order in the file; ``last_row`` the last.
    :param draft: the order draft, ``None`` when the order is refused.
    :param errors: every problem found, in file order; empty when ``draft`` is set.
    :param line_rows: the line of the file of each draft line (CSV: one row per line; NDJSON: all on ``row``).
    :param format: ``"csv"`` or ``"ndjson"``.
    """

    order_id: str | None
    row: int
    last_row: int
    draft: OrderDraft | None
    errors: tuple[RowError, ...] = ()
    line_rows: tuple[int, ...] = ()
    format: str = "csv"

    @property
    def ok(self) -> bool:
        return self.draft is not None


class _Bad(Exception):
    """A value that cannot be read; the message is the reason."""


class CsvChannel(Channel):
    """Orders from CSV or NDJSON files.

    :param format: ``"csv"`` (one row per order line) or ``"ndjson"`` (one order per line); the default of
        :meth:`read` and :meth:`parse_orders` (which also honours a ``Content-Type`` header).
    :param columns: ``{column: name in the file}`` for the columns whose heading (CSV) or key (NDJSON) differs
        from the standard name, e.g. ``{"order_id": "Order Number", "sku": "SKU"}``. Headings are matched without
        regard to case and surrounding spaces.
    :param delimiter: the CSV field separator (``","``, ``";"``, ``"\\t"``, ``"|"``).
    :param quotechar: the CSV quote character.
    :param encoding: the file's text encoding; a UTF-8 byte order mark is skipped.
    :param decimal: the decimal separator of amounts in CSV: ``"."`` or ``","`` (European spreadsheet exports).
    :param thousands: a thousands separator allowed in CSV amounts (``"."``, ``","``, ``" "``, ``"'"``), or
        ``None`` (default) to refuse any.
    :param currency: the currency of orders whose file has no ``currency`` column or leaves it empty.
    :param taxes_included: the default of ``taxes_included`` when a file does not say.
    :param timezone: an IANA zone (``"Europe/Berlin"``) for ``placed_at`` times written without offset; without
        it such times are refused.
    :param channel_name: the channel of the drafts (idempotency is per channel and order id); default the name the
        driver is registered under, ``csv``.
    """

    def __init__(
        self,
        *,
        format: str = "csv",
        columns: Mapping[str, str] | None = None,
        delimiter: str = ",",
        quotechar: str = '"',
        encoding: str = "utf-8",
        decimal: str = ".",
        thousands: str | None = None,
        currency: str | None = None,
        taxes_included: bool = False,
        timezone: str | None = None,
        channel_name: str | None = None,
    ) -> None:
        self.format = _check_format(format)
        unknown = sorted(set(columns or {}) - set(COLUMNS))
        if unknown:
            raise ConfigurationError(f"csv channel: unknown columns {unknown}; known: {', '.join(COLUMNS)}")
        self.columns = {name: name for name in COLUMNS} | {k: str(v).strip() for k, v in (columns or {}).items()}
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n" + quotechar:
            raise ConfigurationError(f"csv channel: delimiter must be one character, not {delimiter!r}")
        if not isinstance(quotechar, str) or len(quotechar) != 1:
            raise ConfigurationError(f"csv channel: quotechar must be one character, not {quotechar!r}")
        self.delimiter, self.quotechar = delimiter, quotechar
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigurationError(f"csv channel: unknown encoding {encoding!r}") from None
        self.encoding = encoding
        self._codec = "utf-8-sig" if codec == "utf-8" else codec
        if decimal not in (".", ","):
            raise ConfigurationError(f"csv channel: decimal must be '.' or ',', not {decimal!r}")
        if thousands is not None and (thousands == decimal or thousands not in (".", ",", " ", "'", "\u00a0")):
            raise ConfigurationError(f"csv channel: thousands separator {thousands!r} is not usable with {decimal!r}")
        self.decimal, self.thousands = decimal, thousands
        if currency is not None:
            try:
                Money.zero(currency)
            except ValidationError:
                raise ConfigurationError(f"csv channel: {currency!r} is not an ISO 4217 currency code") from None
        self.currency = currency
        self.taxes_included = bool(taxes_included)
        try:
            self.timezone = zoneinfo.ZoneInfo(timezone) if timezone else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"csv channel: unknown time zone {timezone!r}") from None
        self.channel_name = channel_name

    @property
    def channel(self) -> str:
        """The channel the drafts are placed under."""
        return self.channel_name or self.name or "csv"

    # -- the Channel interface ----------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Files carry no signature: every file is accepted. Authenticate the sender where the file is received."""

    def parse_orders(self, body: bytes, headers: Mapping[str, str] | None = None) -> list[OrderDraft]:
        """Every order of a whole file, or :class:`~oms_core.ValidationErrors` naming every bad row.

        The format is the channel's, or the one a ``Content-Type`` header names (``text/csv``,
        ``application/x-ndjson``, ``application/jsonl``). All or nothing: a file with one bad row raises. To place the
        good orders and report the bad ones, stream the file with :func:`oms_channel_csv.import_file`.
        """
        drafts: list[OrderDraft] = []
        problems: list[ValidationError] = []
        for result in self.read(io.BytesIO(bytes(body)), _format_from_headers(headers) or self.format):
            if result.draft is not None:
                drafts.append(result.draft)
            problems += _validation_errors(result)
        if problems:
            raise ValidationErrors(problems)
        return drafts

    def parse_stream(
        self, stream: BinaryIO | Iterable[bytes], headers: Mapping[str, str] | None = None
    ) -> Iterator[OrderDraft | ValidationErrors]:
        """The orders of a file as it is read, for ``OMS.import_orders(channel, file, verify=False)``.

        Yields each order's draft, and in place of an order (or a row) that cannot be read a
        :class:`~oms_core.ValidationErrors` naming every problem by row and column (``row[12].quantity``; NDJSON:
        ``line[12].lines[0].quantity``), with ``external_id`` set to its order id. ``OMS.place_orders`` reports
        such an error at its position and places the other orders. The format follows ``parse_orders``.
        """
        for result in self.read(stream, _format_from_headers(headers) or self.format):
            if result.draft is not None:
                yield result.draft
            else:
                error = ValidationErrors(_validation_errors(result))
                error.external_id = result.order_id  # type: ignore[attr-defined]
                yield error

    # -- streaming ----------------------------------------------------------------------------------------------

    def read(self, stream: BinaryIO | Iterable[bytes], format: str | None = None) -> Iterator[RowResult]:
        """Read orders from a binary file object or any iterable of bytes (lines or chunks), one at a time.

        Yields a :class:`RowResult` as soon as an order's last row is read (CSV: when the next order starts), so
        only one order's rows are in memory. The stream is not closed.
        """
        fmt = _check_format(format or self.format)
        lines = _text_lines(stream, self._codec)
        return self._read_csv(lines) if fmt == "csv" else self._read_ndjson(lines)

    def row_errors(self, result: RowResult, error: OMSError) -> list[RowError]:
        """The rows and fields of ``result`` that a placement error is about (``ImportResult.errors``)."""
        if isinstance(error, ValidationErrors):
            return [self._problem(result, e) for e in error.errors]
        if isinstance(error, ValidationError):
            return [self._problem(result, error)]
        if isinstance(error, RuleRejected):
            return [RowError(result.row, result.order_id, "", f"refused by {p}: {m}") for p, m in error.problems]
        if isinstance(error, DuplicateOrder):
            reason = (
                f"was imported before (order #{error.order_id}) with different {', '.join(error.differences)}; "
                "the order was not changed"
            )
            return [RowError(result.row, result.order_id, self._field(result.format, "order_id"), reason)]
        return [RowError(result.row, result.order_id, "", str(error))]

    # -- CSV ----------------------------------------------------------------------------------------------------

    def _read_csv(self, lines: Iterator[str]) -> Iterator[RowResult]:
        reader = csv.reader(lines, delimiter=self.delimiter, quotechar=self.quotechar)
        records = _records(reader)
        header: list[str] | None = None
        header_row = 0
        for row, record in records:
            if isinstance(record, str):
                yield _stray(row, "", record)
            elif any(v.strip() for v in record):
                header, header_row = record, row
                break
        if header is None:
            yield _stray(1, "", "the file is empty: the first line must name the columns")
            return
        index, problems = self._header_index(header)
        if problems:
            yield RowResult(
                None, header_row, header_row, None, tuple(RowError(header_row, None, f, r) for f, r in problems)
            )
            return
        width = len(header)
        seen: set[str] = set()
        current: _Order | None = None
        for row, record in records:
            if isinstance(record, str):
                yield _stray(row, "", record)
                continue
            if not any(v.strip() for v in record):
                continue  # blank line
            values = {name: record[i].strip() if i < len(record) else "" for name, i in index.items()}
            order_id = values.pop("order_id")
            if not order_id:
                yield _stray(row, self.columns["order_id"], "is required: every row names its order")
                continue
            if current is not None and current.order_id == order_id:
                current.last_row = row
            else:
                if current is not None:
                    yield self._finish(current)
                current = _Order(order_id, row, repeat=order_id in seen)
                seen.add(order_id)
            if current.repeat:
                current.errors.append(
                    RowError(
                        row,
                        order_id,
                        self.columns["order_id"],
                        f"order {order_id} appeared earlier in the file: the rows of an order must be contiguous",
                    )
                )
                continue
            if len(record) > width:  # a value was split: a decimal comma or a delimiter in an unquoted value
                current.errors.append(
                    RowError(
                        row,
                        order_id,
                        "",
                        f"has {len(record)} fields, the header {width} (check the delimiter "
                        "and the quoting of values that contain it)",
                    )
                )
                continue
            for name, value in values.items():
                if _REPLACEMENT in value:
                    current.errors.append(RowError(row, order_id, self.columns[name], self._not_decodable()))
                    values[name] = ""
            current.add_row(row, values, self.columns)
        if current is not None:
            yield self._finish(current)

    def _header_index(self, header: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
        positions: dict[str, list[int]] = {}
        for i, heading in enumerate(header):
            positions.setdefault(_norm(heading), []).append(i)
        index: dict[str, int] = {}
        problems: list[tuple[str, str]] = []
        for name in (*ORDER_COLUMNS, *LINE_COLUMNS):
            found = positions.get(_norm(self.columns[name]), [])
            if len(found) > 1:
                problems.append((self.columns[name], f"appears {len(found)} times in the header"))
            elif found:
                index[name] = found[0]
        required = [c for c in REQUIRED_COLUMNS if not (c == "currency" and self.currency)]
        for name in required:
            if name not in index and not any(f == self.columns[name] for f, _ in problems):
                problems.append((self.columns[name], "is a required column and is missing from the header"))
        if _REPLACEMENT in "".join(header):
            problems.append(("", self._not_decodable()))
        return index, problems

    def _finish(self, order: _Order) -> RowResult:
        first, last = order.first_row, order.last_row
        if order.repeat or not order.lines:
            return RowResult(order.order_id, first, last, None, tuple(order.errors))
        return self._assemble(
            "csv", order.order_id, first, last, order.values, list(order.lines), order.errors, text_amounts=True
        )

    # -- NDJSON -------------------------------------------------------------------------------------------------

    def _read_ndjson(self, lines: Iterator[str]) -> Iterator[RowResult]:
        key = self.columns
        for row, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if _REPLACEMENT in line:
                yield _stray(row, "", self._not_decodable(), "ndjson")
                continue
            try:
                data = json.loads(line, parse_float=Decimal, parse_constant=_refuse_constant)
            except ValueError as exc:
                yield _stray(row, "", f"is not valid JSON: {getattr(exc, 'msg', exc)}", "ndjson")
                continue
            if not isinstance(data, dict):
                yield _stray(row, "", "is not a JSON object: each line must be one order", "ndjson")
                continue
            errors: list[RowError] = []
            try:
                order_id = _text(data.get(key["order_id"]))
            except _Bad as exc:
                yield _stray(row, key["order_id"], str(exc), "ndjson")
                continue
            if not order_id:
                yield _stray(row, key["order_id"], "is required", "ndjson")
                continue
            values = {name: (data.get(key[name]), row) for name in ORDER_COLUMNS if name != "order_id"}
            raw_lines = data.get(key["lines"])
            line_values: list[tuple[int, dict[str, Any]]] = []
            if not isinstance(raw_lines, list) or not raw_lines:
                errors.append(RowError(row, order_id, key["lines"], "must be a list of one or more lines"))
            else:
                for i, item in enumerate(raw_lines):
                    if isinstance(item, dict):
                        line_values.append((row, {name: item.get(key[name]) for name in LINE_COLUMNS}))
                    else:
                        errors.append(RowError(row, order_id, f"{key['lines']}[{i}]", "must be a JSON object"))
            if errors:
                yield RowResult(order_id, row, row, None, tuple(errors), format="ndjson")
                continue
            yield self._assemble("ndjson", order_id, row, row, values, line_values, errors, text_amounts=False)

    # -- building a draft ---------------------------------------------------------------------------------------

    def _assemble(
        self,
        fmt: str,
        order_id: str,
        first: int,
        last: int,
        values: Mapping[str, tuple[Any, int]],
        lines: list[tuple[int, Mapping[str, Any]]],
        errors: list[RowError],
        *,
        text_amounts: bool,
    ) -> RowResult:
        """Read the values of one order; a draft when every value is good and the draft has no problem."""
        errors = list(errors)

        def read(name: str, parse: Callable[[Any], Any], line: int | None = None) -> Any:
            value, at = values.get(name, (None, first)) if line is None else (lines[line][1].get(name), lines[line][0])
            try:
                return parse(value)
            except _Bad as exc:
                errors.append(RowError(at, order_id, self._field(fmt, name, line), str(exc)))
                return None

        amount = self._amount if text_amounts else _json_amount
        currency = read("currency", self._currency)
        drafts: list[LineDraft] = []
        for i in range(len(lines)):
            sku = read("sku", _required_text, i)
            quantity = read("quantity", _quantity, i)
            price = read("unit_price", lambda v: _required(amount(v)), i)
            discount = read("line_discount", amount, i)
            tax = read("line_tax", amount, i)
            name = read("line_name", _text, i)
            line_id = read("line_id", _text, i)
            if None not in (sku, quantity, price):
                drafts.append(LineDraft(sku, quantity, price, name, discount or Decimal(0), tax or Decimal(0), line_id))
        ship = self._address("ship", read)
        bill = self._address("bill", read)
        customer = Customer(
            email=read("customer_email", _text),
            name=read("customer_name", _text),
            phone=read("customer_phone", _text),
            external_id=read("customer_id", _text),
        )
        money = {name: read(name, amount) for name in _AMOUNTS}
        taxes_included = read("taxes_included", self._boolean)
        placed_at = read("placed_at", self._time)
        notes = read("notes", _text)
        line_rows = tuple(row for row, _ in lines)
        if errors:
            return RowResult(order_id, first, last, None, tuple(errors), line_rows, fmt)
        draft = OrderDraft(
            channel=self.channel,
            external_id=order_id,
            currency=currency,
            lines=drafts,
            shipping_address=ship,
            billing_address=bill if bill is not None and any(attrs.astuple(bill)) else None,
            customer=customer,
            shipping=money["shipping"] or Decimal(0),
            shipping_tax=money["shipping_tax"] or Decimal(0),
            order_discount=money["order_discount"] or Decimal(0),
            expected_total=money["expected_total"],
            taxes_included=self.taxes_included if taxes_included is None else taxes_included,
            placed_at=placed_at,
            notes=notes,
        )
        result = RowResult(order_id, first, last, draft, (), line_rows, fmt)
        problems = draft.problems()
        if problems:
            found = [self._problem(result, p) for p in problems]
            return RowResult(order_id, first, last, None, tuple(sorted(found, key=lambda e: e.row)), line_rows, fmt)
        return result

    def _address(self, prefix: str, read: Callable[..., Any]) -> Address:
        parts = {f: read(f"{prefix}_{f}", _text) for f in ADDRESS_FIELDS}
        return Address(**parts)

    def _field(self, fmt: str, name: str, line: int | None = None) -> str:
        if fmt == "ndjson" and line is not None:
            return f"{self.columns['lines']}[{line}].{self.columns[name]}"
        return self.columns.get(name, name)

    def _problem(self, result: RowResult, error: ValidationError) -> RowError:
        """A draft's (or the OMS's) problem, on the row and column it comes from."""
        field, row, line = error.field, result.row, None
        if m := _LINE_FIELD.fullmatch(field):
            line, name = int(m.group(1)), _LINE_ATTRS.get(m.group(2), m.group(2))
            if line < len(result.line_rows):
                row = result.line_rows[line]
        elif m := _ADDRESS_FIELD.fullmatch(field):
            name = ("ship_" if m.group(1) == "shipping" else "bill_") + m.group(2)
        elif field.startswith("customer"):
            name = _CUSTOMER_ATTRS.get(field.partition(".")[2] or "email", field)
        elif field == "external_id":
            name = "order_id"
        elif field == "lines":
            name = "lines" if result.format == "ndjson" else "sku"
        else:
            name = field
        if name not in self.columns:
            return RowError(row, result.order_id, field, error.reason)
        return RowError(row, result.order_id, self._field(result.format, name, line), error.reason)

    # -- values -------------------------------------------------------------------------------------------------

    def _not_decodable(self) -> str:
        return f"contains bytes that are not {self.encoding} text (check the encoding option)"

    def _amount(self, value: Any) -> Decimal | None:
        """A CSV amount: a plain decimal written with the configured separators, at most 4 decimals, not negative."""
        text = _text(value)
        if not text:
            return None
        sign, digits = ("-", text[1:]) if text[:1] in "+-" else ("", text)
        whole, sep, fraction = digits.rpartition(self.decimal) if self.decimal in digits else (digits, "", "")
        if self.thousands and self.thousands in whole:
            if not re.fullmatch(r"\d{1,3}(?:" + re.escape(self.thousands) + r"\d{3})+", whole):
                raise _Bad(f"{text!r} has a misplaced thousands separator")
            whole = whole.replace(self.thousands, "")
        other = "," if self.decimal == "." else "."
        if other in whole or other in fraction:
            separators = f"the decimal separator is {self.decimal!r}" + (
                f" and the thousands separator {self.thousands!r}"
                if self.thousands
                else ", with no thousands separator"
            )
            raise _Bad(f"{text!r} is not a decimal amount: {separators} (see the decimal and thousands options)")
        plain = f"{sign}{whole}{'.' if sep else ''}{fraction}"
        if not _PLAIN_DECIMAL.fullmatch(plain):
            raise _Bad(f"{text!r} is not a decimal amount")
        return _checked_amount(Decimal(plain), text)

    def _currency(self, value: Any) -> str:
        code = (_text(value) or "").upper() or self.currency
        if not code:
            raise _Bad("is required")
        try:
            Money.zero(code)
        except ValidationError:
            raise _Bad(f"{code!r} is not an ISO 4217 currency code") from None
        return code

    def _boolean(self, value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = (_text(value) or "").lower()
        if not text:
            return None
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise _Bad(f"{value!r} is not true or false (true/false, yes/no, 1/0)")

    def _time(self, value: Any) -> dt.datetime | None:
        text = _text(value)
        if not text:
            return None
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _Bad(f"{text!r} is not an ISO 8601 date and time (2024-05-14T10:30:00+02:00)") from None
        if at.tzinfo is None:
            if self.timezone is None:
                raise _Bad(f"{text!r} has no UTC offset (write +02:00 or Z, or configure a timezone)")
            at = at.replace(tzinfo=self.timezone)
        return at.astimezone(dt.UTC)


# -- helpers ----------------------------------------------------------------------------------------------------


class _Order:
    """The rows of the order being read (CSV)."""

    def __init__(self, order_id: str, row: int, *, repeat: bool = False) -> None:
        self.order_id = order_id
        self.first_row = self.last_row = row
        self.repeat = repeat
        self.values: dict[str, tuple[str, int]] = {}
        self.lines: list[tuple[int, dict[str, str]]] = []
        self.errors: list[RowError] = []

    def add_row(self, row: int, values: dict[str, str], columns: Mapping[str, str]) -> None:
        """Order columns: the first non-empty value counts, another one on a later row is an error."""
        for name in ORDER_COLUMNS:
            value = values.get(name, "")
            if not value or name == "order_id":
                continue
            if name not in self.values:
                self.values[name] = (value, row)
            elif self.values[name][0] != value:
                first, at = self.values[name]
                self.errors.append(
                    RowError(
                        row,
                        self.order_id,
                        columns[name],
                        f"{value!r} differs from {first!r} on row {at} of the same order",
                    )
                )
        self.lines.append((row, {name: values.get(name, "") for name in LINE_COLUMNS}))


class _ChunkReader(io.RawIOBase):
    """A readable raw stream over an iterable of bytes objects (lines or chunks of any size)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise TypeError(f"an order file is read as bytes, not {type(chunk).__name__}; open it in binary mode")
            self._pending = memoryview(bytes(chunk))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _text_lines(source: BinaryIO | Iterable[bytes], codec: str) -> Iterator[str]:
    """Decode a byte stream lazily into lines that keep their line ends (``\\n``, ``\\r\\n`` or ``\\r``).

    Bytes that are not valid in ``codec`` become U+FFFD, which the readers report on the row and column.
    """
    if isinstance(source, str):
        raise TypeError("an order file is read as bytes, not str; open it in binary mode")
    if isinstance(source, bytes | bytearray | memoryview):
        source = [bytes(source)]
    raw = _ChunkReader(source)
    return iter(io.TextIOWrapper(io.BufferedReader(raw), encoding=codec, errors="replace", newline=""))


def _records(reader: Any) -> Iterator[tuple[int, list[str] | str]]:
    """``(line where the record starts, fields)``; a record the csv module cannot read gives its error instead."""
    last = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield last + 1, f"is not valid CSV: {exc}"
            if reader.line_num == last:
                return
            last = reader.line_num
            continue
        yield last + 1, record
        last = reader.line_num


def _validation_errors(result: RowResult) -> list[ValidationError]:
    """A result's problems as ``ValidationError``, each field prefixed with its row: ``row[4].quantity``."""
    unit = "line" if result.format == "ndjson" else "row"
    return [
        ValidationError("order", f"{unit}[{e.row}]" + (f".{e.field}" if e.field else ""), e.reason)
        for e in result.errors
    ]


def _stray(row: int, field: str, reason: str, fmt: str = "csv") -> RowResult:
    return RowResult(None, row, row, None, (RowError(row, None, field, reason),), format=fmt)


def _norm(heading: str) -> str:
    return " ".join(heading.split()).casefold()


def _check_format(format: str) -> str:
    if format not in FORMATS:
        raise ConfigurationError(f"csv channel: format must be one of {', '.join(FORMATS)}, not {format!r}")
    return format


def _format_from_headers(headers: Mapping[str, str] | None) -> str | None:
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "").lower()
    if any(t in content_type for t in ("ndjson", "jsonl", "json-seq", "x-json-stream")):
        return "ndjson"
    if "csv" in content_type or "tab-separated-values" in content_type:
        return "csv"
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"must be text, not {_show(value)}")


def _show(value: Any) -> str:
    """A value as the file wrote it: ``'2.5'`` for text, ``2.5`` for a JSON number, JSON for the rest."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, default=str)


def _required_text(value: Any) -> str:
    return _required(_text(value))


def _required(value: Any) -> Any:
    if value is None:
        raise _Bad("is required")
    return value


def _quantity(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    elif value is None or value == "":
        raise _Bad("is required")
    else:
        raise _Bad(f"{_show(value)} is not a whole number")
    if number < 0:
        raise _Bad(f"must not be negative ({number})")
    if number == 0:
        raise _Bad("must be greater than zero")
    return number


def _json_amount(value: Any) -> Decimal | None:
    """An NDJSON amount: a string (``"12.50"``) or a JSON number read exactly as written, never as a float."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise _Bad(f'{value!r} is not a decimal amount (write it as "12.50")')
        return _checked_amount(Decimal(text), text)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _Bad(f"{_show(value)} is not a decimal amount")
    return _checked_amount(Decimal(value), str(value))


def _checked_amount(amount: Decimal, text: str) -> Decimal:
    try:
        exponent = int(amount.as_tuple().exponent)
    except (TypeError, ValueError, InvalidOperation):
        raise _Bad(f"{text!r} is not a finite amount") from None
    if amount < 0:
        raise _Bad(f"must not be negative ({text})")
    if exponent < -_MAX_DECIMALS:
        raise _Bad(f"{text!r} has more than {_MAX_DECIMALS} decimals (a floating-point artefact?)")
    if exponent > 0:
        raise _Bad(f"{text!r} is in scientific notation; write the amount out")
    return amount
