"""Fixtures for the Shopify connector's tests.

The ``make_oms`` fixture comes from ``oms_core.testing.fixtures``, loaded by the repository's root conftest.
"""

from __future__ import annotations

import pytest
from oms_channel_shopify import ShopifyChannel
from shopify_support import SECRET


@pytest.fixture
def shopify() -> ShopifyChannel:
    return ShopifyChannel(secret=SECRET)
