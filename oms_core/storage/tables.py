"""Every table, declared once with SQLAlchemy Core, for a given table prefix and schema.

``build_tables("oms_", schema=None)`` gives a :class:`Tables` whose attributes are the tables. Two OMS instances
with different prefixes or schemas never share a table.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa

from oms_core.storage.prepared import Prepared
from oms_core.storage.types import Amount, UTCDateTime

T = TypeVar("T")

NAMES = (
    "products", "locations", "stock", "stock_ledger", "orders", "order_lines", "reservations", "holds",
    "timeline", "payments", "refunds", "payment_events", "shipments", "shipment_lines", "shipment_documents",
    "tracking_events", "returns", "return_lines", "events", "deliveries", "bindings",
)  # fmt: skip


class Tables:
    """The OMS tables for one prefix and schema. ``metadata`` holds them all."""

    metadata: sa.MetaData
    products: sa.Table
    locations: sa.Table
    stock: sa.Table
    stock_ledger: sa.Table
    orders: sa.Table
    order_lines: sa.Table
    reservations: sa.Table
    holds: sa.Table
    timeline: sa.Table
    payments: sa.Table
    refunds: sa.Table
    payment_events: sa.Table
    shipments: sa.Table
    shipment_lines: sa.Table
    shipment_documents: sa.Table
    tracking_events: sa.Table
    returns: sa.Table
    return_lines: sa.Table
    events: sa.Table
    deliveries: sa.Table
    bindings: sa.Table

    def __init__(self, prefix: str = "", schema: str | None = None) -> None:
        self.prefix = prefix
        self.schema = schema
        self.metadata = sa.MetaData(schema=schema)
        self._statements: dict[Hashable, Any] = {}
        define(self)

    def stmt(self, key: Hashable, build: Callable[[Tables], T]) -> T:
        """The statement ``build(self)`` made once and reused: hot paths execute it with bound parameters.

        A statement object built once keeps its SQLAlchemy cache key, so executing it again costs neither
        construction nor cache-key generation.
        """
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = build(self)
        return found

    def prepared(self, key: Hashable, build: Callable[[Tables], Any], dialect: sa.Dialect, keys: tuple[str, ...] | None
                 ) -> Prepared:  # fmt: skip
        """``stmt(key, build)`` compiled for ``dialect`` and the parameter names ``keys``, once."""
        full = ("prepared", key, dialect.name, keys)
        found = self._statements.get(full)
        if found is None:
            found = self._statements[full] = Prepared(self.stmt(key, build), dialect, keys)
        return found


def build_tables(prefix: str = "", schema: str | None = None) -> Tables:
    return Tables(prefix, schema)


def define(t: Tables) -> None:
    p, md = t.prefix, t.metadata

    def table(name: str, *cols: sa.SchemaItem) -> sa.Table:
        tbl = sa.Table(p + name, md, *cols)
        setattr(t, name, tbl)
        return tbl

    def fk(target: str, ondelete: str | None = None) -> sa.ForeignKey:
        full = f"{t.schema}.{p}{target}" if t.schema else p + target
        return sa.ForeignKey(full, ondelete=ondelete)

    def ix(name: str, *cols: str, **kw: object) -> sa.Index:
        return sa.Index(f"ix_{p}{name}", *cols, **kw)

    now = {"nullable": False}
    table(
        "products",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("weight_grams", sa.Integer),
        sa.Column("low_stock_threshold", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False, default=True),
        sa.Column("created_at", UTCDateTime, **now),
    )
    table(
        "locations",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False, default=100),
        sa.Column("postcode", sa.String(32)),
        sa.Column("country", sa.String(2)),
        sa.Column("active", sa.Boolean, nullable=False, default=True),
    )
    table(
        "stock",
        sa.Column("sku", sa.String(64), fk("products.sku"), primary_key=True),
        sa.Column("location", sa.String(64), fk("locations.code"), primary_key=True),
        sa.Column("on_hand", sa.Integer, nullable=False, default=0),
        sa.Column("reserved", sa.Integer, nullable=False, default=0),
        sa.CheckConstraint("reserved >= 0 AND on_hand >= reserved", name=f"ck_{p}stock_not_oversold"),
    )
    table(
        "stock_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(128)),
        sa.Column("note", sa.Text),
        sa.Column("at", UTCDateTime, **now),
        ix("stock_ledger_sku_location", "sku", "location"),
    )
    table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_email", sa.String(255)),
        sa.Column("customer", sa.JSON, nullable=False),
        sa.Column("shipping_address", sa.JSON),
        sa.Column("billing_address", sa.JSON),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("payment_status", sa.String(32), nullable=False),
        sa.Column("fulfillment_status", sa.String(32), nullable=False),
        sa.Column("subtotal", Amount, nullable=False),
        sa.Column("discount_total", Amount, nullable=False),
        sa.Column("shipping_total", Amount, nullable=False),
        sa.Column("tax_total", Amount, nullable=False),
        sa.Column("total", Amount, nullable=False),
        sa.Column("amount_authorized", Amount, nullable=False, default=0),
        sa.Column("amount_captured", Amount, nullable=False, default=0),
        sa.Column("amount_refunded", Amount, nullable=False, default=0),
        sa.Column("taxes_included", sa.Boolean, nullable=False),
        sa.Column("placed_at", UTCDateTime, **now),
        sa.Column("created_at", UTCDateTime, **now),
        sa.Column("updated_at", UTCDateTime, **now),
        sa.Column("notes", sa.Text),
        sa.Column("attributes", sa.JSON),
        sa.Column("version", sa.Integer, nullable=False, default=1),
        sa.UniqueConstraint("channel", "external_id", name=f"uq_{p}orders_channel_external_id"),
        ix("orders_status", "status"),
        ix("orders_placed_at", "placed_at"),
    )
    table(
        "order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", Amount, nullable=False),
        sa.Column("discount", Amount, nullable=False),
        sa.Column("tax", Amount, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False, default=0),
        sa.Column("backordered", sa.Integer, nullable=False, default=0),
        sa.Column("shipped", sa.Integer, nullable=False, default=0),
        sa.Column("returned", sa.Integer, nullable=False, default=0),
        sa.Column("cancelled", sa.Integer, nullable=False, default=0),
        sa.CheckConstraint("quantity > 0", name=f"ck_{p}order_lines_quantity"),
        sa.CheckConstraint("shipped + cancelled <= quantity", name=f"ck_{p}order_lines_not_overshipped"),
        ix("order_lines_order_id", "order_id"),
        ix("order_lines_sku", "sku"),
    )
    table(
        "reservations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("line_id", sa.BigInteger, fk("order_lines.id", "CASCADE"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("shipped", sa.Integer, nullable=False, default=0),
        sa.Column("released", sa.Integer, nullable=False, default=0),
        sa.CheckConstraint("shipped + released <= quantity", name=f"ck_{p}reservations_open"),
        ix("reservations_order_id", "order_id"),
        ix("reservations_sku_location", "sku", "location"),
    )
    table(
        "holds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, **now),
        sa.Column("released_at", UTCDateTime),
        sa.Column("released_by", sa.String(128)),
        ix("holds_order_id", "order_id"),
    )
    table(
        "timeline",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("at", UTCDateTime, **now),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("data", sa.JSON),
        ix("timeline_order_id", "order_id"),
    )
    table(
        "payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("captured", Amount, nullable=False, default=0),
        sa.Column("refunded", Amount, nullable=False, default=0),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(255)),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", UTCDateTime, **now),
        sa.Column("updated_at", UTCDateTime, **now),
        sa.UniqueConstraint("idempotency_key", name=f"uq_{p}payments_idempotency_key"),
        ix("payments_order_id", "order_id"),
        ix("payments_gateway_reference", "gateway", "reference"),
    )
    table(
        "refunds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("payment_id", sa.BigInteger, fk("payments.id", "CASCADE"), nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reference", sa.String(255)),
        sa.Column("lines", sa.JSON),
        sa.Column("created_at", UTCDateTime, **now),
        ix("refunds_order_id", "order_id"),
    )
    table(
        "payment_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("gateway", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(255)),
        sa.Column("payment_id", sa.BigInteger, fk("payments.id", "SET NULL")),
        sa.Column("outcome", sa.Text),
        sa.Column("received_at", UTCDateTime, **now),
        sa.UniqueConstraint("gateway", "event_id", name=f"uq_{p}payment_events_gateway_event"),
    )
    table(
        "shipments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("carrier", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64)),
        sa.Column("tracking_number", sa.String(128)),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("cost", Amount),
        sa.Column("currency", sa.String(3)),
        sa.Column("created_at", UTCDateTime, **now),
        sa.Column("shipped_at", UTCDateTime),
        sa.Column("delivered_at", UTCDateTime),
        ix("shipments_order_id", "order_id"),
        ix("shipments_tracking", "carrier", "tracking_number"),
    )
    table(
        "shipment_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("shipment_id", sa.BigInteger, fk("shipments.id", "CASCADE"), nullable=False),
        sa.Column("line_id", sa.BigInteger, fk("order_lines.id", "CASCADE"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.CheckConstraint("quantity > 0", name=f"ck_{p}shipment_lines_quantity"),
        ix("shipment_lines_shipment_id", "shipment_id"),
    )
    table(
        "shipment_documents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("shipment_id", sa.BigInteger, fk("shipments.id", "CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        ix("shipment_documents_shipment_id", "shipment_id"),
    )
    table(
        "tracking_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("shipment_id", sa.BigInteger, fk("shipments.id", "CASCADE"), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("location", sa.String(255)),
        sa.Column("at", UTCDateTime, **now),
        sa.UniqueConstraint("shipment_id", "status", "at", name=f"uq_{p}tracking_events_once"),
    )
    table(
        "returns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("order_id", sa.BigInteger, fk("orders.id", "CASCADE"), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("refund_amount", Amount),
        sa.Column("created_at", UTCDateTime, **now),
        sa.Column("received_at", UTCDateTime),
        ix("returns_order_id", "order_id"),
    )
    table(
        "return_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("return_id", sa.BigInteger, fk("returns.id", "CASCADE"), nullable=False),
        sa.Column("line_id", sa.BigInteger, fk("order_lines.id", "CASCADE"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("disposition", sa.String(16)),
        sa.Column("location", sa.String(64)),
        sa.CheckConstraint("quantity > 0", name=f"ck_{p}return_lines_quantity"),
        ix("return_lines_return_id", "return_id"),
    )
    table(
        "events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("order_id", sa.BigInteger),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("occurred_at", UTCDateTime, **now),
        ix("events_order_id", "order_id"),
    )
    table(
        "deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("event_id", sa.String(32), fk("events.id", "CASCADE"), nullable=False),
        sa.Column("handler", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", UTCDateTime, **now),
        sa.Column("last_error", sa.Text),
        sa.Column("locked_by", sa.String(128)),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("delivered_at", UTCDateTime),
        sa.UniqueConstraint("event_id", "handler", name=f"uq_{p}deliveries_event_handler"),
        ix("deliveries_due", "status", "next_attempt_at"),
    )
    table(
        "bindings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("local_id", sa.String(128), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("created_at", UTCDateTime, **now),
        sa.Column("updated_at", UTCDateTime, **now),
        sa.UniqueConstraint("backend", "entity", "local_id", name=f"uq_{p}bindings_local"),
        sa.UniqueConstraint("backend", "entity", "remote_id", name=f"uq_{p}bindings_remote"),
    )
