from pytest_bdd import scenarios

scenarios("short_stock.feature")
