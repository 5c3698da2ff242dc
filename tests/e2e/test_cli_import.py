"""``oms import`` end to end: channel payloads through their installed drivers, signatures, reports, exit status."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from oms_core import CHANNELS, OMS, NotFound
from oms_core.cli import cli
from oms_core.testing import seed_catalogue

WIDE = {"COLUMNS": "220"}
SECRET = "shopify-test-secret"
WOO_SECRET = "woo-test-secret"


def shopify_order(order_id: int = 1001, sku: str = "MUG", quantity: int = 2) -> dict:
    """A Shopify order (webhook body) whose amounts add up: 12.50 a mug with VAT included, 4.90 shipping."""
    goods = 1250 * quantity
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "currency": "EUR",
        "taxes_included": True,
        "email": "ada@example.com",
        "processed_at": "2025-03-01T10:00:00+01:00",
        "total_price": f"{(goods + 490) / 100:.2f}",
        "line_items": [{"id": 1, "sku": sku, "quantity": quantity, "price": "12.50"}],
        "shipping_lines": [{"price": "4.90"}],
        "shipping_address": {
            "name": "Ada Lovelace",
            "address1": "1 Main St",
            "city": "Berlin",
            "zip": "10115",
            "country_code": "DE",
        },
    }


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def installed(make_oms) -> set[str]:
    return set(make_oms().driver_names(CHANNELS))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The drivers' options, as an operator keeps them in a file."""
    path = tmp_path / "drivers.toml"
    path.write_text(
        f'["oms.channels".shopify]\nsecret = "{SECRET}"\n\n["oms.channels".woocommerce]\nsecret = "{WOO_SECRET}"\n'
    )
    return path


@pytest.fixture
def oms_import(database_url, config, make_oms):
    """Run ``oms --database-url <test db> --driver-config <file> import ARGS...`` on a catalogue with MUG and TEA."""
    seed_catalogue(make_oms(), {"MUG": {"WH1": 50}, "TEA": {"WH1": 50}})
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["--database-url", database_url, "--driver-config", str(config), "import", *args],
                             env=WIDE)  # fmt: skip

    return run


