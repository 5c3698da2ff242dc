"""Fixtures for the WooCommerce connector's tests.

The ``make_oms`` fixture comes from ``oms_core.testing.fixtures``, loaded by the repository's root conftest.
"""

from __future__ import annotations

import pytest
from oms_channel_woocommerce import WooCommerceChannel
from woocommerce_support import SECRET


@pytest.fixture
def woo() -> WooCommerceChannel:
    return WooCommerceChannel(secret=SECRET)
