"""A table that cannot be used is refused at load time, naming the file, the key or row, and the reason."""

from __future__ import annotations

import textwrap

import pytest
from oms_carrier_tablerate import RateTableError, TableRateCarrier, load_table

from oms_core import ValidationError

TOML_HEAD = """
currency = "EUR"
[zones.home]
countries = ["DE"]
"""
GOOD_RATES = """
[rates.home.standard]
brackets = [{ max_grams = 1000, price = "4.90" }, { max_grams = 5000, price = "6.90" }]
"""

TOML_CASES = [
    # (table, the key named, a piece of the reason)
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = 4.90 }]',
     "rates.home.standard.brackets[0].price", 'must be a string such as "4.90", not a float (4.9)'),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = "4.90" },\n'
     '{ max_grams = 2000, price = 5 }]',
     "rates.home.standard.brackets[1].price", "not an integer (5)"),
    (TOML_HEAD + '[rates.home.standard]\nfree_from = 50.0\n' + 'brackets = [{ max_grams = 1000, price = "4.90" }]',
     "rates.home.standard.free_from", "not a float"),
    (TOML_HEAD.replace('currency = "EUR"', "") + GOOD_RATES, "currency", "is required"),
    (TOML_HEAD.replace('"EUR"', '"EURO"') + GOOD_RATES, "currency", "'EURO' is not an ISO 4217 currency code"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_weight = 1000, price = "4.90" }]',
     "rates.home.standard.brackets[0].max_weight", "is not a known key; expected one of max_grams, price"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000.0, price = "4.90" }]',
     "rates.home.standard.brackets[0].max_grams", "must be a positive whole number of grams, not 1000.0"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 0, price = "4.90" }]',
     "rates.home.standard.brackets[0].max_grams", "must be a positive whole number of grams, not 0"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = "-4.90" }]',
     "rates.home.standard.brackets[0].price", "-4.90 is negative"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = "4.905" }]',
     "rates.home.standard.brackets[0].price", "4.905 has more decimals than EUR has"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = "4,90" }]',
     "rates.home.standard.brackets[0].price", "'4,90' is not a decimal number"),
    (TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 5000, price = "6.90" },\n'
     '{ max_grams = 1000, price = "4.90" }]',
     "rates.home.standard", "brackets of home/standard must ascend by max_grams: 1000 follows 5000"),
    (TOML_HEAD + "[rates.home.standard]\nbrackets = []", "rates.home.standard.brackets", "must be a non-empty list"),
    (TOML_HEAD + "[rates.home.standard]\ndays = -1\nbrackets = [{ max_grams = 1000, price = \"4.90\" }]",
     "rates.home.standard.days", "must be a whole number of days, not -1"),
    (TOML_HEAD + "[rates.home.standard]\nspeed = 3\nbrackets = [{ max_grams = 1000, price = \"4.90\" }]",
     "rates.home.standard.speed", "is not a known key; expected one of brackets, days, free_from"),
    (TOML_HEAD + GOOD_RATES + '[rates.moon.standard]\nbrackets = [{ max_grams = 1000, price = "99.00" }]',
     "rates: zone moon", "has rates but is not defined as a zone"),
    (TOML_HEAD + '[zones.away]\ncountries = ["FR"]\n' + GOOD_RATES,
     "zone away", "has no rates; give it at least one service"),
    (TOML_HEAD + '[zones.again]\ncountries = ["AT", "de"]\n' + GOOD_RATES,
     "zone again", "DE is already in zone home; a destination has one zone"),
    (TOML_HEAD + '[zones.far]\ncountries = ["*"]\n[zones.farther]\ncountries = ["*"]\n' + GOOD_RATES,
     "zone farther", "every other country ('*') is already in zone far"),
    (TOML_HEAD + '[zones.far]\ncountries = ["*"]\npostcodes = ["1"]\n' + GOOD_RATES,
     "zones.far", "'*' (every other country) stands alone"),
    (TOML_HEAD.replace('["DE"]', '["Germany"]') + GOOD_RATES,
     "zones.home", "'Germany' is not an ISO 3166-1 alpha-2 country code"),
    (TOML_HEAD.replace('countries = ["DE"]', 'countries = "DE"') + GOOD_RATES,
     "zones.home.countries", "must be a non-empty list of strings"),
    (TOML_HEAD.replace('countries = ["DE"]', 'countries = ["DE"]\nregions = ["BY"]') + GOOD_RATES,
     "zones.home.regions", "is not a known key"),
    (TOML_HEAD, "rates", "is missing"),
    ('currency = "EUR"\n' + GOOD_RATES, "zones", "is missing"),
    ("rounding = 'up'\n" + TOML_HEAD + GOOD_RATES, "rounding", "is not a known key"),
    (TOML_HEAD + "[rates.home.standard\n", "syntax", "is not valid TOML"),
]  # fmt: skip

CSV_HEAD = "kind,zone,countries,postcodes,service,max_grams,price,currency,free_from,days\nzone,home,DE,,,,,,,\n"