def rows(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if len(cells) == 2:
            found[cells[0]] = cells[1]
    return found


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_signed_shopify_webhook_is_imported_then_replayed(oms_import, tmp_path, make_oms):
    body = json.dumps(shopify_order()).encode()
    payload = tmp_path / "orders-create.json"
    payload.write_bytes(body)
    header = f"X-Shopify-Hmac-Sha256={signed(body)}"

    first = oms_import("shopify", str(payload), "--header", header, "--header", "X-Shopify-Topic: orders/create")
    assert first.exit_code == 0, first.output
    summary = rows(first.output)
    assert (summary["orders read"], summary["created"], summary["replayed"], summary["failed"]) == ("1", "1", "0", "0")
    assert "orders placed" in first.output  # the progress bar
    order = make_oms().find_order("shopify", "1001")
    assert str(order.total) == "29.90 EUR"

    again = oms_import("shopify", str(payload), "--header", header)
    assert again.exit_code == 0, again.output
    assert (rows(again.output)["created"], rows(again.output)["replayed"]) == ("0", "1")


def test_a_wrong_signature_exits_1_with_one_clear_line_and_places_nothing(oms_import, tmp_path, make_oms):
    body = json.dumps(shopify_order()).encode()
    payload = tmp_path / "orders-create.json"
    payload.write_bytes(body)
    result = oms_import("shopify", str(payload), "--header", f"X-Shopify-Hmac-Sha256={signed(body, 'not-the-secret')}")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip() == (
        "error: shopify: webhook rejected: the X-Shopify-Hmac-Sha256 signature does not match the body"
    )
    missing = oms_import("shopify", str(payload))
    assert missing.exit_code == 1
    assert "the X-Shopify-Hmac-Sha256 header is missing" in missing.stderr
    with pytest.raises(NotFound):
        make_oms().find_order("shopify", "1001")


def test_refused_orders_are_reported_by_index_external_id_and_field(oms_import, tmp_path, make_oms):
    """A REST payload pulled from Shopify (no signature): the good orders are placed, the bad one is reported."""
    orders = [shopify_order(2001), shopify_order(2002, sku="NOPE"), shopify_order(2003, quantity=1)]
    payload = tmp_path / "orders.json"
    payload.write_text(json.dumps({"orders": orders}))
    report = tmp_path / "errors.csv"
    result = oms_import("shopify", str(payload), "--no-verify", "--batch-size", "2", "--report", str(report))
    assert result.exit_code == 1
    summary = rows(result.output)
    assert (summary["orders read"], summary["created"], summary["failed"]) == ("3", "2", "1")
    assert re.search(r"1\s*│\s*2002\s*│\s*lines\[0\]\.sku\s*│\s*unknown SKU 'NOPE'", result.output)
    assert result.stderr.strip() == f"error: 1 of 3 orders refused (written to {report})"
    assert report_rows(report) == [
        {"index": "1", "external_id": "2002", "field": "lines[0].sku", "reason": "unknown SKU 'NOPE'"}
    ]
    oms = make_oms()
    assert [oms.find_order("shopify", x).external_id for x in ("2001", "2003")] == ["2001", "2003"]


def test_a_payload_that_cannot_be_read_names_the_field(oms_import, tmp_path):
    order = shopify_order()
    del order["line_items"][0]["sku"]
    payload = tmp_path / "custom-item.json"
    payload.write_text(json.dumps(order))
    report = tmp_path / "errors.csv"
    result = oms_import("shopify", str(payload), "--no-verify", "--report", str(report))
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: order.line_items[0].sku: is required (the OMS identifies products by SKU)"
    assert report_rows(report) == [
        {"index": "payload", "external_id": "", "field": "line_items[0].sku",
         "reason": "is required (the OMS identifies products by SKU)"}
    ]  # fmt: skip


def test_a_signed_woocommerce_webhook_is_imported(oms_import, tmp_path, make_oms, installed):
    if "woocommerce" not in installed:
        pytest.skip("the woocommerce channel is not installed")
    order = {
        "id": 727, "currency": "EUR", "prices_include_tax": True, "total": "29.90",
        "billing": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                    "address_1": "1 Main St", "city": "Berlin", "postcode": "10115", "country": "DE"},
        "line_items": [{"id": 1, "sku": "MUG", "quantity": 2, "subtotal": "21.01", "subtotal_tax": "3.99",
                        "total": "21.01", "total_tax": "3.99"}],
        "shipping_lines": [{"total": "4.12", "total_tax": "0.78"}],
    }  # fmt: skip
    body = json.dumps(order).encode()
    payload = tmp_path / "order-created.json"
    payload.write_bytes(body)
    headers = ("--header", f"X-WC-Webhook-Signature={signed(body, WOO_SECRET)}", "--header",
               "X-WC-Webhook-Topic=order.created")  # fmt: skip
    result = oms_import("woocommerce", str(payload), *headers)
    assert result.exit_code == 0, result.output
    assert rows(result.output)["created"] == "1"
    assert str(make_oms().find_order("woocommerce", "727").total) == "29.90 EUR"


CSV_HEADER = "order_id,currency,customer_email,ship_name,ship_line1,ship_city,ship_postcode,ship_country,sku,quantity,unit_price,shipping,taxes_included\n"  # noqa: E501


def test_a_csv_file_with_bad_rows_exits_1_and_names_rows_and_fields(oms_import, tmp_path, make_oms, installed):
    if "csv" not in installed:
        pytest.skip("the csv channel (oms-channel-csv) is not installed")
    payload = tmp_path / "b2b.csv"
    payload.write_text(
        CSV_HEADER
        + "B-1,EUR,a@example.com,Ada,1 Main St,Berlin,10115,DE,MUG,2,12.50,4.90,true\n"
        + "B-2,EUR,b@example.com,Bob,2 Main St,Berlin,10115,DE,TEA,two,7.90,4.90,true\n"
        + "B-3,EUR,c@example.com,Cy,3 Main St,Berlin,10115,DE,MUG,1,twelve,4.90,true\n"
    )
    report = tmp_path / "errors.csv"
    result = oms_import("csv", str(payload), "--no-verify", "--report", str(report))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    problems = report_rows(report)
    fields = " ".join(p["field"] for p in problems)
    # the rows (the header is row 1) and the columns of both bad values are named
    assert re.search(r"\b3\b.*quantity", fields) and re.search(r"\b4\b.*unit_price", fields), problems
    assert all(p["reason"] for p in problems)
    assert result.stderr.startswith("error: ")


