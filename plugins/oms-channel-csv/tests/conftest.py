"""Fixtures for the CSV channel's tests.

The ``make_oms`` fixture comes from ``oms_core.testing.fixtures``, loaded by the repository's root conftest.
"""

from __future__ import annotations

import pytest

from oms_core import OMS
from oms_core.testing import seed_catalogue

SKUS = ("MUG-01", "TEA-07", "PEN-02")


@pytest.fixture
def catalogue_oms(make_oms) -> OMS:
    """An OMS without installed rules, knowing the SKUs of the test files."""
    oms = make_oms(load_entry_points=False)
    seed_catalogue(oms, {sku: {"WH1": 1000} for sku in SKUS})
    return oms
