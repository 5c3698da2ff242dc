"""A protocol-level Odoo for the tests: a real HTTP server on 127.0.0.1 speaking Odoo's JSON-RPC.

It answers what odoorpc and the adapter send, with Odoo's shapes:

* ``POST /web/webclient/version_info`` (odoorpc asks it when it connects) and ``common.version``:
  ``server_version``, ``server_version_info``, ``server_serie``, ``protocol_version``;
* ``POST /jsonrpc`` with ``{"service": "common", "method": "login" | "authenticate" | "version"}`` (a wrong login
  gives ``False``) and ``{"service": "object", "method": "execute" | "execute_kw"}`` with
  ``[db, uid, password, model, method, args, kwargs]`` (a wrong password gives an ``AccessDenied`` fault);
* faults as Odoo sends them: ``{"jsonrpc": "2.0", "id": ..., "error": {"code": 200, "message": "Odoo Server
  Error", "data": {"name": "odoo.exceptions.UserError", "message": ..., "arguments": [...], "context": {},
  "debug": ...}}}``.

Records live in memory, with Odoo's model and field names, for the models and methods the adapter and the test
scenarios use: the ORM methods (``search``, ``search_read``, ``read``, ``create``, ``write``, ``unlink``,
``search_count``, ``fields_get``) with domains in Polish notation, ``active_test``, many2one values as
``[id, name]``, one2many commands ``(0, 0, values)``; and the business methods ``sale.order.action_confirm``
(creates the delivery picking), ``action_cancel`` (with its cancel wizard from 17 unless
``disable_cancel_warning``), ``action_lock``/``action_done``, ``message_post``, ``stock.quant.create`` in
inventory mode with ``action_apply_inventory``, and ``stock.picking.button_validate`` (backorder wizard unless
``skip_backorder``).

``OdooTestServer(version="16.0" | "17.0" | "18.0")`` switches what differs: ``detailed_type`` (16, 17) or
``type = 'consu'`` with ``is_storable`` (18) on products, ``quantity_done`` (16) or ``quantity``/``picked``
(17, 18) on stock moves, the sale order state ``done`` (16) or the ``locked`` flag (17, 18). Unknown fields in a
read or a domain are refused as Odoo does (``ValueError: Invalid field``); unknown fields in ``create`` and
``write`` are ignored, as Odoo does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

DB, LOGIN, PASSWORD = "odoo", "admin", "admin"
ADMIN_UID = 2


class Fault(Exception):
    """An Odoo exception, sent back as the JSON-RPC error envelope."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message

    def envelope(self) -> dict[str, Any]:
        return {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": self.name,
                "message": self.message,
                "arguments": [self.message],
                "context": {},
                "debug": f"Traceback (most recent call last):\n  ...\n{self.name}: {self.message}\n",
            },
        }


def user_error(message: str) -> Fault:
    return Fault("odoo.exceptions.UserError", message)


def like_regex(pattern: str) -> str:
    """A SQL LIKE pattern (``%``, ``_``, backslash escapes) as a regular expression."""
    out, chars = [], iter(pattern)
    for c in chars:
        if c == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        else:
            out.append(re.escape(c))
    return "".join(out)


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


# field: (type, comodel or selection or None, inverse for one2many)
F = tuple[str, Any, str | None]


