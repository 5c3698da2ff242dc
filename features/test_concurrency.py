from pytest_bdd import scenarios

scenarios("concurrency.feature")
