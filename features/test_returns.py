from pytest_bdd import scenarios

scenarios("returns.feature")
