"""Shopify channel connector: order webhooks and REST order payloads in, inventory levels out.

``ShopifyChannel`` is an ``oms.channels`` driver. It verifies Shopify's webhook signature, maps the Admin REST
order JSON (the same JSON the ``orders/*`` webhooks carry) to :class:`oms_core.OrderDraft` exactly to the cent, and
shapes OMS stock levels as Shopify inventory levels. See the README for the field-by-field mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from oms_core import (
    Address,
    Channel,
    Customer,
    LineDraft,
    OrderDraft,
    StockLevel,
    ValidationError,
    payload,
)

__all__ = ["HMAC_HEADER", "ORDER_TOPICS", "TOPIC_HEADER", "WEBHOOK_ID_HEADER", "ShopifyChannel"]

CHANNEL = "shopify"
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


HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
SHOP_DOMAIN_HEADER = "X-Shopify-Shop-Domain"

#: Webhook topics whose body is a whole order. Any other topic (``orders/delete`` carries only an id,
#: ``products/update`` is not an order) gives no drafts.
ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/cancelled",
        "orders/paid",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    }
)


class ShopifyChannel(Channel):
    """Orders from a Shopify store.

    :param secret: the app's client secret (or, for a webhook created in the store admin, the signing key shown
        there). Webhooks are refused while it is empty.
    :param location_map: OMS location code -> Shopify ``location_id``, for :meth:`export_stock`.
    :param inventory_item_map: SKU -> Shopify ``inventory_item_id``, for :meth:`export_stock`.
    """

    def __init__(
        self,
        secret: str = "",
        location_map: Mapping[str, int | str] | None = None,
        inventory_item_map: Mapping[str, int | str] | None = None,
    ) -> None:
        self.secret = secret
        self.location_map = dict(location_map or {})
        self.inventory_item_map = dict(inventory_item_map or {})

    # -- inbound ------------------------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check ``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256 over the raw body, keyed with the secret."""
        payload.verify_hmac_sha256_base64(CHANNEL, self.secret, headers, HMAC_HEADER, body)

    def parse_orders(self, body: bytes, headers: Mapping[str, str] | None = None) -> list[OrderDraft]:
        """Drafts from a webhook body (one order), ``{"order": {...}}`` or ``{"orders": [...]}``.

        The whole payload is read before anything is returned, so a bad order refuses the payload as a whole with
        a :class:`~oms_core.ValidationError` naming the field by its path in the payload
        (``orders[1].line_items[2].sku``).
        """
        topic = header(headers, TOPIC_HEADER)
        if topic is not None and topic.strip() not in ORDER_TOPICS:
            return []
        data = _load(body)
        context = {"topic": topic, "webhook_id": header(headers, WEBHOOK_ID_HEADER)}
        if isinstance(data, dict) and isinstance(data.get("orders"), list):
            return [_draft(order, f"orders[{i}]", context) for i, order in enumerate(data["orders"])]
        if isinstance(data, dict) and isinstance(data.get("order"), dict):
            return [_draft(data["order"], "order", context)]
        if isinstance(data, dict) and "line_items" in data:
            return [_draft(data, "", context)]
        raise ValidationError(ENTITY, "body", 'is not a Shopify order, {"order": {...}} or {"orders": [...]}')

    def cancellation(self, body: bytes) -> tuple[str, str] | None:
        """``(external_id, reason)`` when the order in ``body`` is cancelled in Shopify, else ``None``.

        Meant for ``orders/cancelled`` (and ``orders/updated``) webhooks: the host imports the order as usual, then
        cancels it in the OMS with ``oms.cancel_order(oms.find_order("shopify", external_id).id, reason)``.
        ``reason`` is Shopify's ``cancel_reason`` (``customer``, ``fraud``, ``inventory``, ``declined``, ``staff``,
        ``other``), or ``"cancelled"`` when Shopify gives none.
        """
        data = _load(body)
        if isinstance(data, dict) and isinstance(data.get("order"), dict):
            data, prefix = data["order"], "order."
        else:
            prefix = ""
        if not isinstance(data, dict) or not data.get("cancelled_at"):
            return None
        return _external_id(data.get("id"), f"{prefix}id"), str(data.get("cancel_reason") or "cancelled")

    # -- outbound -----------------------------------------------------------------------------------------------

    def export_stock(self, levels: Iterable[StockLevel]) -> list[dict[str, Any]]:
        """Shopify inventory levels: ``{"inventory_item_id", "location_id", "available"}``.

        OMS locations that map to the same Shopify location are added up. A level whose SKU has no
        ``inventory_item_map`` entry or whose location has no ``location_map`` entry cannot be addressed in
        Shopify; it is reported as ``{"sku", "location", "available"}`` instead, after the mapped ones, so the host
        can see what is missing.
        """
        mapped: dict[tuple[Any, Any], int] = {}
        unmapped: list[dict[str, Any]] = []
        for level in levels:
            item = self.inventory_item_map.get(level.sku)
            location = self.location_map.get(level.location)
            if item is None or location is None:
                unmapped.append({"sku": level.sku, "location": level.location, "available": level.available})
                continue
            mapped[(item, location)] = mapped.get((item, location), 0) + level.available
        return [
            {"inventory_item_id": item, "location_id": location, "available": available}
            for (item, location), available in mapped.items()
        ] + unmapped


