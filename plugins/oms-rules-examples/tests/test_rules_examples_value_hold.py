"""value_hold: orders above the review limit of their currency are held, and the timeline names the rule."""

import pytest
from oms_rules_examples import ValueHold
from oms_rules_examples.value_hold import DEFAULT_LIMITS

from oms_core import Money, OrderStatus, ValidationError
from oms_core.testing import draft, seed_catalogue


@pytest.fixture
def shop(make_oms):
    def make(*rules):
        oms = make_oms(plugins=list(rules))
        seed_catalogue(oms, {"TV": {"WH1": 50}})
        return oms

    return make


def test_an_order_above_the_limit_is_held(shop):
    oms = shop(ValueHold())
    order = oms.place_order(draft("big", [("TV", 3, "400.00")]))
    held = oms.confirm_order(order.id)
    assert held.status == OrderStatus.ON_HOLD
    [hold] = oms.get_order(order.id).active_holds
    assert (hold.kind, hold.source) == ("review", "value_hold")
    assert "held by value_hold: total 1200.00 EUR is above the review limit of 1000.00 EUR" in [
        e.message for e in oms.timeline(order.id)
    ]
    assert oms.release_hold(order.id, "review", by="alice").status == OrderStatus.CONFIRMED


def test_an_order_at_the_limit_or_in_another_currency_is_not_held(shop):
    oms = shop(ValueHold())
    at_limit = oms.place_order(draft("at", [("TV", 2, "500.00")]))
    in_gbp = oms.place_order(draft("gbp", [("TV", 3, "400.00")], currency="GBP"))
    assert oms.confirm_order(at_limit.id).status == OrderStatus.CONFIRMED
    assert oms.confirm_order(in_gbp.id).status == OrderStatus.CONFIRMED


def test_limits_kind_and_name_are_configurable(shop):
    oms = shop(ValueHold({"GBP": "100.00"}, kind="manager", name="big_orders"))
    order = oms.place_order(draft("gbp", [("TV", 1, "100.01")], currency="GBP"))
    oms.confirm_order(order.id)
    [hold] = oms.get_order(order.id).active_holds
    assert (hold.kind, hold.source) == ("manager", "big_orders")
    assert any(e.message.startswith("held by big_orders: total 100.01 GBP") for e in oms.timeline(order.id))


def test_limits_refuse_floats_and_foreign_money():
    assert ValueHold().limits == {"EUR": Money("1000.00", "EUR")}
    assert DEFAULT_LIMITS == {"EUR": "1000.00"}
    with pytest.raises(ValidationError):
        ValueHold({"EUR": 1000.0})
    with pytest.raises(ValidationError):
        ValueHold({"EUR": Money("10", "USD")})
