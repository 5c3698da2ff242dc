"""The rules of the house, as tests: the domain stays pure and the core never imports a plugin."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "oms_core"


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_domain_imports_no_io_nor_outer_layers():
    forbidden = ("sqlalchemy", "pluggy", "stevedore", "alembic", "psycopg", "oms_core.storage", "oms_core.services",
                 "oms_core.plugins", "oms_core.app", "oms_core.cli", "oms_core.outbox")  # fmt: skip
    for path in (CORE / "domain").rglob("*.py"):
        bad = [m for m in imports(path) if m.startswith(forbidden)]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_core_imports_no_plugin_or_adapter_package():
    local = {
        p.name.replace("-", "_") for d in ("plugins", "adapters") if (ROOT / d).exists() for p in (ROOT / d).iterdir()
    }
    for path in CORE.rglob("*.py"):
        bad = [m for m in imports(path) if m.split(".")[0] in local or m.startswith(("oms_channel_", "oms_payment_",
               "oms_carrier_", "oms_adapter_", "oms_rules_"))]  # fmt: skip
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_faces_only_call_the_facade():
    for name in ("cli.py",):
        path = CORE / name
        if path.exists():
            bad = [m for m in imports(path) if m.startswith(("sqlalchemy", "oms_core.storage", "oms_core.services"))]
            assert not bad, f"{name} must only call OMS, but imports {bad}"
