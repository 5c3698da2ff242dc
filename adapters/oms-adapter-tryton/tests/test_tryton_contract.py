"""The ERP adapter contract of ``oms_core.testing``, against a real Tryton, with the OMS on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from oms_adapter_tryton import TrytonAdapter
from tryton_support import BACKEND

from oms_core.testing.contracts import ErpAdapterContract


class TestTrytonAdapterContract(ErpAdapterContract):
    @pytest.fixture
    def adapter(self, adapter: TrytonAdapter) -> TrytonAdapter:  # the conftest's: bound to the test's OMS
        return adapter

    @pytest.fixture
    def backend_name(self) -> str:
        return BACKEND
