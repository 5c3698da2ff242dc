"""Serve each line from the warehouse nearest to the customer, by postcode prefix (``choose_sources``).

For every line, the rule picks the active location that can cover the whole line and whose ``postcode`` shares the
longest prefix with the shipping postcode (spaces and case ignored): for a customer in 80331 München, a warehouse
in 85748 (prefix ``8``) beats one in 10117 Berlin. Ties go to the location with the lower ``priority``. Locations
in another country than the shipping address, and those without a postcode, are not considered.

When the shipping address has no postcode, or some line has no location that qualifies, the rule returns ``None``
and the next sourcing rule decides (in the end the core's default sourcing). The timeline names the decision:
``sources chosen by nearest_warehouse: 2 at MUC``.

Give locations a postcode and a country: ``oms.add_location("MUC", "Munich", postcode="85748", country="DE")``.

Module-level default: :data:`DEFAULT_MIN_PREFIX`. Configure by instantiating :class:`NearestWarehouse`::

    OMS(plugins=[NearestWarehouse(min_prefix=2)])
"""

from __future__ import annotations

from collections.abc import Sequence

from oms_core import OMS, Allocation, Location, Order, StockLevel, hookimpl

NAME = "nearest_warehouse"

#: a location qualifies only when its postcode shares at least this many leading characters with the customer's
DEFAULT_MIN_PREFIX = 1


def normalise(postcode: str) -> str:
    return "".join(postcode.split()).upper()


def shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class NearestWarehouse:
    """Choose, per line, the location whose postcode shares the longest prefix with the shipping postcode.

    :param min_prefix: the least number of shared leading characters for a location to count as near.
    :param same_country: consider only locations in the shipping country (or without a country).
    :param name: the plugin name written on the timeline.
    """

    def __init__(self, *, min_prefix: int = DEFAULT_MIN_PREFIX, same_country: bool = True, name: str = NAME) -> None:
        self.min_prefix = min_prefix
        self.same_country = same_country
        self.oms_plugin_name = name

    def __repr__(self) -> str:
        return f"NearestWarehouse(min_prefix={self.min_prefix}, name={self.oms_plugin_name!r})"

    def candidates(self, order: Order, oms: OMS) -> list[Location]:
        address = order.shipping_address
        country = (address.country or "").upper() if address else ""
        return [
            loc
            for loc in oms.locations()  # by priority, then code
            if loc.active
            and loc.postcode
            and not (self.same_country and country and loc.country and loc.country.upper() != country)
        ]

    @hookimpl
    def choose_sources(
        self, order: Order, lines: Sequence[tuple[int, str, int]], stock: Sequence[StockLevel], oms: OMS
    ) -> list[Allocation] | None:
        address = order.shipping_address
        if address is None or not address.postcode:
            return None
        target = normalise(address.postcode)
        locations = [
            (loc.code, shared_prefix(target, normalise(loc.postcode or ""))) for loc in self.candidates(order, oms)
        ]
        available = {(s.sku, s.location): max(0, s.available) for s in stock}
        plan = []
        for line_id, sku, quantity in lines:
            best: tuple[int, str] | None = None
            for code, shared in locations:
                near = shared >= self.min_prefix and (best is None or shared > best[0])
                if near and available.get((sku, code), 0) >= quantity:
                    best = (shared, code)
            if best is None:
                return None
            available[(sku, best[1])] -= quantity
            plan.append(Allocation(line_id, best[1], quantity))
        return plan
