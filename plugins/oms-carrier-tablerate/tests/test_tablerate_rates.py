"""Rate lookup: zones by country and postcode prefix, weight brackets, services, free shipping, clear refusals."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest
from oms_carrier_tablerate import EXAMPLE_TABLE, EXAMPLE_TABLE_CSV, TableRateCarrier, load_table

from oms_core import Money, ValidationError

EUR = "EUR"


def quote(carrier, parcel) -> list[tuple[str, str, int | None]]:
    return [(r.service, str(r.amount), r.days) for r in carrier.rates(parcel)]


@pytest.mark.parametrize(
    ("country", "postcode", "zone"),
    [
        ("DE", "10117", "domestic"),
        ("de", "80331", "domestic"),
        ("DE", "25980", "de_islands"),  # Sylt: a postcode prefix beats the country
        ("DE", "27498", "de_islands"),  # Helgoland
        ("FR", "75001", "eu"),
        ("AT", "", "eu"),
        ("US", "10001", "world"),
        ("GB", "SW1Y 4JH", "world"),
    ],
)
def test_zone_of_a_destination(carrier, make_parcel, country, postcode, zone):
    assert carrier.zone(make_parcel(country, postcode)).name == zone


@pytest.mark.parametrize(
    ("country", "grams", "expected"),
    [
        ("DE", 0, [("standard", "4.90 EUR", 2), ("express", "9.90 EUR", 1)]),
        ("DE", 1000, [("standard", "4.90 EUR", 2), ("express", "9.90 EUR", 1)]),  # the bracket's max is included
        ("DE", 1001, [("standard", "5.90 EUR", 2), ("express", "12.90 EUR", 1)]),
        ("DE", 31500, [("standard", "16.90 EUR", 2), ("express", "24.90 EUR", 1)]),
        ("FR", 4000, [("standard", "17.90 EUR", 5), ("express", "34.90 EUR", 2)]),
        ("FR", 25000, [("standard", "39.90 EUR", 5)]),  # express to the EU stops at 20 kg
        ("JP", 1500, [("standard", "24.90 EUR", 10), ("express", "79.90 EUR", 4)]),
    ],
)
def test_price_per_zone_bracket_and_service(carrier, make_parcel, country, grams, expected):
    assert quote(carrier, make_parcel(country, "", grams)) == expected


def test_rates_are_money_with_the_carrier_name(carrier, make_parcel):
    [first, *_] = carrier.rates(make_parcel())
    assert first.amount == Money("4.90", EUR) and isinstance(first.amount.amount, Decimal)
    assert first.carrier == "tablerate"


def test_islands_have_no_express(carrier, make_parcel):
    assert quote(carrier, make_parcel("DE", "25980", 1200)) == [("standard", "9.90 EUR", 4)]
    with pytest.raises(ValidationError) as err:
        carrier.rates(make_parcel("DE", "25980", 1200, service="express"))
    assert err.value.field == "service"
    assert "zone de_islands offers standard, not 'express'" in str(err.value)


def test_a_named_service_is_the_only_quote(carrier, make_parcel):
    assert quote(carrier, make_parcel(service="express")) == [("express", "9.90 EUR", 1)]


def test_free_shipping_from_a_value(carrier, make_parcel):
    assert quote(carrier, make_parcel(value="49.99"))[0] == ("standard", "4.90 EUR", 2)
    assert quote(carrier, make_parcel(value="50.00"))[0] == ("standard", "0.00 EUR", 2)
    assert quote(carrier, make_parcel(value="50.00"))[1] == ("express", "9.90 EUR", 1)  # express is never free
    assert quote(carrier, make_parcel("FR", "", value="149.99"))[0] == ("standard", "9.90 EUR", 5)
    assert quote(carrier, make_parcel("FR", "", value="150.00"))[0] == ("standard", "0.00 EUR", 5)


def test_free_shipping_still_has_a_weight_limit(carrier, make_parcel):
    assert quote(carrier, make_parcel(grams=31500, value="500.00"))[0] == ("standard", "0.00 EUR", 2)
    with pytest.raises(ValidationError, match="31501 g is over the heaviest bracket"):
        carrier.rates(make_parcel(grams=31501, value="500.00"))


def test_a_value_in_another_currency_never_ships_free(carrier, make_parcel):
    assert quote(carrier, make_parcel(value="900.00", currency="GBP"))[0] == ("standard", "4.90 EUR", 2)


def test_a_parcel_over_the_last_bracket_is_refused_naming_the_weight(carrier, make_parcel):
    with pytest.raises(ValidationError) as err:
        carrier.rates(make_parcel("JP", "", 20001))
    assert err.value.field == "weight_grams"
    assert str(err.value) == (
        "parcel.weight_grams: 20001 g is over the heaviest bracket (20000 g) of express/standard in zone world"
    )
    with pytest.raises(ValidationError, match="12000 g is over the heaviest bracket \\(10000 g\\) of express"):
        carrier.rates(make_parcel("JP", "", 12000, service="express"))


def test_a_destination_without_zone_is_refused_naming_it(make_parcel):
    carrier = TableRateCarrier(
        table_text=textwrap.dedent("""
            currency = "EUR"
            [zones.home]
            countries = ["DE"]
            [rates.home.standard]
            brackets = [{ max_grams = 1000, price = "4.90" }]
        """)
    )
    with pytest.raises(ValidationError) as err:
        carrier.rates(make_parcel("CH", "8001"))
    assert err.value.field == "ship_to"
    assert "no zone of rate table table_text covers the destination CH 8001" in str(err.value)
    with pytest.raises(ValidationError, match=r"ship_to\.country: is required"):
        carrier.rates(make_parcel(ship_to={"country": None}))


def test_toml_and_csv_examples_are_the_same_table():
    toml, csv = load_table(EXAMPLE_TABLE), load_table(EXAMPLE_TABLE_CSV)
    assert (toml.currency, toml.zones, toml.rates) == (csv.currency, csv.zones, csv.rates)
    assert [z.name for z in toml.zones] == ["domestic", "de_islands", "eu", "world"]
    assert {zone: sorted(services) for zone, services in toml.rates.items()} == {
        "domestic": ["express", "standard"],
        "de_islands": ["standard"],
        "eu": ["express", "standard"],
        "world": ["express", "standard"],
    }


def test_postcode_prefixes_ignore_spaces_hyphens_and_case():
    table = load_table(
        text=textwrap.dedent("""
            kind,zone,countries,postcodes,service,max_grams,price,currency
            zone,gb,GB,,,,,
            zone,highlands,GB,iv ab-3,,,,
            zone,shetland,GB,ZE,,,,
            zone,pl_lodz,PL,90-9,,,,
            zone,pl,PL,,,,,
            rate,gb,,,standard,2000,3.50,GBP
            rate,highlands,,,standard,2000,7.50,GBP
            rate,shetland,,,standard,2000,9.50,GBP
            rate,pl_lodz,,,standard,2000,1.50,GBP
            rate,pl,,,standard,2000,2.50,GBP
        """)
    )
    assert table.zone_for("GB", "SW1Y 4JH").name == "gb"
    assert table.zone_for("GB", "iv2 3ab").name == "highlands"
    assert table.zone_for("GB", "AB36 8TP").name == "highlands"
    assert table.zone_for("gb", "ze1 0aa").name == "shetland"
    assert table.zone_for("PL", "90-926").name == "pl_lodz"
    assert table.zone_for("PL", "00-950").name == "pl"
    assert table.zone_for("FR", "75001") is None


def test_the_longest_matching_prefix_wins():
    table = load_table(
        text=textwrap.dedent("""
            currency = "EUR"
            [zones.de]
            countries = ["DE"]
            [zones.north]
            countries = ["DE"]
            postcodes = ["2"]
            [zones.sylt]
            countries = ["DE"]
            postcodes = ["259"]
            [rates.de.standard]
            brackets = [{ max_grams = 1000, price = "1.00" }]
            [rates.north.standard]
            brackets = [{ max_grams = 1000, price = "2.00" }]
            [rates.sylt.standard]
            brackets = [{ max_grams = 1000, price = "3.00" }]
        """)
    )
    assert [table.zone_for("DE", p).name for p in ("10117", "20095", "25980", None)] == ["de", "north", "sylt", "de"]


def test_zero_decimal_currency():
    table = load_table(
        text='currency = "JPY"\n[zones.jp]\ncountries = ["JP"]\n'
        '[rates.jp.standard]\nbrackets = [{ max_grams = 2000, price = "800" }]\n'
    )
    assert table.rates["jp"]["standard"].brackets[0].price == Money("800", "JPY")
