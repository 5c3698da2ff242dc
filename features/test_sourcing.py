from pytest_bdd import scenarios

scenarios("sourcing.feature")
