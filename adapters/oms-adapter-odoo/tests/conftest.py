"""Fixtures for the Odoo adapter's tests.

``odoo`` is the Odoo a scenario runs against: the protocol-level test server as Odoo 16, 17 and 18, and a real
Odoo when ``OMS_ODOO_URL``, ``OMS_ODOO_DB``, ``OMS_ODOO_USER`` and ``OMS_ODOO_PASSWORD`` are set (skipped
otherwise, with that reason). ``make_oms`` and ``backend`` come from ``oms_core.testing.fixtures`` (loaded by the
repository's root conftest), so every scenario runs on SQLite and, with ``OMS_TEST_POSTGRES_URL``, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from odoo_support import SKIP_REAL, Target, real_config
from odoo_testserver import OdooTestServer

from oms_core import OMS

VERSIONS = ("16.0", "17.0", "18.0")


@pytest.fixture(params=[*VERSIONS, "real"])
def odoo(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "real":
        config = real_config()
        if config is None:
            pytest.skip(SKIP_REAL)
        yield Target("real", config)
        return
    with OdooTestServer(request.param) as server:
        yield Target(
            f"testserver {request.param}",
            {"url": server.url, "db": server.db, "user": server.login, "password": server.password},
            server,
        )


@pytest.fixture
def odoo_server(odoo: Target) -> OdooTestServer:
    """The test server behind ``odoo``; scenarios that need to break Odoo on purpose skip a real one."""
    if odoo.server is None:
        pytest.skip("breaks Odoo on purpose (down, slow, failing): only against the protocol-level test server")
    return odoo.server


@pytest.fixture
def odoo_oms(odoo: Target, make_oms: Callable[..., OMS]) -> Callable[..., OMS]:
    """``odoo_oms(**adapter_options)``: an OMS with the installed plugins and the odoo adapter configured."""

    def make(**options: Any) -> OMS:
        kwargs = {k: options.pop(k) for k in list(options) if k in ("retry_base_seconds", "max_delivery_attempts")}
        oms = make_oms(driver_config=odoo.driver_config(**options), **kwargs)
        return oms

    return make