def test_an_unknown_channel_and_a_bad_header_are_one_red_line(oms_import, tmp_path):
    payload = tmp_path / "x.json"
    payload.write_text("{}")
    unknown = oms_import("nosuchshop", str(payload))
    assert unknown.exit_code == 1
    assert "no oms.channels driver named 'nosuchshop'" in unknown.stderr
    bad = oms_import("shopify", str(payload), "--header", "no header here")
    assert bad.exit_code == 1
    assert "import.header: 'no header here' is not NAME=VALUE" in bad.stderr


def test_a_driver_config_that_cannot_be_read_is_one_red_line(database_url, tmp_path):
    config = tmp_path / "drivers.toml"
    config.write_text('["oms.chanels".shopify]\nsecret = "x"\n')
    result = CliRunner().invoke(cli, ["--database-url", database_url, "--driver-config", str(config), "plugins"])
    assert result.exit_code == 1
    assert "unknown namespace 'oms.chanels'" in result.stderr


def test_plugins_lists_the_connectors(database_url, installed):
    result = CliRunner().invoke(cli, ["--database-url", database_url, "plugins"], env=WIDE)
    assert result.exit_code == 0, result.output
    channels = re.search(r"oms\.channels\s*│([^│]*)│", result.output)
    assert channels is not None, result.output
    listed = {name.strip() for name in channels.group(1).split(",")}
    assert {"shopify", "woocommerce"} <= listed
    assert ("csv" in listed) == ("csv" in installed)
    assert re.search(r"oms\.payment_gateways\s*│.*\bstripe\b", result.output)
    assert re.search(r"oms\.carriers\s*│.*\btablerate\b", result.output)


def test_the_demo_takes_its_orders_through_the_connectors(database_url, make_oms, installed):
    result = CliRunner().invoke(cli, ["--database-url", database_url, "demo", "--orders", "40"], env=WIDE)
    assert result.exit_code == 0, result.output
    summary = rows(result.output)
    assert summary["stock verify"] == "0 problems"
    oms: OMS = make_oms()
    channels = oms.order_counts("channel")
    assert sum(channels.values()) == 40
    assert channels["shopify"] > 0 and channels["woocommerce"] > 0
    assert channels.get("csv" if "csv" in installed else "b2b") == 2  # the wholesale file: 40 // 15 orders
    gateways = {gateway: n for gateway, n, _ in oms.payments_by_gateway()}
    assert gateways["stripe"] > 0 and gateways["manual"] > 0
    carriers = oms.shipment_counts()
    assert carriers["tablerate"] > 0 and carriers["flat_rate"] > 0
    for name in ("shopify", "woocommerce", "stripe", "tablerate", "flat_rate"):
        assert name in summary, name
    assert re.search(r"stripe\s*│\s*\d+ / [\d.]+ EUR", result.output)
    # the first order is a shop's webhook, verified and mapped by its connector
    first = oms.get_order(1, timeline=True)
    assert first.channel in ("shopify", "woocommerce") and first.external_id.isdigit()
    assert any(p.gateway in ("stripe", "manual") for p in oms.payments(first.id))


@pytest.mark.parametrize("missing", [("shopify", "woocommerce", "csv", "stripe", "tablerate"), ("csv", "stripe")])
def test_the_demo_falls_back_to_direct_placement_and_says_so(database_url, make_oms, monkeypatch, missing):
    original = OMS.driver_names
    monkeypatch.setattr(OMS, "driver_names", lambda self, ns: [n for n in original(self, ns) if n not in missing])
    result = CliRunner().invoke(cli, ["--database-url", database_url, "demo", "--orders", "40"], env=WIDE)
    assert result.exit_code == 0, result.output
    summary = rows(result.output)
    assert summary["stock verify"] == "0 problems"
    assert summary["connectors used"] == f"{5 - len(missing)} of 5 (below)"
    for name in missing:
        assert re.search(rf"{name}\s*│[^│]*│\s*not installed: ", result.output), name
    oms = make_oms()
    channels = oms.order_counts("channel")
    assert channels["b2b"] == 2 and sum(channels.values()) == 40
    assert "stripe" not in {gateway for gateway, _, _ in oms.payments_by_gateway()}
    if "shopify" in missing:
        assert set(channels) == {"web", "marketplace", "b2b"}
        assert set(oms.shipment_counts()) == {"flat_rate"}
    else:
        assert channels["shopify"] > 0 and oms.shipment_counts()["tablerate"] > 0
