"""``OdooAdapter``: products and on-hand stock in, customers and sale orders out, deliveries back.

Directions and owners (the conflict policy):

* **Products and stock**: Odoo is the master. ``import_products`` reads storable ``product.product`` records with an
  internal reference (``default_code`` = SKU); ``sync`` stores them and sets the OMS on-hand quantity of each
  SKU and mapped location to Odoo's count (``stock.quant.quantity`` summed over the mapped internal locations) with
  a counted adjustment (reason ``erp sync``), so every change is on the OMS stock ledger.
* **Customers**: created in Odoo from the OMS when missing (found first by e-mail, then bound); an existing
  ``res.partner`` is Odoo's: the OMS only fills blanks (phone), it never overwrites.
* **Orders**: the OMS is the source. A confirmed OMS order becomes a confirmed ``sale.order`` (``client_order_ref``
  = the OMS reference); once in Odoo its lines are Odoo's. A cancelled OMS order cancels the sale order unless
  Odoo already delivered goods or locked it; then a note on the sale order says so, and nothing else changes.
* **Deliveries**: Odoo is the master. A ``done`` outgoing ``stock.picking`` of a bound sale order becomes an OMS
  shipment with the picking's carrier tracking reference; what the OMS already shipped is skipped.

Every record created on either side is bound at once (``oms.bind``) and every export looks the binding up first,
then Odoo itself (``client_order_ref``, e-mail), so a retry, a redelivered event or a crash between the create
and the bind never creates a record twice.

Odoo sends prices and quantities as JSON floats: they become ``Decimal(str(x))`` at the edge (and amounts are
rounded to the currency's minor unit); OMS amounts go out as floats of their exact decimal value.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from oms_adapter_odoo.transport import (
    OdooError,
    OdooMissingRecord,
    OdooRPCTransport,
    OdooTransport,
    OdooUnavailable,
    OdooVersion,
)
from oms_core import (
    CARRIERS,
    OMS,
    Address,
    Binding,
    Carrier,
    ConfigurationError,
    Customer,
    DriverNotFound,
    ErpAdapter,
    Event,
    LabelResult,
    Money,
    OMSError,
    Order,
    Parcel,
    Product,
    Rate,
    StockLevel,
    hookimpl,
)

log = logging.getLogger(__name__)

#: binding entities
ORDER, CUSTOMER, DELIVERY = "order", "customer", "delivery"
#: the reason written on the OMS stock ledger for quantities taken over from Odoo
SYNC_REASON = "erp sync"
#: Odoo's datetime format (naive, UTC)
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
PAGE = 500

_tracking: contextvars.ContextVar[tuple[str, str | None]] = contextvars.ContextVar("odoo_tracking")


class BindingBroken(OdooMissingRecord):
    """A binding points at an Odoo record that no longer exists. Re-bind with ``oms.unbind`` after checking."""

    code = "odoo_binding_broken"

    def __init__(self, backend: str, entity: str, local_id: str, model: str, remote_id: str) -> None:
        self.backend, self.entity, self.local_id, self.remote_id = backend, entity, local_id, remote_id
        message = (
            f"{entity} {local_id} is bound to {model} {remote_id} in {backend}, which no longer exists in Odoo. "
            f"Nothing was created. If the record was deleted on purpose, forget the binding with "
            f"oms.unbind({backend!r}, {entity!r}, {local_id!r}) and export again (a new record is created or an "
            f"existing one found)"
        )
        OMSError.__init__(self, message)
        self.name, self.model, self.method, self.odoo_message = None, model, None, message


@attrs.define
class SyncReport:
    """What :meth:`OdooAdapter.sync` did. ``problems`` lists what it skipped, one sentence each."""

    products_created: int = 0
    products_updated: int = 0
    stock_adjusted: int = 0
    shipments: int = 0
    orders_exported: int = 0
    problems: list[str] = attrs.field(factory=list)


@attrs.frozen
class OdooSaleOrder:
    """A sale order as the CRM view shows it; ``oms_order_id`` when the OMS placed it."""

    id: int
    name: str
    reference: str | None
    state: str
    locked: bool
    total: Money | None
    ordered_at: dt.datetime | None
    oms_order_id: int | None


@attrs.frozen
class OdooCustomer:
    """A ``res.partner`` with its contact data, its delivery and invoice addresses and its sale orders."""

    id: int
    name: str
    email: str | None
    phone: str | None
    address: Address | None
    addresses: tuple[tuple[str, Address], ...]
    orders: tuple[OdooSaleOrder, ...]


class OdooCarrier(Carrier):
    """The carrier of shipments that Odoo delivered: its label is Odoo's tracking reference, nothing is booked."""

    def rates(self, parcel: Parcel) -> list[Rate]:
        return []

    def create_label(self, parcel: Parcel) -> LabelResult:
        tracking, service = _tracking.get(("", None))
        return LabelResult(tracking_number=tracking, service=service)


def to_decimal(value: Any) -> Decimal:
    """A JSON number (or string) from Odoo as an exact Decimal: ``Decimal(str(x))``, ``False`` as zero."""
    if value is None or value is False:
        return Decimal(0)
    return Decimal(str(value))


def odoo_datetime(value: Any) -> dt.datetime | None:
    """Odoo's naive UTC ``"YYYY-MM-DD HH:MM:SS"`` as an aware UTC datetime."""
    if not value:
        return None
    return dt.datetime.strptime(str(value)[:19], ODOO_DATETIME).replace(tzinfo=dt.UTC)


def to_odoo_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(ODOO_DATETIME)


