"""Money: a ``Decimal`` amount with an ISO 4217 currency.

Floats are refused, currencies are never mixed silently, and amounts are rounded to the currency's minor unit
only when asked (``rounded()``) so that unit prices may carry more precision than totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs

from oms_core.domain.errors import CurrencyMismatch, ValidationError

# ISO 4217 minor units for active currencies that do not use 2 decimals, plus the common 2-decimal ones.
_ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
                 "XAF", "XOF", "XPF"}  # fmt: skip
_THREE_DECIMAL = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_FOUR_DECIMAL = {"CLF", "UYW"}
_TWO_DECIMAL = set(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IRR",
        "JMD",
        "KES",
        "KGS",
        "KHR",
        "KPW",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "WST",
        "XCD",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

MINOR_UNITS: dict[str, int] = {
    **{c: 2 for c in _TWO_DECIMAL},
    **{c: 0 for c in _ZERO_DECIMAL},
    **{c: 3 for c in _THREE_DECIMAL},
    **{c: 4 for c in _FOUR_DECIMAL},
}

#: Amounts are stored with this many decimals; unit prices may use up to this precision.
STORAGE_DECIMALS = 4


def minor_unit(currency: str) -> int:
    """Number of decimals of ``currency``'s minor unit (``EUR`` → 2, ``JPY`` → 0, ``KWD`` → 3)."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise ValidationError("money", "currency", f"{currency!r} is not an ISO 4217 currency code") from None


def to_decimal(value: Any, field: str = "amount", entity: str = "money") -> Decimal:
    """Convert ``value`` to ``Decimal``; refuse floats, booleans and anything not a finite number."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool | float):
        raise ValidationError(
            entity, field, f"{type(value).__name__} is not accepted for money; pass a str or Decimal", value
        )
    elif isinstance(value, int | str):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValidationError(entity, field, f"{value!r} is not a decimal number", value) from None
    else:
        raise ValidationError(entity, field, f"{type(value).__name__} is not a decimal number", value)
    if not result.is_finite():
        raise ValidationError(entity, field, f"{value!r} is not a finite number", value)
    return result


def round_amount(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``amount`` rounded to ``currency``'s minor unit, half up by default: ``Money(amount, currency).rounded()``
    without the ``Money``, for sums that make one ``Money`` at the end."""
    return amount.quantize(_QUANTUM[minor_unit(currency)], rounding=rounding)


def _check_currency(instance: Any, attribute: Any, value: str) -> None:
    minor_unit(value)


def _amount(value: Any) -> Decimal:
    return to_decimal(value)


@attrs.frozen(order=False)
class Money:
    """An exact amount in one currency.

    >>> Money("12.50", "EUR") * 3
    Money(amount=Decimal('37.50'), currency='EUR')
    >>> Money("10.00", "EUR").allocate([1, 1, 1])
    [Money(amount=Decimal('3.34'), currency='EUR'), Money(amount=Decimal('3.33'), currency='EUR'), \
Money(amount=Decimal('3.33'), currency='EUR')]
    """

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def sum(cls, items: Iterable[Money], currency: str) -> Money:
        """Add ``items``; an empty iterable gives zero in ``currency``."""
        checked = cls.zero(currency)._same  # the currency checked once; each item by the same rule as ``+``
        total = Decimal(0)
        for item in items:
            total += checked(item, "add").amount
        return _trusted(total, currency)

    @property
    def minor_unit(self) -> int:
        return MINOR_UNITS[self.currency]

    def _same(self, other: Any, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                "money", "currency", f"cannot {op} {self.currency} and {other.currency}", other.currency
            )
        return other

    def __add__(self, other: Money) -> Money:
        return _trusted(self.amount + self._same(other, "add").amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return _trusted(self.amount - self._same(other, "subtract").amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError(f"Money can be multiplied by int or Decimal, not {type(factor).__name__}")
        if isinstance(factor, int):
            return _trusted(self.amount * factor, self.currency)
        return Money(self.amount * factor, self.currency)  # a Decimal factor may be NaN or infinite: checked

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return _trusted(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"

    def is_zero(self) -> bool:
        return self.amount == 0

    def rounded(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to the currency's minor unit (half up by default, as invoices do)."""
        return _trusted(self.amount.quantize(_QUANTUM[self.minor_unit], rounding=rounding), self.currency)

    def rounded_even(self) -> Money:
        return self.rounded(ROUND_HALF_EVEN)

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split this amount (rounded to the minor unit) in proportion to ``weights`` without losing a cent.

        The remainder left by rounding down is given one minor unit at a time to the parts with the largest
        fractional remainders (ties to the earlier part), so the parts always add up to the whole.
        """
        if not weights:
            raise ValidationError("money", "weights", "at least one weight is needed")
        ws = [to_decimal(w, "weights") for w in weights]
        if any(w < 0 for w in ws):
            raise ValidationError("money", "weights", "weights must not be negative")
        total_weight = sum(ws)
        whole = self.rounded()
        quantum = Decimal(1).scaleb(-self.minor_unit)
        units = int((abs(whole.amount) / quantum).to_integral_value())
        sign = -1 if whole.amount < 0 else 1
        if total_weight == 0:
            ws = [Decimal(1)] * len(ws)
            total_weight = Decimal(len(ws))
        exact = [Decimal(units) * w / total_weight for w in ws]
        floors = [int(e) for e in exact]
        left = units - sum(floors)
        order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
        return [Money(sign * quantum * f, self.currency) for f in floors]

    def to_json(self) -> dict[str, str]:
        """``{"amount": "649.00", "currency": "EUR"}``: at least the currency's decimals, never fewer."""
        return {"amount": str(self._display_amount()), "currency": self.currency}

    def _display_amount(self) -> Decimal:
        exponent = self.amount.as_tuple().exponent
        places = max(self.minor_unit, -exponent if isinstance(exponent, int) else 0)
        return self.amount.quantize(Decimal(1).scaleb(-places))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Money:
        return cls(data["amount"], data["currency"])

    @classmethod
    def of_stored(cls, amount: Decimal, currency: str) -> Money:
        """An amount read back from storage, where it was validated on the way in: built without checks again."""
        return _trusted(amount, currency)


_QUANTUM = {places: Decimal(1).scaleb(-places) for places in set(MINOR_UNITS.values())}
_new = object.__new__
_set = object.__setattr__


def _trusted(amount: Decimal, currency: str) -> Money:
    """A ``Money`` from a finite ``Decimal`` and a known currency (the result of arithmetic on valid ``Money``)."""
    money = _new(Money)
    _set(money, "amount", amount)
    _set(money, "currency", currency)
    return money
