"""Exact conversion between :class:`oms_core.Money` and Stripe's integer amounts.

Stripe takes every amount as an integer in the currency's smallest unit (1000 = 10.00 EUR, 500 = 500 JPY). The
number of decimals is ISO 4217's, with the exceptions Stripe documents on its "Supported currencies" page:

* ISK stays a two-decimal currency in Stripe's API (100 = 1 króna), although ISO 4217 gives it none, and the
  amount must be a whole number of krónur (divisible by 100).
* MGA is a zero-decimal currency at Stripe, although ISO 4217 gives it two.
* Three-decimal currencies (BHD, JOD, KWD, OMR, TND) are sent with three decimals, but the last digit must be 0.

Nothing is rounded here: an amount that Stripe cannot take exactly is refused, so that the OMS never records an
amount other than the one the customer is charged.
"""

from __future__ import annotations

from decimal import Decimal

from oms_core import GatewayError, Money

#: Decimals of Stripe's amounts where they differ from ISO 4217.
STRIPE_EXPONENTS: dict[str, int] = {"ISK": 2, "MGA": 0}

#: Stripe's amounts that must be a multiple of this many minor units.
STRIPE_MULTIPLES: dict[str, int] = {"ISK": 100}


def stripe_exponent(currency: str) -> int:
    """Decimals of ``currency`` in Stripe's amounts (``EUR`` → 2, ``JPY`` → 0, ``KWD`` → 3, ``ISK`` → 2)."""
    currency = currency.upper()
    if currency in STRIPE_EXPONENTS:
        return STRIPE_EXPONENTS[currency]
    return Money.zero(currency).minor_unit


def _multiple(currency: str, exponent: int) -> int:
    if currency in STRIPE_MULTIPLES:
        return STRIPE_MULTIPLES[currency]
    return 10 if exponent == 3 else 1


def to_minor_units(money: Money, driver: str = "stripe") -> int:
    """``money`` as Stripe's positive integer amount; raise :class:`GatewayError` if it cannot be sent exactly."""
    if money.amount <= 0:
        raise GatewayError(driver, f"{money.amount} {money.currency}: Stripe amounts must be greater than zero")
    if money.rounded() != money:
        raise GatewayError(
            driver, f"{money.amount} {money.currency} has more decimals than {money.currency} allows; round it first"
        )
    exponent = stripe_exponent(money.currency)
    units = money.amount.scaleb(exponent)
    if units != units.to_integral_value():
        raise GatewayError(
            driver, f"{money.amount} {money.currency}: Stripe takes {money.currency} with {exponent} decimals only"
        )
    value = int(units)
    step = _multiple(money.currency, exponent)
    if value % step:
        quantum = Decimal(step).scaleb(-exponent)
        raise GatewayError(
            driver, f"{money.amount} {money.currency}: Stripe takes {money.currency} in steps of {quantum} only"
        )
    return value


def from_minor_units(value: int, currency: str) -> Money:
    """Stripe's integer ``value`` in ``currency`` (either case) as exact :class:`Money`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a Stripe amount is an integer, not {type(value).__name__}")
    currency = currency.upper()
    return Money(Decimal(value).scaleb(-stripe_exponent(currency)), currency)
