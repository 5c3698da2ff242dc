"""Products and stock come in from Tryton, and Tryton wins."""

from __future__ import annotations

import tryton_support as erp
from oms_adapter_tryton import SyncReport, TrytonAdapter
from oms_adapter_tryton.adapter import SYNC_REASON

from oms_core import OMS, Product
from oms_core.testing import draft


def test_import_products_maps_salable_goods_by_code(tryton: TrytonAdapter) -> None:
    products = list(tryton.import_products())
    assert products == [
        Product(code, name, active=active) for code, (name, _, _, _, active) in sorted(erp.GOODS.items())
    ]  # the service SETUP-1 is not stock the OMS keeps


def test_import_stock_reads_the_warehouse(tryton: TrytonAdapter) -> None:
    levels = {s.sku: (s.location, s.on_hand, s.reserved) for s in tryton.import_stock()}
    assert levels == {code: ("WH", on_hand, 0) for code, (_, _, _, on_hand, _) in erp.GOODS.items()}


def test_sync_brings_products_locations_and_stock(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    report = adapter.sync(erp_oms)
    assert report == SyncReport(products_created=4, stock_adjusted=2)
    assert [(p.sku, p.name, p.active) for p in erp_oms.products()] == [
        ("CHAIR-1", "Oak chair", True),
        ("DESK-1", "Standing desk", True),
        ("LAMP-1", "Desk lamp", True),
        ("STOOL-1", "Retired stool", False),
    ]
    assert [loc.code for loc in erp_oms.locations()] == ["WH"]
    assert {s.sku: s.on_hand for s in erp_oms.stock(location="WH")} == {"CHAIR-1": 10, "DESK-1": 4}
    [entry] = erp_oms.ledger("CHAIR-1", "WH")
    assert (entry.delta, entry.note) == (10, SYNC_REASON)
    assert adapter.sync(erp_oms) == SyncReport(), "a second sync with nothing changed changes nothing"
    assert erp_oms.verify_stock() == []


def test_tryton_wins_for_products_and_stock(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    adapter.sync(erp_oms)
    erp_oms.add_product("CHAIR-1", "Chair (OMS name)", weight_grams=7000, low_stock_threshold=3)
    erp_oms.adjust_stock("DESK-1", "WH", counted=9, reason="miscounted in the OMS")

    (template,) = erp.model(adapter.proteus, "product.template").find([("code", "=", "CHAIR-1")])
    template.name = "Oak chair, oiled"
    template.save()
    erp.count_stock(adapter.proteus, "CHAIR-1", 7)

    report = adapter.sync(erp_oms)
    assert (report.products_updated, report.stock_adjusted, report.errors) == (1, 2, ())
    chair = {p.sku: p for p in erp_oms.products()}["CHAIR-1"]
    assert (chair.name, chair.weight_grams, chair.low_stock_threshold) == ("Oak chair, oiled", 7000, 3)
    assert {s.sku: s.on_hand for s in erp_oms.stock(location="WH")} == {"CHAIR-1": 7, "DESK-1": 4}
    assert [e.note for e in erp_oms.ledger("DESK-1", "WH")][-1] == SYNC_REASON


def test_stock_the_oms_has_promised_is_reported_not_forced(erp_oms: OMS, adapter: TrytonAdapter) -> None:
    """Tryton counts fewer chairs than the OMS has reserved: that pair is an error of the report, the rest syncs."""
    erp_oms.add_location("WH", "Warehouse")
    erp_oms.add_product("CHAIR-1", "Oak chair")
    erp_oms.receive_stock("CHAIR-1", "WH", 10)
    order = erp_oms.place_order(draft("big", [("CHAIR-1", 8, "100.00")]))
    erp_oms.confirm_order(order.id)  # reserves 8 (and exports the order: Tryton's stock is unchanged by that)
    erp.count_stock(adapter.proteus, "CHAIR-1", 5)

    report = adapter.sync(erp_oms)
    [error] = report.errors
    assert (error.entity, error.key) == ("stock", "CHAIR-1@WH")
    assert "reserved" in error.message
    assert {s.sku: (s.on_hand, s.reserved) for s in erp_oms.stock(location="WH")} == {
        "CHAIR-1": (10, 8),
        "DESK-1": (4, 0),
    }
