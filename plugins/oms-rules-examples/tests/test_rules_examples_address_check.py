"""address_check: a shipping address without house number or with a malformed postcode is refused, by name."""

import pytest
from oms_rules_examples import AddressCheck

from oms_core import RuleRejected
from oms_core.testing import address, draft, seed_catalogue


@pytest.fixture
def oms(make_oms):
    oms = make_oms(plugins=[AddressCheck()])
    seed_catalogue(oms, {"MUG": {"WH1": 10}})
    return oms


def refusal(oms, to):
    with pytest.raises(RuleRejected) as caught:
        oms.place_order(draft("1", [("MUG", 1, "9.90")], shipping_address=to))
    return caught.value


def test_a_street_without_house_number_is_refused_naming_the_field(oms):
    error = refusal(oms, address(line1="Hauptstraße", city="Berlin", postcode="10117", country="DE"))
    assert error.problems == [("address_check", "shipping_address.line1: 'Hauptstraße' has no house number")]
    assert "address_check: shipping_address.line1" in str(error)
    assert oms.list_orders() == []  # nothing was written


@pytest.mark.parametrize(
    ("country", "postcode"),
    [("DE", "1011"), ("FR", "750 05"), ("GB", "SW1"), ("US", "9410"), ("NL", "1012"), ("NL", "0123 AB")],
)
def test_a_malformed_postcode_is_refused(oms, country, postcode):
    error = refusal(oms, address(line1="5 Main Street", postcode=postcode, country=country))
    [(plugin, message)] = error.problems
    assert plugin == "address_check"
    assert message.startswith(f"shipping_address.postcode: {postcode!r} is not a {country} postcode (")


@pytest.mark.parametrize(
    ("country", "postcode"),
    [("DE", "10117"), ("FR", "75005"), ("GB", "SW1A 1AA"), ("GB", "m11ae"), ("US", "94105-1804"),
     ("NL", "1012AB"), ("BE", "anything")],
)  # fmt: skip
def test_well_formed_addresses_pass(oms, country, postcode):
    to = address(line1="5 Main Street", postcode=postcode, country=country)
    order = oms.place_order(draft("1", [("MUG", 1, "9.90")], shipping_address=to))
    assert order.shipping_address.postcode == postcode


def test_both_problems_are_reported_at_once():
    d = draft("1", shipping_address=address(line1="Rue de Rivoli", postcode="7500", country="FR"))
    assert AddressCheck().problems(d) == [
        "shipping_address.line1: 'Rue de Rivoli' has no house number",
        "shipping_address.postcode: '7500' is not a FR postcode (5 digits, e.g. 75005)",
    ]


def test_countries_and_checks_are_configurable():
    belgian = address(line1="Grote Markt", postcode="10000", country="BE")
    rule = AddressCheck(postcodes={"BE": r"\d{4}"}, require_house_number=False, name="be_address")
    assert rule.problems(draft("1", shipping_address=belgian)) == [
        "shipping_address.postcode: '10000' is not a BE postcode"
    ]
    assert rule.oms_plugin_name == "be_address"
