"""quantity_limit: more units of one SKU than allowed are refused, naming the lines."""

import pytest
from oms_rules_examples import QuantityLimit

from oms_core import LineDraft, RuleRejected, ValidationError
from oms_core.testing import draft, seed_catalogue


@pytest.fixture
def shop(make_oms):
    def make(rule):
        oms = make_oms(plugins=[rule])
        seed_catalogue(oms, {"MUG": {"WH1": 100}, "GPU": {"WH1": 100}})
        return oms

    return make


def test_units_of_a_sku_are_added_over_its_lines(shop):
    oms = shop(QuantityLimit())
    lines = [LineDraft("MUG", 6, "9.90"), LineDraft("GPU", 1, "999.00"), LineDraft("MUG", 6, "8.90")]
    with pytest.raises(RuleRejected) as caught:
        oms.place_order(draft("1", lines))
    assert caught.value.problems == [
        ("quantity_limit", "lines[0].quantity, lines[2].quantity: 12 x MUG ordered, at most 10 per order")
    ]
    assert oms.list_orders() == []


def test_up_to_the_limit_is_accepted(shop):
    oms = shop(QuantityLimit())
    assert oms.place_order(draft("1", [("MUG", 10, "9.90")])).lines[0].quantity == 10


def test_per_sku_limits(shop):
    oms = shop(QuantityLimit(None, per_sku={"GPU": 1}, name="one_gpu"))
    assert oms.place_order(draft("1", [("MUG", 50, "9.90")]))
    with pytest.raises(RuleRejected, match=r"one_gpu: lines\[0\]\.quantity: 2 x GPU ordered, at most 1 per order"):
        oms.place_order(draft("2", [("GPU", 2, "999.00")]))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_limits_must_be_whole_numbers(bad):
    with pytest.raises(ValidationError):
        QuantityLimit(bad)
    with pytest.raises(ValidationError):
        QuantityLimit(per_sku={"MUG": bad})
