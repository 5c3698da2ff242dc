"""Every pluggy hook of the OMS: the contract with the people who write business rules.

Hooks are grouped by when they run:

* **Decision hooks** run inside the use case's transaction. What they return changes the outcome; an exception
  rolls the whole use case back and reaches the caller as :class:`~oms_core.HookFailed` naming the plugin. Each
  decision is written on the order's timeline with the plugin's name.
* **Reaction hooks** run after commit, through the outbox: at least once, each call with a stable ``event.id``
  so that a handler can make itself idempotent. A handler that raises is retried with back-off and, after the
  configured number of attempts, parked as dead with its error. It never undoes committed state.
* **Registration hooks** let a plugin contribute drivers in code.

A hook implementation may accept any subset of the arguments named in the spec, in any order.
``docs/plugin_hooks.md`` has an example for each hook; a test fails when a hook is missing there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from oms_core.app import OMS
    from oms_core.domain.events import Event
    from oms_core.domain.inventory import Allocation, StockLevel
    from oms_core.domain.order import Order, OrderDraft

PROJECT = "oms"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# ---------------------------------------------------------------------------------------------------------------
# Decision hooks: inside the transaction
# ---------------------------------------------------------------------------------------------------------------


@hookspec
def validate_order(draft: OrderDraft, oms: OMS) -> Sequence[str] | str | None:
    """Check an incoming order draft before it is placed.

    Called by ``place_order`` after the core's own checks passed (every field well-formed, every SKU known).

    :param draft: the :class:`~oms_core.OrderDraft` as the channel handed it in.
    :param oms: the OMS instance, for look-ups (do not write through it here).
    :return: ``None`` or an empty list to accept; a message or a list of messages to refuse. The caller gets
        :class:`~oms_core.RuleRejected` listing every plugin's messages, and nothing is written.
    """


@hookspec(firstresult=True)
def price_order(draft: OrderDraft, oms: OMS) -> OrderDraft | None:
    """Reprice a draft before it is placed (B2B price lists, promotions).

    First result wins: the first plugin that returns a draft decides, later ones are not called.

    :param draft: the draft after validation.
    :return: a new :class:`~oms_core.OrderDraft` (use ``attrs.evolve``) or ``None`` to keep the channel's prices.
    """


@hookspec(firstresult=True)
def compute_taxes(draft: OrderDraft, oms: OMS) -> Sequence[str] | None:
    """Compute the tax of each line and of shipping when the channel did not.

    First result wins.

    :param draft: the (possibly repriced) draft.
    :return: ``None`` to keep the channel's taxes, or a list of decimal strings or ``Decimal``, one per line,
        followed by one more for the shipping tax.
    """


@hookspec
def check_transition(order: Order, field: str, current: str, target: str) -> str | None:
    """Veto a status change that the transition table allows.

    Called before ``status``, ``payment_status`` or ``fulfillment_status`` changes.

    :param order: the order as it is before the change.
    :param field: ``"status"``, ``"payment_status"`` or ``"fulfillment_status"``.
    :param current: the status now.
    :param target: the status asked for.
    :return: ``None`` to allow; a reason (str) to veto. The caller gets :class:`~oms_core.InvalidTransition`
        naming the plugin and the reason, and the use case is rolled back.
    """


@hookspec
def extend_transitions() -> Mapping[str, Mapping[str, Sequence[str]]] | None:
    """Allow status moves the core table does not have. Called once when the OMS starts.

    :return: ``{field: {current: [target, ...]}}``, e.g. ``{"status": {"completed": ["cancelled"]}}``.
    """


@hookspec
def assess_order(order: Order, oms: OMS) -> Sequence[tuple[str, str]] | None:
    """Decide whether a confirmed order must wait for a person: fraud, address, credit, anything.

    Called by ``confirm_order`` after stock is reserved. Every hold returned puts the order ``on_hold`` and is
    written on the timeline as ``held by <plugin>: <reason>``. ``release_hold`` lifts a hold; when none is left,
    the order is confirmed.

    :param order: the order with its lines, totals, customer and addresses.
    :return: ``None`` or a list of ``(kind, reason)`` pairs, e.g. ``[("fraud", "score 87 > 80")]``.
    """


@hookspec(firstresult=True)
def choose_sources(
    order: Order, lines: Sequence[tuple[int, str, int]], stock: Sequence[StockLevel], oms: OMS
) -> Sequence[Allocation] | None:
    """Decide from which locations each line is served (sourcing / routing).

    First result wins; the core's ``default_sourcing`` plugin answers last: one location covering the whole order
    (by location priority), else a split by priority, else the remainder is short.

    :param order: the order being confirmed.
    :param lines: ``(line_id, sku, quantity_to_reserve)`` for every line that still needs stock.
    :param stock: the :class:`~oms_core.StockLevel` of those SKUs at every active location.
    :return: a list of :class:`~oms_core.Allocation`; quantities not allocated are short (backordered or held,
        by the ``short_stock`` policy). ``None`` passes to the next plugin.
    """


# ---------------------------------------------------------------------------------------------------------------
# Reaction hooks: after commit, through the outbox
# ---------------------------------------------------------------------------------------------------------------


def _reaction(name: str, doc: str) -> Callable[..., None]:
    def spec(event: Event, oms: OMS) -> None: ...

    spec.__name__ = name
    spec.__qualname__ = name
    spec.__doc__ = (
        f"{doc}\n\n"
        ":param event: the :class:`~oms_core.Event`; ``event.id`` is stable across redeliveries and "
        "``event.payload`` holds the facts listed above.\n"
        ":param oms: the OMS instance; a handler may read through it and call further use cases.\n"
        ":return: ignored. Raise to have the event redelivered later."
    )
    return hookspec(spec)


order_placed = _reaction(
    "order_placed",
    "An order was accepted. Payload: ``order_id``, ``channel``, ``external_id``, ``total``, ``currency``.",
)
order_confirmed = _reaction(
    "order_confirmed",
    "An order was confirmed and its stock reserved (what could be). "
    "Payload: ``order_id``, ``backordered`` (units short).",
)
order_held = _reaction(
    "order_held", "An order was put on hold. Payload: ``order_id``, ``kind``, ``reason``, ``source``."
)
order_released = _reaction(
    "order_released",
    "A hold was lifted. Payload: ``order_id``, ``kind``, ``released_by``, ``status`` (the order's status after).",
)
order_cancelled = _reaction(
    "order_cancelled",
    "An order was cancelled; its reservations were released. Payload: ``order_id``, ``reason``, ``refunded``.",
)
order_completed = _reaction("order_completed", "An order is paid and shipped. Payload: ``order_id``.")
order_status_changed = _reaction(
    "order_status_changed", "Any of the three statuses changed. Payload: ``order_id``, ``field``, ``old``, ``new``."
)
payment_authorized = _reaction(
    "payment_authorized",
    "A payment was authorized. Payload: ``order_id``, ``payment_id``, ``gateway``, ``amount``, ``currency``.",
)
payment_captured = _reaction(
    "payment_captured",
    "Money was captured. Payload: ``order_id``, ``payment_id``, ``gateway``, ``amount``, ``currency``.",
)
payment_refunded = _reaction(
    "payment_refunded",
    "Money was refunded. Payload: ``order_id``, ``payment_id``, ``refund_id``, ``amount``, ``currency``, ``reason``.",
)
payment_voided = _reaction("payment_voided", "An authorization was voided. Payload: ``order_id``, ``payment_id``.")
payment_failed = _reaction(
    "payment_failed",
    "A payment attempt failed at the gateway. Payload: ``order_id``, ``payment_id``, ``gateway``, ``error``.",
)
shipment_created = _reaction(
    "shipment_created",
    "A shipment was created with its label. Payload: ``order_id``, ``shipment_id``, ``carrier``, ``tracking_number``.",
)
shipment_shipped = _reaction(
    "shipment_shipped",
    "A shipment left its location; stock fell. Payload: ``order_id``, ``shipment_id``, ``lines`` ([sku, quantity]).",
)
shipment_delivered = _reaction(
    "shipment_delivered", "A shipment was delivered. Payload: ``order_id``, ``shipment_id``."
)
stock_changed = _reaction(
    "stock_changed",
    "On-hand stock of a SKU at a location changed. Payload: ``sku``, ``location``, ``delta``, ``reason``, ``on_hand``.",
)
stock_low = _reaction(
    "stock_low",
    "Available stock fell to or below the product's ``low_stock_threshold``. "
    "Payload: ``sku``, ``location``, ``available``, ``threshold``.",
)
return_received = _reaction(
    "return_received",
    "A return arrived and was restocked or scrapped. Payload: "
    "``order_id``, ``return_id``, ``refund`` (amount or null), ``lines``.",
)

REACTION_HOOKS = (
    "order_placed",
    "order_confirmed",
    "order_held",
    "order_released",
    "order_cancelled",
    "order_completed",
    "order_status_changed",
    "payment_authorized",
    "payment_captured",
    "payment_refunded",
    "payment_voided",
    "payment_failed",
    "shipment_created",
    "shipment_shipped",
    "shipment_delivered",
    "stock_changed",
    "stock_low",
    "return_received",
)

# ---------------------------------------------------------------------------------------------------------------
# Registration hooks
# ---------------------------------------------------------------------------------------------------------------


@hookspec
def register_drivers(register: Callable[[str, str, Callable[..., Any]], None]) -> None:
    """Contribute drivers in code instead of through entry points. Called once when the OMS starts.

    :param register: ``register(namespace, name, factory)``; ``namespace`` is one of ``oms.channels``,
        ``oms.payment_gateways``, ``oms.carriers``, ``oms.adapters``; ``factory(**config)`` returns the driver.
    """
