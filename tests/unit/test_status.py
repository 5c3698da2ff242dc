"""The three status fields move only along their declared transition tables."""

from __future__ import annotations

import pytest

from oms_core import FulfillmentStatus, InvalidTransition, OrderStatus, PaymentStatus
from oms_core.domain.status import (
    FULFILLMENT_TRANSITIONS,
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    TRANSITIONS,
    check_allowed,
)

ENUMS = {"status": OrderStatus, "payment_status": PaymentStatus, "fulfillment_status": FulfillmentStatus}

DECLARED = [
    (field, current, target)
    for field, table in TRANSITIONS.items()
    for current, targets in table.items()
    for target in sorted(targets)
]
UNDECLARED = [
    (field, current, target)
    for field, enum_type in ENUMS.items()
    for current in enum_type
    for target in enum_type
    if current != target and target not in TRANSITIONS[field][current]
]


def test_the_tables_are_the_ones_of_the_three_fields():
    assert TRANSITIONS == {
        "status": ORDER_TRANSITIONS,
        "payment_status": PAYMENT_TRANSITIONS,
        "fulfillment_status": FULFILLMENT_TRANSITIONS,
    }


@pytest.mark.parametrize("field", sorted(ENUMS))
def test_every_state_has_a_row_and_every_target_is_a_state(field):
    enum_type = ENUMS[field]
    assert set(TRANSITIONS[field]) == set(enum_type)
    for targets in TRANSITIONS[field].values():
        assert targets <= set(enum_type)


@pytest.mark.parametrize(("field", "current", "target"), DECLARED)
def test_every_declared_move_is_allowed(field, current, target):
    check_allowed(field, current, target)
    check_allowed(field, str(current), str(target))


@pytest.mark.parametrize(("field", "current", "target"), UNDECLARED)
def test_every_undeclared_move_raises_naming_the_field(field, current, target):
    with pytest.raises(InvalidTransition) as caught:
        check_allowed(field, current, target)
    error = caught.value
    assert (error.entity, error.field, error.current, error.target) == ("order", field, current, target)
    assert error.by is None
    assert f"order.{field}: cannot go from {current} to {target}" in str(error)


@pytest.mark.parametrize(
    ("field", "current", "target"),
    [
        ("status", "cancelled", "confirmed"),
        ("status", "cancelled", "pending"),
        ("status", "completed", "cancelled"),
        ("status", "pending", "completed"),
        ("payment_status", "refunded", "paid"),
        ("payment_status", "voided", "refunded"),
        ("payment_status", "paid", "unpaid"),
        ("payment_status", "unpaid", "refunded"),
        ("fulfillment_status", "unfulfilled", "delivered"),
        ("fulfillment_status", "shipped", "unfulfilled"),
        ("fulfillment_status", "returned", "shipped"),
        ("fulfillment_status", "delivered", "shipped"),
    ],
)
def test_well_known_illegal_moves_are_refused(field, current, target):
    assert (field, current, target) in UNDECLARED
    with pytest.raises(InvalidTransition) as caught:
        check_allowed(field, current, target)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "state"),
    [
        ("status", "completed"),
        ("status", "cancelled"),
        ("payment_status", "refunded"),
        ("fulfillment_status", "returned"),
    ],
)
def test_final_states_have_no_way_out(field, state):
    assert TRANSITIONS[field][state] == frozenset()


@pytest.mark.parametrize("field", sorted(ENUMS))
def test_staying_in_the_same_state_is_a_no_op(field):
    for state in ENUMS[field]:
        check_allowed(field, state, state)


def test_plugins_may_add_moves_for_one_field_only():
    extra = {"status": {"cancelled": frozenset({"pending"})}}
    check_allowed("status", "cancelled", "pending", extra)
    with pytest.raises(InvalidTransition):
        check_allowed("status", "cancelled", "confirmed", extra)
    with pytest.raises(InvalidTransition):
        check_allowed("payment_status", "refunded", "paid", extra)


def test_an_unknown_state_has_no_moves():
    with pytest.raises(InvalidTransition) as caught:
        check_allowed("status", "archived", "pending")
    assert caught.value.current == "archived"


def test_a_voided_authorization_leaves_the_order_payable_by_another_payment():
    for target in ("authorized", "partially_paid", "paid"):
        check_allowed("payment_status", "voided", target)
    with pytest.raises(InvalidTransition):
        check_allowed("payment_status", "voided", "unpaid")
