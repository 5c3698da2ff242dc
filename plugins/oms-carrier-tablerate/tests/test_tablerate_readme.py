"""The README's examples are real: its tables load (and are the same table), its push parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from oms_carrier_tablerate import TableRateCarrier, load_table

README = (Path(__file__).parents[1] / "README.md").read_text()


def block(language: str) -> str:
    [found] = re.findall(rf"```{language}\n(.*?)```", README, re.S)
    return found


def test_the_toml_and_csv_examples_are_one_table():
    toml = load_table(text=block("toml"), format="toml")
    csv = load_table(text=block("csv"), format="csv")
    assert (toml.currency, toml.zones, toml.rates) == (csv.currency, csv.zones, csv.rates)
    assert [z.name for z in toml.zones] == ["domestic", "de_islands", "eu", "world"]


def test_the_push_example_parses(make_parcel):
    carrier = TableRateCarrier(table_text=block("toml"))
    events = carrier.parse_tracking({}, block("json").encode())
    assert [(e.status, e.delivered) for e in events] == [("in_transit", False), ("delivered", True)]
    assert json.loads(block("json"))["events"][0]["tracking_number"] == "TR000000425"


def test_the_example_check_digits():
    from oms_carrier_tablerate import check_digit

    assert check_digit("00000042") == 5 and check_digit("12345678") == 5
