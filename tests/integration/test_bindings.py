"""External-id bindings: one remote record per OMS record and backend, never two, with a re-bind path."""

import pytest

from oms_core import ValidationError


def test_bind_and_look_up_both_ways(oms):
    b = oms.bind("odoo:prod", "order", 42, "sale.order,17", {"name": "S00017"})
    assert (b.local_id, b.remote_id) == ("42", "sale.order,17")
    assert oms.binding("odoo:prod", "order", local_id=42).remote_id == "sale.order,17"
    assert oms.binding("odoo:prod", "order", remote_id="sale.order,17").local_id == "42"
    assert oms.binding("odoo:other", "order", local_id=42) is None
    assert oms.binding("odoo:prod", "customer", local_id=42) is None


def test_binding_the_same_pair_again_is_a_no_op_that_keeps_one_row(oms):
    oms.bind("odoo:prod", "order", 1, "7")
    oms.bind("odoo:prod", "order", 1, "7", {"write_date": "2026-11-24 10:00:00"})
    assert [(x.local_id, x.remote_id, x.data) for x in oms.bindings("odoo:prod")] == [
        ("1", "7", {"write_date": "2026-11-24 10:00:00"})
    ]


def test_a_record_is_never_bound_twice(oms):
    oms.bind("odoo:prod", "order", 1, "7")
    with pytest.raises(ValidationError) as local:
        oms.bind("odoo:prod", "order", 1, "8")
    assert local.value.field == "local_id"
    with pytest.raises(ValidationError) as remote:
        oms.bind("odoo:prod", "order", 2, "7")
    assert remote.value.field == "remote_id"
    assert len(oms.bindings("odoo:prod")) == 1


def test_unbind_is_the_rebind_path_when_the_remote_record_was_deleted(oms):
    oms.bind("odoo:prod", "customer", "ada@example.com", "res.partner,5")
    assert oms.unbind("odoo:prod", "customer", "ada@example.com") is True
    assert oms.unbind("odoo:prod", "customer", "ada@example.com") is False
    oms.bind("odoo:prod", "customer", "ada@example.com", "res.partner,9")
    assert oms.binding("odoo:prod", "customer", local_id="ada@example.com").remote_id == "res.partner,9"


@pytest.mark.parametrize(
    "field, args",
    [
        ("backend", ("", "order", 1, "2")),
        ("entity", ("b", " ", 1, "2")),
        ("local_id", ("b", "order", None, "2")),
        ("remote_id", ("b", "order", 1, "")),
    ],
)
def test_bad_input_names_the_field(oms, field, args):
    with pytest.raises(ValidationError) as err:
        oms.bind(*args)
    assert err.value.field == field
    assert oms.bindings("b") == []
