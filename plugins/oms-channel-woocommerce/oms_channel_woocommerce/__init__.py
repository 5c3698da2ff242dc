"""WooCommerce channel connector: order webhooks and REST API v3 orders in, stock quantities out.

``WooCommerceChannel`` is an ``oms.channels`` driver. It verifies WooCommerce's webhook signature, maps the REST API
v3 order JSON (the same JSON the ``order.*`` webhooks carry) to :class:`oms_core.OrderDraft` exactly to the cent,
and shapes OMS stock levels as WooCommerce product stock updates. See the README for the field-by-field mapping.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_CEILING, Decimal
from typing import Any

from oms_core import (
    Address,
    Channel,
    Customer,
    LineDraft,
    Money,
    OrderDraft,
    StockLevel,
    ValidationError,
    payload,
)

__all__ = ["ORDER_TOPICS", "SIGNATURE_HEADER", "TOPIC_HEADER", "WooCommerceChannel", "is_ping", "split_line"]

CHANNEL = "woocommerce"
ENTITY = "order"


# the payload readers every connector needs come from the core (errors name the field path)
header = payload.header
_raw = payload.raw_bytes
_at = payload.field_path
_money = payload.money
_list = payload.as_list
_object = payload.as_object
_text = payload.text
_currency = payload.currency


def _load(body: bytes | str) -> Any:
    return payload.load_json(body, ENTITY)


SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
WEBHOOK_ID_HEADER = "X-WC-Webhook-ID"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"

#: Webhook topics whose body is a whole order. ``order.deleted`` carries only the id; other resources
#: (``product.*``, ``coupon.*``, ``customer.*``, ``action.*``) are not orders. Those give no drafts.
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})

_PING = re.compile(rb"\s*webhook_id=\d+\s*")
_UNIT = Decimal("0.0001")


def is_ping(body: bytes | str) -> bool:
    """Whether ``body`` is the form-encoded ``webhook_id=NN`` ping WooCommerce sends when a webhook is saved."""
    return _PING.fullmatch(_raw(body)) is not None


def split_line(gross: Decimal, net: Decimal, quantity: int, currency: str) -> tuple[Decimal, Decimal]:
    """``(unit_price, discount)`` for a line whose amount before discounts is ``gross`` and after is ``net``.

    ``unit_price`` is ``gross / quantity`` when that has at most 4 decimals, otherwise it is rounded *up* to 4
    decimals. ``discount`` is then ``round(unit_price * quantity) - net``, so the line's net amount in the OMS is
    exactly ``net``: the cents that rounding the unit price up adds to the gross (only possible from 100 units up)
    are given back in the discount, never lost and never charged.
    """
    unit = gross / quantity
    if unit.as_tuple().exponent < -4:  # type: ignore[operator]
        unit = unit.quantize(_UNIT, rounding=ROUND_CEILING)
    charged = Money(unit * quantity, currency).rounded().amount
    return unit, charged - net


class WooCommerceChannel(Channel):
    """Orders from a WooCommerce store.

    :param secret: the webhook's secret (WooCommerce > Settings > Advanced > Webhooks). Signed webhooks are refused
        while it is empty.
    """

    def __init__(self, secret: str = "") -> None:
        self.secret = secret

    # -- inbound ------------------------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check ``X-WC-Webhook-Signature``: base64 of HMAC-SHA256 over the raw body, keyed with the secret.

        The ``webhook_id=NN`` ping is let through unsigned: WooCommerce sends it without any signature when a
        webhook is saved and expects a 200, and it carries no order (:meth:`parse_orders` returns nothing for it).
        """
        if is_ping(body):
            return
        payload.verify_hmac_sha256_base64(CHANNEL, self.secret, headers, SIGNATURE_HEADER, body)

    def parse_orders(self, body: bytes, headers: Mapping[str, str] | None = None) -> list[OrderDraft]:
        """Drafts from a webhook body or REST response: one order object, or a list of them (``GET /orders``).

        The ping body and non-order topics give no drafts. The whole payload is read before anything is returned,
        so a bad order refuses the payload as a whole with a :class:`~oms_core.ValidationError` naming the field by
        its path in the payload (``[1].line_items[0].sku`` for a list).
        """
        if is_ping(body):
            return []
        topic = header(headers, TOPIC_HEADER)
        if topic is not None and topic.strip() not in ORDER_TOPICS:
            return []
        data = _load(body)
        context = {
            "topic": topic,
            "webhook_id": header(headers, WEBHOOK_ID_HEADER),
            "delivery_id": header(headers, DELIVERY_ID_HEADER),
        }
        if isinstance(data, list):
            return [_draft(order, f"[{i}]", context) for i, order in enumerate(data)]
        if isinstance(data, dict) and "line_items" in data:
            return [_draft(data, "", context)]
        raise ValidationError(ENTITY, "body", "is not a WooCommerce order or a list of orders")

    # -- outbound -----------------------------------------------------------------------------------------------

    def export_stock(self, levels: Iterable[StockLevel]) -> list[dict[str, Any]]:
        """``[{"sku", "stock_quantity"}]``: WooCommerce keeps one stock figure per product, so the available
        quantity is summed over the OMS locations, one entry per SKU, sorted by SKU."""
        per_sku: dict[str, int] = {}
        for level in levels:
            per_sku[level.sku] = per_sku.get(level.sku, 0) + level.available
        return [{"sku": sku, "stock_quantity": quantity} for sku, quantity in sorted(per_sku.items())]


# -- reading the payload ----------------------------------------------------------------------------------------


