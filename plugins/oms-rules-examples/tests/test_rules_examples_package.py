"""The package: installing it activates nothing; all_rules() gives every rule, configurable, under its own name."""

import pytest
from oms_rules_examples import RULES, FraudScore, NearestWarehouse, QuantityLimit, ValueHold, all_rules

from oms_core import OrderStatus, RuleRejected
from oms_core.testing import address, draft, seed_catalogue

MODULES = [f"oms_rules_examples.{name}" for name in RULES]


def test_installed_modules_register_no_hook(oms):
    plugins = dict(oms.plugins())
    for module in MODULES:
        assert plugins[module] == [], f"{module} must not be active merely by being installed"


def test_installed_but_not_configured_changes_nothing(oms):
    seed_catalogue(oms, {"MUG": {"WH1": 100}})
    order = oms.place_order(draft("1", [("MUG", 99, "100.00")], shipping_address=address(line1="No number")))
    assert oms.confirm_order(order.id).status == OrderStatus.CONFIRMED


def test_all_rules_by_default():
    rules = all_rules()
    assert [type(r) for r in rules] == list(RULES.values())
    assert [r.oms_plugin_name for r in rules] == list(RULES)


def test_all_rules_with_options_and_without_some():
    rules = all_rules(value_hold={"limits": {"GBP": "10.00"}}, nearest_warehouse=False, address_check=False)
    assert [type(r) for r in rules] == [ValueHold, QuantityLimit, FraudScore]
    assert str(rules[0].limits["GBP"]) == "10.00 GBP"
    assert NearestWarehouse not in map(type, rules)


def test_every_rule_together_in_one_oms(make_oms):
    oms = make_oms(plugins=all_rules())
    hooks = dict(oms.plugins())
    assert hooks["value_hold"] == ["assess_order"]
    assert hooks["address_check"] == ["validate_order"]
    assert hooks["quantity_limit"] == ["validate_order"]
    assert hooks["fraud_score"] == ["assess_order"]
    assert hooks["nearest_warehouse"] == ["choose_sources"]
    seed_catalogue(oms, {"MUG": {"WH1": 100}})
    with pytest.raises(RuleRejected) as caught:
        oms.place_order(draft("1", [("MUG", 11, "100.00")], shipping_address=address(line1="No number")))
    assert [plugin for plugin, _ in caught.value.problems] == ["quantity_limit", "address_check"]
    order = oms.place_order(draft("2", [("MUG", 10, "150.00")]))
    assert oms.confirm_order(order.id).status == OrderStatus.ON_HOLD
    assert sorted(h.source for h in oms.get_order(order.id).active_holds) == ["fraud_score", "value_hold"]
    held = [e.message for e in oms.timeline(order.id) if e.kind == "held"]
    assert "held by value_hold: total 1500.00 EUR is above the review limit of 1000.00 EUR" in held
    assert any(m.startswith("held by fraud_score: score 65 > 50: first order of ada@example.com (+15)") for m in held)