def schema(version: tuple[int, int]) -> dict[str, dict[str, F]]:
    major = version[0]
    m2o = lambda model: ("many2one", model, None)  # noqa: E731
    o2m = lambda model, inverse: ("one2many", model, inverse)  # noqa: E731
    char, flt, integer, boolean = (
        ("char", None, None),
        ("float", None, None),
        ("integer", None, None),
        ("boolean", None, None),
    )
    sel = lambda *values: ("selection", values, None)  # noqa: E731
    datetime = ("datetime", None, None)
    product = {
        "name": char,
        "default_code": char,
        "active": boolean,
        "sale_ok": boolean,
        "weight": flt,
        "list_price": flt,
    }
    if (major, version[1]) >= (17, 3):
        product.update(type=sel("consu", "service", "combo"), is_storable=boolean)
    else:
        product.update(type=sel("consu", "service", "product"), detailed_type=sel("consu", "service", "product"))
    move = {
        "name": char,
        "product_id": m2o("product.product"),
        "product_uom_qty": flt,
        "picking_id": m2o("stock.picking"),
        "location_id": m2o("stock.location"),
        "location_dest_id": m2o("stock.location"),
        "state": sel("draft", "waiting", "confirmed", "partially_available", "assigned", "done", "cancel"),
        "sale_line_id": m2o("sale.order.line"),
    }
    if major >= 17:
        move.update(quantity=flt, picked=boolean)
    else:
        move.update(quantity_done=flt)
    sale_states = ("draft", "sent", "sale", "cancel") if major >= 17 else ("draft", "sent", "sale", "done", "cancel")
    sale = {
        "name": char,
        "partner_id": m2o("res.partner"),
        "partner_invoice_id": m2o("res.partner"),
        "partner_shipping_id": m2o("res.partner"),
        "client_order_ref": char,
        "origin": char,
        "date_order": datetime,
        "state": sel(*sale_states),
        "order_line": o2m("sale.order.line", "order_id"),
        "pricelist_id": m2o("product.pricelist"),
        "currency_id": m2o("res.currency"),
        "amount_total": flt,
        "picking_ids": o2m("stock.picking", "sale_id"),
        "company_id": m2o("res.company"),
    }
    if major >= 17:
        sale["locked"] = boolean
    return {
        "res.users": {"login": char, "name": char, "partner_id": m2o("res.partner"), "active": boolean},
        "res.company": {"name": char, "currency_id": m2o("res.currency")},
        "res.currency": {"name": char, "active": boolean},
        "res.country": {"name": char, "code": char},
        "res.partner": {
            "name": char,
            "email": char,
            "phone": char,
            "street": char,
            "street2": char,
            "city": char,
            "zip": char,
            "country_id": m2o("res.country"),
            "parent_id": m2o("res.partner"),
            "child_ids": o2m("res.partner", "parent_id"),
            "type": sel("contact", "invoice", "delivery", "other"),
            "active": boolean,
        },
        "product.pricelist": {"name": char, "currency_id": m2o("res.currency"), "active": boolean},
        "product.product": product,
        "stock.warehouse": {
            "name": char,
            "code": char,
            "lot_stock_id": m2o("stock.location"),
            "sequence": integer,
            "active": boolean,
        },
        "stock.location": {
            "name": char,
            "complete_name": char,
            "location_id": m2o("stock.location"),
            "parent_path": char,
            "usage": sel("supplier", "view", "internal", "customer", "inventory", "production", "transit"),
            "active": boolean,
        },
        "stock.quant": {
            "product_id": m2o("product.product"),
            "location_id": m2o("stock.location"),
            "quantity": flt,
            "reserved_quantity": flt,
            "inventory_quantity": flt,
        },
        "stock.picking.type": {
            "name": char,
            "code": sel("incoming", "outgoing", "internal"),
            "sequence_code": char,
            "default_location_src_id": m2o("stock.location"),
            "default_location_dest_id": m2o("stock.location"),
        },
        "stock.picking": {
            "name": char,
            "origin": char,
            "sale_id": m2o("sale.order"),
            "partner_id": m2o("res.partner"),
            "state": sel("draft", "waiting", "confirmed", "assigned", "done", "cancel"),
            "picking_type_id": m2o("stock.picking.type"),
            "picking_type_code": sel("incoming", "outgoing", "internal"),
            "location_id": m2o("stock.location"),
            "location_dest_id": m2o("stock.location"),
            "carrier_tracking_ref": char,
            "carrier_id": m2o("delivery.carrier"),
            "date_done": datetime,
            "move_ids": o2m("stock.move", "picking_id"),
            "move_ids_without_package": o2m("stock.move", "picking_id"),
            "backorder_id": m2o("stock.picking"),
        },
        "stock.move": move,
        "sale.order": sale,
        "sale.order.line": {
            "order_id": m2o("sale.order"),
            "product_id": m2o("product.product"),
            "name": char,
            "product_uom_qty": flt,
            "price_unit": flt,
            "discount": flt,
            "price_subtotal": flt,
        },
        "delivery.carrier": {"name": char},
        "mail.message": {"model": char, "res_id": integer, "body": char, "message_type": char},
    }


PARENT = {"stock.location": "location_id", "res.partner": "parent_id"}
DEFAULTS: dict[str, dict[str, Any]] = {
    "res.partner": {"type": "contact", "active": True},
    "product.product": {"active": True, "sale_ok": True, "type": "consu", "weight": 0.0},
    "stock.quant": {"quantity": 0.0, "reserved_quantity": 0.0, "inventory_quantity": 0.0},
    "stock.location": {"active": True, "usage": "internal"},
    "sale.order": {"state": "draft"},
    "sale.order.line": {"discount": 0.0},
    "stock.picking": {"state": "draft"},
    "stock.move": {"state": "draft"},
    "res.currency": {"active": True},
    "product.pricelist": {"active": True},
    "stock.warehouse": {"active": True, "sequence": 10},
    "res.users": {"active": True},
}


