"""The Odoo a scenario runs against, driven only through Odoo's external API.

A :class:`Target` is either the protocol-level test server of this folder (as Odoo 16, 17 or 18) or a real Odoo
named by ``OMS_ODOO_URL``, ``OMS_ODOO_DB``, ``OMS_ODOO_USER`` and ``OMS_ODOO_PASSWORD`` (with the ``sale_stock``
app, and ``stock_delivery``/``delivery`` for tracking references). The helpers that prepare data (products,
stock, deliveries) use the same RPC calls on both, so each scenario means the same thing on either.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any

from odoo_testserver import OdooTestServer
from oms_adapter_odoo import OdooAdapter, OdooRPCTransport, OdooVersion

from oms_core import ADAPTERS, OMS, LineDraft, OrderDraft
from oms_core.testing import address, draft

REAL_ENV = ("OMS_ODOO_URL", "OMS_ODOO_DB", "OMS_ODOO_USER", "OMS_ODOO_PASSWORD")
SKIP_REAL = "set " + ", ".join(REAL_ENV) + " to run the Odoo scenarios against a real Odoo"


def real_config() -> dict[str, str] | None:
    values = [os.environ.get(name) for name in REAL_ENV]
    if not all(values):
        return None
    url, db, user, password = values
    return {"url": url, "db": db, "user": user, "password": password}  # type: ignore[dict-item]


class Target:
    """An Odoo for one test: its adapter configuration and RPC helpers to arrange data in it."""

    def __init__(self, name: str, config: Mapping[str, Any], server: OdooTestServer | None = None) -> None:
        self.name = name
        self.config = {"timeout": 10, **config}
        self.server = server
        self.rpc = OdooRPCTransport(config["url"], config["db"], config["user"], config["password"], timeout=30)
        self.run = "" if server is not None else f"-{uuid.uuid4().hex[:6].upper()}"
        self._version: OdooVersion | None = None

    @property
    def real(self) -> bool:
        return self.server is None

    @property
    def version(self) -> OdooVersion:
        if self._version is None:
            self._version = OdooVersion.from_info(self.rpc.version())
        return self._version

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.rpc.call(model, method, *args, **kwargs)

    def driver_config(self, **overrides: Any) -> dict[str, Any]:
        return {ADAPTERS: {"odoo": {**self.config, **overrides}}}

    def adapter(self, **overrides: Any) -> OdooAdapter:
        return OdooAdapter(**{**self.config, **overrides})

    # -- data in Odoo -------------------------------------------------------------------------------------------

    def sku(self, base: str) -> str:
        """A SKU unique to this test run on a real Odoo (the plain name on the test server)."""
        return f"{base}{self.run}"

    @property
    def warehouse(self) -> dict[str, Any]:
        return self.call(
            "stock.warehouse", "search_read", [], fields=["id", "code", "lot_stock_id"], order="sequence, id", limit=1
        )[0]

    @property
    def location(self) -> str:
        """The OMS location code the default mapping gives the first warehouse's stock."""
        return str(self.warehouse["code"])

    @property
    def currency(self) -> str:
        company = self.call("res.company", "search_read", [], fields=["currency_id"], limit=1)[0]
        return str(company["currency_id"][1])

    def seed_product(
        self,
        sku: str,
        name: str,
        qty: float = 0,
        *,
        price: float = 10.0,
        weight: float = 0.25,
        location: int | None = None,
    ) -> int:
        values = {"name": name, "default_code": sku, "list_price": price, "weight": weight, "sale_ok": True}
        values.update(self.version.storable_values())
        product = int(self.call("product.product", "create", values))
        if qty:
            self.set_stock(product, qty, location)
        return product

    def set_stock(self, product: int, qty: float, location: int | None = None) -> None:
        """Count ``qty`` units at ``location`` (default: the warehouse's stock), as an inventory adjustment."""
        location = location or self.warehouse["lot_stock_id"][0]
        quant = self.call(
            "stock.quant",
            "create",
            {"product_id": product, "location_id": location, "inventory_quantity": qty},
            context={"inventory_mode": True},
        )
        self.call("stock.quant", "action_apply_inventory", [quant], context={"inventory_mode": True})

    def sale_order(self, sale_id: int | str, fields: list[str] | None = None) -> dict[str, Any]:
        [row] = self.call("sale.order", "read", [int(sale_id)], fields=fields or ["name", "state", "client_order_ref"])
        return row

    def deliver(
        self, sale_id: int | str, quantities: Mapping[str, int] | None = None, *, tracking: str | None = None
    ) -> int:
        """Validate the open delivery of the sale order, for ``quantities`` (SKU → units; default: all)."""
        [picking] = self.call(
            "stock.picking",
            "search_read",
            [
                ("sale_id", "=", int(sale_id)),
                ("state", "not in", ["done", "cancel"]),
                ("picking_type_code", "=", "outgoing"),
            ],
            fields=["id"],
            limit=1,
        )
        if tracking:
            self.call("stock.picking", "write", [picking["id"]], {"carrier_tracking_ref": tracking})
        moves = self.call(
            "stock.move",
            "search_read",
            [("picking_id", "=", picking["id"])],
            fields=["id", "product_id", "product_uom_qty"],
        )
        codes = {
            r["id"]: r["default_code"]
            for r in self.call("product.product", "read", [m["product_id"][0] for m in moves], fields=["default_code"])
        }
        for m in moves:
            qty = m["product_uom_qty"] if quantities is None else quantities.get(codes[m["product_id"][0]], 0)
            if self.version.major >= 17:
                self.call("stock.move", "write", [m["id"]], {"quantity": qty, "picked": True})
            else:
                self.call("stock.move", "write", [m["id"]], {"quantity_done": qty})
        result = self.call("stock.picking", "button_validate", [picking["id"]], context={"skip_backorder": True})
        assert result is True, f"button_validate answered {result!r}"
        return int(picking["id"])

    def lock(self, sale_id: int | str) -> None:
        if self.version.has_locked_flag:
            self.call("sale.order", "action_lock", [int(sale_id)])
        else:
            self.call("sale.order", "action_done", [int(sale_id)])

    def delete_sale_order(self, sale_id: int | str) -> None:
        self.call("sale.order", "action_cancel", [int(sale_id)], context={"disable_cancel_warning": True})
        self.call("sale.order", "unlink", [int(sale_id)])

    # -- OMS side -----------------------------------------------------------------------------------------------

    def draft(self, external_id: str, lines: list[tuple[str, int, str] | LineDraft], **overrides: Any) -> OrderDraft:
        """An order draft in the company currency, with a unique external id on a real Odoo."""
        values: dict[str, Any] = {"currency": self.currency, "shipping_address": address()}
        values.update(overrides)
        return draft(
            f"{external_id}{self.run}", [x if isinstance(x, LineDraft) else LineDraft(*x) for x in lines], **values
        )


def adapter_of(oms: OMS) -> OdooAdapter:
    """The ``odoo`` adapter of ``oms``, attached to it."""
    return oms.driver(ADAPTERS, "odoo").attach(oms)
