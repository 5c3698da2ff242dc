"""``place_orders`` is set-based (one look-up of external ids and SKUs per batch, one insert of all lines), with
the checks, hooks and outcomes of ``place_order`` for each draft."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from oms_core import Customer, DuplicateOrder, LineDraft, OrderDraft, RuleRejected, ValidationErrors, hookimpl
from oms_core.storage import repository
from oms_core.testing import draft, seed_catalogue


class Rules:
    oms_plugin_name = "house_rules"

    @hookimpl
    def validate_order(self, draft: OrderDraft, oms: object) -> list[str] | None:
        return ["no orders from the test bench"] if draft.external_id == "refused" else None

    @hookimpl
    def price_order(self, draft: OrderDraft, oms: object) -> OrderDraft | None:
        if draft.customer.email != "vip@example.com":
            return None
        return attrs.evolve(draft, lines=[attrs.evolve(x, discount=Decimal("1.00")) for x in draft.lines])


@pytest.fixture
def shop(make_oms):
    oms = make_oms(load_entry_points=False, plugins=[Rules()], inline_dispatch=False)
    seed_catalogue(oms, {"SKU-1": {"WH1": 50}, "SKU-2": {"WH1": 50}})
    return oms


def _stored(order):
    lines = [(x.line_no, x.sku, x.quantity, x.unit_price, x.discount, x.tax) for x in order.lines]
    return (order.channel, order.currency, order.customer, order.shipping_address, order.billing_address,
            order.status, order.totals, lines)  # fmt: skip


def test_a_bulk_placed_order_is_stored_as_a_single_placement_stores_it(shop):
    drafts = [
        draft("S-1", [("SKU-1", 2, "10.00"), ("SKU-2", 1, "4.99")]),
        draft("S-2", [LineDraft("SKU-2", 3, "2.50", tax="0.45")], shipping="4.90", order_discount="1.00"),
        draft("S-3", [("SKU-1", 1, "10.00")], customer=Customer(email="vip@example.com")),
    ]
    single = [shop.place_order(d) for d in drafts]
    result = shop.place_orders([draft_copy(d, "B") for d in drafts])
    assert (result.created, result.replayed, result.errors) == (3, 0, ())
    ids = shop.order_ids("web", [f"B{d.external_id}" for d in drafts])
    for one, d in zip(single, drafts, strict=True):
        bulk = shop.get_order(ids[f"B{d.external_id}"], timeline=True)
        assert _stored(bulk) == _stored(shop.get_order(one.id))
        assert [e.kind for e in bulk.timeline] == [e.kind for e in shop.get_order(one.id, timeline=True).timeline]
    vip = shop.get_order(ids["BS-3"], timeline=True)
    assert vip.totals.discount_total.amount == Decimal("1.00")
    assert [e.source for e in vip.timeline if e.kind == "decision"] == ["house_rules"]


def draft_copy(d: OrderDraft, prefix: str) -> OrderDraft:
    return attrs.evolve(d, external_id=prefix + d.external_id)


def test_refused_drafts_are_reported_at_their_position_and_leave_nothing_behind(shop):
    drafts = [
        draft("ok-1"),
        draft("bad-sku", [("SKU-1", 1, "10.00"), ("NOPE", 1, "1.00")]),
        draft("refused"),
        draft("", [("SKU-1", 1, "10.00")]),
        draft("ok-2", [("SKU-2", 2, "3.00")]),
    ]
    result = shop.place_orders(drafts)
    assert (result.created, result.replayed) == (2, 0)
    assert [(i, ext) for i, ext, _ in result.errors] == [(1, "bad-sku"), (2, "refused"), (3, "")]
    kinds = [type(e) for _, _, e in result.errors]
    assert kinds == [ValidationErrors, RuleRejected, ValidationErrors]
    assert "lines[1].sku" in str(result.errors[0][2])
    assert sorted(o.external_id for o in shop.list_orders()) == ["ok-1", "ok-2"]
    assert shop.order_ids("web", ["ok-1", "bad-sku", "refused", "ok-2"]).keys() == {"ok-1", "ok-2"}


def test_a_resend_in_the_same_batch_is_a_replay_and_a_changed_one_a_duplicate(shop):
    first = draft("R-1", [("SKU-1", 1, "10.00")])
    changed = draft("R-1", [("SKU-1", 5, "10.00")])
    result = shop.place_orders([first, draft("R-2"), first, changed])
    assert (result.created, result.replayed) == (2, 1)
    [(position, external_id, error)] = result.errors
    assert (position, external_id, type(error)) == (3, "R-1", DuplicateOrder)
    assert "quantity" in str(error) or "lines" in str(error)
    assert shop.get_order(shop.order_ids("web", ["R-1"])["R-1"]).lines[0].quantity == 1


def test_a_draft_placed_by_another_transaction_after_the_look_up_is_a_replay(shop, monkeypatch):
    """The look-up found nothing, then the insert met the unique key: the stored order is compared and returned."""
    stored = shop.place_order(draft("C-1"))
    monkeypatch.setattr(repository, "order_fingerprints", lambda conn, t, keys: {})
    result = shop.place_orders([draft("C-1"), draft("C-1", [("SKU-2", 1, "1.00")]), draft("C-2")])
    assert (result.created, result.replayed) == (1, 1)
    assert [(i, type(e)) for i, _, e in result.errors] == [(1, DuplicateOrder)]
    assert len(shop.get_order(stored.id).lines) == 1
    assert len(shop.list_orders()) == 2


def test_order_ids_maps_external_ids_of_one_channel(shop):
    shop.place_orders([draft(f"M-{n}") for n in range(40)])  # more than one IN list
    shop.place_order(draft("M-1-other", channel="pos"))
    found = shop.order_ids("web", [f"M-{n}" for n in range(45)] + ["M-1-other"])
    assert sorted(found) == sorted(f"M-{n}" for n in range(40))
    assert len(set(found.values())) == 40
    assert shop.order_ids("pos", ["M-1-other", "M-1"]) == {"M-1-other": shop.find_order("pos", "M-1-other").id}
