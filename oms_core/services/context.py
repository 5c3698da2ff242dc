"""What every use case needs besides its unit of work: tables, plugins, drivers, settings; and the one way a
status changes (declared table, then every plugin's veto, then timeline and event)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from oms_core.domain.errors import InvalidTransition, ValidationError
from oms_core.domain.order import Order
from oms_core.domain.status import FulfillmentStatus, OrderStatus, PaymentStatus, check_allowed
from oms_core.plugins import Drivers, call_each
from oms_core.storage.tables import Tables
from oms_core.storage.uow import UnitOfWork

if TYPE_CHECKING:
    from oms_core.app import OMS


class ShortStockPolicy(enum.StrEnum):
    BACKORDER = "backorder"  # reserve what there is, keep the rest as backorder, confirm
    HOLD = "hold"  # reserve what there is and hold the order for a person
    REJECT = "reject"  # refuse to confirm; nothing is reserved


@attrs.frozen
class Settings:
    """Policies of one OMS instance. Every field has a sensible default."""

    short_stock: ShortStockPolicy = attrs.field(default=ShortStockPolicy.BACKORDER, converter=ShortStockPolicy)
    #: confirm_order also puts an order on hold when its total is not covered by a payment? (no: by default the
    #: pipeline allows shipping before payment, as B2B invoices do; use a check_transition rule to require it)
    complete_when_paid_and_shipped: bool = True
    default_gateway: str = "manual"
    default_carrier: str = "flat_rate"
    max_delivery_attempts: int = 8
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 3600.0
    inline_dispatch: bool = True


@attrs.define
class Context:
    tables: Tables
    pm: pluggy.PluginManager
    drivers: Drivers
    settings: Settings
    oms: OMS
    extra_transitions: Mapping[str, Mapping[str, frozenset[str]]]

    def decide(self, hook: str, first: bool = False, **kwargs: Any) -> list[tuple[str, Any]]:
        return list(call_each(self.pm, hook, kwargs, first=first))


def change_status(uow: UnitOfWork, ctx: Context, order: Order, field: str, target: str, note: str = "") -> bool:
    """Move ``order.<field>`` to ``target``: declared table, then plugin vetoes; record it. Returns whether it moved.

    The caller writes the header (``save_order_header``) once after all its changes.
    """
    current = str(getattr(order, field))
    target = str(target)
    if current == target:
        return False
    check_allowed(field, current, target, ctx.extra_transitions)
    for plugin, reason in ctx.decide("check_transition", order=order, field=field, current=current, target=target):
        # the use case rolls back; the OMS facade then writes the veto on the timeline in a transaction of its own
        raise InvalidTransition("order", field, current, target, str(reason), by=plugin, order_id=order.id)
    enum_type = type(getattr(order, field))
    setattr(order, field, enum_type(target))
    label = field.replace("_", " ")
    uow.timeline(
        order.id,
        "status",
        f"{label}: {current} -> {target}" + (f" ({note})" if note else ""),
        data={"field": field, "old": current, "new": target},
    )
    uow.emit("order_status_changed", {"order_id": order.id, "field": field, "old": current, "new": target}, order.id)
    return True


def maybe_complete(uow: UnitOfWork, ctx: Context, order: Order) -> bool:
    """Complete a confirmed order once it is paid and fully shipped. Returns whether it completed."""
    if not ctx.settings.complete_when_paid_and_shipped or order.status != OrderStatus.CONFIRMED:
        return False
    if order.payment_status != PaymentStatus.PAID or order.fulfillment_status not in (
        FulfillmentStatus.SHIPPED,
        FulfillmentStatus.DELIVERED,
    ):
        return False
    change_status(uow, ctx, order, "status", OrderStatus.COMPLETED)
    uow.emit("order_completed", {"order_id": order.id}, order.id)
    return True


def positive_quantity(entity: str, field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(entity, field, "must be a whole number", value)
    if value <= 0:
        raise ValidationError(entity, field, "must be greater than zero", value)
    return value
