"""Money to Stripe's integer amounts and back, exactly, with Stripe's currency exceptions."""

from decimal import Decimal

import pytest
from oms_payment_stripe import from_minor_units, stripe_exponent, to_minor_units

from oms_core import GatewayError, Money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.00", "EUR", 1000),
        ("10.99", "USD", 1099),
        ("0.01", "EUR", 1),
        ("123456.78", "GBP", 12345678),
        ("500", "JPY", 500),  # zero-decimal: not multiplied by 100
        ("1500", "KRW", 1500),
        ("5.120", "KWD", 5120),  # three decimals, last digit 0
        ("5.13", "BHD", 5130),
        ("40", "ISK", 4000),  # ISK keeps two decimals at Stripe
        ("700", "MGA", 700),  # MGA is zero-decimal at Stripe
    ],
)
def test_to_minor_units(amount: str, currency: str, expected: int) -> None:
    assert to_minor_units(Money(amount, currency)) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "why"),
    [
        ("10.001", "EUR", "more decimals than EUR allows"),
        ("10.5", "JPY", "more decimals than JPY allows"),
        ("5.124", "KWD", "steps of 0.010"),
        ("700.50", "MGA", "with 0 decimals"),
        ("0", "EUR", "greater than zero"),
        ("-1.00", "EUR", "greater than zero"),
    ],
)
def test_to_minor_units_refuses_what_stripe_cannot_take_exactly(amount: str, currency: str, why: str) -> None:
    with pytest.raises(GatewayError, match=why):
        to_minor_units(Money(amount, currency))


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (1099, "usd", Money("10.99", "USD")),
        (500, "jpy", Money("500", "JPY")),
        (5120, "kwd", Money("5.120", "KWD")),
        (4000, "isk", Money("40", "ISK")),
        (1, "EUR", Money("0.01", "EUR")),
    ],
)
def test_from_minor_units(value: int, currency: str, expected: Money) -> None:
    money = from_minor_units(value, currency)
    assert money == expected
    assert isinstance(money.amount, Decimal)


def test_round_trip_is_exact() -> None:
    for cents in (1, 7, 99, 100, 101, 123456789):
        assert to_minor_units(from_minor_units(cents, "eur")) == cents


def test_from_minor_units_takes_integers_only() -> None:
    with pytest.raises(TypeError):
        from_minor_units(10.0, "eur")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        from_minor_units(True, "eur")


def test_exponents() -> None:
    assert [stripe_exponent(c) for c in ("EUR", "jpy", "KWD", "ISK", "MGA")] == [2, 0, 3, 2, 0]