def _timestamp_gmt(value: Any, path: str) -> dt.datetime | None:
    """``date_created_gmt`` is ISO 8601 in GMT without an offset (``2017-03-22T19:28:02``)."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(ENTITY, path, f"{value!r} is not an ISO 8601 timestamp", value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _full_name(data: Mapping[str, Any]) -> str | None:
    return _text(" ".join(str(data[k]).strip() for k in ("first_name", "last_name") if _text(data.get(k))))


def _address(data: Any, path: str) -> Address | None:
    """An address, or ``None`` when WooCommerce left it empty (no ``address_1``), as for virtual goods."""
    if data is None:
        return None
    data = _object(data, path)
    if not _text(data.get("address_1")):
        return None
    return Address(
        name=_full_name(data) or _text(data.get("company")) or "",
        line1=_text(data.get("address_1")) or "",
        line2=_text(data.get("address_2")),
        city=_text(data.get("city")) or "",
        postcode=_text(data.get("postcode")) or "",
        country=_text(data.get("country")) or "",
        region=_text(data.get("state")),
        company=_text(data.get("company")),
        phone=_text(data.get("phone")),
    )


def _line(item: Any, path: str, currency: str, taxes_included: bool) -> LineDraft:
    item = _object(item, path)
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku.strip():
        raise ValidationError(ENTITY, f"{path}.sku", "is required (the OMS identifies products by SKU)", sku)
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError(ENTITY, f"{path}.quantity", "must be a whole number", quantity)
    if quantity <= 0:
        raise ValidationError(ENTITY, f"{path}.quantity", "must be greater than zero", quantity)
    subtotal = _money(item.get("subtotal"), f"{path}.subtotal")
    total = _money(item.get("total"), f"{path}.total")
    tax = _money(item.get("total_tax", "0"), f"{path}.total_tax")
    if taxes_included:
        # WooCommerce keeps line amounts without tax even when the shop's prices include it; add the tax back so
        # that the OMS line is priced as the customer saw it.
        subtotal += _money(item.get("subtotal_tax", "0"), f"{path}.subtotal_tax")
        total += tax
    if total > subtotal:
        raise ValidationError(ENTITY, f"{path}.total", "is above the line subtotal (a negative discount)", total)
    unit_price, discount = split_line(subtotal, total, quantity, currency)
    name = _text(item.get("name"))  # WooCommerce sends names HTML-escaped ("&ndash;")
    return LineDraft(
        sku=sku.strip(),
        quantity=quantity,
        unit_price=unit_price,
        name=html.unescape(name) if name else None,
        discount=discount,
        tax=tax,
        external_id=_text(item.get("id")),
    )


def _draft(order: Any, prefix: str, context: Mapping[str, Any]) -> OrderDraft:
    order = _object(order, prefix or "body")
    raw_id = order.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or not str(raw_id).strip():
        raise ValidationError(ENTITY, _at(prefix, "id"), "is required (the WooCommerce order id)", raw_id)
    currency = _currency(order.get("currency"), _at(prefix, "currency"))
    taxes_included = order.get("prices_include_tax", False)
    if not isinstance(taxes_included, bool):
        raise ValidationError(ENTITY, _at(prefix, "prices_include_tax"), "must be true or false", taxes_included)
    items_path = _at(prefix, "line_items")
    items = _list(order.get("line_items"), items_path)
    if not items:
        raise ValidationError(ENTITY, items_path, "has no line items")
    lines = [_line(item, f"{items_path}[{i}]", currency, taxes_included) for i, item in enumerate(items)]

    shipping = shipping_tax = Decimal(0)
    ship_path = _at(prefix, "shipping_lines")
    for k, ship in enumerate(_list(order.get("shipping_lines"), ship_path)):
        at = f"{ship_path}[{k}]"
        ship = _object(ship, at)
        ship_tax = _money(ship.get("total_tax", "0"), f"{at}.total_tax")
        shipping += _money(ship.get("total"), f"{at}.total") + (ship_tax if taxes_included else 0)
        shipping_tax += ship_tax
    fee_path = _at(prefix, "fee_lines")
    for k, fee in enumerate(_list(order.get("fee_lines"), fee_path)):
        amount = _object(fee, f"{fee_path}[{k}]").get("total")
        if _text(amount) and _money(str(amount).strip().removeprefix("-"), f"{fee_path}[{k}].total") != 0:
            raise ValidationError(ENTITY, f"{fee_path}[{k}].total", "fees are not supported by the OMS", amount)

    total = order.get("total")
    expected_total = None if total is None else _money(total, _at(prefix, "total"))
    billing = _address(order.get("billing"), _at(prefix, "billing"))
    shipping_address = _address(order.get("shipping"), _at(prefix, "shipping")) or billing
    bill = order.get("billing")
    bill = _object(bill, _at(prefix, "billing")) if bill is not None else {}
    customer_id = order.get("customer_id")
    customer = Customer(
        email=_text(bill.get("email")),
        name=_full_name(bill) or (shipping_address.name if shipping_address else None),
        phone=_text(bill.get("phone")),
        external_id=str(customer_id) if isinstance(customer_id, int) and customer_id > 0 else None,
    )
    attributes = {
        "number": order.get("number"),
        "status": order.get("status"),
        "payment_method": order.get("payment_method"),
        "created_via": order.get("created_via"),
        **context,
    }
    return OrderDraft(
        channel=CHANNEL,
        external_id=str(raw_id).strip(),
        currency=currency,
        lines=lines,
        shipping_address=shipping_address,
        billing_address=billing,
        customer=customer,
        shipping=shipping,
        shipping_tax=shipping_tax,
        taxes_included=taxes_included,
        placed_at=_timestamp_gmt(order.get("date_created_gmt"), _at(prefix, "date_created_gmt")),
        expected_total=expected_total,
        notes=_text(order.get("customer_note")),
        attributes={k: v for k, v in attributes.items() if isinstance(v, str) and v},
    )
