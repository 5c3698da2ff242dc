"""fraud_score: a score from simple signals; above the threshold the order is held with the explanation."""

import pytest
from oms_rules_examples import FraudScore

from oms_core import Customer, OrderStatus, ValidationError
from oms_core.testing import address, draft, seed_catalogue

DE = address(name="Karl Benz", line1="Hauptstraße 5", city="Mannheim", postcode="68159", country="DE")
FR = address(name="Karl Benz", line1="5 rue de Rivoli", city="Paris", postcode="75001", country="FR")


@pytest.fixture
def shop(make_oms):
    def make(rule):
        oms = make_oms(plugins=[rule])
        seed_catalogue(oms, {"WATCH": {"WH1": 100}, "MUG": {"WH1": 100}})
        return oms

    return make


def timeline_holds(oms, order_id):
    return [(e.source, e.message) for e in oms.timeline(order_id) if e.kind == "held"]


def test_a_high_score_holds_the_order_and_explains_it(shop):
    oms = shop(FraudScore())
    new = Customer(email="new@example.com")
    order = oms.place_order(draft("1", [("WATCH", 1, "750.00")], customer=new, shipping_address=DE, billing_address=FR))
    assert oms.confirm_order(order.id).status == OrderStatus.ON_HOLD
    assert timeline_holds(oms, order.id) == [
        (
            "fraud_score",
            "held by fraud_score: score 80 > 50: billing country FR != shipping country DE (+35), "
            "first order of new@example.com (+15), total 750.00 EUR >= 500.00 EUR (+30)",
        )
    ]
    [hold] = oms.get_order(order.id).active_holds
    assert (hold.kind, hold.source) == ("fraud", "fraud_score")


def test_an_email_with_an_earlier_order_is_not_new(shop):
    oms = shop(FraudScore())
    customer = Customer(email="Regular@Example.com")
    first = oms.place_order(draft("1", [("MUG", 1, "9.90")], customer=customer))
    assert oms.confirm_order(first.id).status == OrderStatus.CONFIRMED  # new customer alone: 15
    again = oms.place_order(
        draft("2", [("MUG", 6, "9.90")], customer=Customer(email="regular@example.com"), billing_address=FR)
    )
    rule = FraudScore()
    score, why = rule.score(oms.get_order(again.id), oms)
    assert (score, why) == (55, ["billing country FR != shipping country GB (+35)", "6 x MUG (+20)"])
    assert oms.confirm_order(again.id).status == OrderStatus.ON_HOLD
    reason = "score 55 > 50: billing country FR != shipping country GB (+35), 6 x MUG (+20)"
    assert timeline_holds(oms, again.id) == [("fraud_score", f"held by fraud_score: {reason}")]


def test_threshold_weights_and_signals_are_configurable(shop):
    rule = FraudScore(
        threshold=10,
        weights={"new_customer": 0, "many_units": 11},
        many_units=3,
        high_value={"GBP": "100.00"},
        name="acme_fraud",
    )
    oms = shop(rule)
    order = oms.place_order(draft("1", [("MUG", 3, "9.90")], currency="GBP"))
    assert oms.confirm_order(order.id).status == OrderStatus.ON_HOLD
    assert timeline_holds(oms, order.id) == [("acme_fraud", "held by acme_fraud: score 11 > 10: 3 x MUG (+11)")]


def test_a_company_may_decide_who_is_new(shop):
    rule = FraudScore(threshold=0, is_new_customer=lambda order, oms: order.customer.email.endswith("@example.com"))
    oms = shop(rule)
    order = oms.place_order(draft("1", [("MUG", 1, "9.90")]))
    assert rule.score(oms.get_order(order.id), oms) == (15, ["first order of ada@example.com (+15)"])


def test_the_score_is_capped_at_100(shop):
    rule = FraudScore(weights={"high_value": 90, "many_units": 90})
    oms = shop(rule)
    order = oms.place_order(draft("1", [("WATCH", 5, "200.00")], billing_address=FR))
    score, why = rule.score(oms.get_order(order.id), oms)
    assert (score, len(why)) == (100, 4)
    assert oms.confirm_order(order.id).status == OrderStatus.ON_HOLD


def test_unknown_signals_and_float_values_are_refused():
    with pytest.raises(ValidationError, match="unknown signals"):
        FraudScore(weights={"vpn": 10})
    with pytest.raises(ValidationError):
        FraudScore(high_value={"EUR": 500.0})
