"""Column types: exact amounts and timezone-aware UTC times on every backend."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from oms_core.domain.money import STORAGE_DECIMALS

_SCALE = Decimal(10) ** STORAGE_DECIMALS


class Amount(sa.types.TypeDecorator[Decimal]):
    """A Decimal stored as a scaled integer (ten-thousandths): exact on SQLite, summable in SQL.

    Reports aggregate with ``SUM(column)`` and divide by ``10_000`` (see ``Amount.SCALE``).
    """

    impl = sa.BigInteger
    cache_ok = True
    SCALE = _SCALE

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        return _to_scaled(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        return _from_scaled(value)

    # the integer column needs no conversion of its own on any supported driver: SQLAlchemy gets these functions
    # themselves instead of wrapped around the implementation type's (absent) processors

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        return _to_scaled

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        return _from_scaled


def _to_scaled(value: Any) -> int | None:
    if value is None:
        return None
    scaled = Decimal(value) * _SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {STORAGE_DECIMALS} decimals")
    return int(scaled)


def _from_scaled(value: Any) -> Decimal | None:
    if value is None:
        return None
    return _decimal_of_scaled(value)


@functools.lru_cache(maxsize=4096)
def _decimal_of_scaled(value: int) -> Decimal:
    # most stored amounts repeat (zeros, unit prices, common totals) and a Decimal is immutable: made once each
    return (Decimal(value) / _SCALE).normalize() if value % 10000 else Decimal(value // 10000)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python; ``timestamptz`` on PostgreSQL, naive UTC text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the OMS stores timezone-aware UTC only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
