"""The README is true: its example files read as described, and its tables name every column and option."""

from __future__ import annotations

import inspect
import re
from decimal import Decimal
from pathlib import Path

from oms_channel_csv import LINE_COLUMNS, ORDER_COLUMNS, CsvChannel

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def block(language: str) -> bytes:
    [found] = re.findall(rf"```{language}\n(.*?)```", README, re.S)
    return found.encode()


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_csv_example_is_two_good_orders():
    results = list(CsvChannel().read([block("csv")]))
    assert [(r.order_id, r.row, r.last_row, r.errors) for r in results] == [("A-1001", 2, 3, ()), ("A-1002", 4, 4, ())]
    assert [r.draft.totals().total.amount for r in results] == [Decimal("33.10"), Decimal("14.90")]


def test_the_ndjson_example_is_one_good_order():
    [result] = CsvChannel().read([block("json")], "ndjson")
    assert result.errors == ()
    assert result.draft.totals().total.amount == Decimal("33.10")


def test_every_column_is_in_the_table():
    table = section("The CSV layout")
    bill = [c for c in ORDER_COLUMNS if c.startswith("bill_")]
    missing = [c for c in (*ORDER_COLUMNS, *LINE_COLUMNS) if c not in bill and f"| `{c}`" not in table]
    assert not missing
    assert f"`{bill[0]}` … `{bill[-1]}`" in table


def test_every_option_is_in_the_table():
    table = section("Configure")
    options = list(inspect.signature(CsvChannel).parameters)
    assert [o for o in options if f"| `{o}`" not in table] == []
