"""Money: exact amounts in one currency, rounded to the minor unit, split without losing a cent."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms_core import CurrencyMismatch, Money, ValidationError
from oms_core.domain.money import minor_unit

# -- construction -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12.50", Decimal("12.50"), 12, " 12.50 ", "1E+2"])
def test_accepts_str_decimal_and_int(value):
    assert Money(value, "EUR").amount == Decimal(str(value).strip())


@pytest.mark.parametrize("value", [12.5, 0.1, True, False])
def test_refuses_float_and_bool(value):
    with pytest.raises(ValidationError) as caught:
        Money(value, "EUR")
    assert caught.value.field == "amount"
    assert type(value).__name__ in caught.value.reason


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", "-inf", None, [1], Decimal("NaN")])
def test_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(ValidationError) as caught:
        Money(value, "EUR")
    assert caught.value.field == "amount"


@pytest.mark.parametrize("currency", ["XXX", "EURO", "eur", "", "€"])
def test_refuses_unknown_currency(currency):
    with pytest.raises(ValidationError) as caught:
        Money("1.00", currency)
    assert caught.value.field == "currency"
    assert "ISO 4217" in caught.value.reason


def test_is_frozen():
    money = Money("1.00", "EUR")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        money.amount = Decimal(2)  # type: ignore[misc]


# -- arithmetic -------------------------------------------------------------------------------------------------


def test_arithmetic_in_one_currency_is_exact():
    a, b = Money("0.10", "EUR"), Money("0.20", "EUR")
    assert (a + b).amount == Decimal("0.30")
    assert (b - a).amount == Decimal("0.10")
    assert (a * 3).amount == Decimal("0.30")
    assert (3 * a).amount == Decimal("0.30")
    assert (a * Decimal("0.5")).amount == Decimal("0.05")
    assert (-a).amount == Decimal("-0.10")
    assert a < b and b > a and a <= a and b >= b
    assert Money.sum([a, b, a], "EUR").amount == Decimal("0.40")
    assert Money.sum([], "JPY") == Money.zero("JPY")


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: Money.sum([a, b], "EUR"),
    ],
    ids=["add", "subtract", "lt", "le", "gt", "ge", "sum"],
)
def test_never_mixes_currencies(combine):
    with pytest.raises(CurrencyMismatch) as caught:
        combine(Money("1.00", "EUR"), Money("1.00", "USD"))
    assert caught.value.field == "currency"
    assert "EUR" in caught.value.reason and "USD" in caught.value.reason


def test_sum_refuses_items_in_another_currency_than_asked():
    with pytest.raises(CurrencyMismatch):
        Money.sum([Money("1.00", "USD")], "EUR")


@pytest.mark.parametrize("factor", [1.5, True, "2", Money("2.00", "EUR")])
def test_multiplies_only_by_int_or_decimal(factor):
    with pytest.raises(TypeError):
        Money("1.00", "EUR") * factor


def test_adding_something_else_than_money_is_a_type_error():
    with pytest.raises(TypeError):
        Money("1.00", "EUR") + 1  # type: ignore[operator]


def test_equal_amounts_in_different_currencies_are_not_equal():
    assert Money("1.00", "EUR") != Money("1.00", "USD")
    assert Money("1.00", "EUR") == Money("1", "EUR")


# -- rounding ---------------------------------------------------------------------------------------------------


def test_minor_units():
    assert (minor_unit("EUR"), minor_unit("USD"), minor_unit("JPY"), minor_unit("KWD")) == (2, 2, 0, 3)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "EUR", "0.13"),
        ("0.124999", "EUR", "0.12"),
        ("-0.125", "EUR", "-0.13"),
        ("2.675", "EUR", "2.68"),
        ("12", "EUR", "12.00"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("1.4999", "JPY", "1"),
        ("1234", "JPY", "1234"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004", "KWD", "1.000"),
        ("7", "KWD", "7.000"),
    ],
)
def test_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    rounded = Money(amount, currency).rounded()
    assert str(rounded.amount) == expected
    assert rounded.currency == currency


def test_half_even_is_available_on_request():
    assert str(Money("0.125", "EUR").rounded_even().amount) == "0.12"
    assert str(Money("2.5", "JPY").rounded_even().amount) == "2"


def test_str_shows_the_rounded_amount_and_currency():
    assert str(Money("12.5", "EUR")) == "12.50 EUR"
    assert str(Money("1", "KWD")) == "1.000 KWD"
    assert str(Money("99.5", "JPY")) == "100 JPY"


def test_amounts_keep_their_precision_until_rounded():
    unit = Money("0.3333", "EUR")
    assert (unit * 3).amount == Decimal("0.9999")
    assert (unit * 3).rounded().amount == Decimal("1.00")


# -- allocation -------------------------------------------------------------------------------------------------


def test_allocate_gives_the_remainder_to_the_largest_fractions_first():
    parts = Money("10.00", "EUR").allocate([1, 1, 1])
    assert [str(p.amount) for p in parts] == ["3.34", "3.33", "3.33"]
    parts = Money("0.05", "EUR").allocate([1, 3])  # exact shares 0.0125 and 0.0375
    assert [str(p.amount) for p in parts] == ["0.01", "0.04"]
    parts = Money("0.05", "EUR").allocate([3, 7])  # 0.015 and 0.035: a tie goes to the earlier part
    assert [str(p.amount) for p in parts] == ["0.02", "0.03"]
    parts = Money("100", "JPY").allocate([1, 1, 1])
    assert [str(p.amount) for p in parts] == ["34", "33", "33"]


def test_allocate_with_zero_weights_splits_evenly():
    assert [str(p.amount) for p in Money("1.00", "EUR").allocate([0, 0, 0])] == ["0.34", "0.33", "0.33"]


def test_allocate_a_negative_amount_keeps_the_sign():
    assert [str(p.amount) for p in Money("-10.00", "EUR").allocate([1, 1, 1])] == ["-3.34", "-3.33", "-3.33"]


def test_allocate_refuses_bad_weights():
    with pytest.raises(ValidationError) as caught:
        Money("1.00", "EUR").allocate([])
    assert caught.value.field == "weights"
    with pytest.raises(ValidationError) as caught:
        Money("1.00", "EUR").allocate([1, -1])
    assert caught.value.field == "weights"
    with pytest.raises(ValidationError) as caught:
        Money("1.00", "EUR").allocate([0.5, 0.5])
    assert caught.value.field == "weights"


amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
weights = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**6),
        st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=15,
)


@given(amount=amounts, currency=st.sampled_from(["EUR", "JPY", "KWD"]), ws=weights)
def test_allocate_never_loses_a_minor_unit(amount, currency, ws):
    whole = Money(amount, currency).rounded()
    quantum = Decimal(1).scaleb(-minor_unit(currency))
    parts = whole.allocate(ws)

    assert len(parts) == len(ws)
    assert all(p.currency == currency for p in parts)
    assert Money.sum(parts, currency) == whole
    total_weight = sum(Decimal(w) for w in ws)
    for part, w in zip(parts, ws, strict=True):
        assert part.rounded() == part  # every part is a whole number of minor units
        exact = whole.amount * Decimal(w) / total_weight if total_weight else whole.amount / len(ws)
        assert abs(part.amount - exact) < quantum
        assert part.amount == 0 or (part.amount > 0) == (whole.amount > 0)


@given(amount=amounts, ws=weights)
def test_allocate_rounds_the_whole_first(amount, ws):
    money = Money(amount, "EUR")
    assert Money.sum(money.allocate(ws), "EUR") == money.rounded()


# -- JSON -------------------------------------------------------------------------------------------------------


def test_json_round_trip_keeps_the_exact_amount():
    money = Money("12.3456", "KWD")
    assert money.to_json() == {"amount": "12.3456", "currency": "KWD"}
    assert Money.from_json(money.to_json()) == money
