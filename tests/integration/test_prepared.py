"""Prepared statements (the hot path's own execution): what they store and read is what SQLAlchemy's Core path
stores and reads, whatever the column names, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from oms_core import OMS
from oms_core.domain.party import Address, Customer, of_stored_text
from oms_core.storage import prepared
from oms_core.storage.types import Amount, UTCDateTime
from oms_core.testing import draft, seed_catalogue

# column names a generated argument or row function must quote, not paste
ODD = ["plain", "it's", 'say "hi"', "back\\slash", "new\nline", "{brace}"]


def _odd_table(prefix: str, schema: str | None) -> sa.Table:
    return sa.Table(
        f"{prefix}odd_names",
        sa.MetaData(schema=schema),
        sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(name, sa.String) for name in ODD],
        sa.Column("amount", Amount),
        sa.Column("at", UTCDateTime),
        sa.Column("doc", sa.JSON),
    )


def test_odd_column_names_round_trip_through_prepared_statements(oms: OMS) -> None:
    table = _odd_table(oms.tables.prefix, oms.tables.schema)
    t = oms.tables  # its statement cache, with statements on a table of this test's own
    at = dt.datetime(2026, 11, 25, 8, 30, 1, 5, tzinfo=dt.UTC)
    values = {**{name: f"value of {name}" for name in ODD}, "amount": Decimal("12.3456"), "at": at}
    with oms.engine.begin() as conn:
        table.create(conn)
    try:
        with oms.engine.begin() as conn:
            inserted = prepared.execute(
                conn, t, "test_odd_insert", lambda t: table.insert().returning(table.c.id), {**values, "doc": None},
                columns=True,
            ).scalar_one()  # fmt: skip
            prepared.execute_many(
                conn, t, "test_odd_insert", lambda t: table.insert().returning(table.c.id),
                [{**values, "doc": {"k": [1, "two"]}}], columns=True,
            )  # fmt: skip
            rows = prepared.execute(
                conn, t, "test_odd_select", lambda t: sa.select(table).order_by(table.c.id), {}
            ).all()
            core = conn.execute(sa.select(table).order_by(table.c.id)).all()
        assert [tuple(r) for r in rows] == [tuple(r) for r in core]
        first, second = rows
        assert first.id == inserted
        assert [first[i + 1] for i in range(len(ODD))] == [f"value of {name}" for name in ODD]
        assert (first.amount, first.at, first.doc) == (Decimal("12.3456"), at, None)
        assert second.doc == {"k": [1, "two"]}
        # a row comes back with every column readable by position and, where Python allows, by name
        assert first.plain == "value of plain"
    finally:
        with oms.engine.begin() as conn:
            table.drop(conn)


def test_an_order_loaded_again_shares_its_frozen_addresses_and_keeps_them_apart_from_others(oms: OMS) -> None:
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    first = oms.place_order(draft("p-1"))
    again = oms.get_order(first.id)
    assert again.shipping_address == first.shipping_address
    assert again.customer == first.customer
    other = oms.place_order(draft("p-2", customer=Customer(email="someone.else@example.com")))
    assert oms.get_order(other.id).customer.email == "someone.else@example.com"
    assert oms.get_order(first.id).customer.email == first.customer.email


def test_stored_text_of_a_party_decodes_once_per_text() -> None:
    text = '{"name": "A", "line1": "1 Road", "city": "Paris", "postcode": "75001", "country": "FR"}'
    one = of_stored_text(Address, text)
    assert one is of_stored_text(Address, text)
    assert one == Address("A", "1 Road", "Paris", "75001", "FR")
    assert of_stored_text(Address, "null") is None