# -- reading the payload ----------------------------------------------------------------------------------------


def _sum(items: list[Any], path: str, field: str) -> Decimal:
    """The sum of ``item[field]`` over a list such as ``tax_lines`` or ``discount_allocations``."""
    total = Decimal(0)
    for j, item in enumerate(items):
        total += _money(_object(item, f"{path}[{j}]").get(field), f"{path}[{j}].{field}")
    return total


def _external_id(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise ValidationError(ENTITY, path, "is required (the Shopify order id)", value)
    return str(value).strip()


def _timestamp(value: Any, path: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(ENTITY, path, f"{value!r} is not an ISO 8601 timestamp", value) from None
    if parsed.tzinfo is None:
        raise ValidationError(ENTITY, path, "has no UTC offset", value)
    return parsed.astimezone(dt.UTC)


def _full_name(data: Mapping[str, Any]) -> str | None:
    return _text(" ".join(str(data[k]).strip() for k in ("first_name", "last_name") if _text(data.get(k))))


def _address(data: Any, path: str) -> Address | None:
    if data is None:
        return None
    data = _object(data, path)
    return Address(
        name=_text(data.get("name")) or _full_name(data) or "",
        line1=_text(data.get("address1")) or "",
        line2=_text(data.get("address2")),
        city=_text(data.get("city")) or "",
        postcode=_text(data.get("zip")) or "",
        country=_text(data.get("country_code")) or "",
        region=_text(data.get("province_code")),
        company=_text(data.get("company")),
        phone=_text(data.get("phone")),
    )


def _line(item: Any, path: str) -> LineDraft:
    item = _object(item, path)
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku.strip():
        raise ValidationError(ENTITY, f"{path}.sku", "is required (the OMS identifies products by SKU)", sku)
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError(ENTITY, f"{path}.quantity", "must be a whole number", quantity)
    if quantity <= 0:
        raise ValidationError(ENTITY, f"{path}.quantity", "must be greater than zero", quantity)
    price = _money(item.get("price"), f"{path}.price")
    if item.get("discount_allocations") is not None:
        allocations = f"{path}.discount_allocations"
        discount = _sum(_list(item["discount_allocations"], allocations), allocations, "amount")
    elif item.get("total_discount") is not None:
        discount = _money(item["total_discount"], f"{path}.total_discount")
    else:
        discount = Decimal(0)
    tax = _sum(_list(item.get("tax_lines"), f"{path}.tax_lines"), f"{path}.tax_lines", "price")
    return LineDraft(
        sku=sku.strip(),
        quantity=quantity,
        unit_price=price,
        name=_text(item.get("name")) or _text(item.get("title")),
        discount=discount,
        tax=tax,
        external_id=_text(item.get("id")),
    )


def _refuse_extras(order: Mapping[str, Any], prefix: str) -> None:
    """Tips and duties are part of Shopify's ``total_price`` but not of an OMS order: say so by name."""
    tip = order.get("total_tip_received")
    if tip is not None and _money(tip, _at(prefix, "total_tip_received")) != 0:
        raise ValidationError(ENTITY, _at(prefix, "total_tip_received"), "tips are not supported by the OMS", tip)
    duties = order.get("original_total_duties_set")
    if isinstance(duties, dict):
        amount = (duties.get("shop_money") or {}).get("amount")
        path = _at(prefix, "original_total_duties_set.shop_money.amount")
        if amount is not None and _money(amount, path) != 0:
            raise ValidationError(ENTITY, path, "duties are not supported by the OMS", amount)


def _draft(order: Any, prefix: str, context: Mapping[str, Any]) -> OrderDraft:
    order = _object(order, prefix or "body")
    external_id = _external_id(order.get("id"), _at(prefix, "id"))
    currency = _currency(order.get("currency"), _at(prefix, "currency"))
    taxes_included = order.get("taxes_included", False)
    if not isinstance(taxes_included, bool):
        raise ValidationError(ENTITY, _at(prefix, "taxes_included"), "must be true or false", taxes_included)
    items_path = _at(prefix, "line_items")
    items = _list(order.get("line_items"), items_path)
    if not items:
        raise ValidationError(ENTITY, items_path, "has no line items")
    lines = [_line(item, f"{items_path}[{i}]") for i, item in enumerate(items)]

    shipping = shipping_tax = Decimal(0)
    ship_path = _at(prefix, "shipping_lines")
    for k, ship in enumerate(_list(order.get("shipping_lines"), ship_path)):
        at = f"{ship_path}[{k}]"
        ship = _object(ship, at)
        price = _money(ship.get("price"), f"{at}.price")
        allocations = f"{at}.discount_allocations"
        discount = _sum(_list(ship.get("discount_allocations"), allocations), allocations, "amount")
        if discount > price:
            raise ValidationError(ENTITY, f"{at}.discount_allocations", "exceed the shipping price", discount)
        shipping += price - discount
        shipping_tax += _sum(_list(ship.get("tax_lines"), f"{at}.tax_lines"), f"{at}.tax_lines", "price")
    _refuse_extras(order, prefix)

    total = order.get("total_price")
    expected_total = None if total is None else _money(total, _at(prefix, "total_price"))
    billing = _address(order.get("billing_address"), _at(prefix, "billing_address"))
    shipping_address = _address(order.get("shipping_address"), _at(prefix, "shipping_address")) or billing
    buyer = order.get("customer")
    buyer = _object(buyer, _at(prefix, "customer")) if buyer is not None else {}
    customer = Customer(
        email=_text(order.get("email")) or _text(order.get("contact_email")) or _text(buyer.get("email")),
        name=_full_name(buyer)
        or (billing.name if billing else None)
        or (shipping_address.name if shipping_address else None),
        phone=_text(buyer.get("phone")) or _text(order.get("phone")),
        external_id=_text(buyer.get("id")),
    )
    placed = order.get("processed_at") or order.get("created_at")
    placed_path = _at(prefix, "processed_at" if order.get("processed_at") else "created_at")
    attributes = {
        "name": order.get("name"),
        "order_number": order.get("order_number"),
        "financial_status": order.get("financial_status"),
        "fulfillment_status": order.get("fulfillment_status"),
        "cancelled_at": order.get("cancelled_at"),
        "cancel_reason": order.get("cancel_reason"),
        **context,
    }
    return OrderDraft(
        channel=CHANNEL,
        external_id=external_id,
        currency=currency,
        lines=lines,
        shipping_address=shipping_address,
        billing_address=billing,
        customer=customer,
        shipping=shipping,
        shipping_tax=shipping_tax,
        taxes_included=taxes_included,
        placed_at=_timestamp(placed, placed_path),
        expected_total=expected_total,
        notes=_text(order.get("note")),
        attributes={k: v for k, v in attributes.items() if v is not None and isinstance(v, str | int)},
    )