class Store:
    """The database: ``{model: {id: {field: value}}}`` with many2one values stored as ids."""

    def __init__(self, version: tuple[int, int]) -> None:
        self.version = version
        self.fields = schema(version)
        self.records: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in self.fields}
        self._ids = itertools.count(100)
        self._seq = {"sale.order": itertools.count(1), "stock.picking": itertools.count(1)}
        self.lock = threading.RLock()
        self._seed()

    # -- data ---------------------------------------------------------------------------------------------------

    def _put(self, model: str, rid: int, **values: Any) -> int:
        self.records[model][rid] = {"id": rid, **DEFAULTS.get(model, {}), **values}
        return rid

    def _seed(self) -> None:
        p = self._put
        p("res.currency", 1, name="EUR")
        p("res.currency", 2, name="USD", active=False)
        p("res.currency", 3, name="GBP", active=False)
        p("res.company", 1, name="YourCompany", currency_id=1)
        p("res.partner", 1, name="YourCompany")
        p("res.partner", 3, name="Mitchell Admin", email="admin@yourcompany.example.com")
        p("res.users", ADMIN_UID, login=LOGIN, name="Mitchell Admin", partner_id=3)
        for i, (code, name) in enumerate(
            [("BE", "Belgium"), ("DE", "Germany"), ("FR", "France"), ("GB", "United Kingdom"), ("US", "United States")]
        ):
            p("res.country", 10 + i, code=code, name=name)
        p("product.pricelist", 1, name="Public Pricelist", currency_id=1)
        locations = [
            (1, "Physical Locations", None, "view"),
            (2, "Partners", None, "view"),
            (5, "Customers", 2, "customer"),
            (7, "WH", 1, "view"),
            (8, "Stock", 7, "internal"),
            (9, "Shelf 1", 8, "internal"),
            (14, "Inventory adjustment", None, "inventory"),
            (17, "WH2", 1, "view"),
            (18, "Stock", 17, "internal"),
        ]
        for rid, name, parent, usage in locations:
            self._put("stock.location", rid, name=name, location_id=parent, usage=usage)
            self._location_paths(rid)
        p("stock.warehouse", 1, name="YourCompany", code="WH", lot_stock_id=8, sequence=1)
        p("stock.warehouse", 2, name="Second Warehouse", code="WH2", lot_stock_id=18, sequence=2)
        p(
            "stock.picking.type",
            2,
            name="Delivery Orders",
            code="outgoing",
            sequence_code="OUT",
            default_location_src_id=8,
            default_location_dest_id=5,
        )
        p("delivery.carrier", 1, name="Standard delivery")

    def _location_paths(self, rid: int) -> None:
        rec = self.records["stock.location"][rid]
        parent = self.records["stock.location"].get(rec.get("location_id") or 0)
        rec["parent_path"] = f"{parent['parent_path'] if parent else ''}{rid}/"
        # Odoo: a view location is named alone; any other is "<parent's full name>/<name>"
        if parent is not None and rec.get("usage") != "view":
            rec["complete_name"] = f"{parent['complete_name']}/{rec['name']}"
        else:
            rec["complete_name"] = rec["name"]

    def new_id(self) -> int:
        return next(self._ids)

    # -- field access -------------------------------------------------------------------------------------------

    def field(self, model: str, name: str) -> F:
        if name == "id":
            return ("integer", None, None)
        try:
            return self.fields[model][name]
        except KeyError:
            raise Fault("builtins.ValueError", f"Invalid field {name!r} on model {model!r}") from None

    def display_name(self, model: str, rid: int) -> str:
        rec = self.records[model].get(rid, {})
        return str(rec.get("complete_name") or rec.get("name") or f"{model},{rid}")

    def value(self, model: str, rec: dict[str, Any], name: str) -> Any:
        """A field's value as ``read`` returns it."""
        kind, comodel, inverse = self.field(model, name)
        if name == "id":
            return rec["id"]
        if kind == "one2many":
            return sorted(r["id"] for r in self.records[comodel].values() if r.get(inverse) == rec["id"])
        raw = self.computed(model, rec, name)
        if kind == "many2one":
            return [raw, self.display_name(comodel, raw)] if raw else False
        if kind in ("float",):
            return float(raw or 0.0)
        if kind == "integer":
            return int(raw or 0)
        if kind == "boolean":
            return bool(raw)
        return raw if raw not in (None, "") else False

    def computed(self, model: str, rec: dict[str, Any], name: str) -> Any:
        if model == "stock.picking" and name == "picking_type_code":
            return self.records["stock.picking.type"].get(rec.get("picking_type_id") or 0, {}).get("code")
        if model == "sale.order" and name == "amount_total":
            lines = [r for r in self.records["sale.order.line"].values() if r.get("order_id") == rec["id"]]
            return round(
                sum(r["price_unit"] * r["product_uom_qty"] * (1 - r.get("discount", 0) / 100) for r in lines), 2
            )
        if model == "sale.order" and name == "currency_id":
            pricelist = self.records["product.pricelist"].get(rec.get("pricelist_id") or 0)
            return pricelist["currency_id"] if pricelist else 1
        return rec.get(name)

    def raw(self, model: str, rec: dict[str, Any], path: str) -> Any:
        """The stored value at a dotted path (``currency_id.name``), for domains."""
        head, _, rest = path.partition(".")
        kind, comodel, _ = self.field(model, head)
        value = self.computed(model, rec, head) if head != "id" else rec["id"]
        if rest:
            if kind != "many2one":
                raise Fault("builtins.ValueError", f"Invalid field {path!r} on model {model!r}")
            target = self.records[comodel].get(value or 0)
            return self.raw(comodel, target, rest) if target else False
        if kind == "one2many":
            return self.value(model, rec, head)
        return value

    # -- domains ------------------------------------------------------------------------------------------------

    def match(self, model: str, rec: dict[str, Any], domain: list[Any]) -> bool:
        stack: list[bool] = []
        for term in reversed(domain or []):
            if term == "&":
                stack.append(stack.pop() and stack.pop())
            elif term == "|":
                a, b = stack.pop(), stack.pop()
                stack.append(a or b)
            elif term == "!":
                stack.append(not stack.pop())
            else:
                stack.append(self.leaf(model, rec, term))
        return all(stack)

    def leaf(self, model: str, rec: dict[str, Any], term: Any) -> bool:
        path, op, value = term
        current = self.raw(model, rec, path)
        if op == "child_of":
            parent = PARENT[model]
            ids = set(value if isinstance(value, list) else [value])
            node: dict[str, Any] | None = rec
            while node is not None:
                if node["id"] in ids:
                    return True
                node = self.records[model].get(node.get(parent) or 0)
            return False
        if isinstance(current, list):  # one2many: any of
            return (
                any(self.compare(c, op, value) for c in current)
                if op not in ("=", "!=") or value
                else ((not current) == (op == "="))
            )
        return self.compare(current, op, value)

    @staticmethod
    def compare(current: Any, op: str, value: Any) -> bool:
        empty = current in (None, False, "")
        if value is False and op in ("=", "!="):
            return empty == (op == "=")
        if op == "=":
            return current == value
        if op == "!=":
            return current != value
        if op == "in":
            return current in value
        if op == "not in":
            return current not in value
        if op in ("ilike", "like", "=ilike", "=like"):
            if empty:
                return False
            pattern = str(value) if op.startswith("=") else f"%{value}%"  # Odoo wraps like/ilike in %...%
            flags = re.IGNORECASE if op.endswith("ilike") else 0
            return re.fullmatch(like_regex(pattern), str(current), flags | re.DOTALL) is not None
        if empty:
            return False
        return {"<": current < value, ">": current > value, "<=": current <= value, ">=": current >= value}[op]

    def search(
        self,
        model: str,
        domain: list[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[int]:
        records = list(self.records[model].values())
        for term in domain or []:
            if isinstance(term, list | tuple) and len(term) == 3:
                self.field(model, str(term[0]).split(".")[0])  # refuse unknown fields
        mentions_active = any(isinstance(t, list | tuple) and t[0] == "active" for t in domain or [])
        if "active" in self.fields[model] and (context or {}).get("active_test", True) and not mentions_active:
            records = [r for r in records if r.get("active", True)]
        found = [r for r in records if self.match(model, r, domain)]
        for part in reversed([p.strip() for p in (order or "id").split(",") if p.strip()]):
            name, _, direction = part.partition(" ")
            self.field(model, name)
            found.sort(
                key=lambda r, n=name: (r.get(n) in (None, False), r.get(n) or 0), reverse=direction.lower() == "desc"
            )
        ids = [r["id"] for r in found]
        return ids[offset : offset + limit if limit else None]

    def read(self, model: str, ids: Iterable[int], fields: list[str] | None) -> list[dict[str, Any]]:
        names = fields or [n for n in self.fields[model] if self.fields[model][n][0] != "one2many"]
        for n in names:
            self.field(model, n)
        out = []
        for rid in ids:
            rec = self.records[model].get(rid)
            if rec is None:
                raise self.missing(model, [rid])
            out.append({"id": rid, **{n: self.value(model, rec, n) for n in names if n != "id"}})
        return out

    def missing(self, model: str, ids: list[int]) -> Fault:
        return Fault(
            "odoo.exceptions.MissingError",
            f"Record does not exist or has been deleted.\n(Record: {model}({', '.join(map(str, ids))},), User: 2)",
        )

    def create(self, model: str, values: dict[str, Any], context: dict[str, Any] | None = None) -> int:
        if model == "stock.quant" and (context or {}).get("inventory_mode") and "inventory_quantity" in values:
            for q in self.records[model].values():  # Odoo counts on the existing quant of that product and place
                if (q["product_id"], q["location_id"]) == (values.get("product_id"), values.get("location_id")):
                    q["inventory_quantity"] = values["inventory_quantity"]
                    return q["id"]
        rid = self.new_id()
        rec = {"id": rid, **DEFAULTS.get(model, {})}
        self.records[model][rid] = rec
        self.write(model, [rid], values, creating=True)
        self.on_create(model, rec, context or {})
        return rid

    def write(self, model: str, ids: list[int], values: dict[str, Any], creating: bool = False) -> bool:
        for rid in ids:
            rec = self.records[model].get(rid)
            if rec is None:
                raise self.missing(model, [rid])
            children: list[tuple[str, str, dict[str, Any]]] = []
            for name, value in values.items():
                if name not in self.fields[model]:
                    continue  # Odoo ignores unknown fields in create and write (with a warning in its log)
                kind, comodel, inverse = self.fields[model][name]
                if kind == "one2many":
                    for command in value or []:
                        if command[0] == 0:
                            children.append((comodel, inverse, dict(command[2])))
                    continue
                if kind == "many2one" and value and value not in self.records[comodel]:
                    raise self.missing(comodel, [value])
                if kind == "selection" and value and value not in comodel:
                    raise Fault("builtins.ValueError", f"Wrong value for {model}.{name}: {value!r}")
                rec[name] = value if value is not False or kind in ("boolean",) else None
            if model == "product.product" and "detailed_type" in values:  # Odoo 16/17: type follows detailed_type
                rec["type"] = values["detailed_type"]
            for comodel, inverse, child in children:
                self.create(comodel, {**child, inverse: rid})
        return True

    def on_create(self, model: str, rec: dict[str, Any], context: dict[str, Any]) -> None:
        if model == "sale.order":
            rec["name"] = f"S{next(self._seq['sale.order']):05d}"
            rec.setdefault("date_order", now())
            rec["date_order"] = rec.get("date_order") or now()
            rec["company_id"] = 1
            for key in ("partner_invoice_id", "partner_shipping_id"):
                rec[key] = rec.get(key) or rec.get("partner_id")
            if not rec.get("partner_id"):
                raise Fault("odoo.exceptions.ValidationError", "Missing required fields: partner_id")
        elif model == "sale.order.line":
            product = self.records["product.product"][rec["product_id"]]
            rec["name"] = rec.get("name") or product["name"]
            rec.setdefault("price_unit", product.get("list_price", 0.0))
            rec["price_subtotal"] = round(rec["price_unit"] * rec["product_uom_qty"] * (1 - rec["discount"] / 100), 2)
        elif model == "stock.location":
            self._location_paths(rec["id"])
        elif model == "stock.quant" and not context.get("inventory_mode"):
            raise user_error("Quant's creation is restricted, you can't do this operation.")

    def unlink(self, model: str, ids: list[int]) -> bool:
        for rid in ids:
            rec = self.records[model].get(rid)
            if rec is None:
                raise self.missing(model, [rid])
            if model == "sale.order" and rec["state"] not in ("draft", "cancel"):
                raise user_error(
                    "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
                )
            if model == "res.partner" and any(
                rid in (s.get("partner_id"), s.get("partner_shipping_id"), s.get("partner_invoice_id"))
                for s in self.records["sale.order"].values()
            ):
                raise user_error(
                    "The operation cannot be completed: another model requires the record being deleted. "
                    "If possible, archive it instead."
                )
        for rid in ids:
            del self.records[model][rid]
            if model == "sale.order":
                for line in [r for r in self.records["sale.order.line"].values() if r["order_id"] == rid]:
                    del self.records["sale.order.line"][line["id"]]
        return True

    # -- business methods ---------------------------------------------------------------------------------------

    def storable(self, product: dict[str, Any]) -> bool:
        if self.version >= (17, 3):
            return product.get("type") == "consu" and bool(product.get("is_storable"))
        return product.get("type") == "product"

    def available(self, product_id: int, location_id: int) -> float:
        return sum(
            q["quantity"] - q["reserved_quantity"]
            for q in self.records["stock.quant"].values()
            if q["product_id"] == product_id
            and self.match(
                "stock.location", self.records["stock.location"][q["location_id"]], [("id", "child_of", location_id)]
            )
        )

    def quants(self, product_id: int, location_id: int) -> list[dict[str, Any]]:
        return [
            q
            for q in self.records["stock.quant"].values()
            if q["product_id"] == product_id
            and self.match(
                "stock.location", self.records["stock.location"][q["location_id"]], [("id", "child_of", location_id)]
            )
        ]

    def action_confirm(self, ids: list[int], context: dict[str, Any]) -> bool:
        for rid in ids:
            so = self.records["sale.order"][rid]
            if so["state"] not in ("draft", "sent"):
                raise user_error("Some orders are not in a state requiring confirmation.")
            so.update(state="sale", date_order=now())
            lines = [r for r in self.records["sale.order.line"].values() if r["order_id"] == rid]
            goods = [r for r in lines if self.records["product.product"][r["product_id"]].get("type") != "service"]
            if goods:
                self.new_picking(so, [(line["product_id"], line["product_uom_qty"], line["id"]) for line in goods])
        return True

    def new_picking(
        self, so: dict[str, Any], moves: list[tuple[int, float, int | None]], backorder: int | None = None
    ) -> int:
        ptype = self.records["stock.picking.type"][2]
        pid = self.new_id()
        self.records["stock.picking"][pid] = {
            "id": pid,
            "name": f"WH/OUT/{next(self._seq['stock.picking']):05d}",
            "origin": so["name"],
            "sale_id": so["id"],
            "partner_id": so["partner_shipping_id"],
            "state": "confirmed",
            "picking_type_id": 2,
            "location_id": ptype["default_location_src_id"],
            "location_dest_id": ptype["default_location_dest_id"],
            "backorder_id": backorder,
            "carrier_id": None,
            "carrier_tracking_ref": None,
            "date_done": None,
        }
        reserved_all = True
        for product_id, qty, line_id in moves:
            mid = self.new_id()
            move = {
                "id": mid,
                "name": self.records["product.product"][product_id]["name"],
                "product_id": product_id,
                "product_uom_qty": qty,
                "picking_id": pid,
                "location_id": ptype["default_location_src_id"],
                "location_dest_id": ptype["default_location_dest_id"],
                "state": "confirmed",
                "sale_line_id": line_id,
            }
            reserve = qty
            if self.storable(self.records["product.product"][product_id]):
                reserve = max(0.0, min(qty, self.available(product_id, move["location_id"])))
                left = reserve
                for q in self.quants(product_id, move["location_id"]):
                    take = min(left, q["quantity"] - q["reserved_quantity"])
                    if take > 0:
                        q["reserved_quantity"] += take
                        left -= take
            reserved_all &= reserve >= qty
            move["state"] = "assigned" if reserve >= qty else ("partially_available" if reserve else "confirmed")
            if self.version[0] >= 17:
                move.update(quantity=reserve, picked=False)
            else:
                move.update(quantity_done=0.0, reserved=reserve)
            self.records["stock.move"][mid] = move
        self.records["stock.picking"][pid]["state"] = "assigned" if reserved_all else "confirmed"
        return pid

    def button_validate(self, ids: list[int], context: dict[str, Any]) -> Any:
        for pid in ids:
            picking = self.records["stock.picking"][pid]
            if picking["state"] in ("done", "cancel"):
                raise user_error("You cannot validate a transfer that is done or cancelled.")
            moves = [m for m in self.records["stock.move"].values() if m["picking_id"] == pid]
            if self.version[0] >= 17:
                if not any(m.get("picked") for m in moves):
                    for m in moves:
                        m["picked"] = True
                done = {m["id"]: (m["quantity"] if m.get("picked") else 0.0) for m in moves}
                if not any(done.values()):
                    raise user_error(
                        "You cannot validate a transfer if no quantities are reserved nor done. "
                        "You can use the info button on the top right corner of your screen to know why."
                    )
            else:
                done = {m["id"]: m["quantity_done"] for m in moves}
                if not any(done.values()):
                    return {"type": "ir.actions.act_window", "res_model": "stock.immediate.transfer", "target": "new"}
            partial = [m for m in moves if done[m["id"]] < m["product_uom_qty"]]
            if partial and not context.get("skip_backorder"):
                return {"type": "ir.actions.act_window", "res_model": "stock.backorder.confirmation", "target": "new"}
            for m in moves:
                qty = done[m["id"]]
                product = self.records["product.product"][m["product_id"]]
                if self.storable(product):
                    left = qty
                    for q in self.quants(m["product_id"], m["location_id"]):
                        take = min(left, q["quantity"])
                        if take > 0:
                            q["quantity"] -= take
                            q["reserved_quantity"] = max(0.0, q["reserved_quantity"] - take)
                            left -= take
                    if left > 0:
                        self.create(
                            "stock.quant",
                            {"product_id": m["product_id"], "location_id": m["location_id"], "quantity": -left},
                            {"inventory_mode": True},
                        )
                m["state"] = "done"
                if self.version[0] >= 17:
                    m["quantity"] = qty
                else:
                    m["quantity_done"] = qty
            picking.update(state="done", date_done=now())
            rest = [(m["product_id"], m["product_uom_qty"] - done[m["id"]], m["sale_line_id"]) for m in partial]
            rest = [r for r in rest if r[1] > 0]
            if rest and pid not in context.get("picking_ids_not_to_backorder", []):
                self.new_picking(self.records["sale.order"][picking["sale_id"]], rest, backorder=pid)
        return True

    def action_cancel(self, ids: list[int], context: dict[str, Any]) -> Any:
        orders = [self.records["sale.order"][i] for i in ids]
        if self.version[0] >= 17:
            if any(o.get("locked") for o in orders):
                raise user_error("You cannot cancel a locked order. Please unlock it first.")
            if not context.get("disable_cancel_warning") and any(o["state"] != "draft" for o in orders):
                return {
                    "name": "Cancel Sales Order",
                    "type": "ir.actions.act_window",
                    "res_model": "sale.order.cancel",
                    "view_mode": "form",
                    "target": "new",
                    "context": {"default_order_id": ids[0]},
                }
        for o in orders:
            o["state"] = "cancel"
            for p in self.records["stock.picking"].values():
                if p.get("sale_id") == o["id"] and p["state"] != "done":
                    p["state"] = "cancel"
        return True

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if model not in self.fields:
            raise Fault("builtins.KeyError", repr(model))
        if method.startswith("_"):
            raise Fault(
                "odoo.exceptions.AccessError", f"Private methods (such as {model}.{method}) cannot be called remotely."
            )
        context = dict(kwargs.pop("context", None) or {})
        with self.lock:
            fn = getattr(self, f"m_{method}", None)
            if fn is None:
                raise Fault("builtins.AttributeError", f"The method '{model}.{method}' does not exist")
            return fn(model, context, *args, **kwargs)

    # -- RPC surface: m_<method>(model, context, *args, **kwargs) -------------------------------------------------

    def m_search(
        self, model: str, ctx: dict, domain: list, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        return self.search(model, domain, offset, limit, order, ctx)

    def m_search_count(self, model: str, ctx: dict, domain: list, limit: int | None = None) -> int:
        return len(self.search(model, domain, 0, limit, None, ctx))

    def m_search_read(
        self,
        model: str,
        ctx: dict,
        domain: list | None = None,
        fields: list | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict]:
        return self.read(model, self.search(model, domain or [], offset, limit, order, ctx), fields)

    def m_read(self, model: str, ctx: dict, ids: list[int], fields: list | None = None) -> list[dict]:
        return self.read(model, ids, fields)

    def m_create(self, model: str, ctx: dict, values: dict | list) -> int | list[int]:
        if isinstance(values, list):
            return [self.create(model, v, ctx) for v in values]
        return self.create(model, values, ctx)

    def m_write(self, model: str, ctx: dict, ids: list[int], values: dict) -> bool:
        return self.write(model, ids, values)

    def m_unlink(self, model: str, ctx: dict, ids: list[int]) -> bool:
        return self.unlink(model, ids)

    def m_fields_get(
        self, model: str, ctx: dict, allfields: list | None = None, attributes: list | None = None
    ) -> dict:
        names = allfields or list(self.fields[model])
        return {n: {"type": self.fields[model][n][0], "string": n} for n in names if n in self.fields[model]}

    def m_context_get(self, model: str, ctx: dict) -> dict:
        return {"lang": "en_US", "tz": "Europe/Brussels", "uid": ADMIN_UID}

    def m_action_confirm(self, model: str, ctx: dict, ids: list[int]) -> bool:
        self.require(model, "sale.order", "action_confirm")
        return self.action_confirm(ids, ctx)

    def m_action_cancel(self, model: str, ctx: dict, ids: list[int]) -> Any:
        self.require(model, "sale.order", "action_cancel")
        return self.action_cancel(ids, ctx)

    def m_action_lock(self, model: str, ctx: dict, ids: list[int]) -> bool:
        self.require(model, "sale.order", "action_lock", since=17)
        for i in ids:
            self.records["sale.order"][i]["locked"] = True
        return True

    def m_action_done(self, model: str, ctx: dict, ids: list[int]) -> bool:
        self.require(model, "sale.order", "action_done", until=16)
        for i in ids:
            self.records["sale.order"][i]["state"] = "done"
        return True

    def m_message_post(
        self,
        model: str,
        ctx: dict,
        ids: list[int],
        body: str = "",
        message_type: str = "notification",
        subtype_xmlid: str | None = None,
        **_: Any,
    ) -> int:
        [rid] = ids
        if rid not in self.records[model]:
            raise self.missing(model, ids)
        return self.create(
            "mail.message", {"model": model, "res_id": rid, "body": f"<p>{body}</p>", "message_type": message_type}
        )

    def m_action_apply_inventory(self, model: str, ctx: dict, ids: list[int]) -> bool:
        self.require(model, "stock.quant", "action_apply_inventory")
        for i in ids:
            q = self.records["stock.quant"][i]
            q["quantity"] = q["inventory_quantity"]
            q["inventory_quantity"] = 0.0
        return True

    def m_button_validate(self, model: str, ctx: dict, ids: list[int]) -> Any:
        self.require(model, "stock.picking", "button_validate")
        return self.button_validate(ids, ctx)

    def require(self, model: str, expected: str, method: str, since: int = 0, until: int = 99) -> None:
        if model != expected or not since <= self.version[0] <= until:
            raise Fault("builtins.AttributeError", f"The method '{model}.{method}' does not exist")


class OdooTestServer:
    """``with OdooTestServer("17.0") as odoo: odoo.url`` — an Odoo of that version on a free local port."""

    def __init__(self, version: str = "17.0", *, db: str = DB, login: str = LOGIN, password: str = PASSWORD) -> None:
        major, minor = (int(x) for x in version.split(".")[:2])
        self.version_info = [major, minor, 0, "final", 0, ""]
        self.version_label = version
        self.db, self.login, self.password = db, login, password
        self.store = Store((major, minor))
        self.delay = 0.0
        self.calls: list[tuple[str, str]] = []
        self.faults: dict[tuple[str, str], Fault] = {}
        #: ``{(model, method): seconds}``: do the call, then wait before answering (the answer is lost to a client
        #: whose timeout is shorter, though Odoo did the work)
        self.slow_answers: dict[tuple[str, str], float] = {}
        self._stopping = threading.Event()
        self._httpd: http.server.ThreadingHTTPServer | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> OdooTestServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    request = json.loads(body or b"{}")
                except ValueError:
                    self.send_error(400)
                    return
                answer = server.handle(self.path, request)
                if answer is None:
                    self.send_error(404)
                    return
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout test)
                    self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), name="odoo-testserver", daemon=True).start()
        return self

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop answering: the port is closed, as when Odoo is down."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> OdooTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- JSON-RPC -----------------------------------------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        return {
            "server_version": self.version_label,
            "server_version_info": self.version_info,
            "server_serie": self.version_label,
            "protocol_version": 1,
        }

    def handle(self, path: str, request: dict[str, Any]) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline and not self._stopping.is_set():
            time.sleep(0.01)
        rid = request.get("id")
        params = request.get("params") or {}
        try:
            if path == "/web/webclient/version_info":
                result: Any = self.version()
            elif path == "/jsonrpc":
                result = self.dispatch(params.get("service"), params.get("method"), list(params.get("args") or []))
            else:
                return None
        except Fault as fault:
            return {"jsonrpc": "2.0", "id": rid, "error": fault.envelope()}
        return {"jsonrpc": "2.0", "id": rid, "result": result}

    def dispatch(self, service: str | None, method: str | None, args: list[Any]) -> Any:
        if service == "common":
            if method == "version":
                return self.version()
            if method in ("login", "authenticate"):
                db, login, password = args[:3]
                self.check_db(db)
                return ADMIN_UID if (login, password) == (self.login, self.password) else False
            raise Fault("builtins.NameError", f"Method not available {method}")
        if service == "object":
            if method == "execute_kw":
                db, uid, password, model, name = args[:5]
                call_args = list(args[5]) if len(args) > 5 else []
                call_kwargs = dict(args[6]) if len(args) > 6 and args[6] else {}
            elif method == "execute":
                db, uid, password, model, name = args[:5]
                call_args, call_kwargs = list(args[5:]), {}
            else:
                raise Fault("builtins.NameError", f"Method not available {method}")
            self.check_db(db)
            if uid != ADMIN_UID or password != self.password:
                raise Fault("odoo.exceptions.AccessDenied", "Access Denied")
            self.calls.append((model, name))
            fault = self.faults.get((model, name))
            if fault is not None:
                raise fault
            result = self.store.call(model, name, call_args, call_kwargs)
            pause = self.slow_answers.get((model, name), 0.0)
            if pause:
                self._stopping.wait(pause)
            return result
        raise Fault("builtins.KeyError", repr(service))

    def check_db(self, db: Any) -> None:
        if db != self.db:
            raise Fault(
                "psycopg2.OperationalError", f'connection to server failed: FATAL:  database "{db}" does not exist'
            )

    # -- test helpers -------------------------------------------------------------------------------------------

    def records(self, model: str, predicate: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            return [dict(r) for r in self.store.records[model].values() if predicate is None or predicate(r)]
