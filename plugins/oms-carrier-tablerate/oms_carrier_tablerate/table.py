"""Rate tables: zones by destination, and per zone and service the weight brackets with their prices.

A table is read from TOML or CSV (the README shows both formats in full) into a :class:`RateTable`. Every problem
is a :class:`RateTableError` (a ``ValidationError``) that names the file, the key or row, and the reason.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from oms_core import Money, ValidationError

Format = Literal["toml", "csv"]
WILDCARD = "*"
CSV_COLUMNS = ("kind", "zone", "countries", "postcodes", "service", "max_grams", "price", "currency", "free_from",
               "days")  # fmt: skip
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RateTableError(ValidationError):
    """A rate table that cannot be used. ``source`` is the file (or ``table_text``), ``field`` the key or row."""

    def __init__(self, source: str, where: str, reason: str, value: Any = None) -> None:
        super().__init__("rate_table", where, reason, value)
        self.source = source
        self.args = (f"rate table {source}, {where}: {reason}",)


def normalise_postcode(postcode: str) -> str:
    """Upper case without spaces and hyphens: ``"sw1y 4jh"`` and ``"SW1Y-4JH"`` are both ``"SW1Y4JH"``."""
    return re.sub(r"[\s-]", "", postcode).upper()


@attrs.frozen
class Zone:
    """Destinations sharing one set of prices: countries, optionally narrowed to postcode prefixes."""

    name: str
    countries: tuple[str, ...]
    postcodes: tuple[str, ...] = ()


@attrs.frozen
class Bracket:
    """Parcels weighing at most ``max_grams`` cost ``price``."""

    max_grams: int
    price: Money


@attrs.frozen
class ServiceRates:
    """One service in one zone: ascending brackets, an optional free-shipping value and delivery days."""

    zone: str
    service: str
    brackets: tuple[Bracket, ...]
    free_from: Money | None = None
    days: int | None = None

    @property
    def max_grams(self) -> int:
        return self.brackets[-1].max_grams

    def price(self, weight_grams: int, value: Money | None) -> Money | None:
        """The price of a parcel, or ``None`` when it is heavier than the last bracket.

        A parcel worth ``free_from`` or more (in the table's currency) ships free; the weight limit still holds.
        """
        for bracket in self.brackets:
            if weight_grams <= bracket.max_grams:
                free = self.free_from
                if free is not None and value is not None and value.currency == free.currency and value >= free:
                    return Money.zero(bracket.price.currency)
                return bracket.price
        return None


@attrs.frozen
class RateTable:
    """A loaded table. :meth:`zone_for` finds the zone of a destination, :attr:`rates` its services."""

    source: str
    currency: str
    zones: tuple[Zone, ...]
    rates: Mapping[str, Mapping[str, ServiceRates]]  # zone -> service -> rates

    def zone_for(self, country: str, postcode: str | None = None) -> Zone | None:
        """The most specific zone: the longest matching postcode prefix, then the country, then ``"*"``."""
        country = (country or "").strip().upper()
        code = normalise_postcode(postcode or "")
        best: tuple[int, Zone] | None = None
        for zone in self.zones:
            if WILDCARD in zone.countries:
                rank = 0
            elif country not in zone.countries:
                continue
            elif not zone.postcodes:
                rank = 1
            else:
                matching = [len(p) for p in zone.postcodes if code.startswith(p)]
                if not matching:
                    continue
                rank = 1 + max(matching)
            if best is None or rank > best[0]:
                best = (rank, zone)
        return best[1] if best else None

    def services(self, zone: str) -> list[str]:
        return sorted(self.rates.get(zone, {}))


# -- loading --------------------------------------------------------------------------------------------------------


def load_table(path: str | Path | None = None, *, text: str | None = None, format: Format | None = None) -> RateTable:
    """Read a rate table from ``path`` or from ``text``; ``format`` defaults to the file's suffix."""
    if (path is None) == (text is None):
        raise RateTableError("(none)", "table", "give either a file (table=...) or its text (table_text=...)")
    source = str(path) if path is not None else "table_text"
    if format is None:
        format = _infer_format(path, text, source)
    if format not in ("toml", "csv"):
        raise RateTableError(source, "format", f"must be 'toml' or 'csv', not {format!r}", format)
    if text is None:
        assert path is not None
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RateTableError(source, "file", "does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RateTableError(source, "file", f"cannot be read: {exc}") from None
    return _from_toml(text, source) if format == "toml" else _from_csv(text, source)


def _infer_format(path: str | Path | None, text: str | None, source: str) -> Format:
    if path is not None:
        suffix = Path(path).suffix.lower()
        if suffix in (".toml", ".csv"):
            return suffix[1:]  # type: ignore[return-value]
        raise RateTableError(source, "format", f"cannot tell the format from {suffix or 'no suffix'!r}; pass format")
    first = next((line.strip() for line in (text or "").splitlines() if line.strip() and line[0] != "#"), "")
    return "csv" if first.split(",")[0].strip().lower() == "kind" else "toml"


# -- TOML -----------------------------------------------------------------------------------------------------------


def _from_toml(text: str, source: str) -> RateTable:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RateTableError(source, "syntax", f"is not valid TOML: {exc}") from None
    _only(data, {"currency", "zones", "rates"}, "", source)
    currency = _currency(data.get("currency"), "currency", source)
    zones_data = _table(data.get("zones"), "zones", source, required=True)
    zones = []
    for name, spec in zones_data.items():
        key = f"zones.{name}"
        spec = _table(spec, key, source, required=True)
        _only(spec, {"countries", "postcodes"}, key, source)
        countries = _string_list(spec.get("countries"), f"{key}.countries", source, required=True)
        postcodes = _string_list(spec.get("postcodes"), f"{key}.postcodes", source, required=False)
        zones.append(_zone(name, countries, postcodes, key, source))
    rates: dict[str, dict[str, ServiceRates]] = {}
    for zone_name, services in _table(data.get("rates"), "rates", source, required=True).items():
        for service, spec in _table(services, f"rates.{zone_name}", source, required=True).items():
            key = f"rates.{zone_name}.{service}"
            spec = _table(spec, key, source, required=True)
            _only(spec, {"brackets", "free_from", "days"}, key, source)
            raw = spec.get("brackets")
            if not isinstance(raw, list) or not raw:
                raise RateTableError(source, f"{key}.brackets", "must be a non-empty list of {max_grams, price}")
            brackets = []
            for i, item in enumerate(raw):
                where = f"{key}.brackets[{i}]"
                item = _table(item, where, source, required=True)
                _only(item, {"max_grams", "price"}, where, source)
                brackets.append(
                    Bracket(
                        _grams(item.get("max_grams"), f"{where}.max_grams", source),
                        _money(item.get("price"), currency, f"{where}.price", source),
                    )
                )
            free = spec.get("free_from")
            rates.setdefault(zone_name, {})[service] = _service(
                zone_name,
                service,
                brackets,
                None if free is None else _money(free, currency, f"{key}.free_from", source),
                _days(spec.get("days"), f"{key}.days", source),
                key,
                source,
            )
    return _table_of(source, currency, zones, rates, "rates")


def _only(data: Mapping[str, Any], allowed: set[str], key: str, source: str) -> None:
    for name in data:
        if name not in allowed:
            where = f"{key}.{name}" if key else name
            raise RateTableError(source, where, f"is not a known key; expected one of {', '.join(sorted(allowed))}")


def _table(value: Any, key: str, source: str, *, required: bool) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        what = "is missing" if value is None else f"must be a table, not {_toml_type(value)}"
        raise RateTableError(source, key, what)
    if required and not value:
        raise RateTableError(source, key, "is empty")
    return value


def _string_list(value: Any, key: str, source: str, *, required: bool) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (required and not value):
        raise RateTableError(source, key, 'must be a non-empty list of strings, such as ["DE", "AT"]', value)
    return value


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


# -- CSV ------------------------------------------------------------------------------------------------------------


def _from_csv(text: str, source: str) -> RateTable:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    zones: list[Zone] = []
    rows: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    currency: str | None = None
    for cells in reader:
        n = reader.line_num
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            for name in header:
                if name not in CSV_COLUMNS:
                    raise RateTableError(source, f"row {n}", f"unknown column {name!r}; use {', '.join(CSV_COLUMNS)}")
            for name in ("kind", "zone"):
                if name not in header:
                    raise RateTableError(source, f"row {n}", f"the header has no {name!r} column")
            continue
        if len(cells) > len(header):
            raise RateTableError(source, f"row {n}", f"has {len(cells)} fields but the header names {len(header)}")
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        kind, zone = row["kind"].lower(), row["zone"]
        if not zone:
            raise RateTableError(source, f"row {n}, zone", "is empty")
        if kind == "zone":
            for column in ("service", "max_grams", "price", "currency", "free_from", "days"):
                if row.get(column):
                    raise RateTableError(source, f"row {n}, {column}", "belongs on a rate row, not a zone row")
            countries = row.get("countries", "").split()
            if not countries:
                raise RateTableError(source, f"row {n}, countries", "is empty; list country codes separated by spaces")
            zones.append(_zone(zone, countries, row.get("postcodes", "").split(), f"row {n}", source))
        elif kind == "rate":
            for column in ("countries", "postcodes"):
                if row.get(column):
                    raise RateTableError(source, f"row {n}, {column}", "belongs on a zone row, not a rate row")
            for column in ("service", "max_grams", "price", "currency"):
                if not row.get(column):
                    raise RateTableError(source, f"row {n}, {column}", "is required on a rate row")
            row_currency = _currency(row["currency"], f"row {n}, currency", source)
            if currency is None:
                currency = row_currency
            elif row_currency != currency:
                raise RateTableError(
                    source,
                    f"row {n}, currency",
                    f"is {row_currency} but earlier rows use {currency}; one table, one currency",
                )
            rows.setdefault((zone, row["service"]), []).append((n, row))
        else:
            raise RateTableError(source, f"row {n}, kind", f"must be 'zone' or 'rate', not {row['kind']!r}")
    if header is None:
        raise RateTableError(source, "row 1", "the file is empty; it needs a header row")
    if currency is None:
        raise RateTableError(source, "rows", "there is no rate row (kind = rate)")
    rates: dict[str, dict[str, ServiceRates]] = {}
    for (zone, service), group in rows.items():
        brackets = [
            Bracket(
                _grams(row["max_grams"], f"row {n}, max_grams", source),
                _money(row["price"], currency, f"row {n}, price", source),
            )
            for n, row in group
        ]
        rates.setdefault(zone, {})[service] = _service(
            zone,
            service,
            brackets,
            _shared(group, "free_from", source, lambda v, where: _money(v, currency, where, source)),
            _shared(group, "days", source, lambda v, where: _days(v, where, source)),
            f"row {group[0][0]}",
            source,
        )
    return _table_of(source, currency, zones, rates, "rows")


def _shared(group: list[tuple[int, dict[str, str]]], column: str, source: str, convert: Any) -> Any:
    """A value of the zone's service given on any of its rows; rows that repeat it must agree."""
    found: tuple[int, str] | None = None
    for n, row in group:
        value = row.get(column, "")
        if not value:
            continue
        if found is not None and value != found[1]:
            raise RateTableError(source, f"row {n}, {column}", f"is {value} but row {found[0]} says {found[1]}")
        found = found or (n, value)
    return None if found is None else convert(found[1], f"row {found[0]}, {column}")


# -- values shared by both formats ----------------------------------------------------------------------------------


def _currency(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RateTableError(source, where, 'is required: the ISO 4217 code of every price, such as "EUR"', value)
    code = value.strip().upper()
    try:
        Money.zero(code)
    except ValidationError:
        raise RateTableError(source, where, f"{value!r} is not an ISO 4217 currency code", value) from None
    return code


def _money(value: Any, currency: str, where: str, source: str) -> Money:
    if not isinstance(value, str):
        raise RateTableError(
            source,
            where,
            f'must be a string such as "4.90", not {_toml_type(value)} ({value!r}): money is exact',
            value,
        )
    try:
        money = Money(value, currency)
    except ValidationError:
        raise RateTableError(source, where, f"{value!r} is not a decimal number", value) from None
    if money.amount < 0:
        raise RateTableError(source, where, f"{value} is negative", value)
    if money.rounded().amount != money.amount:
        raise RateTableError(source, where, f"{value} has more decimals than {currency} has", value)
    return Money(money.rounded().amount, currency)


def _grams(value: Any, where: str, source: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RateTableError(source, where, f"must be a positive whole number of grams, not {value!r}", value)
    return value


def _days(value: Any, where: str, source: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RateTableError(source, where, f"must be a whole number of days, not {value!r}", value)
    return value


def _zone(name: str, countries: Iterable[str], postcodes: Iterable[str], where: str, source: str) -> Zone:
    if not _NAME.match(name):
        raise RateTableError(source, where, f"zone name {name!r} must be letters, digits, '_', '-' or '.'")
    codes = []
    for c in countries:
        code = c.strip().upper()
        if code != WILDCARD and not _COUNTRY.match(code):
            raise RateTableError(source, where, f"{c!r} is not an ISO 3166-1 alpha-2 country code (or '*')", c)
        codes.append(code)
    prefixes = tuple(normalise_postcode(p) for p in postcodes)
    if WILDCARD in codes and (len(codes) > 1 or prefixes):
        raise RateTableError(source, where, "'*' (every other country) stands alone, without postcodes")
    if any(not p for p in prefixes):
        raise RateTableError(source, where, "a postcode prefix is empty")
    return Zone(name, tuple(codes), prefixes)


def _service(
    zone: str,
    service: str,
    brackets: list[Bracket],
    free_from: Money | None,
    days: int | None,
    where: str,
    source: str,
) -> ServiceRates:
    if not _NAME.match(service):
        raise RateTableError(source, where, f"service name {service!r} must be letters, digits, '_', '-' or '.'")
    for before, after in itertools.pairwise(brackets):
        if after.max_grams <= before.max_grams:
            raise RateTableError(
                source,
                where,
                f"brackets of {zone}/{service} must ascend by max_grams: {after.max_grams} follows {before.max_grams}",
            )
    return ServiceRates(zone, service, tuple(brackets), free_from, days)


def _table_of(
    source: str, currency: str, zones: list[Zone], rates: dict[str, dict[str, ServiceRates]], rates_key: str
) -> RateTable:
    seen: dict[str, str] = {}
    names: set[str] = set()
    for zone in zones:
        if zone.name in names:
            raise RateTableError(source, f"zone {zone.name}", "is defined twice")
        names.add(zone.name)
        for country in zone.countries:
            for prefix in zone.postcodes or ("",):
                key = f"{country} {prefix}".strip()
                if key in seen:
                    what = "every other country ('*')" if country == WILDCARD else key
                    raise RateTableError(
                        source,
                        f"zone {zone.name}",
                        f"{what} is already in zone {seen[key]}; a destination has one zone",
                    )
                seen[key] = zone.name
    for zone_name in rates:
        if zone_name not in names:
            raise RateTableError(source, f"{rates_key}: zone {zone_name}", "has rates but is not defined as a zone")
    for zone in zones:
        if zone.name not in rates:
            raise RateTableError(source, f"zone {zone.name}", "has no rates; give it at least one service")
    return RateTable(source, currency, tuple(zones), rates)
