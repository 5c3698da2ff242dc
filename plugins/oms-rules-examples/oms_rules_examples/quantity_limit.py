"""Refuse orders with too many units of one SKU (``validate_order``).

The units of a SKU are added up over every line of the order that carries it. The caller gets ``RuleRejected``
with messages such as ``quantity_limit: lines[0].quantity: 12 x MUG ordered, at most 10 per order``.

Module-level default: :data:`DEFAULT_MAX_QUANTITY`. Configure by instantiating :class:`QuantityLimit`::

    OMS(plugins=[QuantityLimit(20, per_sku={"GPU-4090": 1})])
"""

from __future__ import annotations

from collections.abc import Mapping

from oms_core import OrderDraft, ValidationError, hookimpl

NAME = "quantity_limit"

#: the most units of one SKU an order may carry
DEFAULT_MAX_QUANTITY = 10


class QuantityLimit:
    """Refuse a draft that carries more than the allowed units of a SKU.

    :param max_quantity: the limit for every SKU; ``None`` for no general limit (only ``per_sku``).
    :param per_sku: ``{sku: limit}``, overriding ``max_quantity`` for those SKUs.
    :param name: the plugin name the refusal is reported under.
    """

    def __init__(
        self,
        max_quantity: int | None = DEFAULT_MAX_QUANTITY,
        *,
        per_sku: Mapping[str, int] | None = None,
        name: str = NAME,
    ) -> None:
        for field, value in [
            ("max_quantity", max_quantity),
            *((f"per_sku[{k}]", v) for k, v in (per_sku or {}).items()),
        ]:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValidationError("rule", field, "must be a whole number of at least 1", value)
        self.max_quantity = max_quantity
        self.per_sku = dict(per_sku or {})
        self.oms_plugin_name = name

    def __repr__(self) -> str:
        return f"QuantityLimit({self.max_quantity}, per_sku={self.per_sku}, name={self.oms_plugin_name!r})"

    def limit(self, sku: str) -> int | None:
        return self.per_sku.get(sku, self.max_quantity)

    @hookimpl
    def validate_order(self, draft: OrderDraft) -> list[str] | None:
        units: dict[str, int] = {}
        where: dict[str, list[int]] = {}
        for i, line in enumerate(draft.lines):
            units[line.sku] = units.get(line.sku, 0) + line.quantity
            where.setdefault(line.sku, []).append(i)
        found = []
        for sku, quantity in units.items():
            limit = self.limit(sku)
            if limit is not None and quantity > limit:
                fields = ", ".join(f"lines[{i}].quantity" for i in where[sku])
                found.append(f"{fields}: {quantity} x {sku} ordered, at most {limit} per order")
        return found or None
