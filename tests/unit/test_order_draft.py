"""OrderDraft: every bad field named at once, exact totals, a fingerprint that tells a replay from a resend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms_core import Customer, LineDraft, Money, ValidationError
from oms_core.domain.order import describe_differences
from oms_core.testing import address, draft


def fields(d) -> list[str]:
    return [p.field for p in d.problems()]


# -- problems ---------------------------------------------------------------------------------------------------


def test_a_valid_draft_has_no_problems():
    assert draft("1", [("SKU-1", 2, "12.50"), ("SKU-2", 1, "9.99")]).problems() == []


def test_problems_name_every_bad_field_at_once():
    bad = draft(
        "",
        [
            LineDraft("SKU-1", 1, "10.00"),
            LineDraft("SKU-2", 0, "5.00"),
            LineDraft("", 2, 12.5),
            LineDraft("SKU-4", True, "-1", discount="0.00001"),
        ],
        channel=" ",
        currency="EURO",
        shipping_address=address(city=""),
        billing_address=address(country="GBR"),
        customer=Customer(email="not-an-address"),
        shipping=1.5,
        order_discount="-1",
    )
    assert sorted(fields(bad)) == sorted(
        [
            "channel",
            "external_id",
            "currency",
            "lines[1].quantity",
            "lines[2].sku",
            "lines[2].unit_price",
            "lines[3].quantity",
            "lines[3].unit_price",
            "lines[3].discount",
            "shipping_address.city",
            "billing_address.country",
            "customer.email",
            "shipping",
            "order_discount",
        ]
    )
    for problem in bad.problems():
        assert isinstance(problem, ValidationError)
        assert problem.entity == "order"
        assert problem.reason
        assert str(problem).startswith(f"order.{problem.field}: ")


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (LineDraft("SKU-1", 0, "1.00"), "lines[0].quantity", "greater than zero"),
        (LineDraft("SKU-1", -3, "1.00"), "lines[0].quantity", "greater than zero"),
        (LineDraft("SKU-1", "2", "1.00"), "lines[0].quantity", "whole number"),
        (LineDraft("SKU-1", 1.0, "1.00"), "lines[0].quantity", "whole number"),
        (LineDraft("SKU-1", False, "1.00"), "lines[0].quantity", "whole number"),
        (LineDraft("SKU-1", 1, 12.5), "lines[0].unit_price", "float"),
        (LineDraft("SKU-1", 1, "twelve"), "lines[0].unit_price", "not a decimal number"),
        (LineDraft("SKU-1", 1, "-1.00"), "lines[0].unit_price", "negative"),
        (LineDraft("SKU-1", 1, "1.00001"), "lines[0].unit_price", "4 decimals"),
        (LineDraft("SKU-1", 1, "1.00", tax=0.19), "lines[0].tax", "float"),
        (LineDraft("SKU-1", 1, "1.00", tax="-0.19"), "lines[0].tax", "negative"),
        (LineDraft("SKU-1", 2, "1.00", discount="2.01"), "lines[0].discount", "exceeds the line amount"),
        (LineDraft(" ", 1, "1.00"), "lines[0].sku", "required"),
        (LineDraft(None, 1, "1.00"), "lines[0].sku", "required"),
    ],
)
def test_a_bad_line_field_is_named_with_its_reason(line, field, reason):
    [problem] = draft("1", [line]).problems()
    assert problem.field == field
    assert reason in problem.reason


def test_the_index_names_the_bad_line():
    d = draft("1", [("SKU-1", 1, "1.00"), ("SKU-2", 0, "1.00"), ("SKU-3", 1, "1.00"), ("SKU-4", 1, 2.5)])
    assert fields(d) == ["lines[1].quantity", "lines[3].unit_price"]


@pytest.mark.parametrize("name", ["name", "line1", "city", "postcode", "country"])
@pytest.mark.parametrize("which", ["shipping_address", "billing_address"])
@pytest.mark.parametrize("missing", ["", "   ", None])
def test_each_missing_address_field_is_named(which, name, missing):
    d = draft("1", **{which: address(**{name: missing})})
    [problem] = d.problems()
    assert problem.field == f"{which}.{name}"
    assert problem.reason == "is required"


def test_all_missing_address_fields_are_named_together():
    d = draft("1", shipping_address=address(name="", line1="", city="", postcode="", country=""))
    assert fields(d) == [f"shipping_address.{n}" for n in ("name", "line1", "city", "postcode", "country")]


def test_country_must_be_an_alpha_2_code():
    assert fields(draft("1", shipping_address=address(country="GBR"))) == ["shipping_address.country"]
    assert fields(draft("1", shipping_address=address(country="G1"))) == ["shipping_address.country"]
    assert draft("1", shipping_address=address(country=" gb ")).problems() == []


def test_header_problems():
    assert fields(draft("1", shipping_address=None)) == ["shipping_address"]
    assert fields(draft("1", lines=[])) == ["lines"]
    assert fields(draft("1", currency="XXX")) == ["currency"]
    assert fields(draft("1", customer=Customer())) == ["customer"]
    assert fields(draft("1", customer=Customer(email="@example.com"))) == ["customer.email"]
    assert fields(draft("1", shipping="-4.90")) == ["shipping"]
    assert fields(draft("1", shipping_tax=0.93)) == ["shipping_tax"]
    assert fields(draft("1", order_discount=1.0)) == ["order_discount"]
    assert fields(draft("1", [("SKU-1", 1, "10.00")], order_discount="10.01")) == ["order_discount"]


def test_a_float_expected_total_is_named_not_raised():
    [problem] = draft("1", [("SKU-1", 1, "10.00")], expected_total=10.0).problems()
    assert problem.field == "expected_total"


def test_placed_at_must_be_timezone_aware():
    with pytest.raises(ValidationError) as caught:
        draft("1", placed_at=dt.datetime(2024, 5, 1, 12, 0))  # noqa: DTZ001 - naive on purpose
    assert caught.value.field == "placed_at"
    aware = draft("1", placed_at=dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert aware.placed_at == dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


# -- totals -----------------------------------------------------------------------------------------------------


def taxed(**overrides):
    lines = [LineDraft("SKU-1", 2, "12.50", tax="5.25"), LineDraft("SKU-2", 1, "9.99", tax="2.10")]
    return draft("1", lines, shipping="4.90", shipping_tax="0.93", **overrides)


def test_totals_with_taxes_on_top():
    totals = taxed().totals()
    assert totals.subtotal == Money("34.99", "EUR")
    assert totals.shipping_total == Money("4.90", "EUR")
    assert totals.tax_total == Money("8.28", "EUR")
    assert totals.discount_total == Money("0", "EUR")
    assert totals.total == Money("48.17", "EUR")


def test_totals_with_taxes_included_do_not_add_the_tax_again():
    totals = taxed(taxes_included=True).totals()
    assert totals.tax_total == Money("8.28", "EUR")
    assert totals.total == Money("39.89", "EUR")


def test_line_totals_are_rounded_half_up_per_line():
    d = draft("1", [("SKU-1", 3, "0.3333"), ("SKU-2", 1, "0.005")])
    assert d.totals().subtotal == Money("1.01", "EUR")  # 1.00 (0.9999) + 0.01 (0.005)


def test_order_discount_is_spread_cent_exact_over_the_lines():
    d = draft("1", [("SKU-1", 1, "10.00"), ("SKU-2", 1, "10.00"), ("SKU-3", 1, "10.00")], order_discount="10.00")
    assert [str(m.amount) for m in d.line_discounts()] == ["3.34", "3.33", "3.33"]
    totals = d.totals()
    assert totals.discount_total == Money("10.00", "EUR")
    assert totals.total == Money("20.00", "EUR")


def test_order_discount_is_spread_by_the_line_amounts_after_their_own_discounts():
    lines = [LineDraft("SKU-1", 2, "10.00", discount="5.00"), LineDraft("SKU-2", 1, "5.00")]
    d = draft("1", lines, order_discount="2.00")
    # weights 15.00 and 5.00: shares 1.50 and 0.50, added to the lines' own discounts
    assert [str(m.amount) for m in d.line_discounts()] == ["6.50", "0.50"]
    assert d.totals().total == Money("18.00", "EUR")


def test_order_discount_in_yen_is_spread_in_whole_yen():
    lines = [("SKU-1", 1, "1000"), ("SKU-2", 1, "1000"), ("SKU-3", 1, "1000")]
    d = draft("1", lines, currency="JPY", order_discount="100")
    assert [str(m.amount) for m in d.line_discounts()] == ["34", "33", "33"]
    assert d.totals().total == Money("2900", "JPY")


prices = st.decimals(min_value=0, max_value=5000, places=4, allow_nan=False, allow_infinity=False)
line_drafts = st.builds(lambda sku, q, p: LineDraft(f"SKU-{sku}", q, p), st.integers(0, 99), st.integers(1, 20), prices)


@given(lines=st.lists(line_drafts, min_size=1, max_size=8), share=st.fractions(min_value=0, max_value=1))
def test_order_discount_never_loses_a_cent(lines, share):
    gross = sum((line.gross() for line in lines), Decimal(0))
    order_discount = (gross * Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal("0.01"))
    if order_discount > gross:
        order_discount -= Decimal("0.01")
    d = draft("1", lines, order_discount=order_discount)
    assert d.problems() == []
    discounts = d.line_discounts()
    assert Money.sum(discounts, "EUR") == Money(order_discount, "EUR")
    assert all(m.amount >= 0 and m.rounded() == m for m in discounts)
    totals = d.totals()
    assert totals.discount_total == Money(order_discount, "EUR")
    assert totals.total == totals.subtotal - totals.discount_total


def test_expected_total_that_matches_is_accepted():
    assert taxed(expected_total="48.17").problems() == []
    assert taxed(expected_total="48.170").problems() == []
    assert taxed(expected_total=Decimal("48.17")).problems() == []


def test_expected_total_mismatch_is_reported_with_both_amounts():
    [problem] = taxed(expected_total="48.18").problems()
    assert problem.field == "expected_total"
    assert "48.18" in problem.reason and "48.17" in problem.reason
    [problem] = taxed(expected_total="39.89").problems()  # the total as if taxes were included
    assert problem.field == "expected_total"


# -- fingerprint ------------------------------------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_content():
    a = draft("1", [("SKU-1", 2, "12.50")], shipping="4.90")
    b = draft("1", [("SKU-1", 2, Decimal("12.5"))], shipping=Decimal("4.900"))
    assert a.fingerprint() == a.fingerprint() == b.fingerprint()
    assert len(a.fingerprint()) == 64 and int(a.fingerprint(), 16) >= 0


def test_fingerprint_ignores_what_is_not_business_content():
    base = draft("1")
    assert draft("1", notes="leave at the door").fingerprint() == base.fingerprint()
    assert draft("1", attributes={"utm": "mail"}).fingerprint() == base.fingerprint()
    assert draft("1", placed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).fingerprint() == base.fingerprint()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [("SKU-1", 2, "10.00")]}, "lines"),
        ({"lines": [("SKU-1", 1, "10.01")]}, "lines"),
        ({"lines": [("SKU-2", 1, "10.00")]}, "lines"),
        ({"lines": [("SKU-1", 1, "10.00"), ("SKU-1", 1, "10.00")]}, "lines"),
        ({"lines": [LineDraft("SKU-1", 1, "10.00", tax="1.90")]}, "lines"),
        ({"lines": [LineDraft("SKU-1", 1, "10.00", discount="1.00")]}, "lines"),
        ({"currency": "USD"}, "currency"),
        ({"shipping": "4.90"}, "shipping"),
        ({"shipping_tax": "0.93"}, "shipping_tax"),
        ({"order_discount": "1.00"}, "order_discount"),
        ({"taxes_included": True}, "taxes_included"),
        ({"customer": Customer(email="grace@example.com")}, "customer"),
        ({"shipping_address": address(city="Manchester")}, "shipping_address"),
        ({"billing_address": address(name="Charles Babbage")}, "billing_address"),
    ],
)
def test_fingerprint_changes_with_content_and_names_what_differs(change, field):
    base = draft("1")
    other = draft("1", **change)
    assert other.fingerprint() != base.fingerprint()
    assert describe_differences(base.content(), other.content()) == [field]


def test_drafts_are_immutable():
    d = draft("1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        d.currency = "USD"  # type: ignore[misc]
    assert isinstance(d.lines, tuple)
