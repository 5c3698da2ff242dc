"""Fixtures: the Stripe sandbox served on 127.0.0.1, a gateway talking to it, and an OMS configured with it.

``make_oms`` comes from ``oms_core.testing.fixtures``, loaded by the repository's root ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from oms_payment_stripe import StripeGateway
from oms_payment_stripe.sandbox import API_KEY, WEBHOOK_SECRET, StripeSandbox

from oms_core import OMS, PAYMENT_GATEWAYS
from oms_core.testing import seed_catalogue


@pytest.fixture
def stripe_api() -> Iterator[StripeSandbox]:
    sandbox = StripeSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def stripe_config(stripe_api: StripeSandbox) -> dict[str, Any]:
    """The driver configuration, as a host gives it in ``OMS(driver_config=...)``."""
    return {"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET, "api_base": stripe_api.url, "timeout": 5.0}


@pytest.fixture
def stripe_gateway(stripe_config: dict[str, Any]) -> Iterator[StripeGateway]:
    gateway = StripeGateway(**stripe_config)
    gateway.name = "stripe"
    yield gateway
    gateway.close()


@pytest.fixture
def stripe_oms(make_oms: Callable[..., OMS], stripe_config: dict[str, Any]) -> Iterator[OMS]:
    """An OMS that finds the ``stripe`` driver through its entry point, with stock to sell."""
    oms = make_oms(driver_config={PAYMENT_GATEWAYS: {"stripe": stripe_config}}, default_gateway="stripe")
    seed_catalogue(oms, {"SKU-1": {"WH1": 100}})
    yield oms
    oms.driver(PAYMENT_GATEWAYS, "stripe").close()
