"""`oms erp sync tryton` against the real Tryton database of the tests."""

import json
from pathlib import Path

from click.testing import CliRunner
from tryton_support import BACKEND, GOODS

from oms_core import OMS
from oms_core.cli import cli


def test_erp_sync_brings_the_catalogue_and_stock_in(tryton_uri: str, database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "drivers.json"
    config.write_text(json.dumps({"oms.adapters": {"tryton": {"database_uri": tryton_uri, "backend": BACKEND}}}))
    args = ["--database-url", database_url, "--driver-config", str(config), "erp", "sync", "tryton"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "tryton sync" in result.output and "products created" in result.output
    oms = OMS.open(database_url, migrate=False)
    assert {p.sku for p in oms.products()} >= set(GOODS)
    oms.close()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output


def test_erp_sync_of_an_adapter_that_is_not_installed_names_it(database_url: str) -> None:
    result = CliRunner().invoke(cli, ["--database-url", database_url, "erp", "sync", "sap"])
    assert result.exit_code == 1
    assert "sap" in result.output and "Traceback" not in result.output
