"""Stock: every change of on hand is a ledger row, on hand always equals the ledger's sum, low stock is announced."""

from __future__ import annotations

import pytest

from oms_core import LedgerReason, hookimpl
from oms_core.testing import draft, seed_catalogue


class StockRecorder:
    """Records the stock events it receives."""

    oms_plugin_name = "recorder"

    def __init__(self) -> None:
        self.low: list = []
        self.changed: list = []

    @hookimpl
    def stock_low(self, event):
        self.low.append(event)

    @hookimpl
    def stock_changed(self, event):
        self.changed.append(event)


@pytest.fixture
def recorder():
    return StockRecorder()


@pytest.fixture
def shop(make_oms, recorder):
    oms = make_oms(plugins=[recorder])
    oms.add_location("WH1", "Main warehouse", priority=1)
    oms.add_location("WH2", "Overflow", priority=2)
    oms.add_product("SKU-1", "Widget", low_stock_threshold=3)
    oms.add_product("SKU-2", "Gadget")
    return oms


def rows(oms, sku, location=None):
    return [(e.location, e.delta, e.reason, e.reference, e.note) for e in oms.ledger(sku, location)]


def assert_on_hand_is_the_ledger_sum(oms):
    for level in oms.stock():
        assert level.on_hand == sum(e.delta for e in oms.ledger(level.sku, level.location)), level
    assert oms.verify_stock() == []


def test_receive_adjust_and_transfer_write_ledger_rows(shop):
    level = shop.receive_stock("SKU-1", "WH1", 10, reference="PO-1", note="first delivery")
    assert (level.on_hand, level.reserved, level.available) == (10, 0, 10)
    assert shop.adjust_stock("SKU-1", "WH1", counted=8, reason="cycle count").on_hand == 8
    assert shop.adjust_stock("SKU-1", "WH1", delta=3, reason="found behind a shelf").on_hand == 11
    out, into = shop.transfer_stock("SKU-1", "WH1", "WH2", 4, reference="T-1")
    assert (out.location, out.on_hand, into.location, into.on_hand) == ("WH1", 7, "WH2", 4)

    assert rows(shop, "SKU-1") == [
        ("WH1", 10, LedgerReason.RECEIPT, "PO-1", "first delivery"),
        ("WH1", -2, LedgerReason.ADJUSTMENT, None, "cycle count"),
        ("WH1", 3, LedgerReason.ADJUSTMENT, None, "found behind a shelf"),
        ("WH1", -4, LedgerReason.TRANSFER_OUT, "T-1", "to WH2"),
        ("WH2", 4, LedgerReason.TRANSFER_IN, "T-1", "from WH1"),
    ]
    assert [r[1] for r in rows(shop, "SKU-1", "WH2")] == [4]
    assert [(s.location, s.on_hand, s.reserved) for s in shop.stock("SKU-1")] == [("WH1", 7, 0), ("WH2", 4, 0)]
    assert_on_hand_is_the_ledger_sum(shop)


def test_a_count_that_matches_writes_no_row(shop):
    shop.receive_stock("SKU-1", "WH1", 5)
    assert shop.adjust_stock("SKU-1", "WH1", counted=5, reason="cycle count").on_hand == 5
    assert len(shop.ledger("SKU-1")) == 1


def test_a_count_of_a_sku_never_stocked_there_starts_it(shop):
    level = shop.adjust_stock("SKU-2", "WH2", counted=6, reason="opening count")
    assert (level.on_hand, level.reserved) == (6, 0)
    assert rows(shop, "SKU-2") == [("WH2", 6, LedgerReason.ADJUSTMENT, None, "opening count")]
    assert_on_hand_is_the_ledger_sum(shop)


