"""nearest_warehouse: each line from the location whose postcode shares the longest prefix with the customer's."""

import pytest
from oms_rules_examples import NearestWarehouse

from oms_core.testing import address, draft

MUNICH = address(name="Ada", line1="Marienplatz 1", city="München", postcode="80331", country="DE")


@pytest.fixture
def oms(make_oms):
    oms = make_oms(plugins=[NearestWarehouse()])
    oms.add_location("BER", "Berlin", priority=1, postcode="10117", country="DE")
    oms.add_location("MUC", "Munich", priority=2, postcode="85748", country="DE")
    oms.add_location("AUG", "Augsburg", priority=3, postcode="86150", country="DE")
    oms.add_location("NUE", "Nuremberg", priority=4, postcode="90402", country="DE")
    oms.add_location("AMS", "Amsterdam", priority=5, postcode="8033 AB", country="NL")
    for sku in ("MUG", "TEA"):
        oms.add_product(sku, sku)
    oms.receive_stock("MUG", "BER", 10)
    oms.receive_stock("MUG", "MUC", 10)
    oms.receive_stock("MUG", "AMS", 10)
    oms.receive_stock("TEA", "BER", 10)
    oms.receive_stock("TEA", "AUG", 10)
    oms.receive_stock("TEA", "NUE", 10)
    return oms


def placed_at(oms, order_id):
    return sorted((r.sku, r.location, r.quantity) for r in oms.reservations(order_id))


def test_each_line_comes_from_the_nearest_warehouse_that_covers_it(oms):
    order = oms.place_order(draft("1", [("MUG", 2, "9.90"), ("TEA", 1, "4.50")], shipping_address=MUNICH))
    oms.confirm_order(order.id)
    # Amsterdam's 8033 AB shares more with 80331 than Munich's 85748 does, but it is in another country
    assert placed_at(oms, order.id) == [("MUG", "MUC", 2), ("TEA", "AUG", 1)]
    sourcing = [e for e in oms.timeline(order.id) if e.kind == "sourcing"]
    assert [(e.source, e.message) for e in sourcing] == [
        ("nearest_warehouse", "sources chosen by nearest_warehouse: 2 at MUC, 1 at AUG")
    ]


def test_a_tie_goes_to_the_lower_priority(oms):
    oms.receive_stock("TEA", "MUC", 10)  # MUC (priority 2) and AUG (3) both share "8" with 80331
    order = oms.place_order(draft("1", [("TEA", 1, "4.50")], shipping_address=MUNICH))
    oms.confirm_order(order.id)
    assert placed_at(oms, order.id) == [("TEA", "MUC", 1)]


def test_a_warehouse_that_cannot_cover_the_line_is_skipped(oms):
    order = oms.place_order(draft("1", [("MUG", 11, "9.90")], shipping_address=MUNICH))
    oms.confirm_order(order.id)
    # no single German location holds 11: the rule passes, default sourcing splits by priority
    assert placed_at(oms, order.id) == [("MUG", "BER", 10), ("MUG", "MUC", 1)]
    assert not [e for e in oms.timeline(order.id) if e.kind == "sourcing"]


def test_the_nearest_by_prefix_in_the_same_country(oms):
    nuremberg = address(line1="Hauptmarkt 1", city="Nürnberg", postcode="90403", country="DE")
    order = oms.place_order(draft("1", [("TEA", 3, "4.50")], shipping_address=nuremberg))
    oms.confirm_order(order.id)
    assert placed_at(oms, order.id) == [("TEA", "NUE", 3)]


def test_other_countries_are_not_near(oms):
    rotterdam = address(line1="Coolsingel 40", city="Rotterdam", postcode="8011 PK", country="NL")
    order = oms.place_order(draft("1", [("MUG", 1, "9.90")], shipping_address=rotterdam))
    oms.confirm_order(order.id)
    assert placed_at(oms, order.id) == [("MUG", "AMS", 1)]


def test_min_prefix(make_oms, oms):
    strict = make_oms(plugins=[NearestWarehouse(min_prefix=2, name="strict_nearest")])
    order = strict.place_order(draft("1", [("MUG", 1, "9.90")], shipping_address=MUNICH))
    strict.confirm_order(order.id)
    assert placed_at(strict, order.id) == [("MUG", "BER", 1)]  # nothing shares "80": default sourcing
    near = address(line1="Freisinger Str. 2", city="Garching", postcode="85748", country="DE")
    order = strict.place_order(draft("2", [("MUG", 1, "9.90")], shipping_address=near))
    strict.confirm_order(order.id)
    assert placed_at(strict, order.id) == [("MUG", "MUC", 1)]
    assert any(e.source == "strict_nearest" for e in strict.timeline(order.id))
