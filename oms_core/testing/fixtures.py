"""pytest fixtures: an OMS on a real SQLite file and on a real PostgreSQL server.

* ``backend``: ``"sqlite"`` and ``"postgres"`` (the latter only when ``OMS_TEST_POSTGRES_URL`` is set; skipped
  otherwise, with the reason).
* ``make_oms(**kwargs)``: a new :class:`~oms_core.OMS` on an empty database of that backend, with extra
  ``OMS(...)`` arguments (``plugins=[...]``, settings). Every call in one test shares the database.
* ``oms``: ``make_oms()`` with the installed plugins.
* ``database_url``: the URL of that empty database (for subprocesses and CLI tests).

SQLite: each test gets a copy of a template file migrated once per session. PostgreSQL: each session migrates
its own schema once, and each test empties the tables (TRUNCATE … RESTART IDENTITY).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from oms_core.app import OMS
from oms_core.storage.engine import create_engine, normalise_url
from oms_core.storage.migrate import upgrade
from oms_core.storage.tables import Tables

PREFIX = "oms_"
POSTGRES_ENV = "OMS_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    return normalise_url(url) if url else None


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oms-template") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        upgrade(conn, PREFIX, None)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[tuple[str, str]]:
    url = postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"oms_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        upgrade(conn, PREFIX, schema)
    try:
        yield url, schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``{"url": ..., "schema": ..., "engine": ...}`` of an empty, migrated database for this test."""
    if backend == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "oms.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        engine = create_engine(url)
        yield {"url": url, "schema": None, "engine": engine}
        engine.dispose()
    else:
        url, schema = request.getfixturevalue("_postgres_schema")
        engine = create_engine(url)
        tables = Tables(PREFIX, schema)
        names = ", ".join(f'"{schema}"."{t.name}"' for t in tables.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        yield {"url": f"{url}?options=-csearch_path%3D{schema}", "schema": schema, "engine": engine}
        engine.dispose()


@pytest.fixture
def database_url(database: dict[str, Any]) -> str:
    return database["url"]


@pytest.fixture
def make_oms(database: dict[str, Any]) -> Callable[..., OMS]:
    def make(**kwargs: Any) -> OMS:
        kwargs.setdefault("table_prefix", PREFIX)
        kwargs.setdefault("schema", database["schema"])
        return OMS(database["engine"], **kwargs)

    return make


@pytest.fixture
def oms(make_oms: Callable[..., OMS]) -> OMS:
    return make_oms()
