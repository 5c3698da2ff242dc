"""Addresses: what is required, and where a postcode cannot be."""

import pytest

from oms_core import Address


def test_a_postcode_is_required_where_the_country_has_postcodes():
    problems = Address(name="A", line1="1 Rue", city="Paris", postcode="", country="FR").problems("shipping_address")
    assert [p.field for p in problems] == ["shipping_address.postcode"]


@pytest.mark.parametrize("country", ["HK", "AE", "QA"])
def test_no_postcode_is_asked_for_in_countries_without_postcodes(country):
    address = Address(name="A", line1="1 Queen's Road", city="City", postcode="", country=country)
    assert address.problems("shipping_address") == []