CSV_CASES = [
    ("kind,zone,countries,price_eur\n", "row 1", "unknown column 'price_eur'"),
    ("zone,countries\n", "row 1", "the header has no 'kind' column"),
    (CSV_HEAD + "rate,home,,,standard,1000,,EUR,,\n", "row 3, price", "is required on a rate row"),
    (CSV_HEAD + "rate,home,,,standard,1000,\"4,90\",EUR,,\n", "row 3, price", "'4,90' is not a decimal number"),
    (CSV_HEAD + "rate,home,,,standard,1kg,4.90,EUR,,\n", "row 3, max_grams", "must be a positive whole number"),
    (CSV_HEAD + "rate,home,,,standard,1000,4.90,EUR,,\nrate,home,,,express,1000,9.90,USD,,\n",
     "row 4, currency", "is USD but earlier rows use EUR; one table, one currency"),
    (CSV_HEAD + "rate,home,,,standard,1000,4.90,EUR,50.00,\nrate,home,,,standard,2000,5.90,EUR,60.00,\n",
     "row 4, free_from", "is 60.00 but row 3 says 50.00"),
    (CSV_HEAD + "rate,home,,,standard,2000,5.90,EUR,,\nrate,home,,,standard,1000,4.90,EUR,,\n",
     "row 3", "brackets of home/standard must ascend by max_grams: 1000 follows 2000"),
    (CSV_HEAD + "rates,home,,,standard,1000,4.90,EUR,,\n", "row 3, kind", "must be 'zone' or 'rate', not 'rates'"),
    (CSV_HEAD + "zone,away,FR,,standard,,,,,\n", "row 3, service", "belongs on a rate row, not a zone row"),
    (CSV_HEAD + "rate,home,DE,,standard,1000,4.90,EUR,,\n", "row 3, countries", "belongs on a zone row"),
    (CSV_HEAD + "zone,away,,,,,,,,\n", "row 3, countries", "is empty; list country codes separated by spaces"),
    (CSV_HEAD + "rate,home,,,standard,1000,4.90,EUR,,,extra\n", "row 3", "has 11 fields but the header names 10"),
    (CSV_HEAD + "rate,,,,standard,1000,4.90,EUR,,\n", "row 3, zone", "is empty"),
    (CSV_HEAD + "# comment lines and blank lines are skipped\n\nrate,moon,,,standard,1000,4.90,EUR,,\n",
     "rows: zone moon", "has rates but is not defined as a zone"),
    (CSV_HEAD, "rows", "there is no rate row"),
    ("", "row 1", "the file is empty"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "where", "reason"), TOML_CASES, ids=[c[1] + ":" + c[2][:20] for c in TOML_CASES])
def test_bad_toml_table(tmp_path, text, where, reason):
    path = tmp_path / "rates.toml"
    path.write_text(text)
    with pytest.raises(RateTableError) as err:
        TableRateCarrier(path)
    assert isinstance(err.value, ValidationError)
    assert (err.value.source, err.value.field) == (str(path), where)
    assert str(err.value).startswith(f"rate table {path}, {where}: "), str(err.value)
    assert reason in str(err.value)


@pytest.mark.parametrize(("text", "where", "reason"), CSV_CASES, ids=[c[1] + ":" + c[2][:20] for c in CSV_CASES])
def test_bad_csv_table(tmp_path, text, where, reason):
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(RateTableError) as err:
        TableRateCarrier(str(path))
    assert (err.value.source, err.value.field) == (str(path), where)
    assert str(err.value).startswith(f"rate table {path}, {where}: "), str(err.value)
    assert reason in str(err.value)


def test_a_float_price_is_refused_but_a_float_looking_string_is_fine():
    good = load_table(text=TOML_HEAD + '[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = "4.90" }]')
    assert str(good.rates["home"]["standard"].brackets[0].price) == "4.90 EUR"
    with pytest.raises(ValidationError, match=r"table_text, rates.home.standard.brackets\[0\].price: must be a string"):
        load_table(text=TOML_HEAD + "[rates.home.standard]\nbrackets = [{ max_grams = 1000, price = 4.90 }]")


def test_file_problems(tmp_path):
    with pytest.raises(RateTableError, match=r"rate table .*missing.toml, file: does not exist"):
        TableRateCarrier(tmp_path / "missing.toml")
    (tmp_path / "rates.txt").write_text("")
    with pytest.raises(RateTableError, match=r"rates.txt, format: cannot tell the format from '.txt'; pass format"):
        TableRateCarrier(tmp_path / "rates.txt")
    with pytest.raises(RateTableError, match="format: must be 'toml' or 'csv', not 'xlsx'"):
        TableRateCarrier(table_text="x", format="xlsx")
    with pytest.raises(RateTableError, match=r"give either a file \(table=...\) or its text \(table_text=...\)"):
        TableRateCarrier()


def test_format_can_be_forced_and_is_sniffed_from_text(tmp_path):
    path = tmp_path / "rates.data"
    path.write_text(CSV_HEAD + "rate,home,,,standard,1000,4.90,EUR,,\n")
    assert load_table(path, format="csv").zones[0].name == "home"
    assert load_table(text="# prices\n" + CSV_HEAD + "rate,home,,,standard,1000,4.90,EUR,,\n").zones[0].name == "home"
    assert load_table(text=textwrap.dedent(TOML_HEAD + GOOD_RATES)).zones[0].name == "home"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"sender": {"name": "Shop", "line1": "Road 1", "postcode": "1000", "city": "Town"}}, "sender.country"),
        ({"sender": {"name": "Shop", "street": "Road 1"}}, "sender.street"),
        ({"sender": "Shop"}, "sender"),
        ({"tracking_prefix": "tr"}, "tracking_prefix"),
        ({"tracking_prefix": "TRACK"}, "tracking_prefix"),
        ({"label_size": "A4"}, "label_size"),
        ({"sequence_start": -1}, "sequence_start"),
        ({"fonts": {"regular": "/nonexistent/font.ttf"}}, "fonts"),
        ({"fonts": {"italic": "x.ttf"}}, "fonts"),
    ],
)
def test_bad_options_name_the_option(options, field):
    from oms_carrier_tablerate import EXAMPLE_TABLE

    with pytest.raises(ValidationError) as err:
        TableRateCarrier(EXAMPLE_TABLE, **options)
    assert err.value.field == field
