"""``TrytonAdapter``: the OMS and a Tryton ERP, through proteus models with explicit fields.

What moves where (``docs/adapters.md`` has the full mapping tables):

* products and on-hand stock come **in** from Tryton (Tryton wins);
* customers (``party.party``) and orders (``sale.sale``) go **out** to Tryton (the OMS wins);
* deliveries come back **in**: a done ``stock.shipment.out`` of a bound sale ships the OMS order.

Every record the adapter creates in Tryton is bound at once in the OMS's binding table
(``oms.bind(backend, entity, local_id, remote_id)``), and the binding is looked up before anything is created, so
redeliveries and retries never create a record twice. A sale is also looked up by its ``reference`` (the OMS
order id) before it is created, which covers a crash between creating it and binding it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import attrs

from oms_adapter_tryton import reactions
from oms_adapter_tryton.connection import (
    CancelRefused,
    RemoteRecordMissing,
    Target,
    TrytonError,
    TrytonUnavailable,
    calling,
    connect,
    parse_database_uri,
)
from oms_core import (
    Address,
    Binding,
    ConfigurationError,
    Customer,
    ErpAdapter,
    Event,
    NotFound,
    OMSError,
    Order,
    OrderStatus,
    Product,
    StockLevel,
    ValidationError,
    hookimpl,
)

if TYPE_CHECKING:
    from oms_core import OMS

ORDER, CUSTOMER = "order", "customer"
#: the reason written on the OMS stock ledger for every adjustment a stock import makes
SYNC_REASON = "erp sync"
#: Tryton's price precision (``sale.line.unit_price`` has 4 decimals unless configured otherwise)
PRICE_QUANTUM = Decimal("0.0001")
#: sale states in which Tryton still lets the adapter cancel the sale
CANCELLABLE = ("draft", "quotation", "confirmed")


@attrs.frozen
class SyncError:
    """One thing a sync could not do; the sync went on with the rest."""

    entity: str  # "order", "product", "stock", "delivery"
    key: str  # the OMS order id, the SKU, "SKU@location"
    message: str


@attrs.frozen
class SyncReport:
    """What :meth:`TrytonAdapter.sync` did, in the order it did it."""

    shipments: int = 0  # OMS shipments made from done Tryton deliveries
    products_created: int = 0
    products_updated: int = 0
    stock_adjusted: int = 0  # (SKU, location) pairs whose on-hand changed
    orders_exported: int = 0  # confirmed orders that had no binding and were exported
    errors: tuple[SyncError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@attrs.frozen
class SaleSummary:
    id: int
    number: str | None
    reference: str | None
    state: str
    total: Decimal
    currency: str


@attrs.frozen
class CustomerRecord:
    """The CRM view of a customer in Tryton: the party, how to reach it, where it lives, what it bought."""

    party_id: int
    name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    addresses: tuple[dict[str, str | None], ...]
    sales: tuple[SaleSummary, ...]


def customer_key(customer: Customer) -> str:
    """The OMS side of a customer binding: the e-mail address (lower case), else the channel's id, else the name.

    The e-mail address comes first because it is the same person on every channel, while channels number their
    customers each on their own.
    """
    if customer.email:
        return f"email:{customer.email.lower()}"
    if customer.external_id:
        return f"external:{customer.external_id}"
    if customer.name:
        return f"name:{customer.name}"
    raise ValidationError(
        "customer", "email", "a customer exported to Tryton needs an e-mail, an external id or a name"
    )


def net_unit_price(unit_price: Decimal, quantity: int, discount: Decimal) -> Decimal:
    """The unit price with the line's discount folded in, to Tryton's 4 decimals."""
    if not discount:
        return unit_price
    return ((unit_price * quantity - discount) / quantity).quantize(PRICE_QUANTUM)


def _street(address: Address) -> str:
    return "\n".join(x for x in (address.line1, address.line2) if x)


def _norm(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def _digits(value: str | None) -> str:
    return "".join(c for c in value or "" if c.isdigit())


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sub(row: dict[str, Any], field: str) -> Any:
    """A dotted field of a ``search_read`` row (``"country.code"`` comes back as ``{"country.": {"code": ...}}``)."""
    head, _, rest = field.partition(".")
    value = row.get(f"{head}.")
    return value.get(rest) if isinstance(value, dict) else None


class TrytonAdapter(ErpAdapter):
    """An ERP adapter for Tryton (``oms.adapters`` name ``tryton``).

    :param database_uri: the Tryton database (``sqlite:///path/NAME.sqlite``, ``postgresql://user@host/NAME``).
        Without it the adapter is *not configured*: it does nothing from the reaction hooks and every call raises
        :class:`~oms_core.ConfigurationError`.
    :param backend: the binding table's name for this Tryton (default ``tryton:<database name>``).
    :param company: the company (its party's name, or its id) whose sales the adapter makes; default: the user's
        current company.
    :param warehouse: the code of the Tryton warehouse (``stock.location`` of type warehouse) that ships the sales
        and whose stock is imported; default: the only warehouse.
    :param location: the OMS location code that stands for that warehouse (default: the warehouse's code).
    :param user: the Tryton user the adapter acts as (default ``admin``).
    :param confirm_sales: quote and confirm the sales it creates (default); ``False`` leaves them as quotations
        for a person in Tryton to confirm.
    :param carrier: the OMS carrier recorded on shipments read back from Tryton (default: the OMS's default).
    :param oms: the OMS whose binding table the adapter uses; the reaction hooks and :meth:`sync` attach it.

    Connecting happens here: a wrong URI, a missing database or an unknown user raises ``ConfigurationError`` at
    once, naming what is wrong.
    """

    def __init__(
        self,
        database_uri: str | None = None,
        *,
        backend: str | None = None,
        company: str | int | None = None,
        warehouse: str | None = None,
        location: str | None = None,
        user: str = "admin",
        confirm_sales: bool = True,
        carrier: str | None = None,
        oms: OMS | None = None,
    ) -> None:
        self.oms = oms
        self.configured = database_uri is not None
        self.confirm_sales = bool(confirm_sales)
        self.carrier = carrier
        self.user = user
        self.backend = backend or ""
        self.warehouse = warehouse or ""
        self.location = location or ""
        self.company_name = ""
        self._config: Any = None
        self._ids: dict[tuple[str, str], int | None] = {}
        if not self.configured:
            return
        self._target: Target = parse_database_uri(database_uri)  # type: ignore[arg-type]
        self.backend = backend or f"tryton:{self._target.database}"
        self._config = connect(self._target, user)
        with self._calling("reading the company and the warehouse"):
            self._company_id = self._find_company(company)
            self._warehouse_id, self.warehouse = self._find_warehouse(warehouse)
        self.location = location or self.warehouse

    # -- plumbing -------------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        where = self._target.display if self.configured else "not configured"
        return f"<TrytonAdapter {self.backend or 'tryton'} ({where})>"

    @property
    def proteus(self) -> Any:
        """The proteus configuration the adapter uses, for calls of your own:
        ``Model.get("sale.sale", config=adapter.proteus)``."""
        self._require()
        return self._config

    # -- reactions: the OMS registers a configured adapter as the hook plugin "tryton" ------------------------

    @hookimpl
    def order_confirmed(self, event: Event, oms: OMS) -> None:
        """Export the customer and the order (a sale, quoted and confirmed); once, through the bindings."""
        if self.configured:
            reactions.on_order_confirmed(self, event, oms)

    @hookimpl
    def order_cancelled(self, event: Event, oms: OMS) -> None:
        """Cancel the sale while Tryton still allows it; else raise, so the delivery ends dead with the reason."""
        if self.configured:
            reactions.on_order_cancelled(self, event, oms)

    def attach(self, oms: OMS) -> TrytonAdapter:
        """Use ``oms``'s binding table (the reaction hooks and :meth:`sync` call this)."""
        self.oms = oms
        return self

    def _require(self) -> None:
        if not self.configured:
            raise ConfigurationError(
                "the tryton adapter is not configured: pass database_uri, e.g. "
                "OMS(driver_config={'oms.adapters': {'tryton': {'database_uri': 'sqlite:///erp/NAME.sqlite'}}})"
            )

    def _oms(self) -> OMS:
        self._require()
        if self.oms is None:
            raise ConfigurationError(
                "the tryton adapter has no OMS for its bindings: build it with oms=..., or call adapter.attach(oms)"
            )
        return self.oms

    def _calling(self, doing: str) -> Any:
        return calling(doing, self._target.display)

    def _context(self, **extra: Any) -> dict[str, Any]:
        context = self._config.context
        context.update(extra)
        return context

    def _read(
        self,
        model: str,
        domain: list[Any],
        fields: Sequence[str],
        *,
        order: list[tuple[str, str]] | None = None,
        limit: int | None = None,
        **context: Any,
    ) -> list[dict[str, Any]]:
        """``search_read`` with explicit fields, in the adapter's company context."""
        proxy = self._config.get_proxy(model)
        return proxy.search_read(domain, 0, limit, order, list(fields), self._context(**context))

    def _model(self, name: str) -> Any:
        from proteus import Model

        return Model.get(name, config=self._config)

    def _record(self, model: str, record_id: int) -> Any:
        return self._model(model)(record_id)

    def _click(self, model: str, record_id: int, button: str) -> None:
        cls = self._model(model)
        cls.click([cls(record_id)], button)

    def _find_company(self, company: str | int | None) -> int:
        allowed = self._config.context.get("companies") or []
        if company is None:
            company_id = self._config.context.get("company")
            if not company_id:
                raise ConfigurationError(f"tryton adapter: the Tryton user {self.user!r} has no current company")
        else:
            domain = [("id", "=", int(company))] if str(company).isdigit() else [("party.name", "=", str(company))]
            rows = self._read("company.company", domain, ["id", "rec_name"])
            if len(rows) != 1:
                names = [r["rec_name"] for r in self._read("company.company", [], ["rec_name"])]
                raise ConfigurationError(f"tryton adapter: no company {company!r} in Tryton; there are {names}")
            company_id = rows[0]["id"]
        if allowed and company_id not in allowed:
            raise ConfigurationError(f"tryton adapter: the Tryton user {self.user!r} may not act for company {company}")
        self._config._context = {**self._config._context, "company": company_id, "companies": [company_id]}
        (row,) = self._read("company.company", [("id", "=", company_id)], ["rec_name"])
        self.company_name = row["rec_name"]
        return company_id

    def _find_warehouse(self, code: str | None) -> tuple[int, str]:
        rows = self._read("stock.location", [("type", "=", "warehouse")], ["code", "name"], order=[("id", "ASC")])
        if code is not None:
            rows = [r for r in rows if r["code"] == code]
        if len(rows) != 1:
            known = [r["code"] for r in self._read("stock.location", [("type", "=", "warehouse")], ["code"])]
            wanted = f"no warehouse with code {code!r}" if code is not None else "several warehouses; name one"
            raise ConfigurationError(f"tryton adapter: {wanted} (warehouse=...); Tryton has {known}")
        if not rows[0]["code"]:
            raise ConfigurationError(f"tryton adapter: the Tryton warehouse {rows[0]['name']!r} has no code")
        return rows[0]["id"], rows[0]["code"]

    def _lookup(self, model: str, field: str, value: str) -> int | None:
        """The id of the one record of ``model`` whose ``field`` is ``value`` (cached: currencies, countries)."""
        key = (model, value)
        if key not in self._ids:
            rows = self._read(model, [(field, "=", value)], ["id"], limit=1)
            self._ids[key] = rows[0]["id"] if rows else None
        return self._ids[key]

    def check(self) -> None:
        """Reach Tryton once (a cheap read); raise what a call would raise if it cannot. For start-up checks."""
        self._require()
        with self._calling("checking the connection"):
            self._read("company.company", [("id", "=", self._company_id)], ["id"])

    # -- products and stock: Tryton wins ----------------------------------------------------------------------------

    def import_products(self) -> Iterator[Product]:
        """Tryton's salable goods with a code (``product.product``), inactive ones as ``active=False``."""
        self._require()
        with self._calling("reading products"):
            rows = self._read(
                "product.product",
                [("code", "!=", None), ("template.type", "=", "goods"), ("template.salable", "=", True)],
                ["code", "name", "active", "template.active"],
                order=[("code", "ASC")],
                active_test=False,
            )
        for row in rows:
            active = bool(row["active"]) and bool(_sub(row, "template.active"))
            yield Product(row["code"], row["name"], active=active)

    def import_stock(self) -> Iterator[StockLevel]:
        """On-hand quantity of every good with a code in the warehouse (storage, input and output zones), as
        ``StockLevel(sku, location, on_hand, 0)``; fractions of a unit are dropped."""
        self._require()
        with self._calling("reading stock quantities"):
            rows = self._read(
                "product.product",
                [("code", "!=", None), ("template.type", "=", "goods")],
                ["code", "quantity"],
                order=[("code", "ASC")],
                active_test=False,
                locations=[self._warehouse_id],
                with_childs=True,
            )
        for row in rows:
            quantity = Decimal(str(row["quantity"] or 0)).to_integral_value(ROUND_FLOOR)
            yield StockLevel(row["code"], self.location, int(quantity), 0)

    # -- customers: out -------------------------------------------------------------------------------------------

    def export_customer(self, customer: Customer) -> str:
        """Create the party (or find it by its e-mail address) and bind it; add what Tryton does not have yet."""
        return str(self._party(customer, ()))

    def _party(self, customer: Customer, addresses: Iterable[Address]) -> int:
        oms = self._oms()
        key = customer_key(customer)
        binding = oms.binding(self.backend, CUSTOMER, local_id=key)
        with self._calling(f"exporting customer {key}"):
            if binding is not None:
                party_id = int(binding.remote_id)
                if not self._read("party.party", [("id", "=", party_id)], ["id"], active_test=False):
                    raise self._missing(binding, "party.party", "party")
            else:
                party_id = self._find_party(customer) or self._create_party(customer)
                try:
                    oms.bind(self.backend, CUSTOMER, key, party_id, {"name": customer.name or customer.email})
                except ValidationError as exc:  # the party already stands for another customer key
                    if exc.field != "remote_id":
                        raise
            self._complete_party(party_id, customer, addresses)
        return party_id

    def _find_party(self, customer: Customer) -> int | None:
        if not customer.email:
            return None
        rows = self._read(
            "party.contact_mechanism",
            [("type", "=", "email"), ("value", "ilike", _like_escape(customer.email)), ("party.active", "=", True)],
            ["party", "value"],
            order=[("id", "ASC")],
        )
        found = [r["party"] for r in rows if r["value"].lower() == customer.email.lower()]
        return found[0] if found else None

    def _create_party(self, customer: Customer) -> int:
        party = self._model("party.party")()
        party.name = customer.name or customer.email
        while party.addresses:  # Tryton gives a new party an empty address; the real ones are added next
            party.addresses.remove(party.addresses[0])
        party.save()
        return party.id

    def _complete_party(self, party_id: int, customer: Customer, addresses: Iterable[Address]) -> None:
        """Add the contact mechanisms and addresses Tryton does not have; never change or remove what it has."""
        rows = self._read("party.contact_mechanism", [("party", "=", party_id)], ["type", "value"])
        emails = {r["value"].lower() for r in rows if r["type"] == "email"}
        phones = {_digits(r["value"]) for r in rows if r["type"] in ("phone", "mobile")}
        wanted = []
        if customer.email and customer.email.lower() not in emails:
            wanted.append(("email", customer.email))
        if customer.phone and _digits(customer.phone) not in phones:
            wanted.append(("phone", customer.phone))
        Mechanism = self._model("party.contact_mechanism")
        for kind, value in wanted:
            mechanism = Mechanism(party=self._record("party.party", party_id), type=kind)
            mechanism.value = value
            try:
                mechanism.save()
            except Exception as exc:  # Tryton validates phone numbers (with phonenumbers installed)
                if kind == "email" or type(exc).__name__ != "InvalidPhoneNumber":
                    raise
                # a phone number Tryton refuses must not keep the order out of Tryton: it is left out
        for address in addresses:
            self._address_id(party_id, address)

    def _address_id(self, party_id: int, address: Address) -> int:
        """The party's address equal to ``address`` (street, postal code, city, country), created if missing."""
        rows = self._read(
            "party.address", [("party", "=", party_id)], ["street", "postal_code", "city", "country.code"]
        )
        want = (_norm(_street(address)), _norm(address.postcode), _norm(address.city), _norm(address.country))
        for row in rows:
            have = (
                _norm(row["street"]),
                _norm(row["postal_code"]),
                _norm(row["city"]),
                _norm(_sub(row, "country.code")),
            )
            if have == want:
                return row["id"]
        record = self._model("party.address")(party=self._record("party.party", party_id))
        record.street_unstructured = _street(address)
        record.postal_code = address.postcode
        record.city = address.city
        country_id = self._lookup("country.country", "code", address.country)
        if country_id is not None:
            record.country = self._record("country.country", country_id)
        (party,) = self._read("party.party", [("id", "=", party_id)], ["name"], active_test=False)
        if address.name and _norm(address.name) != _norm(party["name"]):
            record.party_name = address.name
        record.save()
        return record.id

    def customer_record(self, customer: Customer) -> CustomerRecord | None:
        """The customer as Tryton knows it: party, e-mails, phones, addresses and sales (newest first), or ``None``
        when the customer was never exported."""
        binding = self._oms().binding(self.backend, CUSTOMER, local_id=customer_key(customer))
        if binding is None:
            return None
        party_id = int(binding.remote_id)
        with self._calling(f"reading party {party_id}"):
            parties = self._read("party.party", [("id", "=", party_id)], ["name"], active_test=False)
            if not parties:
                raise self._missing(binding, "party.party", "party")
            mechanisms = self._read("party.contact_mechanism", [("party", "=", party_id)], ["type", "value"])
            addresses = self._read(
                "party.address",
                [("party", "=", party_id)],
                ["party_name", "street", "postal_code", "city", "country.code"],
                order=[("id", "ASC")],
            )
            sales = self._read(
                "sale.sale",
                [("party", "=", party_id)],
                ["number", "reference", "state", "total_amount", "currency.code"],
                order=[("id", "DESC")],
            )
        return CustomerRecord(
            party_id=party_id,
            name=parties[0]["name"],
            emails=tuple(m["value"] for m in mechanisms if m["type"] == "email"),
            phones=tuple(m["value"] for m in mechanisms if m["type"] in ("phone", "mobile")),
            addresses=tuple(
                {
                    "name": a["party_name"],
                    "street": a["street"],
                    "postal_code": a["postal_code"],
                    "city": a["city"],
                    "country": _sub(a, "country.code"),
                }
                for a in addresses
            ),
            sales=tuple(
                SaleSummary(
                    s["id"],
                    s["number"],
                    s["reference"],
                    s["state"],
                    Decimal(s["total_amount"] or 0),
                    _sub(s, "currency.code") or "",
                )
                for s in sales
            ),
        )

    # -- orders: out ----------------------------------------------------------------------------------------------

    def reference(self, order: Order | int) -> str:
        """``sale.sale.reference`` of an order: the OMS order id as text."""
        return str(order.id if isinstance(order, Order) else int(order))

    def export_order(self, order: Order) -> str:
        """Create the sale (party, addresses, lines), bind it, then quote and confirm it; return its id.

        An order already bound, or a sale already carrying the order's reference, is not created again: a draft
        sale gets the OMS's lines (the OMS wins), and the workflow goes on from where it stopped.
        """
        oms = self._oms()
        local = str(order.id)
        binding = oms.binding(self.backend, ORDER, local_id=local)
        with self._calling(f"exporting order #{order.id}"):
            if binding is not None:
                sale = self._bound_sale(binding)
                if sale["state"] == "draft":
                    self._rewrite_draft(sale["id"], order)
            else:
                sale = self._sale_by_reference(order)
                if sale is None:
                    if order.status == OrderStatus.CANCELLED:
                        raise TrytonError(f"order #{order.id} is cancelled and is not in Tryton: nothing to export")
                    sale = {"id": self._create_sale(order), "state": "draft"}
                elif sale["state"] == "draft":
                    self._rewrite_draft(sale["id"], order)
                binding = oms.bind(self.backend, ORDER, local, sale["id"], {"reference": self.reference(order)})
            state = self._advance(sale["id"], sale["state"])
        if binding.data.get("state") != state:
            (row,) = self._read("sale.sale", [("id", "=", sale["id"])], ["number"])
            oms.bind(self.backend, ORDER, local, sale["id"], {**binding.data, "number": row["number"], "state": state})
        return str(sale["id"])

    def _bound_sale(self, binding: Binding) -> dict[str, Any]:
        rows = self._read("sale.sale", [("id", "=", int(binding.remote_id))], ["state", "number", "reference"])
        if not rows:
            raise self._missing(binding, "sale.sale", "sale")
        return rows[0]

    def _sale_by_reference(self, order: Order) -> dict[str, Any] | None:
        reference = self.reference(order)
        rows = self._read(
            "sale.sale",
            [("reference", "=", reference), ("company", "=", self._company_id)],
            ["state", "number", "reference"],
        )
        if len(rows) > 1:
            numbers = ", ".join(str(r["number"] or r["id"]) for r in rows)
            raise TrytonError(
                f"several Tryton sales carry the reference {reference!r} of order #{order.id} ({numbers}); "
                f"keep one, then bind it with oms.bind({self.backend!r}, 'order', {str(order.id)!r}, <sale id>)"
            )
        return rows[0] if rows else None

    def _missing(self, binding: Binding, model: str, what: str) -> RemoteRecordMissing:
        return RemoteRecordMissing(
            f"{binding.backend}: the Tryton {what} {binding.remote_id} ({model}) bound to OMS {binding.entity} "
            f"{binding.local_id} no longer exists; nothing was created in its place. If it was deleted on purpose, "
            f"forget the binding with oms.unbind({binding.backend!r}, {binding.entity!r}, {binding.local_id!r}) and "
            "export again: the next export creates it anew (or binds the record that carries its reference)"
        )

    def _product_ids(self, skus: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(skus))
        rows = self._read("product.product", [("code", "in", wanted)], ["code"])
        found = {r["code"]: r["id"] for r in rows}
        missing = [s for s in wanted if s not in found]
        if missing:
            raise TrytonError(
                f"SKUs not in Tryton (product.product.code of an active product): {', '.join(missing)}; "
                "create them in Tryton first"
            )
        return found

    def _currency_id(self, code: str) -> int:
        currency_id = self._lookup("currency.currency", "code", code)
        if currency_id is None:
            raise TrytonError(f"the currency {code} is not in Tryton (currency.currency.code)")
        return currency_id

    @staticmethod
    def _open_lines(order: Order) -> list[tuple[Any, int]]:
        """``(line, units)`` of the order's lines that are not cancelled."""
        lines = [(line, line.quantity - line.quantity_cancelled) for line in order.lines]
        return [(line, qty) for line, qty in lines if qty > 0]

    def _create_sale(self, order: Order) -> int:
        # everything Tryton must already know is checked before anything is created there
        lines = self._open_lines(order)
        products = self._product_ids(line.sku for line, _ in lines)
        currency_id = self._currency_id(order.currency)
        addresses = [a for a in (order.shipping_address, order.billing_address) if a is not None]
        party_id = self._party(order.customer, addresses)
        sale = self._model("sale.sale")()
        sale.party = self._record("party.party", party_id)
        sale.reference = self.reference(order)
        sale.description = f"{order.channel} order {order.external_id}"
        sale.currency = self._record("currency.currency", currency_id)
        sale.warehouse = self._record("stock.location", self._warehouse_id)
        sale.sale_date = order.placed_at.astimezone(dt.UTC).date()
        if order.shipping_address is not None:
            sale.shipment_address = self._record("party.address", self._address_id(party_id, order.shipping_address))
        billing = order.billing_address or order.shipping_address
        if billing is not None:
            sale.invoice_address = self._record("party.address", self._address_id(party_id, billing))
        for line, qty in lines:
            self._add_line(sale, products[line.sku], line, qty)
        sale.save()
        return sale.id

    def _add_line(self, sale: Any, product_id: int, line: Any, qty: int) -> None:
        record = sale.lines.new()
        record.product = self._record("product.product", product_id)
        record.quantity = float(qty)  # sale.line.quantity is a float field in Tryton
        record.unit_price = net_unit_price(line.unit_price.amount, line.quantity, line.discount.amount)

    def _rewrite_draft(self, sale_id: int, order: Order) -> None:
        """A draft sale gets exactly the order's lines: the OMS wins for orders."""
        lines = self._read("sale.line", [("sale", "=", sale_id)], ["product.code", "quantity", "unit_price"])
        have = sorted(
            (_sub(r, "product.code"), Decimal(str(r["quantity"])), Decimal(r["unit_price"] or 0)) for r in lines
        )
        want_lines = self._open_lines(order)
        want = sorted(
            (line.sku, Decimal(qty), net_unit_price(line.unit_price.amount, line.quantity, line.discount.amount))
            for line, qty in want_lines
        )
        if have == want:
            return
        products = self._product_ids(line.sku for line, _ in want_lines)
        sale = self._model("sale.sale")(sale_id)
        while sale.lines:
            sale.lines.remove(sale.lines[0])
        for line, qty in want_lines:
            self._add_line(sale, products[line.sku], line, qty)
        sale.save()

    def _advance(self, sale_id: int, state: str) -> str:
        if state == "draft":
            self._click("sale.sale", sale_id, "quote")
            state = "quotation"
        if state == "quotation" and self.confirm_sales:
            self._click("sale.sale", sale_id, "confirm")
        (row,) = self._read("sale.sale", [("id", "=", sale_id)], ["state"])
        return row["state"]

    def cancel_order(self, order: Order | int) -> str:
        """Cancel the order's sale in Tryton. Returns ``"cancelled"``, ``"already cancelled"`` or
        ``"not exported"``; raises :class:`CancelRefused` when the sale is processing or done (shipments or
        invoices exist), which only a person in Tryton can undo."""
        oms = self._oms()
        order_id = order.id if isinstance(order, Order) else int(order)
        binding = oms.binding(self.backend, ORDER, local_id=order_id)
        with self._calling(f"cancelling the sale of order #{order_id}"):
            if binding is not None:
                sale = self._bound_sale(binding)
            else:
                loaded = order if isinstance(order, Order) else oms.get_order(order_id)
                sale = self._sale_by_reference(loaded)
                if sale is None:
                    return "not exported"
                binding = oms.bind(self.backend, ORDER, order_id, sale["id"], {"reference": self.reference(order_id)})
            state = sale["state"]
            if state == "cancelled":
                return "already cancelled"
            if state not in CANCELLABLE:
                refused = {**binding.data, "state": state, "cancel": f"refused: the sale is {state}"}
                oms.bind(self.backend, ORDER, order_id, sale["id"], refused)
                raise CancelRefused(
                    f"order #{order_id} was cancelled in the OMS, but its Tryton sale {sale['number'] or sale['id']} "
                    f"is {state} (shipments or invoices exist), which Tryton does not let the adapter cancel; cancel "
                    "them in Tryton by hand, then retry this delivery (oms.retry_dead)"
                )
            if state == "confirmed":
                self._click("sale.sale", sale["id"], "draft")
            self._click("sale.sale", sale["id"], "cancel")
        oms.bind(self.backend, ORDER, order_id, sale["id"], {**binding.data, "state": "cancelled"})
        return "cancelled"

    # -- deliveries: in -------------------------------------------------------------------------------------------

    def sync_deliveries(self, oms: OMS) -> int:
        """Ship in the OMS what Tryton delivered (done ``stock.shipment.out`` of bound sales); returns how many OMS
        shipments it made. Quantities are compared in total per SKU, so running it again, or after the OMS shipped
        by itself, ships nothing twice."""
        shipped, errors = self._sync_deliveries(oms)
        if errors:
            raise TrytonError("; ".join(f"{e.entity} {e.key}: {e.message}" for e in errors))
        return shipped

    def _sync_deliveries(self, oms: OMS) -> tuple[int, list[SyncError]]:
        self.attach(oms)
        self._require()
        errors: list[SyncError] = []
        open_orders: dict[int, tuple[Binding, Order]] = {}
        for binding in oms.bindings(self.backend, ORDER):
            try:
                order = oms.get_order(int(binding.local_id))
            except NotFound:
                continue
            if order.status == OrderStatus.CONFIRMED and any(line.quantity_open > 0 for line in order.lines):
                open_orders[int(binding.remote_id)] = (binding, order)
        if not open_orders:
            return 0, errors
        with self._calling("reading deliveries"):
            done = self._delivered(list(open_orders))
        locations = {loc.code for loc in oms.locations()}
        count = 0
        for sale_id, (binding, order) in open_orders.items():
            delivered, shipment_ids = done.get(sale_id, ({}, set()))
            lines = self._to_ship(order, delivered)
            if not lines:
                continue
            try:
                shipment = oms.ship(
                    order.id,
                    lines,
                    location=self.location if self.location in locations else None,
                    carrier=self.carrier,
                )
            except OMSError as exc:
                errors.append(SyncError("delivery", str(order.id), str(exc)))
                continue
            count += 1
            applied = dict(binding.data.get("shipments") or {})
            applied.update({str(s): shipment.id for s in sorted(shipment_ids) if str(s) not in applied})
            oms.bind(self.backend, ORDER, binding.local_id, binding.remote_id, {**binding.data, "shipments": applied})
        return count, errors

    def _delivered(self, sale_ids: list[int]) -> dict[int, tuple[dict[str, int], set[int]]]:
        """Per sale: units delivered to the customer per SKU (done moves of done shipments), and those shipments."""
        lines = self._read("sale.line", [("sale", "in", sale_ids), ("type", "=", "line")], ["sale", "product.code"])
        line_sale = {r["id"]: (r["sale"], _sub(r, "product.code")) for r in lines}
        if not line_sale:
            return {}
        origins = [f"sale.line,{i}" for i in line_sale]
        moves = self._read(
            "stock.move",
            [("origin", "in", origins), ("state", "=", "done"), ("to_location.type", "=", "customer")],
            ["origin", "quantity", "shipment"],
        )
        out = "stock.shipment.out,"
        shipment_ids = sorted({int(m["shipment"][len(out) :]) for m in moves if (m["shipment"] or "").startswith(out)})
        done_shipments = set()
        if shipment_ids:
            done = self._read("stock.shipment.out", [("id", "in", shipment_ids), ("state", "=", "done")], ["id"])
            done_shipments = {r["id"] for r in done}
        found: dict[int, tuple[dict[str, int], set[int]]] = {}
        for move in moves:
            shipment = move["shipment"] or ""
            if not shipment.startswith(out) or int(shipment[len(out) :]) not in done_shipments:
                continue
            sale_id, sku = line_sale[int(move["origin"].split(",")[1])]
            if not sku:
                continue
            per_sku, shipments = found.setdefault(sale_id, ({}, set()))
            per_sku[sku] = per_sku.get(sku, 0) + int(Decimal(str(move["quantity"])).to_integral_value(ROUND_FLOOR))
            shipments.add(int(shipment[len(out) :]))
        return found

    @staticmethod
    def _to_ship(order: Order, delivered: dict[str, int]) -> dict[int, int]:
        """Line id -> units that Tryton delivered and the OMS has not shipped yet (open units, in line order)."""
        lines: dict[int, int] = {}
        for sku, units in delivered.items():
            of_sku = [line for line in order.lines if line.sku == sku]
            left = units - sum(line.quantity_shipped for line in of_sku)
            for line in of_sku:
                if left <= 0:
                    break
                take = min(left, line.quantity_open)
                if take > 0:
                    lines[line.id] = take
                    left -= take
        return lines

    # -- the whole sync (what `oms erp sync` runs) ------------------------------------------------------------------

    def sync(self, oms: OMS) -> SyncReport:
        """Deliveries in, products in, stock in, pending orders out, in that order.

        A record that fails (a delivery the OMS refuses, a count below what the OMS reserved, an order Tryton
        refuses) is in ``errors`` and the sync goes on with the rest; Tryton unreachable stops it with
        :class:`TrytonUnavailable`. Deliveries come first so that what Tryton already shipped is shipped in the OMS
        before the OMS takes over Tryton's lower count.
        """
        self.attach(oms)
        self._require()
        shipments, errors = self._sync_deliveries(oms)
        created, updated = self._sync_products(oms)
        adjusted = self._sync_stock(oms, errors)
        exported = self._export_pending(oms, errors)
        return SyncReport(shipments, created, updated, adjusted, exported, tuple(errors))

    def _sync_products(self, oms: OMS) -> tuple[int, int]:
        existing = {p.sku: p for p in oms.products()}
        created = updated = 0
        with oms.transaction():
            for product in self.import_products():
                known = existing.get(product.sku)
                if known is None:
                    oms.add_product(product.sku, product.name, active=product.active)
                    created += 1
                elif (known.name, known.active) != (product.name, product.active):
                    oms.add_product(
                        product.sku,
                        product.name,
                        weight_grams=known.weight_grams,  # the OMS's own fields are kept
                        low_stock_threshold=known.low_stock_threshold,
                        active=product.active,
                    )
                    updated += 1
        return created, updated

    def _sync_stock(self, oms: OMS, errors: list[SyncError]) -> int:
        if self.location not in {loc.code for loc in oms.locations()}:
            oms.add_location(self.location, f"Tryton warehouse {self.warehouse}")
        skus = {p.sku for p in oms.products()}
        current = {(s.sku, s.location): s.on_hand for s in oms.stock(location=self.location)}
        adjusted = 0
        for level in self.import_stock():
            if level.sku not in skus:
                continue
            if level.on_hand < 0:
                errors.append(SyncError("stock", f"{level.sku}@{level.location}", f"Tryton has {level.on_hand}"))
                continue
            if current.get((level.sku, level.location), 0) == level.on_hand:
                continue
            try:
                oms.adjust_stock(level.sku, level.location, counted=level.on_hand, reason=SYNC_REASON)
            except TrytonUnavailable:
                raise
            except OMSError as exc:
                errors.append(SyncError("stock", f"{level.sku}@{level.location}", str(exc)))
                continue
            adjusted += 1
        return adjusted

    def _export_pending(self, oms: OMS, errors: list[SyncError], page: int = 200) -> int:
        bound = {b.local_id for b in oms.bindings(self.backend, ORDER)}
        exported, offset = 0, 0
        while True:
            orders = oms.list_orders(status=OrderStatus.CONFIRMED, limit=page, offset=offset)
            for order in orders:
                if str(order.id) in bound:
                    continue
                try:
                    self.export_order(order)
                except TrytonUnavailable:
                    raise  # the rest would fail the same way: the sync stops, the next one goes on
                except OMSError as exc:
                    errors.append(SyncError("order", str(order.id), str(exc)))
                    continue
                exported += 1
            if len(orders) < page:
                return exported
            offset += page
