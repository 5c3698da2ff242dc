pytest_plugins = ["oms_core.testing.fixtures"]