def customer_key(customer: Customer) -> str:
    """The binding key of a customer: the e-mail address in lower case, else ``name:<name>``."""
    if customer.email:
        return customer.email.strip().lower()
    if customer.name:
        return f"name:{customer.name.strip().lower()}"
    raise OMSError("odoo: a customer needs an e-mail address or a name to be exported")


def _m2o_id(value: Any) -> int | None:
    """The id of a many2one as ``read`` returns it (``[id, display name]`` or ``False``)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _m2o_name(value: Any) -> str | None:
    return str(value[1]) if isinstance(value, list | tuple) and len(value) > 1 else None


def like_literal(value: str) -> str:
    """``value`` as a literal for Odoo's ``=ilike`` (a SQL ``ILIKE`` pattern): ``%`` and ``_`` escaped."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


class OdooAdapter(ErpAdapter):
    """The ``odoo`` driver of ``oms.adapters``.

    :param url: ``https://odoo.example.com`` (or ``http://host:8069``).
    :param db: the Odoo database.
    :param user: the login of the integration user.
    :param password: its password or API key.
    :param timeout: seconds to wait for one answer; a reaction that times out is retried from the outbox.
    :param backend: the binding backend name (default ``odoo:<db>``): one per Odoo database.
    :param warehouse: the ``stock.warehouse`` (code or id) whose stock location is the default mapping (default:
        the first warehouse).
    :param location: the OMS location code for that warehouse's stock location ``lot_stock_id`` (default: the
        warehouse's code, e.g. ``WH``).
    :param locations: ``{Odoo internal location (id or full name such as "WH/Stock"): OMS location code}``,
        replacing the default mapping. Child locations count for their mapped parent.
    :param reference_prefix: ``client_order_ref`` of a pushed order is ``<prefix><channel>/<external id>``.
    :param shipping_product: ``default_code`` of the Odoo product that carries the shipping amount as a line;
        without it, shipping stays in the OMS only.
    :param pricelists: ``{currency: pricelist id}``; by default the first pricelist in the order's currency.
    :param carrier: the OMS carrier name of shipments read back from Odoo.
    :param payment_notes: post the OMS payment status as a note on the sale order when a payment is captured or
        refunded.
    :param transport: an :class:`~oms_adapter_odoo.OdooTransport` to use instead of JSON-RPC through odoorpc.

    With no configuration at all the adapter is *unconfigured* (``configured`` is false) and its reactions do
    nothing; with part of it, it refuses to start and names what is missing.
    """

    def __init__(
        self,
        url: str | None = None,
        db: str | None = None,
        user: str | None = None,
        password: str | None = None,
        *,
        timeout: float = 30.0,
        backend: str | None = None,
        warehouse: str | int | None = None,
        location: str | None = None,
        locations: Mapping[str | int, str] | None = None,
        reference_prefix: str = "OMS:",
        shipping_product: str | None = None,
        pricelists: Mapping[str, int] | None = None,
        carrier: str = "odoo",
        payment_notes: bool = False,
        transport: OdooTransport | None = None,
    ) -> None:
        self.configured = transport is not None or any((url, db, user, password))
        self.url = url
        self.backend = backend or f"odoo:{db or 'default'}"
        self.warehouse = warehouse
        self.location = location
        self.locations = dict(locations or {})
        self.reference_prefix = reference_prefix
        self.shipping_product = shipping_product
        self.pricelists = {k.upper(): int(v) for k, v in (pricelists or {}).items()}
        self.carrier = carrier
        self.payment_notes = bool(payment_notes)
        self._oms: OMS | None = None
        self._version: OdooVersion | None = None
        self._cache: dict[tuple[str, Any], Any] = {}
        self.problems: list[str] = []
        self.transport: OdooTransport | None = transport
        if transport is None and self.configured:
            missing = [k for k, v in (("url", url), ("db", db), ("user", user), ("password", password)) if not v]
            if missing:
                raise ConfigurationError(
                    f"odoo: driver_config['oms.adapters']['odoo'] lacks {', '.join(missing)} "
                    "(url, db, user and password are required)"
                )
            self.transport = OdooRPCTransport(url, db, user, password, timeout=timeout)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"OdooAdapter(backend={self.backend!r}, url={self.url!r})"

    # -- reactions ----------------------------------------------------------------------------------------------
    # The OMS registers a configured adapter as a hook plugin named "odoo" (driver_config {"oms.adapters":
    # {"odoo": {...}}}): these run after commit through the outbox, are retried with back-off when Odoo cannot be
    # reached, and are dead-lettered with Odoo's error after the last attempt. Where no odoo adapter is configured
    # nothing subscribes to these events.

    @hookimpl
    def order_confirmed(self, event: Event, oms: OMS) -> None:
        """The customer and the order go to Odoo as a confirmed ``sale.order`` (once, through the bindings)."""
        if self.configured:
            self.attach(oms).export_order(oms.get_order(event.payload["order_id"]))

    @hookimpl
    def order_cancelled(self, event: Event, oms: OMS) -> None:
        """The order's sale order is cancelled, unless Odoo delivered goods or locked it (then a note says why)."""
        if self.configured:
            self.attach(oms).cancel_order(oms.get_order(event.payload["order_id"]))

    @hookimpl
    def payment_captured(self, event: Event, oms: OMS) -> None:
        """A note with the payment status on the sale order, when ``payment_notes`` is on."""
        if self.configured and self.payment_notes:
            self.attach(oms).push_payment_state(oms.get_order(event.payload["order_id"]), event.id)

    @hookimpl
    def payment_refunded(self, event: Event, oms: OMS) -> None:
        """As ``payment_captured``."""
        if self.configured and self.payment_notes:
            self.attach(oms).push_payment_state(oms.get_order(event.payload["order_id"]), event.id)

    # -- set-up -----------------------------------------------------------------------------------------------

    def attach(self, oms: OMS) -> OdooAdapter:
        """Use ``oms`` for the bindings (the reactions and ``sync`` do this). Returns the adapter."""
        self._oms = oms
        return self

    @property
    def oms(self) -> OMS:
        if self._oms is None:
            raise ConfigurationError("odoo: attach the adapter to an OMS first: adapter.attach(oms)")
        return self._oms

    def connect(self) -> OdooVersion:
        """Log in and detect the server version. Wrong credentials raise :class:`~oms_core.ConfigurationError`."""
        if self._version is None:
            self._version = OdooVersion.from_info(self._transport().version())
            if self._version.major < 16:
                raise ConfigurationError(f"odoo: version {self._version} is not supported (16, 17 and 18 are)")
        return self._version

    @property
    def version(self) -> OdooVersion:
        return self.connect()

    def _transport(self) -> OdooTransport:
        if self.transport is None:
            raise ConfigurationError(
                "odoo: the adapter is not configured; set driver_config={'oms.adapters': {'odoo': {'url': ..., "
                "'db': ..., 'user': ..., 'password': ...}}}"
            )
        return self.transport

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One ``execute_kw`` call (after the login and version check)."""
        self.connect()
        return self._transport().call(model, method, *args, **kwargs)

    def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        fields: Sequence[str],
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = "id",
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": list(fields), "offset": offset}
        if limit is not None:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        if context:
            kwargs["context"] = dict(context)
        return self.call(model, "search_read", list(domain), **kwargs)

    def _pages(
        self, model: str, domain: Sequence[Any], fields: Sequence[str], context: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            rows = self.search_read(model, domain, fields, limit=PAGE, offset=offset, context=context)
            yield from rows
            if len(rows) < PAGE:
                return
            offset += PAGE

    def _find(self, model: str, record_id: Any, fields: Sequence[str]) -> dict[str, Any] | None:
        """The record ``record_id`` (archived ones too), or ``None`` when it does not exist."""
        rows = self.search_read(model, [("id", "=", int(record_id))], fields, limit=1, context={"active_test": False})
        return rows[0] if rows else None

    # -- products and stock in --------------------------------------------------------------------------------

    def import_products(self) -> Iterator[Product]:
        """Storable products with an internal reference; archived or not-for-sale ones come as inactive."""
        domain = [*self.version.storable_domain(), ("default_code", "!=", False)]
        fields = ["id", "default_code", "name", "active", "sale_ok", "weight"]
        seen: set[str] = set()
        for row in self._pages("product.product", domain, fields, context={"active_test": False}):
            sku = _text(row.get("default_code"))
            if not sku or sku in seen:  # Odoo does not enforce unique references: the oldest product wins
                continue
            seen.add(sku)
            weight = to_decimal(row.get("weight"))
            grams = int((weight * 1000).to_integral_value(ROUND_HALF_UP)) if weight > 0 else None
            yield Product(
                sku=sku,
                name=_text(row.get("name")) or sku,
                weight_grams=grams,
                active=bool(row.get("active")) and bool(row.get("sale_ok", True)),
            )

    def warehouse_record(self) -> dict[str, Any]:
        key = ("warehouse", self.warehouse)
        if key not in self._cache:
            if self.warehouse is None:
                domain: list[Any] = []
            elif isinstance(self.warehouse, int) or str(self.warehouse).isdigit():
                domain = [("id", "=", int(self.warehouse))]
            else:
                domain = [("code", "=", str(self.warehouse))]
            rows = self.search_read(
                "stock.warehouse", domain, ["id", "name", "code", "lot_stock_id"], limit=1, order="sequence, id"
            )
            if not rows:
                raise ConfigurationError(f"odoo: no stock.warehouse {self.warehouse or ''} in {self.backend}")
            self._cache[key] = rows[0]
        return self._cache[key]

    def location_map(self) -> dict[int, tuple[str, str]]:
        """``{Odoo internal location id: (OMS location code, Odoo full name of the mapped location)}``.

        The configured ``locations`` (or the warehouse's ``lot_stock_id`` → ``location``) name the roots; every
        internal location below a root maps to the root's OMS code (the deepest configured root wins).
        """
        if "locations" in self._cache:
            return self._cache["locations"]
        rows = self.search_read(
            "stock.location", [("usage", "=", "internal")], ["id", "complete_name", "parent_path"], order="id"
        )
        by_name = {str(r["complete_name"]): int(r["id"]) for r in rows}
        roots: dict[int, str] = {}
        if self.locations:
            for key, code in self.locations.items():
                if isinstance(key, int) or str(key).isdigit():
                    roots[int(key)] = code
                elif str(key) in by_name:
                    roots[by_name[str(key)]] = code
                else:
                    raise ConfigurationError(f"odoo: locations names {key!r}, which is no internal Odoo location")
        else:
            wh = self.warehouse_record()
            stock = _m2o_id(wh.get("lot_stock_id"))
            if stock is None:
                raise ConfigurationError(f"odoo: warehouse {wh.get('code')} has no stock location (lot_stock_id)")
            roots[stock] = self.location or str(wh.get("code") or "ODOO")
        names = {int(r["id"]): str(r["complete_name"]) for r in rows}
        mapping: dict[int, tuple[str, str]] = {}
        for r in rows:
            path = [int(x) for x in str(r.get("parent_path") or r["id"]).strip("/").split("/") if x]
            for ancestor in reversed(path):
                if ancestor in roots:
                    mapping[int(r["id"])] = (roots[ancestor], names.get(ancestor, str(ancestor)))
                    break
        self._cache["locations"] = mapping
        return mapping

    def _skus(self, product_ids: Iterable[int]) -> dict[int, str | None]:
        """``{product id: default_code}`` for these products (cached for the adapter's life)."""
        cache: dict[int, str | None] = self._cache.setdefault("skus", {})
        missing = sorted({int(i) for i in product_ids} - set(cache))
        for start in range(0, len(missing), PAGE):
            chunk = missing[start : start + PAGE]
            rows = self.search_read(
                "product.product", [("id", "in", chunk)], ["id", "default_code"], context={"active_test": False}
            )
            for r in rows:
                cache[int(r["id"])] = _text(r.get("default_code"))
            for i in chunk:
                cache.setdefault(i, None)
        return cache

    def import_stock(self) -> Iterator[StockLevel]:
        """On-hand quantity per SKU and mapped OMS location: ``stock.quant.quantity`` summed over the locations.

        Odoo counts in decimals: a fractional quantity is rounded down to whole units (and reported in
        ``problems``); a negative sum counts as zero.
        """
        mapping = self.location_map()
        if not mapping:
            return
        totals: dict[tuple[int, str], Decimal] = {}
        quants = self._pages(
            "stock.quant", [("location_id", "in", sorted(mapping))], ["id", "product_id", "location_id", "quantity"]
        )
        for q in quants:
            product, location = _m2o_id(q.get("product_id")), _m2o_id(q.get("location_id"))
            if product is None or location not in mapping:
                continue
            key = (product, mapping[location][0])
            totals[key] = totals.get(key, Decimal(0)) + to_decimal(q.get("quantity"))
        skus = self._skus(p for p, _ in totals)
        merged: dict[tuple[str, str], Decimal] = {}
        for (product, code), qty in totals.items():
            sku = skus.get(product)
            if sku is None:
                self.problems.append(f"product.product {product} has stock but no internal reference (SKU): skipped")
                continue
            merged[(sku, code)] = merged.get((sku, code), Decimal(0)) + qty
        for (sku, code), qty in sorted(merged.items()):
            whole = max(0, int(qty))
            if qty != whole:
                self.problems.append(f"{sku}@{code}: Odoo has {qty} units; the OMS counts {whole} whole units")
            yield StockLevel(sku, code, whole, 0)

    # -- customers out --------------------------------------------------------------------------------------

    def export_customer(self, customer: Customer) -> str:
        """The ``res.partner`` of ``customer``: the bound one, else the first with that e-mail, else a new one."""
        oms, key = self.oms, customer_key(customer)
        fields = ["id", "name", "email", "phone"]
        bound = oms.binding(self.backend, CUSTOMER, local_id=key)
        if bound is not None:
            partner = self._find("res.partner", bound.remote_id, fields)
            if partner is None:
                raise BindingBroken(self.backend, CUSTOMER, key, "res.partner", bound.remote_id)
        else:
            partner = None
            if customer.email:
                found = self.search_read(
                    "res.partner",
                    [("email", "=ilike", like_literal(customer.email.strip())), ("parent_id", "=", False)],
                    fields,
                    limit=1,
                )
                partner = found[0] if found else None
            if partner is None:
                values = {"name": customer.name or customer.email, "email": customer.email, "phone": customer.phone}
                partner_id = self.call("res.partner", "create", {k: v for k, v in values.items() if v})
                partner = {"id": partner_id, "phone": customer.phone}
            oms.bind(self.backend, CUSTOMER, key, partner["id"], {"email": customer.email})
        if customer.phone and not partner.get("phone"):  # Odoo owns the partner: fill blanks only
            self.call("res.partner", "write", [int(partner["id"])], {"phone": customer.phone})
        return str(partner["id"])

    def _country_id(self, code: str | None) -> int | None:
        if not code:
            return None
        key = ("country", code.upper())
        if key not in self._cache:
            rows = self.search_read("res.country", [("code", "=", code.upper())], ["id"], limit=1)
            if not rows:
                raise OdooError(f"no res.country with code {code!r}", model="res.country", method="search_read")
            self._cache[key] = int(rows[0]["id"])
        return self._cache[key]

    def _address_values(self, address: Address) -> dict[str, Any]:
        return {
            "name": address.name,
            "street": address.line1,
            "street2": address.line2 or False,
            "city": address.city,
            "zip": address.postcode or False,
            "country_id": self._country_id(address.country) or False,
        }

    def _address_partner(self, parent_id: int, address: Address | None, kind: str) -> int:
        """The contact of ``parent_id`` at ``address``: itself, a child contact there, or a new ``kind`` child."""
        if address is None:
            return parent_id
        values = self._address_values(address)
        same = [(k, "=", v) for k, v in values.items() if k != "street2"]
        parent = self.search_read("res.partner", [("id", "=", parent_id), *same], ["id"], limit=1)
        if parent:
            return parent_id
        # one contact per distinct address: a delivery contact also serves as invoice address, and the reverse
        found = self.search_read("res.partner", [("parent_id", "=", parent_id), *same], ["id"], limit=1)
        if found:
            return int(found[0]["id"])
        values.update({"parent_id": parent_id, "type": kind})
        if address.phone:
            values["phone"] = address.phone
        return int(self.call("res.partner", "create", values))

    def _customer_partner(self, order: Order) -> tuple[int, int, int]:
        """``(partner, invoice address, delivery address)`` ids for ``order``."""
        partner_id = int(self.export_customer(order.customer))
        main = order.billing_address or order.shipping_address
        if main is not None:
            partner = self._find("res.partner", partner_id, ["id", "street", "city"])
            if partner is not None and not partner.get("street") and not partner.get("city"):
                values = self._address_values(main)  # a new contact gets the order's address as its own
                self.call("res.partner", "write", [partner_id], {k: v for k, v in values.items() if k != "name"})
        invoice = self._address_partner(partner_id, order.billing_address, "invoice")
        delivery = self._address_partner(partner_id, order.shipping_address, "delivery")
        return partner_id, invoice, delivery

    # -- orders out -----------------------------------------------------------------------------------------

    def reference(self, order: Order) -> str:
        """The ``client_order_ref`` of ``order`` in Odoo."""
        return f"{self.reference_prefix}{order.channel}/{order.external_id}"

    def _sale_fields(self) -> list[str]:
        fields = ["id", "name", "state", "client_order_ref"]
        return [*fields, "locked"] if self.version.has_locked_flag else fields

    def export_order(self, order: Order) -> str:
        """The ``sale.order`` of ``order``: bound, else found by ``client_order_ref``, else created.

        A confirmed (or completed) OMS order is confirmed in Odoo (``action_confirm``); a cancelled one is
        cancelled there. Lines are written only when the sale order is created.
        """
        oms = self.oms
        bound = oms.binding(self.backend, ORDER, local_id=order.id)
        if bound is not None:
            sale = self._find("sale.order", bound.remote_id, self._sale_fields())
            if sale is None:
                raise BindingBroken(self.backend, ORDER, str(order.id), "sale.order", bound.remote_id)
        else:
            ref = self.reference(order)
            found = self.search_read(
                "sale.order",
                [("client_order_ref", "=", ref)],
                self._sale_fields(),
                limit=1,
                context={"active_test": False},
            )
            if found:
                sale = found[0]
            elif str(order.status) == "cancelled":
                raise OMSError(f"odoo: order #{order.id} is cancelled and was never sent to Odoo; nothing to export")
            else:
                sale = self._create_sale_order(order, ref)
            oms.bind(self.backend, ORDER, order.id, sale["id"], {"name": sale.get("name"), "reference": ref})
        self._converge(order, sale)
        return str(sale["id"])

    def _pricelist(self, currency: str) -> int | None:
        if currency.upper() in self.pricelists:
            return self.pricelists[currency.upper()]
        key = ("pricelist", currency)
        if key not in self._cache:
            cur = self.search_read(
                "res.currency", [("name", "=", currency)], ["id"], limit=1, context={"active_test": False}
            )
            found = (
                self.search_read("product.pricelist", [("currency_id", "=", cur[0]["id"])], ["id"], limit=1)
                if cur
                else []
            )
            if found:
                self._cache[key] = int(found[0]["id"])
            else:
                company = self.search_read("res.company", [], ["currency_id"], limit=1)
                if company and _m2o_name(company[0].get("currency_id")) == currency:
                    self._cache[key] = None  # the company's currency: Odoo's default pricelist applies
                else:
                    raise OdooError(
                        f"no pricelist in {currency}: create one in Odoo or configure pricelists={{'{currency}': id}}",
                        model="product.pricelist",
                        method="search_read",
                    )
        return self._cache[key]

    def _product_ids(self, skus: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(skus))
        rows = self.search_read(
            "product.product",
            [("default_code", "in", wanted)],
            ["id", "default_code", "active"],
            context={"active_test": False},
        )
        found: dict[str, int] = {}
        for r in sorted(rows, key=lambda r: (not r.get("active"), r["id"])):  # active first, then the oldest
            found.setdefault(str(r["default_code"]), int(r["id"]))
        missing = [s for s in wanted if s not in found]
        if missing:
            raise OdooError(
                f"no product.product with internal reference {', '.join(missing)}: import or create it in Odoo",
                model="product.product",
                method="search_read",
            )
        return found

    def _create_sale_order(self, order: Order, ref: str) -> dict[str, Any]:
        partner, invoice, delivery = self._customer_partner(order)
        skus = [line.sku for line in order.lines]
        shipping = order.totals.shipping_total.amount
        if self.shipping_product and shipping > 0:
            skus.append(self.shipping_product)
        products = self._product_ids(skus)
        lines: list[Any] = []
        for line in order.lines:
            values: dict[str, Any] = {
                "product_id": products[line.sku],
                "product_uom_qty": line.quantity,
                "price_unit": float(line.unit_price.amount),
                "name": line.name or line.sku,
            }
            gross = line.unit_price.amount * line.quantity
            if line.discount.amount and gross:  # Odoo's discount is a percentage of the line
                values["discount"] = float((line.discount.amount * 100 / gross).quantize(Decimal("0.01")))
            lines.append((0, 0, values))
        if self.shipping_product and shipping > 0:
            lines.append(
                (0, 0, {"product_id": products[self.shipping_product], "product_uom_qty": 1,
                        "price_unit": float(shipping), "name": "Shipping"})
            )  # fmt: skip
        values = {
            "partner_id": partner,
            "partner_invoice_id": invoice,
            "partner_shipping_id": delivery,
            "client_order_ref": ref,
            "date_order": to_odoo_datetime(order.placed_at),
            "order_line": lines,
        }
        pricelist = self._pricelist(order.currency)
        if pricelist is not None:
            values["pricelist_id"] = pricelist
        sale_id = int(self.call("sale.order", "create", values))
        sale = self._find("sale.order", sale_id, self._sale_fields())
        if sale is None:  # pragma: no cover - Odoo just created it
            raise OdooMissingRecord(f"sale.order {sale_id} vanished after create", model="sale.order", method="create")
        return sale

    def _converge(self, order: Order, sale: dict[str, Any]) -> None:
        """Bring the sale order's state in line with the OMS order's status."""
        status = str(order.status)
        if status in ("confirmed", "completed") and sale.get("state") in ("draft", "sent"):
            self.call("sale.order", "action_confirm", [int(sale["id"])])
        elif status == "cancelled" and sale.get("state") != "cancel":
            self.cancel_sale_order(sale, reason=f"cancelled in the OMS (order #{order.id})")

    def cancel_sale_order(self, sale: Mapping[str, Any], reason: str) -> bool:
        """Cancel ``sale`` (``action_cancel``) unless Odoo delivered goods for it or locked it.

        Returns whether it is cancelled. When it is not, a note on the sale order says why, once.
        """
        sale_id = int(sale["id"])
        if sale.get("state") == "cancel":
            return True
        blocked = None
        if sale.get("state") == "done" or sale.get("locked"):
            blocked = "it is locked in Odoo"
        elif self.search_read("stock.picking", [("sale_id", "=", sale_id), ("state", "=", "done")], ["id"], limit=1):
            blocked = "Odoo already delivered goods for it"
        if blocked:
            self.note(sale_id, f"The OMS order was {reason}, but this sale order was not cancelled: {blocked}.")
            return False
        self.call("sale.order", "action_cancel", [sale_id], context={"disable_cancel_warning": True})
        after = self._find("sale.order", sale_id, ["state"])
        if after is not None and after.get("state") != "cancel":
            raise OdooError(
                f"action_cancel left sale.order {sale_id} in state {after.get('state')!r} (a cancel wizard?)",
                model="sale.order",
                method="action_cancel",
            )
        return True

    def cancel_order(self, order: Order) -> bool:
        """Cancel the sale order of a cancelled OMS order; ``False`` when it never reached Odoo or stays."""
        bound = self.oms.binding(self.backend, ORDER, local_id=order.id)
        if bound is None:
            found = self.search_read(
                "sale.order", [("client_order_ref", "=", self.reference(order))], self._sale_fields(), limit=1
            )
            if not found:
                return False
            sale = found[0]
            self.oms.bind(self.backend, ORDER, order.id, sale["id"], {"name": sale.get("name")})
        else:
            sale = self._find("sale.order", bound.remote_id, self._sale_fields())
            if sale is None:
                raise BindingBroken(self.backend, ORDER, str(order.id), "sale.order", bound.remote_id)
        return self.cancel_sale_order(sale, reason=f"cancelled in the OMS (order #{order.id})")

    def note(self, sale_id: int, text: str, marker: str | None = None) -> bool:
        """Post ``text`` as an internal note on the sale order, once per ``marker`` (default: the text)."""
        marker = marker or text
        seen = self.search_read(
            "mail.message",
            [("model", "=", "sale.order"), ("res_id", "=", sale_id), ("body", "ilike", marker)],
            ["id"],
            limit=1,
        )
        if seen:
            return False
        body = text if marker in text else f"{text} [{marker}]"
        self.call(
            "sale.order", "message_post", [sale_id], body=body, message_type="comment", subtype_xmlid="mail.mt_note"
        )
        return True

    def push_payment_state(self, order: Order, event_id: str | None = None) -> bool:
        """Post the OMS payment status of ``order`` as a note on its sale order (``payment_notes``)."""
        bound = self.oms.binding(self.backend, ORDER, local_id=order.id)
        if bound is None:
            return False
        text = (
            f"OMS payment status: {order.payment_status}; captured {order.amount_captured.rounded().amount} "
            f"{order.currency}, refunded {order.amount_refunded.rounded().amount} {order.currency}, order total "
            f"{order.total.rounded().amount} {order.currency}."
        )
        return self.note(int(bound.remote_id), text, f"oms-event {event_id}" if event_id else None)

    # -- deliveries back --------------------------------------------------------------------------------------

    def _ensure_carrier(self, oms: OMS) -> None:
        try:
            driver = oms.driver(CARRIERS, self.carrier)
        except DriverNotFound:
            driver = None
        if not isinstance(driver, OdooCarrier):
            oms.register_driver(CARRIERS, self.carrier, OdooCarrier)

    def sync_deliveries(self, oms: OMS) -> int:
        """Ship in the OMS what Odoo delivered: done outgoing pickings of bound sale orders.

        Each picking becomes one OMS shipment (carrier ``odoo``, tracking number = the picking's
        ``carrier_tracking_ref``) for the quantities the OMS has not shipped yet, and is bound in the same
        transaction, so a picking is never applied twice. Returns the number of shipments created.
        """
        self.attach(oms)
        created = 0
        open_orders: dict[int, Order] = {}
        sale_of: dict[int, int] = {}
        for b in oms.bindings(self.backend, ORDER):
            if b.data.get("closed"):
                continue
            order = oms.get_order(int(b.local_id))
            if str(order.status) in ("cancelled", "completed") or str(order.fulfillment_status) not in (
                "unfulfilled", "allocated", "partially_shipped"
            ):  # fmt: skip
                # nothing will ship any more: mark the binding so that later syncs do not even load the order
                oms.bind(self.backend, ORDER, b.local_id, b.remote_id, {**b.data, "closed": True})
                continue
            if str(order.status) != "confirmed":
                continue
            open_orders[order.id] = order
            sale_of[int(b.remote_id)] = order.id
        if not open_orders:
            return 0
        self._ensure_carrier(oms)
        picking_fields = ["id", "name", "sale_id", "state", "location_id", "date_done"]
        if self._has_field("stock.picking", "carrier_tracking_ref"):
            picking_fields.append("carrier_tracking_ref")
        if self._has_field("stock.picking", "carrier_id"):
            picking_fields.append("carrier_id")
        pickings: list[dict[str, Any]] = []
        sale_ids = sorted(sale_of)
        for start in range(0, len(sale_ids), PAGE):
            pickings += self.search_read(
                "stock.picking",
                [
                    ("sale_id", "in", sale_ids[start : start + PAGE]),
                    ("state", "=", "done"),
                    ("picking_type_code", "=", "outgoing"),
                ],
                picking_fields,
                order="date_done, id",
            )
        if not pickings:
            return 0
        qty_field = self.version.move_quantity_field
        moves: dict[int, dict[int, Decimal]] = {}
        picking_ids = [int(p["id"]) for p in pickings]
        for start in range(0, len(picking_ids), PAGE):
            for m in self._pages(
                "stock.move",
                [("picking_id", "in", picking_ids[start : start + PAGE]), ("state", "=", "done")],
                ["id", "picking_id", "product_id", qty_field],
            ):
                per = moves.setdefault(_m2o_id(m["picking_id"]), {})  # type: ignore[arg-type]
                product = _m2o_id(m["product_id"])
                if product is not None:
                    per[product] = per.get(product, Decimal(0)) + to_decimal(m.get(qty_field))
        skus = self._skus(p for per in moves.values() for p in per)
        locations = self.location_map()
        by_order: dict[int, list[dict[str, Any]]] = {}
        for p in pickings:
            sale = _m2o_id(p.get("sale_id"))
            if sale in sale_of:
                by_order.setdefault(sale_of[sale], []).append(p)
        for order_id, order_pickings in by_order.items():
            order = open_orders[order_id]
            shipped = {}
            for line in order.lines:
                shipped[line.sku] = shipped.get(line.sku, 0) + line.quantity_shipped
            delivered: dict[str, int] = {}
            for p in order_pickings:
                qty: dict[str, int] = {}
                for product, q in moves.get(int(p["id"]), {}).items():
                    sku = skus.get(product)
                    if sku is not None:
                        qty[sku] = qty.get(sku, 0) + int(q)
                for sku, q in qty.items():
                    delivered[sku] = delivered.get(sku, 0) + q
                local = f"{order_id}/{p['id']}"
                if oms.binding(self.backend, DELIVERY, local_id=local) is not None:
                    continue
                wanted: dict[str, int] = {}
                for sku, q in qty.items():
                    if sku not in shipped:
                        continue  # a product Odoo added (shipping, a gift): not an OMS line
                    take = min(q, delivered[sku] - shipped[sku])
                    if take > 0:
                        wanted[sku] = take
                if wanted:
                    order = oms.get_order(order_id)  # the open quantities after the shipments made above
                by_line = self._lines_to_ship(order, wanted)
                tracking = _text(p.get("carrier_tracking_ref")) or ""
                data = {"picking": p.get("name"), "tracking": tracking, "lines": wanted}
                try:
                    with oms.transaction():
                        if wanted:
                            location = locations.get(_m2o_id(p.get("location_id")) or 0, (None, None))[0]
                            token = _tracking.set((tracking, _m2o_name(p.get("carrier_id"))))
                            try:
                                shipment = oms.ship(order_id, by_line, location=location, carrier=self.carrier)
                            finally:
                                _tracking.reset(token)
                            data["shipment_id"] = shipment.id
                        oms.bind(self.backend, DELIVERY, local, p["id"], data)
                except (OdooUnavailable, ConfigurationError):
                    raise
                except OMSError as exc:
                    problem = f"order #{order_id}: Odoo picking {p.get('name')} not applied: {exc}"
                    self.problems.append(problem)
                    log.warning(problem)
                    continue
                if wanted:
                    created += 1
                    for sku, q in wanted.items():
                        shipped[sku] += q
        return created

    @staticmethod
    def _lines_to_ship(order: Order, wanted: Mapping[str, int]) -> dict[int | str, int]:
        """``{line id: units}`` for ``wanted`` (SKU → units), filling the open quantity of a SKU's lines in order."""
        out: dict[int | str, int] = {}
        for sku, units in wanted.items():
            left = units
            for line in order.lines:
                take = min(left, line.quantity_open) if line.sku == sku else 0
                if take > 0:
                    out[line.id] = take
                    left -= take
        return out

    def _has_field(self, model: str, field: str) -> bool:
        key = ("fields", model)
        if key not in self._cache:
            self._cache[key] = set(self.call(model, "fields_get", [], attributes=["type"]))
        return field in self._cache[key]

    # -- the whole sync ---------------------------------------------------------------------------------------

    def sync(self, oms: OMS) -> SyncReport:
        """Products and stock in, deliveries back, pending orders out (confirmed OMS orders without a binding).

        Deliveries are read before stock, so that goods Odoo delivered are shipped in the OMS before the OMS
        takes over Odoo's (already lower) count. Problems with single records are reported, not raised; Odoo
        being unreachable or refusing the login is raised.
        """
        self.attach(oms)
        self.problems = []
        for key in ("locations", "skus", "odoo_skus"):  # Odoo may have changed since the last sync
            self._cache.pop(key, None)
        report = SyncReport()
        self._sync_products(oms, report)
        report.shipments = self.sync_deliveries(oms)
        self._sync_stock(oms, report)
        self._export_pending(oms, report)
        report.problems.extend(self.problems)
        return report

    def _sync_products(self, oms: OMS, report: SyncReport) -> None:
        existing = {p.sku: p for p in oms.products()}
        batch: list[Product] = []
        seen: set[str] = set()

        def flush() -> None:
            with oms.transaction():
                for p in batch:
                    oms.add_product(
                        p.sku,
                        p.name,
                        weight_grams=p.weight_grams,
                        low_stock_threshold=p.low_stock_threshold,
                        active=p.active,
                    )
            batch.clear()

        for p in self.import_products():
            seen.add(p.sku)
            old = existing.get(p.sku)
            if old is not None:
                p = attrs.evolve(
                    p, weight_grams=p.weight_grams or old.weight_grams, low_stock_threshold=old.low_stock_threshold
                )
                if p == old:
                    continue
                report.products_updated += 1
            else:
                report.products_created += 1
            batch.append(p)
            if len(batch) >= PAGE:
                flush()
        if batch:
            flush()
        self._cache["odoo_skus"] = seen

    def _sync_stock(self, oms: OMS, report: SyncReport) -> None:
        mapping = self.location_map()
        known = {loc.code for loc in oms.locations()}
        for code, name in sorted({v for v in mapping.values()}):
            if code not in known:
                oms.add_location(code, f"Odoo {name}")
                known.add(code)
        codes = {code for code, _ in mapping.values()}
        current = {(s.sku, s.location): s.on_hand for s in oms.stock() if s.location in codes}
        products = {p.sku for p in oms.products()}
        odoo_skus = self._cache.get("odoo_skus") or {p.sku for p in self.import_products()}
        counted: dict[tuple[str, str], int] = {}
        for level in self.import_stock():
            counted[(level.sku, level.location)] = level.on_hand
        for key in current:
            if key[0] in odoo_skus and key not in counted:
                counted[key] = 0  # Odoo has none there
        for (sku, code), qty in sorted(counted.items()):
            if sku not in products:
                self.problems.append(f"{sku}@{code}: not an OMS product (not storable or not sellable in Odoo)")
                continue
            if current.get((sku, code), 0) == qty:
                continue
            try:
                oms.adjust_stock(sku, code, counted=qty, reason=SYNC_REASON)
            except OMSError as exc:
                self.problems.append(f"{sku}@{code}: Odoo counts {qty}, not taken over: {exc}")
                continue
            report.stock_adjusted += 1

    def _export_pending(self, oms: OMS, report: SyncReport) -> None:
        offset = 0
        while True:
            orders = oms.list_orders(status="confirmed", limit=200, offset=offset)
            for order in orders:
                if oms.binding(self.backend, ORDER, local_id=order.id) is not None:
                    continue
                try:
                    self.export_order(order)
                except (OdooUnavailable, ConfigurationError):
                    raise
                except OMSError as exc:
                    self.problems.append(f"order #{order.id} not sent to Odoo: {exc}")
                    continue
                report.orders_exported += 1
            if len(orders) < 200:
                return
            offset += 200

    # -- CRM ------------------------------------------------------------------------------------------------

    def customer(self, email: str | None = None, *, partner_id: int | None = None) -> OdooCustomer | None:
        """A customer as Odoo knows it: contact data, addresses and sale orders (linked to OMS orders).

        Found by ``partner_id``, else through the binding of ``email``, else by e-mail in Odoo.
        """
        fields = ["id", "name", "email", "phone", "street", "street2", "city", "zip", "country_id"]
        partner = None
        if partner_id is None and email:
            bound = self._oms.binding(self.backend, CUSTOMER, local_id=email.strip().lower()) if self._oms else None
            if bound is not None:
                partner_id = int(bound.remote_id)
            else:
                rows = self.search_read(
                    "res.partner",
                    [("email", "=ilike", like_literal(email.strip())), ("parent_id", "=", False)],
                    ["id"],
                    limit=1,
                )
                partner_id = int(rows[0]["id"]) if rows else None
        if partner_id is not None:
            partner = self._find("res.partner", partner_id, fields)
        if partner is None:
            return None
        children = self.search_read(
            "res.partner",
            [("parent_id", "=", partner["id"]), ("type", "in", ["delivery", "invoice"])],
            [*fields, "type"],
        )
        addresses = tuple((str(c["type"]), a) for c in children if (a := self._address(c)) is not None)
        sales = self.search_read(
            "sale.order",
            [("partner_id", "=", partner["id"])],
            [*self._sale_fields(), "amount_total", "currency_id", "date_order"],
            order="date_order desc, id desc",
        )
        orders = []
        for s in sales:
            currency = _m2o_name(s.get("currency_id"))
            total = None
            if currency:
                try:
                    total = Money(to_decimal(s.get("amount_total")), currency).rounded()
                except OMSError:
                    total = None
            b = self._oms.binding(self.backend, ORDER, remote_id=s["id"]) if self._oms else None
            orders.append(
                OdooSaleOrder(
                    id=int(s["id"]),
                    name=str(s.get("name")),
                    reference=_text(s.get("client_order_ref")),
                    state=str(s.get("state")),
                    locked=bool(s.get("locked")) or s.get("state") == "done",
                    total=total,
                    ordered_at=odoo_datetime(s.get("date_order")),
                    oms_order_id=int(b.local_id) if b else None,
                )
            )
        return OdooCustomer(
            id=int(partner["id"]),
            name=str(partner.get("name") or ""),
            email=_text(partner.get("email")),
            phone=_text(partner.get("phone")),
            address=self._address(partner),
            addresses=addresses,
            orders=tuple(orders),
        )

    def _address(self, row: Mapping[str, Any]) -> Address | None:
        if not _text(row.get("street")) and not _text(row.get("city")):
            return None
        country = None
        country_id = _m2o_id(row.get("country_id"))
        if country_id is not None:
            key = ("country_code", country_id)
            if key not in self._cache:
                found = self._find("res.country", country_id, ["code"])
                self._cache[key] = found.get("code") if found else None
            country = self._cache[key]
        return Address(
            name=_text(row.get("name")) or "",
            line1=_text(row.get("street")) or "",
            line2=_text(row.get("street2")),
            city=_text(row.get("city")) or "",
            postcode=_text(row.get("zip")),
            country=country or "",
            phone=_text(row.get("phone")),
        )

    def bindings(self) -> list[Binding]:
        """Every binding of this Odoo database."""
        return self.oms.bindings(self.backend)
