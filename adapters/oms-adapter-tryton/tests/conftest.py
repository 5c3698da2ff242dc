"""Fixtures for the Tryton adapter's tests: a real Tryton on SQLite, and OMS instances on both backends.

* ``tryton_template`` (session): the Tryton database of :mod:`tryton_support`, built once and kept in pytest's
  cache between sessions (about half a minute to build; copying it takes milliseconds).
* ``tryton_uri``: a fresh copy of it for one test, as the adapter's ``database_uri``, always at the same path.
* ``make_erp_oms(**adapter_options)``: an OMS (``make_oms``: SQLite and PostgreSQL) with the installed ``tryton``
  and ``default_sourcing`` plugins only, and the ``tryton`` adapter configured on the test's Tryton.
* ``adapter``: that OMS's adapter; ``erp_oms``: that OMS.
* ``tryton``: an adapter on the test's Tryton with no OMS (imports and configuration need none): one backend.

``make_oms`` comes from ``oms_core.testing.fixtures``, loaded by the repository's root conftest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tryton_support
from oms_adapter_tryton import TrytonAdapter
from tryton_support import BACKEND, other_plugins

from oms_core import ADAPTERS, OMS

DATABASE = "erp"


def pytest_configure(config: pytest.Config) -> None:
    # trytond 8.2 imports its own deprecated alias (trytond.protocols.rest); nothing the adapter can change
    config.addinivalue_line("filterwarnings", "ignore:trytond.config.config is deprecated:DeprecationWarning")


@pytest.fixture(scope="session")
def tryton_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)
    where = cache.mkdir("oms-adapter-tryton") if cache is not None else tmp_path_factory.mktemp("tryton-cache")
    cached = Path(where) / f"{tryton_support.cache_key()}.sqlite"
    if not cached.exists():
        built = tryton_support.build(tmp_path_factory.mktemp("tryton-build"), "template")
        partial = cached.with_suffix(f".{os.getpid()}.part")
        shutil.copy(built, partial)
        os.replace(partial, cached)  # whole or not at all, for a session running next to this one
    return cached


@pytest.fixture(scope="session")
def tryton_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the Tryton databases of the session live: trytond's SQLite directory is one per process."""
    return tmp_path_factory.mktemp("tryton")


@pytest.fixture
def tryton_uri(tryton_template: Path, tryton_directory: Path) -> str:
    """The test's Tryton: the template copied over ``erp.sqlite``.

    Every test uses the same database name, so trytond loads its pool and warms its caches once per session
    (several seconds) instead of once per test; the data are the template's again for every test.
    """
    target = tryton_directory / f"{DATABASE}.sqlite"
    for suffix in ("-wal", "-shm", "-journal"):  # a write-ahead log of the previous test must not replay
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    partial = target.with_suffix(".part")
    shutil.copy(tryton_template, partial)
    os.replace(partial, target)
    return f"sqlite:///{target}"


@pytest.fixture
def make_erp_oms(make_oms: Callable[..., OMS], tryton_uri: str) -> Callable[..., OMS]:
    """``make_erp_oms(settings=None, **adapter_options)``: an OMS with the tryton adapter configured."""

    def make(settings: dict[str, Any] | None = None, **options: Any) -> OMS:
        config = {"database_uri": tryton_uri, "backend": BACKEND, **options}
        return make_oms(
            driver_config={ADAPTERS: {"tryton": config}}, disable_plugins=other_plugins(), **(settings or {})
        )

    return make


@pytest.fixture
def erp_oms(make_erp_oms: Callable[..., OMS]) -> OMS:
    return make_erp_oms()


@pytest.fixture
def tryton(tryton_uri: str) -> TrytonAdapter:
    """An adapter on the test's Tryton without an OMS: for what needs none (imports, configuration)."""
    return TrytonAdapter(tryton_uri, backend=BACKEND)


@pytest.fixture
def adapter(erp_oms: OMS) -> TrytonAdapter:
    found = erp_oms.driver(ADAPTERS, "tryton")
    assert isinstance(found, TrytonAdapter)
    return found.attach(erp_oms)
