"""Order files for the CSV channel's tests: rows as dicts, written as CSV or NDJSON bytes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

HEADER = ("order_id", "currency", "customer_email", "customer_name", "ship_name", "ship_line1", "ship_city",
          "ship_postcode", "ship_country", "sku", "quantity", "unit_price", "line_discount", "line_tax", "shipping",
          "taxes_included", "placed_at", "expected_total")  # fmt: skip

ADDRESS = {"customer_email": "ada@example.com", "customer_name": "Ada Lovelace", "ship_name": "Ada Lovelace",
           "ship_line1": "Unter den Linden 5", "ship_city": "Berlin", "ship_postcode": "10117",
           "ship_country": "DE"}  # fmt: skip


def order_rows(order_id: str, lines: Sequence[tuple[str, str, str]], **order: str) -> list[dict[str, str]]:
    """The rows of one order: ``lines`` as ``(sku, quantity, unit price)``; order columns on the first row only."""
    first = {"order_id": order_id, "currency": "EUR", **ADDRESS, **order}
    rows = []
    for i, (sku, quantity, price) in enumerate(lines):
        row = dict(first) if i == 0 else {"order_id": order_id}
        rows.append({**row, "sku": sku, "quantity": quantity, "unit_price": price})
    return rows


def csv_bytes(
    rows: Iterable[Mapping[str, Any]],
    header: Sequence[str] = HEADER,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\n",
    with_header: bool = True,
) -> bytes:
    """The rows as CSV in the columns of ``header``; ``with_header=False`` leaves the header line out."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    if with_header:
        writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    data = out.getvalue().encode(encoding)
    return b"\xef\xbb\xbf" + data if bom else data


def ndjson_order(order_id: str, lines: Sequence[tuple[str, Any, Any]], **order: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "currency": "EUR",
        **ADDRESS,
        **order,
        "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
    }


def ndjson_bytes(orders: Iterable[Mapping[str, Any] | str]) -> bytes:
    return b"".join((o if isinstance(o, str) else json.dumps(o)).encode() + b"\n" for o in orders)