def test_reservations_move_no_stock_and_write_no_ledger_row(shop):
    shop.receive_stock("SKU-2", "WH1", 5)
    order = shop.place_order(draft("1", [("SKU-2", 2, "10.00")]))
    shop.confirm_order(order.id)
    [level] = shop.stock("SKU-2")
    assert (level.on_hand, level.reserved, level.available) == (5, 2, 3)
    assert len(shop.ledger("SKU-2")) == 1
    shop.cancel_order(order.id, "changed their mind")
    [level] = shop.stock("SKU-2")
    assert (level.on_hand, level.reserved) == (5, 0)
    assert len(shop.ledger("SKU-2")) == 1
    assert_on_hand_is_the_ledger_sum(shop)


def test_on_hand_equals_the_ledger_sum_through_the_whole_life_cycle(shop):
    seed_catalogue(shop, {"SKU-1": {"WH1": 6, "WH2": 6}, "SKU-2": {"WH1": 4}})
    a = shop.confirm_order(shop.place_order(draft("a", [("SKU-1", 8, "5.00"), ("SKU-2", 1, "3.00")])).id)
    b = shop.confirm_order(shop.place_order(draft("b", [("SKU-2", 2, "3.00")])).id)
    shop.ship(a.id, location="WH1")
    shop.ship(a.id, location="WH2")
    shop.cancel_order(b.id, "fraud")
    rma = shop.create_return(a.id, {"SKU-1": 3}, "too many")
    shop.receive_return(rma.id, {"SKU-1": "restock"}, location="WH1")
    shop.transfer_stock("SKU-1", "WH2", "WH1", 1)
    shop.adjust_stock("SKU-2", "WH1", delta=-1, reason="broken")
    assert {(s.sku, s.location): s.on_hand for s in shop.stock()} == {
        ("SKU-1", "WH1"): 6 - 6 + 3 + 1,
        ("SKU-1", "WH2"): 6 - 2 - 1,
        ("SKU-2", "WH1"): 4 - 1 - 1,
    }
    assert_on_hand_is_the_ledger_sum(shop)


# -- low stock --------------------------------------------------------------------------------------------------


def test_low_stock_is_announced_when_available_falls_to_the_threshold(shop, recorder):
    shop.receive_stock("SKU-1", "WH1", 5)
    assert recorder.low == []
    shop.adjust_stock("SKU-1", "WH1", delta=-1, reason="damaged")  # 4 available
    assert recorder.low == []
    shop.adjust_stock("SKU-1", "WH1", delta=-1, reason="damaged")  # 3 available
    [event] = recorder.low
    assert event.payload == {"sku": "SKU-1", "location": "WH1", "available": 3, "threshold": 3}
    assert event.id


def test_low_stock_is_announced_when_a_reservation_takes_available_to_the_threshold(shop, recorder):
    shop.receive_stock("SKU-1", "WH1", 5)
    order = shop.place_order(draft("1", [("SKU-1", 2, "10.00")]))
    shop.confirm_order(order.id)
    [event] = recorder.low
    assert event.payload == {"sku": "SKU-1", "location": "WH1", "available": 3, "threshold": 3}


def test_low_stock_is_announced_for_a_transfer_that_empties_a_location(shop, recorder):
    shop.receive_stock("SKU-1", "WH1", 10)
    shop.transfer_stock("SKU-1", "WH1", "WH2", 8)
    assert [(e.payload["location"], e.payload["available"]) for e in recorder.low] == [("WH1", 2)]


def test_no_low_stock_without_a_threshold(shop, recorder):
    shop.receive_stock("SKU-2", "WH1", 1)
    shop.adjust_stock("SKU-2", "WH1", counted=0, reason="lost")
    assert recorder.low == []
    assert [(e.payload["delta"], e.payload["on_hand"]) for e in recorder.changed] == [(1, 1), (-1, 0)]


def test_stock_changed_reports_every_ledger_row(shop, recorder):
    shop.receive_stock("SKU-2", "WH1", 5, reference="PO-7")
    shop.transfer_stock("SKU-2", "WH1", "WH2", 2)
    assert [(e.payload["location"], e.payload["delta"], e.payload["reason"]) for e in recorder.changed] == [
        ("WH1", 5, "receipt"),
        ("WH1", -2, "transfer_out"),
        ("WH2", 2, "transfer_in"),
    ]
    assert len({e.id for e in recorder.changed}) == 3
