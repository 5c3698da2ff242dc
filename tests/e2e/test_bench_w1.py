"""W1's benchmark stays runnable and honest: a small run passes W1's correctness checks, and its floor writes
exactly the rows the OMS writes (the run is void otherwise). Speed is not asserted here; ``bench/`` measures it."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from oms_core.testing.fixtures import POSTGRES_ENV

BENCH = Path(__file__).resolve().parents[2] / "bench" / "order_to_ship.py"


@pytest.fixture(scope="module")
def w1():
    spec = importlib.util.spec_from_file_location("w1_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "per-order"],
        ["--mode", "batch"],
        ["--mode", "per-order", "--reactions"],
        ["--mode", "batch", "--reactions", "--sqlite-synchronous", "FULL"],
    ],
    ids=["per-order", "batch", "per-order-reactions", "batch-reactions-full"],
)
def test_w1_on_sqlite_is_not_void(w1, args, capsys):
    assert w1.main(["--backend", "sqlite", "--orders", "12", "--repeat", "1", *args]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "void" not in result
    assert result["orders"] == 12 and result["ratio_to_floor"] > 0


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
@pytest.mark.parametrize("workers", [1, 2])
def test_w1_on_postgres_is_not_void(w1, workers, capsys, monkeypatch):
    monkeypatch.setenv("OMS_BENCH_POSTGRES_URL", os.environ[POSTGRES_ENV])  # the bench makes its own databases
    argv = ["--backend", "postgres", "--orders", "12", "--repeat", "1", "--workers", str(workers), "--reactions"]
    assert w1.main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "void" not in result and result["workers"] == workers
