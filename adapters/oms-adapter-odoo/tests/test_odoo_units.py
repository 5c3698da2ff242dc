"""The pure parts: version detection, URL parsing, conversions at the edge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from oms_adapter_odoo import OdooAdapter, OdooVersion
from oms_adapter_odoo.adapter import customer_key, like_literal, odoo_datetime, to_decimal, to_odoo_datetime
from oms_adapter_odoo.transport import parse_url

from oms_core import ConfigurationError, Customer


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"server_version": "16.0", "server_version_info": [16, 0, 0, "final", 0, ""]}, (16, 0)),
        ({"server_version": "17.0+e", "server_version_info": [17, 0, 0, "final", 0, "e"]}, (17, 0)),
        ({"server_version": "saas~17.3", "server_version_info": ["saas~17", 3, 0, "final", 0, ""]}, (17, 3)),
        ({"server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0, ""]}, (18, 0)),
        ({"server_version": "18.0"}, (18, 0)),
    ],
)
def test_version_from_common_version(info, expected) -> None:
    version = OdooVersion.from_info(info)
    assert (version.major, version.minor) == expected


def test_version_switches() -> None:
    v16, v17, v173, v18 = OdooVersion(16), OdooVersion(17), OdooVersion(17, 3), OdooVersion(18)
    assert [v.move_quantity_field for v in (v16, v17, v18)] == ["quantity_done", "quantity", "quantity"]
    assert v17.storable_values() == {"detailed_type": "product"}
    assert v173.storable_values() == v18.storable_values() == {"type": "consu", "is_storable": True}
    assert [v.has_locked_flag for v in (v16, v17, v18)] == [False, True, True]
    with pytest.raises(ConfigurationError):
        OdooVersion.from_info({"server_version": "unknown"})


def test_urls() -> None:
    assert parse_url("https://odoo.example.com") == ("odoo.example.com", "jsonrpc+ssl", 443)
    assert parse_url("http://127.0.0.1:8069/") == ("127.0.0.1", "jsonrpc", 8069)
    assert parse_url("odoo.local:8069") == ("odoo.local", "jsonrpc", 8069)
    with pytest.raises(ConfigurationError, match="path"):
        parse_url("https://example.com/odoo")


def test_edges() -> None:
    assert to_decimal(17.9) == Decimal("17.9")
    assert to_decimal(0.1) + to_decimal(0.2) == Decimal("0.3")
    assert to_decimal(False) == 0
    at = odoo_datetime("2024-03-01 12:30:00")
    assert at == dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC)
    assert to_odoo_datetime(dt.datetime(2024, 3, 1, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == (
        "2024-03-01 12:30:00"
    )
    assert like_literal("a_b%c@x.com") == "a\\_b\\%c@x.com"
    assert customer_key(Customer(email=" Ada@Example.COM ")) == "ada@example.com"
    assert customer_key(Customer(name="Ada")) == "name:ada"


def test_unconfigured_adapter_is_inert() -> None:
    adapter = OdooAdapter()
    assert adapter.configured is False
    with pytest.raises(ConfigurationError, match="not configured"):
        adapter.connect()
    with pytest.raises(ConfigurationError, match="attach"):
        _ = adapter.oms
