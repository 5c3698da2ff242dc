"""The ``oms`` command line, end to end on SQLite and PostgreSQL: through click's runner, and as a real process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from oms_core import OMS, Event, Settings, hookimpl
from oms_core.cli import cli
from oms_core.testing import draft, seed_catalogue

WIDE = {"COLUMNS": "220"}  # rich wraps at the terminal width; keep table rows on one line


@pytest.fixture
def oms_cli(database_url):
    """Run ``oms --database-url <the test database> ARGS...``."""
    runner = CliRunner()

    def run(*args: str, url: str | None = database_url) -> Result:
        prefix = ["--database-url", url] if url else []
        return runner.invoke(cli, [*prefix, *args], env=WIDE)

    return run


def assert_clean_error(result: Result, *fragments: str) -> None:
    """Exit status 1, one red line naming the field and the reason, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def summary_rows(output: str) -> dict[str, str]:
    """The rows of the demo's summary table, ``{label: value}``."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if len(cells) == 2:
            rows[cells[0]] = cells[1]
    return rows


# -- demo -------------------------------------------------------------------------------------------------------


def test_demo_takes_orders_through_their_life_and_verifies_stock(oms_cli, make_oms):
    result = oms_cli("demo", "--orders", "60")
    assert result.exit_code == 0, result.output
    rows = summary_rows(result.output)
    assert rows["stock verify"] == "0 problems"
    assert rows["orders"] == "60"
    counts = {status: int(rows[status]) for status in ("pending", "confirmed", "on_hold", "completed", "cancelled")}
    assert sum(counts.values()) == 60
    assert counts["completed"] > 0 and counts["cancelled"] > 0
    assert rows["revenue (captured - refunded)"].endswith(" EUR")
    assert int(rows["units shipped"]) > 0
    assert "stock at WH1 (on hand / reserved)" in rows and "stock at WH2 (on hand / reserved)" in rows
    assert int(rows["events stored"]) > 0
    assert re.fullmatch(r"\d+ / \d+ / \d+", rows["deliveries (delivered / pending / dead)"])

    oms = make_oms()
    assert oms.verify_stock() == []
    split = oms.get_order(1, timeline=True)  # the first story: one SKU only partly in WH1
    assert sorted(s.location for s in oms.shipments(split.id)) == ["WH1", "WH2"]
    assert split.status == "completed"
    held = oms.get_order(2, timeline=True)
    assert [e.source for e in held.timeline if e.kind in ("held", "released")] == ["ops@example.com"] * 2
    assert held.status == "completed"
    returned = oms.get_order(3)
    assert returned.fulfillment_status in ("partially_returned", "returned")
    assert returned.amount_refunded.amount > 0
    assert any(p.state == "captured" and p.method == "invoice" for o in oms.list_orders(limit=60)
               for p in oms.payments(o.id))  # fmt: skip


def test_demo_defaults_to_a_fresh_reproducible_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OMS_DATABASE_URL", raising=False)
    runner = CliRunner()
    configured = {**WIDE, "OMS_DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}"}
    first = runner.invoke(cli, ["demo", "--orders", "30", "--seed", "3"], env=configured)
    assert first.exit_code == 0, first.output
    assert (tmp_path / "oms-demo.db").exists()
    assert not (tmp_path / "production.db").exists()  # the demo never wipes the configured database
    again = runner.invoke(cli, ["demo", "--orders", "30", "--seed", "3"], env=WIDE)
    assert again.exit_code == 0, again.output
    a, b = summary_rows(first.output), summary_rows(again.output)
    a.pop("elapsed"), b.pop("elapsed")
    assert a == b  # recreated, not added to; and the same seed gives the same day
    assert a["orders"] == "30"


def test_demo_refuses_a_database_that_holds_data_unless_it_is_a_sqlite_file(oms_cli, make_oms, backend):
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 5}})
    result = oms_cli("demo", "--orders", "5")
    if backend == "sqlite":
        assert result.exit_code == 0, result.output  # the file is recreated
        assert summary_rows(result.output)["orders"] == "5"
    else:
        assert_clean_error(result, "the demo needs an empty database")


# -- db, plugins ------------------------------------------------------------------------------------------------


def test_db_upgrade_creates_then_finds_the_schema_current(tmp_path, oms_cli):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    created = oms_cli("db", "upgrade", url=url)
    assert created.exit_code == 0, created.output
    assert "Schema upgraded from an empty database to revision" in created.output
    again = oms_cli("db", "upgrade", url=url)
    assert again.exit_code == 0, again.output
    assert "Schema already current" in again.output
    assert "already current" in oms_cli("db", "upgrade").output  # the test database (SQLite or PostgreSQL)


def test_plugins_lists_hook_plugins_and_drivers(oms_cli):
    result = oms_cli("plugins")
    assert result.exit_code == 0, result.output
    assert re.search(r"default_sourcing\s*│\s*choose_sources", result.output)
    assert re.search(r"oms\.payment_gateways\s*│.*\bmanual\b", result.output)
    assert re.search(r"oms\.carriers\s*│.*\bflat_rate\b", result.output)
    assert "oms.channels" in result.output and "oms.adapters" in result.output


def test_database_url_comes_from_the_environment(database_url, make_oms):
    seed_catalogue(make_oms(), {"SKU-ENV": {"WH1": 4}})
    result = CliRunner().invoke(cli, ["stock", "show"], env={**WIDE, "OMS_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "SKU-ENV" in result.output


def test_a_database_that_cannot_be_opened_is_one_red_line(tmp_path, oms_cli):
    missing = tmp_path / "no" / "such" / "directory" / "oms.db"
    assert_clean_error(oms_cli("stock", "show", url=f"sqlite:///{missing}"), "cannot connect to", str(missing))
    assert_clean_error(oms_cli("orders", "list", url="mysql://db/oms"), "unsupported database 'mysql'")


# -- stock ------------------------------------------------------------------------------------------------------


def test_stock_receive_show_adjust_verify(oms_cli, make_oms):
    oms = make_oms()
    seed_catalogue(oms, {"SKU-1": {"WH1": 10, "WH2": 0}, "SKU-2": {"WH2": 3}})

    received = oms_cli("stock", "receive", "SKU-1", "WH2", "7", "--reference", "PO-42")
    assert received.exit_code == 0, received.output
    assert "on hand 7, reserved 0, available 7" in received.output
    assert oms.ledger("SKU-1", "WH2")[-1].reference == "PO-42"

    shown = oms_cli("stock", "show", "--sku", "SKU-1")
    assert shown.exit_code == 0, shown.output
    assert re.search(r"SKU-1\s*│\s*WH1\s*│\s*10\s*│\s*0\s*│\s*10", shown.output)
    assert re.search(r"SKU-1\s*│\s*WH2\s*│\s*7\s*│\s*0\s*│\s*7", shown.output)
    assert "SKU-2" not in shown.output
    assert "SKU-2" in oms_cli("stock", "show", "--location", "WH2").output

    counted = oms_cli("stock", "adjust", "SKU-1", "WH1", "--counted", "8", "--reason", "cycle count")
    assert counted.exit_code == 0, counted.output
    assert "on hand 8" in counted.output
    delta = oms_cli("stock", "adjust", "SKU-1", "WH1", "--delta", "-3", "--reason", "broken in the warehouse")
    assert delta.exit_code == 0, delta.output
    assert "on hand 5" in delta.output
    assert [e.note for e in oms.ledger("SKU-1", "WH1")][-2:] == ["cycle count", "broken in the warehouse"]

    verified = oms_cli("stock", "verify")
    assert verified.exit_code == 0, verified.output
    assert "0 problems" in verified.output


def test_stock_verify_exits_1_and_lists_the_problems(oms_cli, make_oms, database):
    oms = make_oms()
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    # damage the stock row behind the OMS's back, as a faulty import script would
    with database["engine"].begin() as conn:
        conn.exec_driver_sql(f"UPDATE {oms.tables.stock.fullname} SET on_hand = 12")
    result = oms_cli("stock", "verify")
    assert result.exit_code == 1
    assert re.search(r"SKU-1\s*│\s*WH1\s*│\s*on hand = ledger sum\s*│\s*10\s*│\s*12", result.output)
    assert "found 1 problem" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["stock", "receive", "SKU-1", "WH1", "-5"], ["stock.quantity", "must be greater than zero"]),
        (["stock", "receive", "SKU-1", "NOWHERE", "5"], ["stock.location", "unknown location 'NOWHERE'"]),
        (["stock", "receive", "NOPE", "WH1", "5"], ["stock.sku", "unknown SKU 'NOPE'"]),
        (["stock", "adjust", "SKU-1", "WH1", "--reason", "count"], ["stock.counted", "give either counted or delta"]),
        (["stock", "adjust", "SKU-1", "WH1", "--counted", "-1", "--reason", "x"], ["stock.counted"]),
        (["orders", "show", "999"], ["order with id=999 does not exist"]),
    ],
)
def test_bad_input_is_one_red_line_naming_the_field(oms_cli, make_oms, args, fragments):
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 10}})
    assert_clean_error(oms_cli(*args), *fragments)


# -- orders -----------------------------------------------------------------------------------------------------


def test_orders_list_and_show_with_the_timeline(oms_cli, make_oms):
    oms = make_oms()
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}, "SKU-2": {"WH1": 1, "WH2": 5}})
    shipped = oms.place_order(draft("A-1", [("SKU-1", 2, "12.50"), ("SKU-2", 1, "9.99")]))
    oms.confirm_order(shipped.id)
    oms.pay(shipped.id)
    oms.ship(shipped.id)
    held = oms.place_order(draft("A-2", [("SKU-1", 1, "12.50")]))
    oms.confirm_order(held.id)
    oms.hold_order(held.id, "fraud", "score 87 > 80", by="fraud_rules")

    listed = oms_cli("orders", "list")
    assert listed.exit_code == 0, listed.output
    assert "web/A-1" in listed.output and "web/A-2" in listed.output
    assert "completed" in listed.output and "on_hold" in listed.output
    only_held = oms_cli("orders", "list", "--status", "on_hold")
    assert "web/A-2" in only_held.output and "web/A-1" not in only_held.output
    assert "web/A-1" not in oms_cli("orders", "list", "--limit", "1").output  # newest first

    shown = oms_cli("orders", "show", str(shipped.id))
    assert shown.exit_code == 0, shown.output
    out = shown.output
    for text in ("completed", "paid", "shipped", "34.99 EUR", "Lines", "Payments", "Shipments", "Timeline"):
        assert text in out, text
    assert re.search(r"SKU-1\s*│.*│\s*2\s*│\s*12\.50 EUR\s*│\s*25\.00 EUR\s*│\s*0\s*│\s*0\s*│\s*2\s*│\s*0", out)
    assert re.search(r"placed\s*│\s*oms\s*│", out)  # every timeline entry says who wrote it
    assert re.search(r"payment_captured\s*│\s*manual\s*│", out)
    assert re.search(r"shipped\s*│\s*flat_rate\s*│\s*shipment #1 from WH1 by flat_rate", out)

    why = oms_cli("orders", "show", str(held.id)).output
    assert "fraud: score 87 > 80 (by fraud_rules)" in why
    assert re.search(r"held\s*│\s*fraud_rules\s*│\s*held by fraud_rules: score 87 > 80", why)


# -- outbox -----------------------------------------------------------------------------------------------------


class Grumpy:
    """A reaction plugin whose handler always fails, so its deliveries die."""

    oms_plugin_name = "grumpy"

    @hookimpl
    def order_placed(self, event: Event, oms) -> None:
        raise RuntimeError("the ERP is down")


class Healed:
    """The same plugin, fixed: it records what it received."""

    oms_plugin_name = "grumpy"

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def order_placed(self, event: Event, oms) -> None:
        self.seen.append(event.id)


def test_events_list_retry_and_worker(oms_cli, make_oms, monkeypatch):
    oms = make_oms(plugins=[Grumpy()], settings=Settings(max_delivery_attempts=1))
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    oms.place_order(draft("E-1"))
    assert oms.outbox_counts()["dead"] == 1

    dead = oms_cli("events", "--status", "dead")
    assert dead.exit_code == 0, dead.output
    assert re.search(r"1\s*│\s*order_placed\s*│\s*1\s*│\s*grumpy\s*│\s*dead\s*│\s*1", dead.output)
    assert "RuntimeError: the ERP is down" in dead.output
    assert "0 pending, 1 dead" in dead.output
    assert "grumpy" not in oms_cli("events", "--status", "delivered").output

    retried = oms_cli("events", "retry", "--id", "1")
    assert retried.exit_code == 0, retried.output
    assert "1 dead deliveries put back" in retried.output
    assert oms.outbox_counts()["pending"] == 1

    # this process has no "grumpy" plugin: the worker leaves the delivery to a process that has it
    idle = oms_cli("worker", "--once")
    assert idle.exit_code == 0, idle.output
    assert "0 deliveries attempted; now 0 delivered, 1 pending, 0 dead" in idle.output

    # once the plugin is installed and works again, the worker delivers the event
    healed = Healed()
    original = OMS.open.__func__
    monkeypatch.setattr(OMS, "open", classmethod(lambda cls, url, **kw: original(cls, url, plugins=[healed], **kw)))
    worked = oms_cli("worker", "--once")
    assert worked.exit_code == 0, worked.output
    assert "1 deliveries attempted; now 1 delivered, 0 pending, 0 dead" in worked.output
    [delivery] = oms.deliveries()
    assert healed.seen == [delivery.event_id]
    assert "order_placed" in oms_cli("events", "--status", "delivered").output


class LeaseReader:
    """While it handles an event, reads how long its own delivery is leased to the worker."""

    oms_plugin_name = "lease_reader"

    def __init__(self) -> None:
        self.leases: list[float] = []

    @hookimpl
    def order_placed(self, event, oms):
        [delivery] = [d for d in oms.deliveries() if d.event_id == event.id]
        d = oms.tables.deliveries
        with oms.engine.connect() as conn:
            until = conn.execute(sa.select(d.c.locked_until).where(d.c.id == delivery.id)).scalar_one()
        self.leases.append((until - datetime.now(UTC)).total_seconds())


def test_the_worker_takes_its_lease_from_the_command_line(oms_cli, make_oms, monkeypatch):
    oms = make_oms(inline_dispatch=False, plugins=[LeaseReader()])
    seed_catalogue(oms, {"SKU-1": {"WH1": 10}})
    oms.place_order(draft("L-1"))
    reader = LeaseReader()
    original = OMS.open.__func__
    monkeypatch.setattr(OMS, "open", classmethod(lambda cls, url, **kw: original(cls, url, plugins=[reader], **kw)))
    worked = oms_cli("worker", "--once", "--lease-seconds", "42")
    assert worked.exit_code == 0, worked.output
    assert "1 deliveries attempted; now 1 delivered" in worked.output
    [lease] = reader.leases
    assert 0 < lease <= 42  # the default lease would be 300 seconds
    refused = oms_cli("worker", "--once", "--lease-seconds", "0")
    assert refused.exit_code == 2 and "--lease-seconds" in refused.output


# -- a real process ---------------------------------------------------------------------------------------------


def oms_process(database_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "oms_core.cli", "--database-url", database_url, *args]


def process_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}


def test_a_real_process_exits_1_with_one_line_and_no_traceback(database_url, make_oms):
    seed_catalogue(make_oms(), {"SKU-1": {"WH1": 10}})
    bad = subprocess.run(
        oms_process(database_url, "stock", "receive", "SKU-1", "WH1", "-5"),
        capture_output=True,
        text=True,
        env=process_env(),
        timeout=120,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: stock.quantity: must be greater than zero"
    good = subprocess.run(
        oms_process(database_url, "stock", "receive", "SKU-1", "WH1", "5"),
        capture_output=True,
        text=True,
        env=process_env(),
        timeout=120,
    )
    assert good.returncode == 0, good.stderr
    assert "on hand 15" in good.stdout


def test_the_worker_process_stops_cleanly_on_sigterm(database_url, tmp_path: Path):
    proc = subprocess.Popen(
        oms_process(database_url, "worker", "--poll", "0.05"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env(),
    )
    try:
        assert proc.stdout is not None
        assert "Worker running" in proc.stdout.readline()  # the handlers are installed before this line
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "deliveries attempted" in out
