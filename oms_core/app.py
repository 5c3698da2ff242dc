"""``OMS``: the composition root and the facade every face (CLI, web, host application) calls.

It owns the engine (or borrows the host's), the plugin manager and the drivers of one instance. Nothing is global:
two instances in one process share neither plugins nor data.

Every use case is one transaction. ``with oms.transaction():`` runs several use cases in one transaction (bulk
work, or a host that wants them to commit together). With ``OMS(connection=host_conn)`` every use case joins the
host's transaction through a savepoint and commits or rolls back with it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from typing import Any, BinaryIO, TypeVar

import attrs
import sqlalchemy as sa

from oms_core import outbox
from oms_core.domain.bindings import Binding
from oms_core.domain.errors import (
    ConfigurationError,
    InvalidTransition,
    NotFound,
    OMSError,
    ValidationError,
    WebhookRejected,
)
from oms_core.domain.fulfilment import Shipment
from oms_core.domain.inventory import LedgerEntry, Location, Product, Reservation, StockLevel, StockProblem
from oms_core.domain.money import Money
from oms_core.domain.order import Order, OrderDraft, TimelineEntry
from oms_core.domain.payment import Payment, PaymentEvent, Refund
from oms_core.domain.returns import Return
from oms_core.domain.status import TRANSITIONS
from oms_core.drivers import ADAPTERS, CARRIERS, CHANNELS, PAYMENT_GATEWAYS, Driver
from oms_core.plugins import Drivers, call_each, create_plugin_manager, plugin_summary
from oms_core.services import bindings, fulfilment, inventory, ordering, payments, returns
from oms_core.services.context import Context, Settings
from oms_core.storage import migrate, repository
from oms_core.storage.engine import READ_ONLY, create_engine
from oms_core.storage.tables import Tables
from oms_core.storage.uow import UnitOfWork

T = TypeVar("T")

DEFAULT_URL = "sqlite:///oms.db"

#: ``progress(done, total)``: called by bulk placement with the drafts handled so far (placed, replayed or refused)
#: and their total when it is known in advance (``None`` for a stream).
Progress = Callable[[int, int | None], None]


@attrs.frozen
class ImportResult:
    """What a bulk placement did: counts, and one error per refused order (its position and external id)."""

    created: int
    replayed: int
    errors: tuple[tuple[int, str | None, OMSError], ...]

    @property
    def total(self) -> int:
        return self.created + self.replayed + len(self.errors)


class OMS:
    """An order management system on one database.

    :param engine: a SQLAlchemy engine (the host's, or one from :meth:`open`).
    :param connection: instead of ``engine``, the host's connection: OMS writes join its transaction.
    :param table_prefix: prefix of every OMS table (``"oms_"``), so the OMS can live in the host's database.
    :param schema: PostgreSQL schema of the OMS tables (``None``: the default search path).
    :param plugins: extra hook plugins (modules or objects) for this instance only.
    :param load_entry_points: also load the plugins installed under the entry-point group ``oms``.
    :param disable_plugins: names of installed plugins not to load.
    :param driver_config: ``{namespace: {driver name: {option: value}}}``.
    :param settings: policies (:class:`~oms_core.Settings`); keyword arguments override single fields.
    """

    def __init__(
        self,
        engine: sa.Engine | None = None,
        *,
        connection: sa.Connection | None = None,
        table_prefix: str = "oms_",
        schema: str | None = None,
        plugins: Iterable[object] = (),
        load_entry_points: bool = True,
        disable_plugins: Iterable[str] = (),
        driver_config: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
        settings: Settings | None = None,
        **setting_overrides: Any,
    ) -> None:
        if (engine is None) == (connection is None):
            raise ConfigurationError("pass either engine or connection")
        self.engine: sa.Engine = engine if engine is not None else connection.engine  # type: ignore[union-attr]
        self._connection = connection
        self.tables = Tables(table_prefix, schema)
        self.settings = attrs.evolve(settings or Settings(), **setting_overrides)
        self.pm = create_plugin_manager(plugins, load_entry_points=load_entry_points, disable=disable_plugins)
        self.drivers = Drivers(self.pm, driver_config or {})
        self.drivers.register_configured_reactions(self.pm)
        extra: dict[str, dict[str, frozenset[str]]] = {}
        for _plugin, moves in call_each(self.pm, "extend_transitions", {}):
            for field, table in moves.items():
                if field not in TRANSITIONS:
                    raise ConfigurationError(f"extend_transitions: unknown status field {field!r}")
                for current, targets in table.items():
                    extra.setdefault(field, {})[current] = extra.get(field, {}).get(current, frozenset()) | set(targets)
        self._ctx = Context(self.tables, self.pm, self.drivers, self.settings, self, extra)
        self._subscribers = outbox.Subscribers(self.pm)
        self._current: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
            f"oms_uow_{id(self)}", default=None
        )
        self._owns_engine = False
        # one idle connection kept between use cases (SQLite engines the OMS made only), as (process id, connection)
        self._idle: list[tuple[int, sa.Connection]] = []

    # -- set-up -------------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, url: str = DEFAULT_URL, *, migrate: bool = True, sqlite_synchronous: str = "NORMAL", **kwargs: Any
    ) -> OMS:
        """Open (and by default create or upgrade) the OMS database at ``url``.

        ``sqlite:///oms.db`` is a file in the working directory; ``postgresql://user@host/db`` uses psycopg 3.
        """
        oms = cls(create_engine(url, sqlite_synchronous=sqlite_synchronous), **kwargs)
        oms._owns_engine = True
        try:
            with oms.engine.connect():
                pass
        except sa.exc.DBAPIError as exc:  # server unreachable, unknown database, file that cannot be created...
            oms.close()
            where = oms.engine.url.render_as_string(hide_password=True)
            raise ConfigurationError(f"cannot connect to {where}: {' '.join(str(exc.orig).split())}") from exc
        if migrate:
            oms.migrate()
        return oms

    def migrate(self) -> None:
        """Create or upgrade the OMS tables to the current schema (Alembic, inside one transaction)."""
        prefix, schema = self.tables.prefix, self.tables.schema
        with self.engine_connect() as conn:
            if migrate.current_revision(conn, prefix, schema) == migrate.head_revision():
                return
            if conn.in_transaction():
                conn.rollback()
            with conn.begin():
                migrate.upgrade(conn, prefix, schema)

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, head)``: the schema revision of the database (``None`` when empty) and the package's."""
        with self.engine_connect() as conn:
            return migrate.current_revision(conn, self.tables.prefix, self.tables.schema), migrate.head_revision()

    def close(self) -> None:
        while self._idle:
            pid, conn = self._idle.pop()
            if pid == os.getpid():
                conn.close()
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> OMS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def engine_connect(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- transactions -------------------------------------------------------------------------------------------

    def _new_uow(self) -> UnitOfWork:
        if self._connection is not None:
            return UnitOfWork(self._connection, self.tables, self._subscribers, owns_connection=False)
        return UnitOfWork(self._checkout(), self.tables, self._subscribers, owns_connection=True, release=self._release)

    def _checkout(self) -> sa.Connection:
        """A connection for one use case: the idle one when there is one, else one from the engine's pool.

        On a SQLite engine of its own the OMS keeps one connection between use cases: a pool check-out and
        check-in cost more than a short transaction does. A PostgreSQL pool keeps its own checks (pre-ping).
        """
        try:
            pid, conn = self._idle.pop()
        except IndexError:
            return self.engine.connect()
        if pid != os.getpid():  # inherited through fork: the parent's, not ours to use or close
            return self.engine.connect()
        if conn.closed or conn.invalidated:
            return self.engine.connect()
        return conn

    def _release(self, conn: sa.Connection) -> None:
        keep = (
            self._owns_engine
            and self.engine.dialect.name == "sqlite"
            and not self._idle
            and not conn.invalidated
            and not conn.in_transaction()
        )
        if keep:
            self._idle.append((os.getpid(), conn))
        else:
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[OMS]:
        """Run the use cases called inside the block in one transaction, committed at its end."""
        if self._current.get() is not None:
            yield self
            return
        with self._new_uow() as uow:
            token = self._current.set(uow)
            try:
                yield self
                uow.commit()
            finally:
                self._current.reset(token)
        self._after_commit(uow)

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        current = self._current.get()
        if current is not None:
            return fn(current, self._ctx, *args, **kwargs)
        try:
            with self._new_uow() as uow:
                # look-ups a decision hook makes through ``oms`` read in this transaction: on another connection
                # they would not see its writes, and on SQLite they would wait for its write lock
                token = self._current.set(uow)
                try:
                    result = fn(uow, self._ctx, *args, **kwargs)
                finally:
                    self._current.reset(token)
                uow.commit()
        except InvalidTransition as exc:
            if exc.by and exc.order_id is not None:
                self._record_veto(exc)
            raise
        self._after_commit(uow)
        return result

    def _record_veto(self, exc: InvalidTransition) -> None:
        """Write a plugin's veto on the order's timeline: the use case rolled back, the refusal stays explainable."""
        with self._new_uow() as uow:
            message = f"{exc.field} {exc.current} -> {exc.target} vetoed by {exc.by}: {exc.reason}"
            uow.timeline(exc.order_id, "vetoed", message, exc.by)  # type: ignore[arg-type]
            uow.commit()

    def _read(self, fn: Callable[..., T], *args: Any) -> T:
        current = self._current.get()
        if current is not None:
            return fn(current.conn, self.tables, *args)
        if self._connection is not None:
            return fn(self._connection, self.tables, *args)
        # one transaction, so that every statement of the read sees the same snapshot; READ_ONLY begins it
        # DEFERRED on SQLite, where it then never waits for a writer
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn, conn.begin():
            return fn(conn, self.tables, *args)

    def _after_commit(self, uow: UnitOfWork) -> None:
        if not self.settings.inline_dispatch or self._connection is not None:
            return  # the host commits later: the worker or process_outbox() delivers
        ids = [e.id for e in uow.events]  # uow.emit keeps only the events a handler subscribes to
        if ids:
            outbox.process(self, limit=len(ids) * 8, event_ids=ids)

    # -- catalogue and stock ------------------------------------------------------------------------------------

    def add_product(
        self,
        sku: str,
        name: str,
        *,
        weight_grams: int | None = None,
        low_stock_threshold: int | None = None,
        active: bool = True,
    ) -> Product:
        """Create or update a product."""
        product = Product(sku, name, weight_grams, low_stock_threshold, active)
        return self._run(lambda uow, ctx: inventory.upsert_product(uow, product))

    def add_location(
        self,
        code: str,
        name: str,
        *,
        priority: int = 100,
        postcode: str | None = None,
        country: str | None = None,
        active: bool = True,
    ) -> Location:
        """Create or update a stock location; lower ``priority`` is preferred by default sourcing."""
        location = Location(code, name, priority, postcode, country, active)
        return self._run(lambda uow, ctx: inventory.upsert_location(uow, location))

    def receive_stock(
        self, sku: str, location: str, quantity: int, *, reference: str | None = None, note: str | None = None
    ) -> StockLevel:
        return self._run(lambda uow, ctx: inventory.receive(uow, sku, location, quantity, reference, note))

    def adjust_stock(
        self, sku: str, location: str, *, counted: int | None = None, delta: int | None = None, reason: str
    ) -> StockLevel:
        """Correct on hand to a counted quantity or by a delta; ``reason`` is written on the ledger."""
        return self._run(
            lambda uow, ctx: inventory.adjust(uow, sku, location, counted=counted, delta=delta, reason=reason)
        )

    def transfer_stock(
        self, sku: str, source: str, target: str, quantity: int, *, reference: str | None = None
    ) -> tuple[StockLevel, StockLevel]:
        return self._run(lambda uow, ctx: inventory.transfer(uow, sku, source, target, quantity, reference))

    def stock(self, sku: str | None = None, location: str | None = None) -> list[StockLevel]:
        return self._read(repository.stock_levels, [sku] if sku else None, location)

    def ledger(self, sku: str, location: str | None = None) -> list[LedgerEntry]:
        return self._read(repository.ledger_entries, sku, location)

    def verify_stock(self) -> list[StockProblem]:
        """Every discrepancy between stock, its ledger and open reservations; empty when all is consistent."""
        return self._run(lambda uow, ctx: inventory.verify(uow))

    def products(self) -> list[Product]:
        return self._read(
            lambda c, t: [
                repository.product_from_row(r) for r in c.execute(sa.select(t.products).order_by(t.products.c.sku))
            ]
        )

    def locations(self) -> list[Location]:
        return self._read(
            lambda c, t: [
                repository.location_from_row(r)
                for r in c.execute(sa.select(t.locations).order_by(t.locations.c.priority, t.locations.c.code))
            ]
        )

    # -- orders -------------------------------------------------------------------------------------------------

    def place_order(self, draft: OrderDraft) -> Order:
        """Accept an order. The same draft again returns the same order (idempotent intake)."""
        return self._run(ordering.place_order, draft)[0]

    def place_orders(
        self,
        drafts: Iterable[OrderDraft | OMSError],
        *,
        batch_size: int = 500,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Place a stream of drafts, ``batch_size`` per transaction, holding only one batch in memory.

        A refused draft is reported in ``errors`` and never half-written; the others are placed. An
        :class:`OMSError` in place of a draft (how a streaming parser reports an order it could not read, see
        :meth:`import_orders`) is reported in ``errors`` at its position too, and the placement goes on.
        ``progress(done, total)``, when given, is called once before the first batch (``done`` 0) and after each
        committed batch, with the drafts handled so far; ``total`` is ``len(drafts)`` for a sized collection, else
        ``None``. An exception it raises stops the placement after the batches already committed.
        """
        total = len(drafts) if isinstance(drafts, Sized) else None
        done = 0
        if progress is not None:
            progress(0, total)
        created = replayed = 0
        errors: list[tuple[int, str | None, OMSError]] = []
        batch: list[tuple[int, OrderDraft | OMSError]] = []

        def flush() -> None:
            nonlocal created, replayed, done
            with self.transaction():
                uow = self._current.get()
                assert uow is not None
                drafts = [d for _, d in batch if not isinstance(d, OMSError)]
                outcomes = iter(ordering.place_orders(uow, self._ctx, drafts))
                for i, draft in batch:
                    outcome = draft if isinstance(draft, OMSError) else next(outcomes)
                    if isinstance(outcome, OMSError):
                        errors.append((i, getattr(draft, "external_id", None), outcome))
                    elif outcome[1]:
                        created += 1
                    else:
                        replayed += 1
            done += len(batch)
            batch.clear()
            if progress is not None:
                progress(done, total)

        for i, draft in enumerate(drafts):
            batch.append((i, draft))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        return ImportResult(created, replayed, tuple(errors))

    def confirm_order(self, order_id: int) -> Order:
        """Reserve stock and confirm (or hold, by the rules and the ``short_stock`` policy)."""
        return self._run(ordering.confirm_order, order_id)

    def allocate_backorders(self, order_id: int) -> Order:
        return self._run(ordering.allocate_backorders, order_id)

    def hold_order(self, order_id: int, kind: str, reason: str, *, by: str = "user") -> Order:
        return self._run(ordering.hold_order, order_id, kind, reason, by)

    def release_hold(self, order_id: int, kind: str | None = None, *, by: str = "user") -> Order:
        return self._run(ordering.release_hold, order_id, kind, by)

    def cancel_order(self, order_id: int, reason: str) -> Order:
        """Cancel an unshipped order: release its stock, void authorizations, refund captures."""
        return self._run(ordering.cancel_order, order_id, reason)

    def get_order(self, order_id: int, *, timeline: bool = False) -> Order:
        def load(conn: sa.Connection, t: Tables) -> Order:
            order = repository.load_order(conn, t, order_id)
            if timeline:
                order.timeline = repository.load_timeline(conn, t, order_id)
            return order

        return self._read(load)

    def find_order(self, channel: str, external_id: str) -> Order:
        def load(conn: sa.Connection, t: Tables) -> Order:
            order_id = repository.find_order_id(conn, t, channel, external_id)
            if order_id is None:
                raise NotFound("order", f"{channel}/{external_id}", "external_id")
            return repository.load_order(conn, t, order_id)

        return self._read(load)

    def order_ids(self, channel: str, external_ids: Iterable[str]) -> dict[str, int]:
        """``{external id: order id}`` for those of ``external_ids`` placed from ``channel`` (one look-up per 32).

        What a connector needs after :meth:`place_orders`, to tell the channel which order each of its own became.
        """

        keys = [(channel, x) for x in external_ids]

        def load(conn: sa.Connection, t: Tables) -> dict[str, int]:
            found = repository.order_fingerprints(conn, t, keys)
            return {external_id: order_id for (_, external_id), (order_id, _) in found.items()}

        return self._read(load)

    def list_orders(
        self, *, status: str | None = None, customer_email: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Order]:
        """Newest first; ``customer_email`` keeps the orders of that e-mail address (compared case-insensitively)."""

        def load(conn: sa.Connection, t: Tables) -> list[Order]:
            q = sa.select(t.orders.c.id).order_by(t.orders.c.id.desc()).limit(limit).offset(offset)
            if status:
                q = q.where(t.orders.c.status == status)
            if customer_email:
                q = q.where(sa.func.lower(t.orders.c.customer_email) == customer_email.strip().lower())
            return [repository.load_order(conn, t, i) for i in conn.execute(q).scalars()]

        return self._read(load)

    def timeline(self, order_id: int) -> list[TimelineEntry]:
        return self._read(repository.load_timeline, order_id)

    def reservations(self, order_id: int) -> list[Reservation]:
        return self._read(repository.reservations, order_id)

    # -- payments -----------------------------------------------------------------------------------------------

    def authorize_payment(
        self,
        order_id: int,
        amount: Any = None,
        *,
        gateway: str | None = None,
        method: str = "default",
        idempotency_key: str | None = None,
    ) -> Payment:
        return self._run(payments.authorize, order_id, amount, gateway, method, idempotency_key)

    def pay(
        self,
        order_id: int,
        amount: Any = None,
        *,
        gateway: str | None = None,
        method: str = "default",
        idempotency_key: str | None = None,
    ) -> Payment:
        """Authorize and capture in one step (a sale); ``amount`` defaults to what is open on the order."""
        return self._run(payments.authorize, order_id, amount, gateway, method, idempotency_key, True)

    def capture_payment(self, payment_id: int, amount: Any = None) -> Payment:
        return self._run(payments.capture, payment_id, amount)

    def void_payment(self, payment_id: int, reason: str = "voided") -> Payment:
        return self._run(payments.void, payment_id, reason)

    def refund(self, order_id: int, amount: Any, reason: str) -> Money:
        return self._run(payments.refund, order_id, amount, reason)

    def payments(self, order_id: int) -> list[Payment]:
        return self._read(repository.payments, order_id)

    def refunds(self, order_id: int) -> list[Refund]:
        return self._read(
            lambda c, t: repository.refunds(c, t, order_id, repository.load_order(c, t, order_id).currency)
        )

    def handle_payment_webhook(self, gateway: str, headers: Mapping[str, str], body: bytes) -> tuple[str, bool]:
        """Verify, parse and apply a gateway webhook once. Returns ``(outcome, applied)``."""
        driver = self.drivers.get(PAYMENT_GATEWAYS, gateway)
        event = driver.parse_webhook(headers, body)
        if not isinstance(event, PaymentEvent):
            raise WebhookRejected(gateway, f"parse_webhook returned {type(event).__name__}, not a PaymentEvent")
        return self._run(payments.apply_webhook, gateway, event)

    # -- fulfilment and returns ---------------------------------------------------------------------------------

    def ship(
        self,
        order_id: int,
        lines: Mapping[int | str, int] | None = None,
        *,
        location: str | None = None,
        carrier: str | None = None,
        service: str | None = None,
    ) -> Shipment:
        """Ship ``lines`` (line id or SKU → quantity; default all reserved) from one location."""
        return self._run(fulfilment.ship, order_id, lines, location=location, carrier=carrier, service=service)

    def mark_delivered(self, shipment_id: int, at: dt.datetime | None = None) -> Shipment:
        return self._run(fulfilment.mark_delivered, shipment_id, at)

    def shipments(self, order_id: int, *, documents: bool = False) -> list[Shipment]:
        return self._read(lambda c, t: repository.shipments(c, t, order_id=order_id, with_documents=documents))

    def handle_tracking_webhook(self, carrier: str, headers: Mapping[str, str], body: bytes) -> int:
        events = self.drivers.get(CARRIERS, carrier).parse_tracking(headers, body)
        return self._run(fulfilment.record_tracking, carrier, events)

    def create_return(self, order_id: int, lines: Mapping[int | str, int], reason: str) -> Return:
        return self._run(returns.create_return, order_id, lines, reason)

    def receive_return(
        self,
        return_id: int,
        dispositions: Mapping[int | str, str] | None = None,
        *,
        location: str | None = None,
        refund: bool = True,
    ) -> Return:
        return self._run(returns.receive_return, return_id, dispositions, location=location, refund=refund)

    # -- channels -----------------------------------------------------------------------------------------------

    def import_orders(
        self,
        channel: str,
        body: bytes | BinaryIO,
        headers: Mapping[str, str] | None = None,
        *,
        verify: bool = True,
        batch_size: int = 500,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Parse a channel payload with its driver (verifying its signature first) and place the orders.

        ``body`` is the payload's bytes, or a binary file object opened for reading (a large order file). A stream
        is read in chunks when the driver offers ``parse_stream(stream, headers)`` and ``verify`` is false: the
        orders are then placed batch by batch while the file is read. ``parse_stream`` is an optional channel
        method that yields the drafts one by one as it reads, and, in place of an order it cannot read, a
        :class:`ValidationError` naming where (``row[12].quantity``): that order is reported in ``errors`` and the
        others are placed. Otherwise the stream is read whole first: a signature covers the bytes, so verifying
        needs all of them (files carry no signature: import them with ``verify=False``).
        ``progress(done, total)`` follows the placement as in :meth:`place_orders`.
        """
        driver = self.drivers.get(CHANNELS, channel)
        if not isinstance(body, bytes | bytearray | memoryview):
            stream_parser = getattr(driver, "parse_stream", None)
            if not verify and callable(stream_parser):
                drafts = stream_parser(body, headers)
                return self.place_orders(drafts, batch_size=batch_size, progress=progress)
            body = body.read()
        if verify:
            driver.verify(headers or {}, body)
        return self.place_orders(driver.parse_orders(body, headers), batch_size=batch_size, progress=progress)

    # -- outbox -------------------------------------------------------------------------------------------------

    def process_outbox(self, *, limit: int = 100, worker: str | None = None, lease_seconds: float | None = None) -> int:
        """Deliver one batch of due events to reaction hooks. Returns how many deliveries were attempted.

        ``lease_seconds`` (default 300) is how long the claimed deliveries stay this dispatcher's: if it dies, other
        dispatchers claim them again once the lease has expired. Keep it well above the time a batch takes.
        """
        lease = outbox.DEFAULT_LEASE if lease_seconds is None else dt.timedelta(seconds=lease_seconds)
        return outbox.process(self, worker=worker, limit=limit, lease=lease)

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[outbox.Delivery]:
        return self._read(outbox.list_deliveries, status, limit)

    def outbox_counts(self) -> dict[str, int]:
        return self._read(outbox.counts)

    def retry_dead(self, ids: Iterable[int] | None = None) -> int:
        with self.engine.connect() as conn, conn.begin():
            return outbox.retry_dead(conn, self.tables, ids)

    # -- reporting (SQL aggregations) ----------------------------------------------------------------------------

    def order_counts(self, by: str = "status") -> dict[str, int]:
        """How many orders there are per ``status`` (or per ``payment_status``, ``fulfillment_status``, ``channel``)."""
        if by not in (*TRANSITIONS, "channel"):
            raise ValidationError("report", "by", f"must be one of {', '.join((*TRANSITIONS, 'channel'))}", by)

        def count(c: sa.Connection, t: Tables) -> dict[str, int]:
            col = t.orders.c[by]
            return {k: int(n) for k, n in c.execute(sa.select(col, sa.func.count()).group_by(col).order_by(col))}

        return self._read(count)

    def revenue(self) -> list[Money]:
        """Captured minus refunded over every payment, one amount per currency (sorted by currency)."""

        def total(c: sa.Connection, t: Tables) -> list[Money]:
            p = t.payments
            q = sa.select(p.c.currency, sa.func.sum(p.c.captured), sa.func.sum(p.c.refunded)).group_by(p.c.currency)
            return [Money(cap - ref, cur) for cur, cap, ref in c.execute(q.order_by(p.c.currency))]

        return self._read(total)

    def payments_by_gateway(self) -> list[tuple[str, int, Money]]:
        """``(gateway, payments, captured)``: payment attempts (failed ones included) and the amount captured, per
        gateway and currency, sorted by gateway then currency."""

        def total(c: sa.Connection, t: Tables) -> list[tuple[str, int, Money]]:
            p = t.payments
            q = (
                sa.select(p.c.gateway, p.c.currency, sa.func.count(), sa.func.sum(p.c.captured))
                .group_by(p.c.gateway, p.c.currency)
                .order_by(p.c.gateway, p.c.currency)
            )
            return [(gateway, int(n), Money(captured, cur)) for gateway, cur, n, captured in c.execute(q)]

        return self._read(total)

    def shipment_counts(self, by: str = "carrier") -> dict[str, int]:
        """How many shipments there are per ``carrier`` (or per ``location`` or ``state``)."""
        if by not in ("carrier", "location", "state"):
            raise ValidationError("report", "by", "must be one of carrier, location, state", by)

        def count(c: sa.Connection, t: Tables) -> dict[str, int]:
            col = t.shipments.c[by]
            return {k: int(n) for k, n in c.execute(sa.select(col, sa.func.count()).group_by(col).order_by(col))}

        return self._read(count)

    def units_shipped(self) -> int:
        """Units on every shipment so far (returns do not take them off)."""
        return self._read(
            lambda c, t: int(
                c.execute(sa.select(sa.func.coalesce(sa.func.sum(t.shipment_lines.c.quantity), 0))).scalar_one()
            )
        )

    def stock_by_location(self) -> list[tuple[str, int, int]]:
        """``(location, on hand, reserved)`` summed over every SKU, per location in priority order."""

        def total(c: sa.Connection, t: Tables) -> list[tuple[str, int, int]]:
            loc, s = t.locations, t.stock
            q = (
                sa.select(
                    loc.c.code,
                    sa.func.coalesce(sa.func.sum(s.c.on_hand), 0),
                    sa.func.coalesce(sa.func.sum(s.c.reserved), 0),
                )
                .select_from(loc.outerjoin(s, s.c.location == loc.c.code))
                .group_by(loc.c.code, loc.c.priority)
                .order_by(loc.c.priority, loc.c.code)
            )
            return [(code, int(on_hand), int(reserved)) for code, on_hand, reserved in c.execute(q)]

        return self._read(total)

    def erp_sync(self, adapter: str) -> Any:
        """Run the ``sync(oms)`` of the ERP adapter ``adapter``: products and stock in, deliveries back, pending
        orders out, as the adapter defines it. Returns the adapter's report (an attrs object of counts and
        problems)."""
        driver = self.drivers.get(ADAPTERS, adapter)
        sync = getattr(driver, "sync", None)
        if not callable(sync):
            raise ConfigurationError(f"the {adapter} adapter offers no sync(oms); see its documentation")
        return sync(self)

    # -- external-id bindings (ERP/CRM adapters) ----------------------------------------------------------------

    def bind(self, backend: str, entity: str, local_id: Any, remote_id: Any, data: dict | None = None) -> Binding:
        """Record that ``remote_id`` of ``backend`` stands for the OMS ``entity`` ``local_id``."""
        return self._run(lambda uow, ctx: bindings.bind(uow, backend, entity, local_id, remote_id, data))

    def binding(self, backend: str, entity: str, *, local_id: Any = None, remote_id: Any = None) -> Binding | None:
        """The binding of an OMS record (``local_id``) or of a backend record (``remote_id``), or ``None``."""
        return self._run(lambda uow, ctx: bindings.find(uow, backend, entity, local_id=local_id, remote_id=remote_id))

    def unbind(self, backend: str, entity: str, local_id: Any) -> bool:
        """Forget a binding (the re-bind path when the backend's record was deleted)."""
        return self._run(lambda uow, ctx: bindings.unbind(uow, backend, entity, local_id))

    def bindings(self, backend: str, entity: str | None = None) -> list[Binding]:
        return self._run(lambda uow, ctx: bindings.list_bindings(uow, backend, entity))

    # -- plugins and drivers ------------------------------------------------------------------------------------

    def plugins(self) -> list[tuple[str, list[str]]]:
        """Every hook plugin with the hooks it implements."""
        return plugin_summary(self.pm)

    def driver_names(self, namespace: str) -> list[str]:
        return self.drivers.names(namespace)

    def driver(self, namespace: str, name: str) -> Driver:
        return self.drivers.get(namespace, name)

    def register_driver(self, namespace: str, name: str, factory: Callable[..., Driver]) -> None:
        """Add a driver for this instance only (tests, or a host that builds its own)."""
        self.drivers.register(namespace, name, factory)
