"""Default sourcing: one location that covers the whole order, else a split by location priority.

Registered under the entry-point group ``oms`` as ``default_sourcing`` and marked ``trylast``, so any sourcing
rule a company installs is asked first. Quantities no location can cover are left out of the plan: the core then
treats them as short (backorder, hold or reject, by policy).
"""

from __future__ import annotations

from collections.abc import Sequence

from oms_core.domain.inventory import Allocation, StockLevel
from oms_core.hookspecs import hookimpl


@hookimpl(trylast=True)
def choose_sources(lines: Sequence[tuple[int, str, int]], stock: Sequence[StockLevel]) -> list[Allocation]:
    # stock comes ordered by location priority; keep that order
    locations: list[str] = []
    available: dict[tuple[str, str], int] = {}
    for level in stock:
        if level.location not in locations:
            locations.append(level.location)
        available[(level.sku, level.location)] = max(0, level.available)
    demand: dict[str, int] = {}
    for _, sku, qty in lines:
        demand[sku] = demand.get(sku, 0) + qty
    for loc in locations:
        if all(available.get((sku, loc), 0) >= qty for sku, qty in demand.items()):
            return [Allocation(line_id, loc, qty) for line_id, _, qty in lines]
    plan: list[Allocation] = []
    for line_id, sku, qty in lines:
        left = qty
        for loc in locations:
            take = min(left, available.get((sku, loc), 0))
            if take:
                plan.append(Allocation(line_id, loc, take))
                available[(sku, loc)] -= take
                left -= take
            if not left:
                break
    return plan
