"""Faults: wrong configuration fails at start-up with a clear error; Tryton down never stops the OMS."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import tryton_support as erp
from oms_adapter_tryton import TrytonAdapter
from tryton_support import BACKEND, other_plugins

from oms_core import ADAPTERS, OMS, ConfigurationError
from oms_core.testing import draft, seed_catalogue

RETRY_NOW = {"max_delivery_attempts": 2, "retry_base_seconds": 0}


def test_configuration_errors_are_clear_at_start_up(tryton_uri: str, tryton_directory: Path, tmp_path: Path) -> None:
    missing = tryton_directory / "missing.sqlite"
    with pytest.raises(ConfigurationError, match=f"no Tryton database at {missing}"):
        TrytonAdapter(f"sqlite:///{missing}")
    with pytest.raises(ConfigurationError, match=r"NAME\.sqlite"):
        TrytonAdapter("sqlite:///erp.db")
    with pytest.raises(ConfigurationError, match="unsupported database_uri scheme 'mysql'"):
        TrytonAdapter("mysql://erp@localhost/erp")
    with pytest.raises(ConfigurationError, match="has no user 'nobody'"):
        TrytonAdapter(tryton_uri, user="nobody")
    with pytest.raises(ConfigurationError, match="no company 'Initech'"):
        TrytonAdapter(tryton_uri, company="Initech")
    with pytest.raises(ConfigurationError, match=r"no warehouse with code 'XX'.*\['WH'\]"):
        TrytonAdapter(tryton_uri, warehouse="XX")
    not_tryton = tryton_directory / "empty.sqlite"
    not_tryton.touch()
    with pytest.raises(ConfigurationError, match="cannot open the Tryton database"):
        TrytonAdapter(f"sqlite:///{not_tryton}")
    elsewhere = tmp_path / "other.sqlite"
    elsewhere.touch()
    with pytest.raises(ConfigurationError, match="one SQLite directory or PostgreSQL server per process"):
        TrytonAdapter(f"sqlite:///{elsewhere}")
    adapter = TrytonAdapter(tryton_uri, company="Dunder Mifflin", warehouse="WH", location="MAIN")
    adapter.check()
    assert (adapter.backend, adapter.company_name, adapter.warehouse, adapter.location) == (
        "tryton:erp",
        "Dunder Mifflin",
        "WH",
        "MAIN",
    )


def test_an_adapter_without_configuration_says_how_to_configure_it() -> None:
    adapter = TrytonAdapter()
    assert adapter.configured is False
    with pytest.raises(ConfigurationError, match="database_uri"):
        list(adapter.import_products())


def test_tryton_missing_at_start_up_is_a_clear_error_at_start_up(
    make_oms: Callable[..., OMS], tryton_directory: Path
) -> None:
    """A configured adapter carries reactions, so the OMS builds it when it starts: a Tryton database that is not
    there is a configuration error named at once, not an export that fails later (Tryton going down after
    start-up is retried and dead-lettered: see the next test)."""
    config = {"database_uri": f"sqlite:///{tryton_directory / 'missing.sqlite'}", "backend": BACKEND}
    with pytest.raises(ConfigurationError, match="no Tryton database at"):
        make_oms(driver_config={ADAPTERS: {"tryton": config}}, disable_plugins=other_plugins(), **RETRY_NOW)


def test_tryton_down_the_oms_keeps_working_and_catches_up(make_erp_oms: Callable[..., OMS], tryton_uri: str) -> None:
    oms = make_erp_oms(settings=RETRY_NOW)
    adapter = oms.driver(ADAPTERS, "tryton")  # connected while Tryton was up
    seed_catalogue(oms, {"CHAIR-1": {"WH": 10}})
    database = Path(tryton_uri.removeprefix("sqlite:///"))
    away = database.with_suffix(".down")
    os.replace(database, away)  # Tryton's database is gone: every call fails
    try:
        first = oms.confirm_order(oms.place_order(draft("7002", [("CHAIR-1", 1, "110.00")])).id)
        [pending] = [d for d in oms.deliveries() if d.handler == "tryton"]
        assert pending.status == "pending" and "TrytonUnavailable" in pending.last_error
        assert "is unavailable while exporting" in pending.last_error
        oms.process_outbox()
        second = oms.confirm_order(oms.place_order(draft("7003", [("CHAIR-1", 2, "110.00")])).id)
        oms.process_outbox()
        oms.ship(second.id)  # the OMS works on as usual
        assert [d.status for d in oms.deliveries() if d.handler == "tryton"] == ["dead", "dead"]
    finally:
        os.replace(away, database)

    assert oms.retry_dead() == 2  # Tryton is back: the operator retries the dead deliveries
    oms.process_outbox()
    assert [d.status for d in oms.deliveries() if d.handler == "tryton"] == ["delivered", "delivered"]
    assert sorted(s.reference for s in erp.sales(adapter.proteus)) == sorted([str(first.id), str(second.id)])
    oms.process_outbox()
    assert len(erp.sales(adapter.proteus)) == 2, "each order exported once"
