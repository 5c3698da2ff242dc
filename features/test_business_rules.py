from pytest_bdd import scenarios

scenarios("business_rules.feature")
