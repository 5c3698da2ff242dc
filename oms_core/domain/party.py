"""Customers and addresses."""

from __future__ import annotations

import functools
import json
from typing import Any, TypeVar

import attrs

from oms_core.domain.errors import ValidationError

T = TypeVar("T")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _opt(value: Any) -> str | None:
    value = _strip(value)
    return value or None


#: ISO 3166-1 codes of countries with no postal code system, where an address has no postcode to require.
COUNTRIES_WITHOUT_POSTCODES = frozenset(
    {
        "AE", "AG", "AN", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI", "CK", "CM",
        "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "JM", "KI", "KM", "KN", "KP", "LC", "ML",
        "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL", "SR", "SS", "ST", "SY", "TD", "TF", "TG", "TK",
        "TL", "TO", "TT", "TV", "UG", "VU", "YE", "ZW",
    }
)  # fmt: skip


@attrs.frozen
class Address:
    """A postal address. ``country`` is an ISO 3166-1 alpha-2 code."""

    name: str = attrs.field(converter=_strip)
    line1: str = attrs.field(converter=_strip)
    city: str = attrs.field(converter=_strip)
    postcode: str | None = attrs.field(converter=_strip)
    country: str = attrs.field(converter=lambda v: _strip(v).upper() if isinstance(v, str) else v)
    line2: str | None = attrs.field(default=None, converter=_opt)
    region: str | None = attrs.field(default=None, converter=_opt)
    company: str | None = attrs.field(default=None, converter=_opt)
    phone: str | None = attrs.field(default=None, converter=_opt)

    REQUIRED = ("name", "line1", "city", "postcode", "country")

    def problems(self, prefix: str) -> list[ValidationError]:
        """Every missing or malformed field, named ``prefix.field``."""
        found = []
        for name in self.REQUIRED:
            if name == "postcode" and self.country in COUNTRIES_WITHOUT_POSTCODES:
                continue
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                found.append(ValidationError("order", f"{prefix}.{name}", "is required"))
        if isinstance(self.country, str) and self.country and (len(self.country) != 2 or not self.country.isalpha()):
            found.append(
                ValidationError("order", f"{prefix}.country", "must be an ISO 3166-1 alpha-2 code", self.country)
            )
        return found

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Address | None:
        if data is None:
            return None
        return cls(**{k: data.get(k) for k in _names(cls)})


@attrs.frozen
class Customer:
    """Who ordered. ``external_id`` is the channel's customer id when it has one."""

    email: str | None = attrs.field(default=None, converter=_opt)
    name: str | None = attrs.field(default=None, converter=_opt)
    phone: str | None = attrs.field(default=None, converter=_opt)
    external_id: str | None = attrs.field(default=None, converter=_opt)

    def problems(self) -> list[ValidationError]:
        found = []
        if not self.email and not self.name:
            found.append(ValidationError("order", "customer", "needs an email or a name"))
        if self.email and ("@" not in self.email or self.email.startswith("@") or self.email.endswith("@")):
            found.append(ValidationError("order", "customer.email", "is not an e-mail address", self.email))
        return found

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Customer:
        data = data or {}
        return cls(**{k: data.get(k) for k in _names(cls)})


@functools.cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(cls))


@functools.cache
def _keys(cls: type) -> frozenset[str]:
    return frozenset(_names(cls))


def _to_json(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in _names(type(value))}


def of_stored(cls: type[T], data: dict[str, Any] | None) -> T | None:
    """``cls.from_json(data)`` for what the OMS stored from ``to_json``: converted on the way in, not again.

    Data with keys ``to_json`` does not write (written by hand, by another version) takes the converting way.
    """
    if data is None:
        return None
    names = _names(cls)
    if not data.keys() <= _keys(cls):
        return cls(**{k: data.get(k) for k in names})
    obj = object.__new__(cls)
    for name in names:
        object.__setattr__(obj, name, data.get(name))
    return obj


@functools.lru_cache(maxsize=4096)
def of_stored_text(cls: type[T], text: str) -> T | None:
    """:func:`of_stored` of the JSON ``text`` the OMS stored, remembered for the last few thousand texts: the
    objects are frozen, so one can stand for every load of the same stored text."""
    return of_stored(cls, json.loads(text))
