"""The plugin author's kit: pytest fixtures for an OMS on a real database, and helpers to build test data.

Use it from a plugin's ``conftest.py``::

    pytest_plugins = ["oms_core.testing.fixtures"]

    def test_my_rule(make_oms):
        oms = make_oms(plugins=[my_rule])
        ...

``make_oms`` gives an OMS on a fresh SQLite file, and on PostgreSQL too when ``OMS_TEST_POSTGRES_URL`` is set
(tests taking the ``backend`` fixture run once per backend).
"""

from oms_core.testing.builders import address, draft, seed_catalogue

__all__ = ["address", "draft", "seed_catalogue"]
