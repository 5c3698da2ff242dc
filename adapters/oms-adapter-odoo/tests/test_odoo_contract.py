"""The ERP adapter contract every adapter passes, on each Odoo target."""

from __future__ import annotations

import pytest
from odoo_support import Target
from oms_adapter_odoo import OdooAdapter

from oms_core.testing.contracts import ErpAdapterContract


class TestOdooAdapterContract(ErpAdapterContract):
    @pytest.fixture
    def adapter(self, odoo: Target, make_oms) -> OdooAdapter:
        odoo.seed_product(odoo.sku("CONTRACT-HAMMER"), "Contract hammer", 10)
        return odoo.adapter().attach(make_oms(load_entry_points=False))

    @pytest.fixture
    def backend_name(self, adapter: OdooAdapter) -> str:
        return adapter.backend

    @pytest.fixture
    def erp_order_currency(self, odoo: Target) -> str:
        return odoo.currency
