"""The plugin author's kit: pytest fixtures for an OMS on a real database, helpers to build test data, and
contract test suites for drivers.

Use it from a plugin's ``conftest.py``::

    pytest_plugins = ["oms_core.testing.fixtures"]

    def test_my_rule(make_oms):
        oms = make_oms(plugins=[my_rule])
        ...

``make_oms`` gives an OMS on a fresh SQLite file, and on PostgreSQL too when ``OMS_TEST_POSTGRES_URL`` is set
(tests taking the ``backend`` fixture run once per backend).

A driver's tests subclass its contract suite (``ChannelContract``, ``PaymentGatewayContract``,
``CarrierContract``, ``ErpAdapterContract``, see :mod:`oms_core.testing.contracts`). The suites need pytest; they
are imported on first use, so the builders work without it.
"""

from typing import Any

from oms_core.testing.builders import address, draft, seed_catalogue

__all__ = [
    "CarrierContract",
    "ChannelContract",
    "ErpAdapterContract",
    "PaymentGatewayContract",
    "address",
    "draft",
    "seed_catalogue",
]

_CONTRACTS = ("CarrierContract", "ChannelContract", "ErpAdapterContract", "PaymentGatewayContract")


def __getattr__(name: str) -> Any:
    if name in _CONTRACTS:
        from oms_core.testing import contracts

        return getattr(contracts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
