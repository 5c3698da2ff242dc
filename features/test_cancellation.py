from pytest_bdd import scenarios

scenarios("cancellation.feature")
