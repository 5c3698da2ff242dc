"""Contract test suites for drivers: subclass one in your plugin's tests and provide a few fixtures.

Every driver kind has a suite that checks what the OMS relies on, through a real OMS on a real database where it
matters. A plugin subclasses the suite, names its driver in a fixture, and inherits every test::

    # conftest.py of the plugin: the fixtures make_oms, oms, backend, database_url
    pytest_plugins = ["oms_core.testing.fixtures"]

    # tests/test_contract.py
    import pytest
    from oms_core import Parcel
    from oms_core.testing.contracts import CarrierContract

    class TestMyCarrier(CarrierContract):
        @pytest.fixture
        def carrier(self):
            return MyCarrier(api_key="test")

        @pytest.fixture
        def parcel(self):  # optional: the suite has a default parcel
            return Parcel(...)

The suites take the ``make_oms`` fixture from ``oms_core.testing.fixtures``, so the tests that go through an OMS
run on SQLite, and on PostgreSQL as well when ``OMS_TEST_POSTGRES_URL`` names a database. That OMS loads no
installed hook plugins (only the core's default sourcing): the business rules installed next to a driver cannot
make its contract fail.

* :class:`ChannelContract` — fixtures ``channel``, ``valid_payload``, ``tampered_payload``, ``malformed_body``.
* :class:`PaymentGatewayContract` — fixtures ``gateway``; optional ``gateway_name``, ``payment_method``,
  ``webhook_payload``, ``tampered_webhook``.
* :class:`CarrierContract` — fixture ``carrier``; optional ``parcel``.
* :class:`ErpAdapterContract` — fixtures ``adapter``, ``backend_name``; optional ``erp_order_currency``.

Fixtures the suite needs and does not define (``channel``, ``gateway``, ``carrier`` …) may live in the subclass or
in a ``conftest.py``. Optional fixtures have defaults on the suite, so override them in the subclass.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest

from oms_core.app import OMS
from oms_core.defaults import sourcing
from oms_core.domain.errors import PaymentError, ValidationError, WebhookRejected
from oms_core.domain.fulfilment import Document, LabelResult, Parcel, Rate, ShipmentLine
from oms_core.domain.inventory import Product, StockLevel
from oms_core.domain.money import Money
from oms_core.domain.order import LineDraft, Order, OrderDraft
from oms_core.domain.party import Address, Customer
from oms_core.domain.payment import Payment, PaymentEvent, PaymentState
from oms_core.domain.status import PaymentStatus
from oms_core.drivers import CARRIERS, CHANNELS, PAYMENT_GATEWAYS, Carrier, Channel, ErpAdapter, PaymentGateway
from oms_core.testing.builders import address, draft, seed_catalogue

__all__ = [
    "CarrierContract",
    "ChannelContract",
    "ErpAdapterContract",
    "PaymentGatewayContract",
    "contract_oms",
    "default_parcel",
    "find_floats",
]

#: the driver name under which the suites register the driver in an OMS
CONTRACT = "contract"
#: the stock location the suites seed
LOCATION = "CONTRACT-WH"

Payload = tuple[dict[str, str], bytes]


class _DefaultSourcing:
    """The core's default sourcing under its installed name, for an OMS that loads no entry points."""

    oms_plugin_name = "default_sourcing"
    choose_sources = staticmethod(sourcing.choose_sources)


def contract_oms(make_oms: Callable[..., OMS]) -> OMS:
    """An OMS for a contract test: no installed hook plugins, only the core's default sourcing.

    Business rules installed next to the driver (holds, validations, vetoes) cannot make a contract test fail.
    Drivers are still found by name, and the suites register the driver under test themselves.
    """
    return make_oms(load_entry_points=False, plugins=[_DefaultSourcing])


def find_floats(value: Any, path: str = "draft") -> list[str]:
    """The paths of every ``float`` inside ``value`` (attrs instances, mappings and sequences are walked)."""
    if isinstance(value, float):
        return [f"{path} = {value!r}"]
    found: list[str] = []
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            found += find_floats(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found += find_floats(key, f"{path}[{key!r}] (key)")
            found += find_floats(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            found += find_floats(item, f"{path}[{i}]")
    return found


def _one_minor_unit(currency: str) -> Money:
    """The smallest amount of ``currency`` (0.01 EUR, 1 JPY)."""
    unit = Money.zero(currency).minor_unit
    return Money(Decimal(1).scaleb(-unit), currency)


def _spy(monkeypatch: pytest.MonkeyPatch, driver: object, methods: tuple[str, ...]) -> list[str]:
    """Record the calls of ``methods`` on ``driver`` (they still run); returns the list the names are added to."""
    calls: list[str] = []
    for name in methods:
        original = getattr(driver, name)

        def spy(*args: Any, _name: str = name, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(driver, name, spy)
    return calls


# ---------------------------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------------------------


class ChannelContract:
    """What every channel connector (``oms.channels``) must do.

    Fixtures to provide:

    * ``channel``: the :class:`~oms_core.Channel` instance under test.
    * ``valid_payload``: ``(headers, body)`` of an authentic request (correctly signed) with at least one order.
    * ``tampered_payload``: ``(headers, body)`` whose body was changed after signing; ``None`` when the channel
      does not sign its requests.
    * ``malformed_body``: bytes that are not a valid payload of the channel.

    ``parse_orders`` is called with the headers of ``valid_payload`` in every test, the malformed body included
    (a real request with a broken body still carries the channel's headers).
    """

    def _parse(self, channel: Channel, body: bytes, headers: Mapping[str, str]) -> list[OrderDraft]:
        return list(channel.parse_orders(body, dict(headers)))

    def test_is_a_channel(self, channel: Channel) -> None:
        assert isinstance(channel, Channel), f"{type(channel).__name__} does not subclass oms_core.Channel"

    def test_verify_accepts_a_valid_payload(self, channel: Channel, valid_payload: Payload) -> None:
        headers, body = valid_payload
        channel.verify(dict(headers), body)  # raises if it refuses

    def test_verify_rejects_a_tampered_payload(self, channel: Channel, tampered_payload: Payload | None) -> None:
        if tampered_payload is None:
            pytest.skip("the channel does not sign its payloads")
        headers, body = tampered_payload
        with pytest.raises(WebhookRejected):
            channel.verify(dict(headers), body)

    def test_parse_orders_gives_valid_drafts(self, channel: Channel, valid_payload: Payload) -> None:
        headers, body = valid_payload
        drafts = self._parse(channel, body, headers)
        assert drafts, "a valid payload must contain at least one order"
        for i, d in enumerate(drafts):
            assert isinstance(d, OrderDraft), f"draft {i} is a {type(d).__name__}, not an OrderDraft"
            assert d.problems() == [], f"draft {i} ({d.external_id}) has problems: {d.problems()}"
            Money(0, d.currency)  # raises ValidationError for a currency that is not ISO 4217
            amounts = {"shipping": d.shipping, "shipping_tax": d.shipping_tax, "order_discount": d.order_discount}
            for j, line in enumerate(d.lines):
                amounts |= {f"lines[{j}].{n}": getattr(line, n) for n in ("unit_price", "discount", "tax")}
            not_decimal = {k: v for k, v in amounts.items() if not isinstance(v, Decimal)}
            assert not not_decimal, f"draft {i}: amounts that are not Decimal: {not_decimal}"
            floats = find_floats(d, f"drafts[{i}]")
            assert not floats, f"floats in the draft: {floats}"

    def test_parsed_orders_are_placed_once(
        self, channel: Channel, valid_payload: Payload, make_oms: Callable[..., OMS]
    ) -> None:
        """The drafts go through an OMS; the same payload parsed and placed again gives the same orders."""
        headers, body = valid_payload
        drafts = self._parse(channel, body, headers)
        oms = contract_oms(make_oms)
        self._seed(oms, drafts)
        first = [oms.place_order(d).id for d in drafts]
        again = [oms.place_order(d).id for d in self._parse(channel, body, headers)]
        assert again == first, "placing the same payload again must return the same orders"
        assert len(set(first)) == len(drafts), "every order of the payload must be an order of its own"

    def test_import_orders_through_the_oms(
        self, channel: Channel, valid_payload: Payload, make_oms: Callable[..., OMS]
    ) -> None:
        """``OMS.import_orders`` verifies, parses and places; a redelivered webhook creates nothing new."""
        headers, body = valid_payload
        drafts = self._parse(channel, body, headers)
        oms = contract_oms(make_oms)
        oms.register_driver(CHANNELS, CONTRACT, lambda **_: channel)
        self._seed(oms, drafts)
        result = oms.import_orders(CONTRACT, body, dict(headers))
        assert result.errors == (), [str(e) for _, _, e in result.errors]
        assert (result.created, result.replayed) == (len(drafts), 0)
        result = oms.import_orders(CONTRACT, body, dict(headers))
        assert (result.created, result.replayed, result.errors) == (0, len(drafts), ())

    def test_parse_orders_refuses_a_malformed_body(
        self, channel: Channel, valid_payload: Payload, malformed_body: bytes
    ) -> None:
        headers, _ = valid_payload
        with pytest.raises((ValidationError, WebhookRejected)):
            self._parse(channel, malformed_body, headers)

    def test_export_stock_is_json(self, channel: Channel, valid_payload: Payload) -> None:
        headers, body = valid_payload
        skus = sorted({line.sku for d in self._parse(channel, body, headers) for line in d.lines})
        levels = [StockLevel(sku, LOCATION, 10 + i, i) for i, sku in enumerate(skus)]
        levels.append(StockLevel("CONTRACT-EMPTY", LOCATION, 0, 0))
        exported = channel.export_stock(levels)
        json.dumps(exported)

    @staticmethod
    def _seed(oms: OMS, drafts: list[OrderDraft]) -> None:
        demand: dict[str, int] = {}
        for d in drafts:
            for line in d.lines:
                demand[line.sku] = demand.get(line.sku, 0) + line.quantity
        seed_catalogue(oms, {sku: {LOCATION: qty + 10} for sku, qty in demand.items()})


# ---------------------------------------------------------------------------------------------------------------
# Payment gateways
# ---------------------------------------------------------------------------------------------------------------

_GATEWAY_METHODS = ("authorize", "capture", "void", "refund")


class PaymentGatewayContract:
    """What every payment gateway (``oms.payment_gateways``) must do, through an OMS.

    Fixtures to provide:

    * ``gateway``: the :class:`~oms_core.PaymentGateway` instance under test (a sandbox or a fake provider).

    Optional fixtures (override them in the subclass):

    * ``gateway_name``: the name the gateway is registered under in the OMS (default ``"contract"``).
    * ``payment_method``: the ``method`` passed to ``authorize`` (default ``"default"``).
    * ``webhook_payload``: ``(headers, body)`` of an authentic webhook, or ``None`` (default) when the gateway
      receives none.
    * ``tampered_webhook``: ``(headers, body)`` whose body was changed after signing, or ``None`` (default).

    Each test places an order of 100.00 EUR (2 x 50.00) and pays it through the gateway.
    """

    @pytest.fixture
    def gateway_name(self) -> str:
        return CONTRACT

    @pytest.fixture
    def payment_method(self) -> str:
        return "default"

    @pytest.fixture
    def webhook_payload(self) -> Payload | None:
        return None

    @pytest.fixture
    def tampered_webhook(self) -> Payload | None:
        return None

    @pytest.fixture
    def payment_oms(self, make_oms: Callable[..., OMS], gateway: PaymentGateway, gateway_name: str) -> OMS:
        """An OMS with the gateway registered under ``gateway_name`` and a seeded catalogue."""
        oms = contract_oms(make_oms)
        oms.register_driver(PAYMENT_GATEWAYS, gateway_name, lambda **_: gateway)
        seed_catalogue(oms, {"CONTRACT-SKU": {LOCATION: 100}})
        return oms

    @pytest.fixture
    def payment_order(self, payment_oms: OMS) -> Order:
        """A placed order of 100.00 EUR."""
        return payment_oms.place_order(draft("contract-payment-1", [("CONTRACT-SKU", 2, "50.00")]))

    def _authorize(self, oms: OMS, order: Order, name: str, method: str, **kwargs: Any) -> Payment:
        return oms.authorize_payment(order.id, gateway=name, method=method, **kwargs)

    @staticmethod
    def _part(order: Order) -> Money:
        """Three tenths of the order's total, rounded to the currency's minor unit."""
        return Money(order.total.amount * Decimal("0.3"), order.currency).rounded()

    def _uncaptured(self, oms: OMS, order: Order, name: str, method: str) -> Payment:
        payment = self._authorize(oms, order, name, method)
        if payment.state == PaymentState.CAPTURED:
            pytest.skip("the gateway captures when it authorizes")
        assert payment.state in (PaymentState.PENDING, PaymentState.AUTHORIZED), payment.error
        return payment

    def test_is_a_payment_gateway(self, gateway: PaymentGateway) -> None:
        assert isinstance(gateway, PaymentGateway), f"{type(gateway).__name__} does not subclass PaymentGateway"

    def test_authorize(self, payment_oms: OMS, payment_order: Order, gateway_name: str, payment_method: str) -> None:
        payment = self._authorize(payment_oms, payment_order, gateway_name, payment_method)
        assert isinstance(payment, Payment)
        assert payment.state in (PaymentState.PENDING, PaymentState.AUTHORIZED, PaymentState.CAPTURED), (
            f"authorize gave {payment.state}: {payment.error}"
        )
        assert payment.reference, "the gateway must return a reference for the payment"
        assert payment.amount == payment_order.total
        assert payment.gateway == gateway_name

    def test_capture_in_two_parts_pays_the_order(
        self, payment_oms: OMS, payment_order: Order, gateway_name: str, payment_method: str
    ) -> None:
        payment = self._uncaptured(payment_oms, payment_order, gateway_name, payment_method)
        total = payment_order.total
        part = self._part(payment_order)
        partly = payment_oms.capture_payment(payment.id, part)
        assert (partly.state, partly.captured) == (PaymentState.PARTIALLY_CAPTURED, part)
        assert payment_oms.get_order(payment_order.id).payment_status == PaymentStatus.PARTIALLY_PAID
        done = payment_oms.capture_payment(payment.id, total - part)
        assert (done.state, done.captured) == (PaymentState.CAPTURED, total)
        order = payment_oms.get_order(payment_order.id)
        assert (order.payment_status, order.amount_captured) == (PaymentStatus.PAID, total)

    def test_capture_above_the_authorization_is_refused_without_calling_the_gateway(
        self,
        payment_oms: OMS,
        payment_order: Order,
        gateway: PaymentGateway,
        gateway_name: str,
        payment_method: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        payment = self._uncaptured(payment_oms, payment_order, gateway_name, payment_method)
        calls = _spy(monkeypatch, gateway, _GATEWAY_METHODS)
        too_much = payment.amount + _one_minor_unit(payment.amount.currency)
        with pytest.raises(PaymentError):
            payment_oms.capture_payment(payment.id, too_much)
        assert calls == [], f"the gateway was called: {calls}"
        after = payment_oms.payments(payment_order.id)
        assert [(p.state, p.captured) for p in after] == [(payment.state, payment.captured)]

    def test_void_a_fresh_authorization(
        self, payment_oms: OMS, payment_order: Order, gateway_name: str, payment_method: str
    ) -> None:
        payment = self._uncaptured(payment_oms, payment_order, gateway_name, payment_method)
        voided = payment_oms.void_payment(payment.id, "contract test")
        assert voided.state == PaymentState.VOIDED
        assert payment_oms.get_order(payment_order.id).payment_status == PaymentStatus.VOIDED

    def test_refund_part_of_a_capture(
        self, payment_oms: OMS, payment_order: Order, gateway_name: str, payment_method: str
    ) -> None:
        payment_oms.pay(payment_order.id, gateway=gateway_name, method=payment_method)
        part = self._part(payment_order)
        assert payment_oms.refund(payment_order.id, part, "contract test") == part
        order = payment_oms.get_order(payment_order.id)
        assert (order.payment_status, order.amount_refunded) == (PaymentStatus.PARTIALLY_REFUNDED, part)
        refunds = payment_oms.refunds(payment_order.id)
        assert [r.amount for r in refunds] == [part]

    def test_refund_above_the_capture_is_refused_without_calling_the_gateway(
        self,
        payment_oms: OMS,
        payment_order: Order,
        gateway: PaymentGateway,
        gateway_name: str,
        payment_method: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        payment_oms.pay(payment_order.id, gateway=gateway_name, method=payment_method)
        part = self._part(payment_order)
        payment_oms.refund(payment_order.id, part, "contract test")
        calls = _spy(monkeypatch, gateway, _GATEWAY_METHODS)
        one_cent_too_much = payment_order.total - part + _one_minor_unit(payment_order.currency)
        with pytest.raises(PaymentError):
            payment_oms.refund(payment_order.id, one_cent_too_much, "contract test")
        assert calls == [], f"the gateway was called: {calls}"
        assert payment_oms.get_order(payment_order.id).amount_refunded == part

    def test_authorize_again_with_the_same_idempotency_key(
        self,
        payment_oms: OMS,
        payment_order: Order,
        gateway: PaymentGateway,
        gateway_name: str,
        payment_method: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        key = f"contract-{payment_order.id}-authorize"
        first = self._authorize(payment_oms, payment_order, gateway_name, payment_method, idempotency_key=key)
        calls = _spy(monkeypatch, gateway, _GATEWAY_METHODS)
        again = self._authorize(payment_oms, payment_order, gateway_name, payment_method, idempotency_key=key)
        assert (again.id, again.reference, again.amount) == (first.id, first.reference, first.amount)
        assert calls == [], f"the gateway was called again: {calls}"
        assert len(payment_oms.payments(payment_order.id)) == 1

    def test_parse_webhook(self, gateway: PaymentGateway, webhook_payload: Payload | None) -> None:
        if webhook_payload is None:
            pytest.skip("no webhook_payload fixture: the gateway receives no webhooks")
        headers, body = webhook_payload
        event = gateway.parse_webhook(dict(headers), body)
        assert isinstance(event, PaymentEvent), f"parse_webhook returned {type(event).__name__}"
        assert isinstance(event.event_id, str) and event.event_id.strip(), "the event needs the provider's event id"
        if event.amount is not None:
            assert isinstance(event.amount, Money)

    def test_a_webhook_is_applied_once(
        self, gateway_name: str, webhook_payload: Payload | None, backend: str, request: pytest.FixtureRequest
    ) -> None:
        if webhook_payload is None:
            pytest.skip("no webhook_payload fixture: the gateway receives no webhooks")
        payment_oms: OMS = request.getfixturevalue("payment_oms")
        headers, body = webhook_payload
        payment_oms.handle_payment_webhook(gateway_name, dict(headers), body)
        _, applied = payment_oms.handle_payment_webhook(gateway_name, dict(headers), body)
        assert applied is False, "a redelivered webhook (same event id) must not be applied twice"

    def test_parse_webhook_rejects_a_tampered_webhook(
        self, gateway: PaymentGateway, tampered_webhook: Payload | None
    ) -> None:
        if tampered_webhook is None:
            pytest.skip("no tampered_webhook fixture")
        headers, body = tampered_webhook
        with pytest.raises(WebhookRejected):
            gateway.parse_webhook(dict(headers), body)


# ---------------------------------------------------------------------------------------------------------------
# Carriers
# ---------------------------------------------------------------------------------------------------------------


def german_address() -> Address:
    return address(name="Grace Hopper", line1="Unter den Linden 5", city="Berlin", postcode="10117", country="DE")


def default_parcel() -> Parcel:
    """The parcel ``CarrierContract`` rates and labels unless overridden: 1 kg to Berlin, worth 25.00 EUR."""
    return Parcel(
        order_id=1,
        ship_from={"location": LOCATION},
        ship_to=german_address().to_json(),
        weight_grams=1000,
        value=Money("25.00", "EUR"),
        lines=(ShipmentLine(1, "CONTRACT-SKU", 1),),
    )


class CarrierContract:
    """What every carrier (``oms.carriers``) must do.

    Fixtures to provide:

    * ``carrier``: the :class:`~oms_core.Carrier` instance under test (a sandbox or a fake API).

    Optional fixture (override it in the subclass):

    * ``parcel``: the :class:`~oms_core.Parcel` to rate and label; by default 1 kg to an address in Berlin, worth
      25.00 EUR. The order shipped through the OMS goes to the parcel's ``ship_to`` when that is an address in
      the shape of ``Address.to_json()``, and is worth the parcel's value.
    """

    @pytest.fixture
    def parcel(self) -> Parcel:
        return default_parcel()

    def test_is_a_carrier(self, carrier: Carrier) -> None:
        assert isinstance(carrier, Carrier), f"{type(carrier).__name__} does not subclass oms_core.Carrier"

    def test_rates_cheapest_first(self, carrier: Carrier, parcel: Parcel) -> None:
        rates = carrier.rates(parcel)
        assert isinstance(rates, list) and rates, "rates() must return a non-empty list"
        for rate in rates:
            assert isinstance(rate, Rate), f"{rate!r} is not a Rate"
            assert isinstance(rate.amount, Money), f"{rate!r}: amount is not Money"
            assert rate.service, f"{rate!r}: service is required"
        for a, b in itertools.pairwise(rates):
            if a.amount.currency == b.amount.currency:
                assert a.amount <= b.amount, f"rates are not cheapest first: {a.amount} before {b.amount}"

    def test_create_label(self, carrier: Carrier, parcel: Parcel) -> None:
        label = carrier.create_label(parcel)
        assert isinstance(label, LabelResult), f"create_label returned {type(label).__name__}"
        assert isinstance(label.tracking_number, str) and label.tracking_number.strip()
        if label.cost is not None:
            assert isinstance(label.cost, Money)
        for document in label.documents:
            self._check_document(document)

    def test_ship_through_the_oms_stores_the_documents(
        self, carrier: Carrier, parcel: Parcel, make_oms: Callable[..., OMS]
    ) -> None:
        oms = contract_oms(make_oms)
        oms.register_driver(CARRIERS, CONTRACT, lambda **_: carrier)
        seed_catalogue(oms, {"CONTRACT-SKU": {LOCATION: 10}})
        value = parcel.value.rounded()
        order = oms.place_order(
            draft(
                "contract-shipment-1",
                [LineDraft("CONTRACT-SKU", 1, value.amount)],
                currency=value.currency,
                shipping_address=self._ship_to(parcel),
            )
        )
        oms.confirm_order(order.id)
        shipped = oms.ship(order.id, carrier=CONTRACT)
        assert shipped.tracking_number
        [stored] = oms.shipments(order.id, documents=True)
        assert (stored.id, stored.carrier, stored.tracking_number) == (shipped.id, CONTRACT, shipped.tracking_number)
        assert stored.documents == shipped.documents
        for document in stored.documents:
            self._check_document(document)

    @staticmethod
    def _ship_to(parcel: Parcel) -> Address:
        try:
            found = Address.from_json(parcel.ship_to)
        except (TypeError, ValueError):
            return german_address()
        return found if found is not None and not found.problems("ship_to") else german_address()

    @staticmethod
    def _check_document(document: Document) -> None:
        assert isinstance(document, Document), f"{document!r} is not a Document"
        for name in ("kind", "media_type", "filename"):
            value = getattr(document, name)
            assert isinstance(value, str) and value.strip(), f"document {name} is required: {document!r}"
        assert isinstance(document.content, bytes) and document.content, f"{document.filename} has no content"
        if document.media_type == "application/pdf" or document.filename.lower().endswith(".pdf"):
            assert document.content.startswith(b"%PDF"), f"{document.filename} is not a PDF"


# ---------------------------------------------------------------------------------------------------------------
# ERP / CRM adapters
# ---------------------------------------------------------------------------------------------------------------


class ErpAdapterContract:
    """What every ERP or CRM adapter (``oms.adapters``) must do, against a real (test) ERP.

    Fixtures to provide:

    * ``adapter``: the :class:`~oms_core.ErpAdapter` under test, connected to a test ERP that has at least one
      active product with stock. It records its bindings in the OMS of the test's database: build it with an OMS
      from ``make_oms`` (or the ``oms`` fixture), so that an OMS from ``make_oms`` sees them.
    * ``backend_name``: the ``backend`` under which the adapter records its bindings (``"odoo:test"``).

    Optional fixture (override it in the subclass):

    * ``erp_order_currency``: the currency of the order the suite exports (default ``"EUR"``); the test ERP must
      know it.

    The customers and orders the suite exports carry a fresh token in their e-mail addresses and external ids, so
    the suite may run many times against one ERP.
    """

    @pytest.fixture
    def erp_order_currency(self) -> str:
        return "EUR"

    @staticmethod
    def _token() -> str:
        return uuid.uuid4().hex[:10]

    def test_is_an_erp_adapter(self, adapter: ErpAdapter) -> None:
        assert isinstance(adapter, ErpAdapter), f"{type(adapter).__name__} does not subclass oms_core.ErpAdapter"

    def test_import_products_yields_products_with_skus(self, adapter: ErpAdapter) -> None:
        products = list(adapter.import_products())
        assert products, "the test ERP must have at least one product"
        for product in products:
            assert isinstance(product, Product), f"{product!r} is not a Product"
            assert isinstance(product.sku, str) and product.sku.strip(), f"{product!r} has no SKU"
            assert isinstance(product.name, str) and product.name.strip(), f"{product!r} has no name"
        skus = [p.sku for p in products]
        assert len(set(skus)) == len(skus), f"a SKU comes twice: {sorted(skus)}"
        assert any(p.active for p in products), "the test ERP must have at least one active product"

    def test_import_stock_yields_stock_levels(self, adapter: ErpAdapter) -> None:
        levels = list(adapter.import_stock())
        assert levels, "the test ERP must have stock for at least one product"
        for level in levels:
            assert isinstance(level, StockLevel), f"{level!r} is not a StockLevel"
            assert isinstance(level.sku, str) and level.sku.strip(), f"{level!r} has no SKU"
            assert isinstance(level.location, str) and level.location.strip(), f"{level!r} has no location"
            for name in ("on_hand", "reserved"):
                value = getattr(level, name)
                assert isinstance(value, int) and not isinstance(value, bool), f"{level!r}: {name} is not an int"
        keys = [(s.sku, s.location) for s in levels]
        assert len(set(keys)) == len(keys), "a (sku, location) pair comes twice"
        assert any(s.on_hand > 0 for s in levels), "the test ERP must have stock for at least one product"

    def test_export_customer_is_idempotent(self, adapter: ErpAdapter) -> None:
        token = self._token()
        customer = Customer(
            email=f"contract-{token}@example.com", name=f"Contract Customer {token}", external_id=f"contract-{token}"
        )
        first = adapter.export_customer(customer)
        assert isinstance(first, str) and first.strip(), f"export_customer returned {first!r}, not the ERP's id"
        again = adapter.export_customer(customer)
        assert again == first, "exporting the same customer again must return the same ERP record"

    def test_export_order_is_idempotent_and_bound(
        self, adapter: ErpAdapter, backend_name: str, erp_order_currency: str, make_oms: Callable[..., OMS]
    ) -> None:
        """The order is placed and confirmed in an OMS on the test's database, exported twice: one ERP record,
        bound to the order."""
        products = [p for p in adapter.import_products() if p.active]
        assert products, "the test ERP must have at least one active product"
        sku = products[0].sku
        oms = contract_oms(make_oms)
        seed_catalogue(oms, {sku: {LOCATION: 10}})
        token = self._token()
        placed = oms.place_order(
            draft(
                f"contract-erp-{token}",
                [(sku, 2, "12.50")],
                currency=erp_order_currency,
                customer=Customer(email=f"contract-{token}@example.com", name=f"Contract Customer {token}"),
                shipping_address=german_address(),
            )
        )
        order = oms.confirm_order(placed.id)
        first = adapter.export_order(order)
        assert isinstance(first, str) and first.strip(), f"export_order returned {first!r}, not the ERP's id"
        again = adapter.export_order(oms.get_order(order.id))
        assert again == first, "exporting the same order again must return the same ERP record, not a second one"
        binding = oms.binding(backend_name, "order", local_id=order.id)
        assert binding is not None, f"no binding ({backend_name!r}, 'order', {order.id}) after the export"
        assert binding.remote_id == first, f"the binding points at {binding.remote_id}, the export said {first}"
