"""``oms``: the command line. A thin face over :class:`~oms_core.OMS`: it parses, calls the facade and renders.

Every error the OMS raises on purpose (:class:`~oms_core.OMSError`) is printed as one red line naming the field
and the reason, and the command exits with status 1.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from oms_core import (
    ADAPTERS,
    CARRIERS,
    CHANNELS,
    OMS,
    PAYMENT_GATEWAYS,
    Address,
    ConfigurationError,
    Customer,
    Event,
    FulfillmentStatus,
    LineDraft,
    Money,
    OMSError,
    Order,
    OrderDraft,
    OrderStatus,
    Shipment,
    hookimpl,
)
from oms_core.worker import run_worker

DEFAULT_URL = "sqlite:///oms.db"
DEMO_URL = "sqlite:///oms-demo.db"
DELIVERY_STATES = ("pending", "delivered", "dead")


# -- plumbing -------------------------------------------------------------------------------------------------------


def _console() -> Console:
    return Console(highlight=False)


def _err_console() -> Console:
    return Console(stderr=True, highlight=False)


def cell(value: Any) -> Text:
    """A table cell shown exactly as given (no rich markup interpretation of ``[`` in user data)."""
    return Text("" if value is None else str(value))


def when(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def masked(url: str) -> str:
    """The URL without its password, for printing."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


class OMSGroup(click.Group):
    """The root group: turns every :class:`OMSError` into one red line and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OMSError as exc:
            _err_console().print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            ctx.exit(1)


def _open(ctx: click.Context, url: str | None = None, *, migrate: bool = True) -> OMS:
    """Open the OMS on the database named by ``--database-url`` and close it when the command ends."""
    url = url or ctx.find_root().params.get("database_url") or DEFAULT_URL
    oms = OMS.open(url, migrate=migrate)
    ctx.call_on_close(oms.close)
    return oms


@click.group(cls=OMSGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="OMS_DATABASE_URL",
    default=None,
    metavar="URL",
    help=f"Database of the OMS (sqlite:///file.db or postgresql://user@host/db). Default: {DEFAULT_URL}, "
    "or the environment variable OMS_DATABASE_URL.",
)
def cli(database_url: str | None) -> None:
    """oms: an embeddable order management system."""


# -- db -------------------------------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the OMS tables or upgrade them to the current schema."""
    oms = _open(ctx, migrate=False)
    before, _ = oms.schema_revision()
    oms.migrate()
    after, _ = oms.schema_revision()
    url = masked(ctx.find_root().params.get("database_url") or DEFAULT_URL)
    if before == after:
        _console().print(f"[green]Schema already current[/] at revision {after} ({escape(url)})")
    else:
        _console().print(
            f"[green]Schema upgraded[/] from {before or 'an empty database'} to revision {after} ({escape(url)})"
        )


# -- plugins --------------------------------------------------------------------------------------------------------


@cli.command()
@click.pass_context
def plugins(ctx: click.Context) -> None:
    """Hook plugins with the hooks each implements, and drivers per namespace."""
    oms = _open(ctx)
    console = _console()
    table = Table(title="Hook plugins")
    table.add_column("plugin")
    table.add_column("hooks")
    for name, hooks in oms.plugins():
        table.add_row(cell(name), cell(", ".join(hooks)))
    console.print(table)
    drivers = Table(title="Drivers")
    drivers.add_column("namespace")
    drivers.add_column("drivers")
    for ns in (CHANNELS, PAYMENT_GATEWAYS, CARRIERS, ADAPTERS):
        drivers.add_row(cell(ns), cell(", ".join(oms.driver_names(ns)) or "-"))
    console.print(drivers)


# -- orders ---------------------------------------------------------------------------------------------------------


@cli.group()
def orders() -> None:
    """List orders and show one with its timeline."""


@orders.command("list")
@click.option("--status", type=click.Choice([s.value for s in OrderStatus]), help="Only orders in this status.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="How many (newest first).")
@click.pass_context
def orders_list(ctx: click.Context, status: str | None, limit: int) -> None:
    """The newest orders."""
    oms = _open(ctx)
    table = Table(title="Orders" + (f" ({status})" if status else ""))
    for name in ("id", "channel / external id", "customer", "status", "payment", "fulfilment", "total", "placed"):
        table.add_column(name, justify="right" if name in ("id", "total") else "left")
    found = oms.list_orders(status=status, limit=limit)
    for o in found:
        table.add_row(
            cell(o.id),
            cell(f"{o.channel}/{o.external_id}"),
            cell(o.customer.name or o.customer.email),
            cell(o.status),
            cell(o.payment_status),
            cell(o.fulfillment_status),
            cell(o.total),
            cell(when(o.placed_at)),
        )
    console = _console()
    console.print(table)
    if not found:
        console.print("No orders.")


@orders.command("show")
@click.argument("order_id", type=int)
@click.pass_context
def orders_show(ctx: click.Context, order_id: int) -> None:
    """One order: statuses, totals, lines, payments, shipments and the timeline (who decided what, and why)."""
    oms = _open(ctx)
    order = oms.get_order(order_id, timeline=True)
    console = _console()
    _order_header(console, order)
    lines = Table(title="Lines")
    for name in ("#", "sku", "name", "qty", "unit price", "total", "reserved", "backordered", "shipped", "returned",
                 "cancelled"):  # fmt: skip
        lines.add_column(name, justify="left" if name in ("sku", "name") else "right")
    for line in order.lines:
        lines.add_row(
            *map(
                cell,
                (
                    line.line_no,
                    line.sku,
                    line.name or "",
                    line.quantity,
                    line.unit_price,
                    line.total,
                    line.quantity_reserved,
                    line.quantity_backordered,
                    line.quantity_shipped,
                    line.quantity_returned,
                    line.quantity_cancelled,
                ),
            )
        )
    console.print(lines)
    pays = oms.payments(order.id)
    if pays:
        table = Table(title="Payments")
        for name in ("id", "gateway", "method", "state", "amount", "captured", "refunded", "reference"):
            table.add_column(name, justify="right" if name in ("id", "amount", "captured", "refunded") else "left")
        for p in pays:
            table.add_row(
                *map(cell, (p.id, p.gateway, p.method, p.state, p.amount, p.captured, p.refunded, p.reference or ""))
            )
        console.print(table)
    ships = oms.shipments(order.id)
    if ships:
        table = Table(title="Shipments")
        for name in ("id", "from", "carrier", "tracking", "state", "lines", "shipped", "delivered"):
            table.add_column(name, justify="right" if name == "id" else "left")
        for s in ships:
            table.add_row(
                *map(
                    cell,
                    (
                        s.id,
                        s.location,
                        s.carrier + (f" {s.service}" if s.service else ""),
                        s.tracking_number or "",
                        s.state,
                        ", ".join(f"{x.quantity} x {x.sku}" for x in s.lines),
                        when(s.shipped_at),
                        when(s.delivered_at),
                    ),
                )
            )
        console.print(table)
    timeline = Table(title="Timeline")
    for name in ("at (UTC)", "what", "by", "message"):
        timeline.add_column(name)
    for entry in order.timeline:
        timeline.add_row(cell(when(entry.at)), cell(entry.kind), cell(entry.source), cell(entry.message))
    console.print(timeline)


def _order_header(console: Console, order: Order) -> None:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    t = order.totals
    email = f"<{order.customer.email}>" if order.customer.email else ""
    paid = f"{order.amount_authorized} / {order.amount_captured} / {order.amount_refunded}"
    rows = [
        ("order", f"#{order.id}  {order.channel}/{order.external_id}"),
        ("customer", f"{order.customer.name or ''} {email}".strip()),
        ("placed", f"{when(order.placed_at)} UTC"),
        ("status", str(order.status)),
        ("payment status", str(order.payment_status)),
        ("fulfilment status", str(order.fulfillment_status)),
        ("subtotal", str(t.subtotal)),
        ("discount", str(t.discount_total)),
        ("shipping", str(t.shipping_total)),
        ("tax", f"{t.tax_total}" + (" (included)" if order.taxes_included else "")),
        ("total", str(t.total)),
        ("authorized / captured / refunded", paid),
    ]
    if order.shipping_address:
        a = order.shipping_address
        rows.insert(2, ("ship to", f"{a.name}, {a.line1}, {a.postcode} {a.city}, {a.country}"))
    rows += [("hold", f"{h.kind}: {h.reason} (by {h.source})") for h in order.active_holds]
    for key, value in rows:
        head.add_row(cell(key), cell(value))
    console.print(head)


# -- stock ----------------------------------------------------------------------------------------------------------


@cli.group()
def stock() -> None:
    """Stock per SKU and location: show, receive, adjust, verify."""


@stock.command("show")
@click.option("--sku", help="Only this SKU.")
@click.option("--location", help="Only this location.")
@click.pass_context
def stock_show(ctx: click.Context, sku: str | None, location: str | None) -> None:
    """On hand, reserved and available stock."""
    oms = _open(ctx)
    levels = oms.stock(sku, location)
    table = Table(title="Stock")
    table.add_column("sku")
    table.add_column("location")
    for name in ("on hand", "reserved", "available"):
        table.add_column(name, justify="right")
    for s in levels:
        table.add_row(*map(cell, (s.sku, s.location, s.on_hand, s.reserved, s.available)))
    if len(levels) > 1:
        on_hand, reserved = sum(s.on_hand for s in levels), sum(s.reserved for s in levels)
        table.add_section()
        table.add_row(*map(cell, ("total", "", on_hand, reserved, on_hand - reserved)))
    console = _console()
    console.print(table)
    if not levels:
        console.print("No stock.")


def _print_level(verb: str, level: Any) -> None:
    _console().print(
        f"{verb} [bold]{escape(level.sku)}[/] at [bold]{escape(level.location)}[/]: on hand {level.on_hand}, "
        f"reserved {level.reserved}, available {level.available}"
    )


@stock.command("receive", context_settings={"ignore_unknown_options": True})
@click.argument("sku")
@click.argument("location")
@click.argument("quantity", type=int)
@click.option("--reference", help="Delivery note, purchase order… (written on the ledger).")
@click.pass_context
def stock_receive(ctx: click.Context, sku: str, location: str, quantity: int, reference: str | None) -> None:
    """Receive QUANTITY units of SKU at LOCATION."""
    level = _open(ctx).receive_stock(sku, location, quantity, reference=reference)
    _print_level("Received", level)


@stock.command("adjust")
@click.argument("sku")
@click.argument("location")
@click.option("--counted", type=int, help="The quantity counted: on hand becomes this.")
@click.option("--delta", type=int, help="Add this to on hand (negative to take off).")
@click.option("--reason", required=True, help="Why (written on the ledger).")
@click.pass_context
def stock_adjust(
    ctx: click.Context, sku: str, location: str, counted: int | None, delta: int | None, reason: str
) -> None:
    """Correct on hand of SKU at LOCATION to a counted quantity or by a delta."""
    level = _open(ctx).adjust_stock(sku, location, counted=counted, delta=delta, reason=reason)
    _print_level("Adjusted", level)


@stock.command("verify")
@click.pass_context
def stock_verify(ctx: click.Context) -> None:
    """Check that on hand equals the ledger and reserved equals the open reservations; exit 1 on problems."""
    problems = _open(ctx).verify_stock()
    console = _console()
    if not problems:
        console.print("[green]Stock verified: 0 problems[/]")
        return
    table = Table(title=f"Stock problems: {len(problems)}")
    for name in ("sku", "location", "check", "expected", "found"):
        table.add_column(name)
    for p in problems:
        table.add_row(*map(cell, (p.sku, p.location, p.check, p.expected, p.actual)))
    console.print(table)
    _err_console().print(f"[bold red]error:[/] stock verify found {len(problems)} problem(s)", soft_wrap=True)
    ctx.exit(1)


# -- outbox: worker and events --------------------------------------------------------------------------------------


@cli.command()
@click.option("--batch", default=100, show_default=True, type=click.IntRange(min=1), help="Deliveries per claim.")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(min=0), help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--max-seconds", type=click.FloatRange(min=0), help="Stop after this many seconds.")
@click.pass_context
def worker(ctx: click.Context, batch: int, poll: float, once: bool, max_seconds: float | None) -> None:
    """Deliver outbox events to reaction hooks until stopped (SIGTERM or Ctrl-C stop it cleanly)."""
    oms = _open(ctx)
    console = _console()
    stop = threading.Event()
    # stop cleanly from the first moment (run_worker installs its own handlers, setting the same event)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not once:
            console.print("Worker running; SIGTERM or Ctrl-C stops it after the current batch.")
        done = run_worker(
            oms,
            batch=batch,
            poll_interval=poll,
            once=once,
            max_seconds=max_seconds,
            stop=stop,
            install_signal_handlers=True,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    counts = oms.outbox_counts()
    console.print(
        f"{done} deliveries attempted; now {counts['delivered']} delivered, {counts['pending']} pending, "
        f"{counts['dead']} dead"
    )


@cli.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(DELIVERY_STATES), help="Only deliveries in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="How many (newest first).")
@click.pass_context
def events(ctx: click.Context, status: str | None, limit: int) -> None:
    """Deliveries of events to reaction hooks (the outbox). ``oms events retry`` puts dead ones back."""
    if ctx.invoked_subcommand is not None:
        return
    oms = _open(ctx)
    found = oms.deliveries(status, limit)
    table = Table(title="Deliveries" + (f" ({status})" if status else ""))
    for name in ("id", "event", "order", "handler", "status", "attempts", "next attempt", "last error"):
        table.add_column(name, justify="right" if name in ("id", "order", "attempts") else "left")
    for d in found:
        error = (d.last_error or "").splitlines()[-1:] or [""]
        table.add_row(
            *map(
                cell,
                (
                    d.id,
                    d.event_name,
                    d.order_id or "",
                    d.handler,
                    d.status,
                    d.attempts,
                    when(d.next_attempt_at) if d.status == "pending" else "",
                    error[0][:120],
                ),
            )
        )
    console = _console()
    console.print(table)
    counts = oms.outbox_counts()
    console.print(
        f"{counts['events']} events stored; deliveries: {counts['delivered']} delivered, {counts['pending']} "
        f"pending, {counts['dead']} dead"
    )


@events.command("retry")
@click.option("--id", "ids", type=int, multiple=True, help="A dead delivery to retry (repeatable; default: all).")
@click.pass_context
def events_retry(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Put dead deliveries back in the queue with a fresh attempt count."""
    n = _open(ctx).retry_dead(list(ids) if ids else None)
    _console().print(f"{n} dead deliveries put back in the queue")


# -- demo -----------------------------------------------------------------------------------------------------------

#: (sku, name, unit price including VAT, weight in grams)
CATALOGUE = [
    ("MUG-BLUE", "Enamel mug, blue", "12.50", 350),
    ("MUG-RED", "Enamel mug, red", "12.50", 350),
    ("TEA-EARL", "Earl Grey, 100 g", "7.90", 120),
    ("TEA-SENCHA", "Sencha, 100 g", "9.40", 120),
    ("COFFEE-1KG", "Espresso beans, 1 kg", "24.00", 1050),
    ("GRINDER", "Hand coffee grinder", "49.00", 800),
    ("KETTLE", "Gooseneck kettle", "59.90", 1200),
    ("FILTER-100", "Paper filters, 100", "4.50", 150),
    ("DRIPPER", "Ceramic dripper", "22.00", 500),
    ("TOWEL", "Linen tea towel", "8.90", 90),
    ("APRON", "Canvas apron", "29.00", 400),
    ("JAR-1L", "Storage jar, 1 l", "11.20", 700),
    ("SCALE", "Kitchen scale", "34.50", 600),
    ("SPOON-SET", "Measuring spoons", "6.80", 100),
    ("CANDLE", "Beeswax candle", "14.00", 250),
    ("NAPKINS", "Cotton napkins, 4", "16.00", 200),
    ("TRAY", "Walnut tray", "39.00", 900),
    ("COASTERS", "Cork coasters, 6", "9.90", 120),
    ("HONEY", "Forest honey, 500 g", "10.50", 650),
    ("BENCH-OAK", "Oak bench", "249.00", 14000),
]
#: the SKU stocked only partly at WH1, so that default sourcing splits the order that asks for more
SPLIT_SKU, SPLIT_STOCK, SPLIT_QTY = "BENCH-OAK", {"WH1": 3, "WH2": 4}, 5
VAT = Decimal("0.19")
CENT = Decimal("0.01")
FREE_SHIPPING_FROM = Decimal(50)
SHIPPING = Decimal("4.90")

PEOPLE = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth",
          "Frances Allen", "Niklaus Wirth", "Margaret Hamilton", "Tony Hoare", "Radia Perlman", "John Backus",
          "Katherine Johnson", "Ken Thompson", "Hedy Lamarr", "Dennis Ritchie"]  # fmt: skip
CITIES = [("Berlin", "10115", "DE"), ("Hamburg", "20095", "DE"), ("Paris", "75001", "FR"), ("Lyon", "69001", "FR"),
          ("Amsterdam", "1012", "NL"), ("Vienna", "1010", "AT"), ("Milan", "20121", "IT"),
          ("Madrid", "28001", "ES")]  # fmt: skip


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for in-memory databases and other backends)."""
    m = re.match(r"^sqlite(?:\+\w+)?:///([^?]*)", url)
    if not m or m.group(1) in ("", ":memory:"):
        return None
    return Path(m.group(1))


def _other_plugins() -> list[str]:
    """Installed hook plugins (entry-point group ``oms``) other than the core's own defaults."""
    return sorted(ep.name for ep in entry_points(group="oms") if not ep.value.startswith("oms_core."))


def _fresh_demo_database(url: str) -> OMS:
    path = _sqlite_file(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    # the demo runs with the core's default plugins only: installed rules (holds, sourcing) would change its story
    oms = OMS.open(url, disable_plugins=_other_plugins(), plugins=[DemoNotifications()])
    if path is None and (oms.products() or oms.list_orders(limit=1)):
        oms.close()
        raise ConfigurationError(
            f"the demo needs an empty database; {masked(url)} already holds data (only SQLite files are recreated)"
        )
    return oms


class DemoNotifications:
    """The demo's reaction plugin: the customer e-mails a shop would send, fed by the outbox after each commit.

    It keeps the ids of the events it handled, so a redelivered event sends nothing twice.
    """

    oms_plugin_name = "demo_notifications"

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def _send(self, event: Event, subject: str) -> None:
        self.sent.setdefault(event.id, f"order #{event.payload.get('order_id')}: {subject}")

    @hookimpl
    def order_confirmed(self, event: Event) -> None:
        self._send(event, "your order is confirmed")

    @hookimpl
    def shipment_shipped(self, event: Event) -> None:
        self._send(event, "your parcel is on its way")

    @hookimpl
    def order_cancelled(self, event: Event) -> None:
        self._send(event, "your order was cancelled")

    @hookimpl
    def payment_refunded(self, event: Event) -> None:
        self._send(event, f"we refunded {event.payload.get('amount')} {event.payload.get('currency')}")


class Demo:
    """A seeded, reproducible day of trading: catalogue, stock in two warehouses, orders through their life."""

    def __init__(self, oms: OMS, orders: int, seed: int) -> None:
        self.oms = oms
        self.orders = orders
        self.rng = random.Random(seed)
        self.seed = seed
        self.regular = [p for p in CATALOGUE if p[0] != SPLIT_SKU]
        self.prices = {sku: Decimal(price) for sku, _, price, _ in CATALOGUE}

    def setup(self) -> None:
        oms, rng = self.oms, self.rng
        oms.add_location("WH1", "Main warehouse", priority=1, postcode="10115", country="DE")
        oms.add_location("WH2", "Overflow warehouse", priority=2, postcode="04109", country="DE")
        # expected demand per SKU: orders x 1.7 lines x 1.5 units over the regular SKUs; WH1 alone runs short of
        # some SKUs (sourcing then moves to WH2), both together have enough
        demand = max(10, self.orders * 17 * 15 // (100 * len(self.regular)))
        with oms.transaction():
            for sku, name, _, grams in CATALOGUE:
                oms.add_product(sku, name, weight_grams=grams, low_stock_threshold=5)
            for sku, *_ in self.regular:
                oms.receive_stock(sku, "WH1", rng.randint(demand * 6 // 10, demand) + 5, reference="PO-1001")
                oms.receive_stock(
                    sku, "WH2", rng.randint(demand * 8 // 10, demand * 12 // 10) + 10, reference="PO-1002"
                )
            for loc, qty in SPLIT_STOCK.items():
                oms.receive_stock(SPLIT_SKU, loc, qty, reference="PO-1003")

    def draft(self, i: int, lines: list[tuple[str, int]] | None = None) -> OrderDraft:
        rng = self.rng
        if lines is None:
            n = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
            skus = rng.sample([p[0] for p in self.regular], n)
            lines = [(sku, rng.choices((1, 2, 3), weights=(6, 3, 1))[0]) for sku in skus]
        person = rng.choice(PEOPLE)
        city, postcode, country = rng.choice(CITIES)
        line_drafts = []
        for sku, qty in lines:
            price = self.prices[sku]
            tax = (price * qty * VAT / (1 + VAT)).quantize(CENT)
            line_drafts.append(LineDraft(sku, qty, price, tax=tax))
        goods = sum((self.prices[sku] * qty for sku, qty in lines), Decimal(0))
        shipping = Decimal(0) if goods >= FREE_SHIPPING_FROM else SHIPPING
        return OrderDraft(
            channel=rng.choice(("web", "web", "web", "marketplace")),
            external_id=f"{self.seed}-{i:05d}",
            currency="EUR",
            customer=Customer(email=f"{person.split()[0].lower()}.{i}@example.com", name=person),
            shipping_address=Address(
                name=person, line1=f"{rng.randint(1, 99)} Market Street", city=city, postcode=postcode, country=country
            ),
            lines=line_drafts,
            shipping=shipping,
            shipping_tax=(shipping * VAT / (1 + VAT)).quantize(CENT),
            taxes_included=True,
        )

    def ship_all(self, order_id: int) -> list[Shipment]:
        """Ship everything reserved, one shipment per location holding the reservations."""
        where = sorted({r.location for r in self.oms.reservations(order_id) if r.open_quantity > 0})
        return [self.oms.ship(order_id, location=loc) for loc in where]

    def run(self, advance: Callable[[], None]) -> None:
        for i, scenario in enumerate(self.scenarios()):
            scenario(i)
            advance()

    def scenarios(self) -> Iterator[Callable[[int], None]]:
        scripted = [self.split_shipment, self.held_and_released, self.returned]
        for i in range(self.orders):
            if i < len(scripted):
                yield scripted[i]
                continue
            r = self.rng.random()
            if r < 0.06:
                yield self.cancelled
            elif r < 0.16:
                yield self.partial_captures
            elif r < 0.20:
                yield self.awaiting_payment
            elif r < 0.23:
                yield self.pending
            elif r < 0.26:
                yield self.returned
            else:
                yield self.sale

    # one function per story an order can have

    def sale(self, i: int) -> None:
        oms = self.oms
        order = oms.place_order(self.draft(i))
        oms.confirm_order(order.id)
        oms.pay(order.id, method="bank_transfer")
        shipments = self.ship_all(order.id)
        if self.rng.random() < 0.25:
            for shipment in shipments:
                oms.mark_delivered(shipment.id)

    def cancelled(self, i: int) -> None:
        oms = self.oms
        order = oms.place_order(self.draft(i))
        oms.confirm_order(order.id)
        oms.pay(order.id)
        oms.cancel_order(order.id, "customer changed their mind")

    def partial_captures(self, i: int) -> None:
        oms = self.oms
        order = oms.place_order(self.draft(i))
        oms.confirm_order(order.id)
        payment = oms.authorize_payment(order.id, method="invoice")
        first = (payment.amount.amount / 2).quantize(CENT)
        oms.capture_payment(payment.id, first)
        self.ship_all(order.id)
        oms.capture_payment(payment.id)  # the rest

    def awaiting_payment(self, i: int) -> None:
        order = self.oms.place_order(self.draft(i))
        self.oms.confirm_order(order.id)

    def pending(self, i: int) -> None:
        self.oms.place_order(self.draft(i))

    def returned(self, i: int) -> None:
        oms = self.oms
        order = oms.place_order(self.draft(i))
        oms.confirm_order(order.id)
        oms.pay(order.id)
        shipments = self.ship_all(order.id)
        if shipments:
            rma = oms.create_return(order.id, {shipments[0].lines[0].sku: 1}, "arrived damaged")
            oms.receive_return(rma.id)  # restocked where it was shipped from, and refunded

    def held_and_released(self, i: int) -> None:
        oms = self.oms
        order = oms.place_order(self.draft(i, [("KETTLE", 3), ("GRINDER", 2)]))
        oms.confirm_order(order.id)
        oms.hold_order(order.id, "fraud_review", "large first order: check the customer", by="ops@example.com")
        oms.release_hold(order.id, by="ops@example.com")
        oms.pay(order.id)
        self.ship_all(order.id)

    def split_shipment(self, i: int) -> None:
        oms = self.oms
        order = oms.place_order(self.draft(i, [(SPLIT_SKU, SPLIT_QTY)]))
        oms.confirm_order(order.id)  # 3 reserved at WH1, 2 at WH2
        oms.pay(order.id)
        oms.ship(order.id, location="WH1")
        oms.ship(order.id, location="WH2")


@cli.command()
@click.option("--orders", "n_orders", default=300, show_default=True, type=click.IntRange(min=1, max=100_000))
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed gives the same orders.")
@click.option(
    "--database-url",
    "demo_url",
    default=None,
    metavar="URL",
    help=f"Where to run the demo (default: {DEMO_URL}, recreated at every run; OMS_DATABASE_URL is not used, so "
    "the demo never wipes a configured database).",
)
@click.pass_context
def demo(ctx: click.Context, n_orders: int, seed: int, demo_url: str | None) -> None:
    """Create a catalogue and stock in two warehouses, then take orders from placement to shipment."""
    started = time.perf_counter()
    root = ctx.find_root()
    given = root.get_parameter_source("database_url") == click.core.ParameterSource.COMMANDLINE
    url = demo_url or (root.params["database_url"] if given else DEMO_URL)
    console = _console()
    oms = _fresh_demo_database(url)
    ctx.call_on_close(oms.close)
    run = Demo(oms, n_orders, seed)
    run.setup()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Orders", total=n_orders)
        run.run(lambda: progress.advance(task))
    problems = oms.verify_stock()
    elapsed = time.perf_counter() - started
    console.print(_demo_summary(oms, problems, elapsed, url))
    for p in problems:
        console.print(f"[red]{escape(str(p))}[/]")
    console.print(
        f"Next: [bold]oms --database-url {escape(masked(url))} orders list[/], then "
        "[bold]orders show ID[/] to see an order's timeline."
    )
    if problems:
        ctx.exit(1)


def _demo_summary(oms: OMS, problems: list[Any], elapsed: float, url: str) -> Table:
    table = Table(title=f"Demo summary ({masked(url)})", show_header=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    counts = oms.order_counts()
    table.add_row("orders", str(sum(counts.values())))
    for status in OrderStatus:
        table.add_row(f"  {status}", str(counts.get(status.value, 0)))
    fulfilment = oms.order_counts("fulfillment_status")
    table.add_row("orders by fulfilment", "")
    for status in FulfillmentStatus:
        if fulfilment.get(status.value):
            table.add_row(f"  {status}", str(fulfilment[status.value]))
    table.add_section()
    revenue = oms.revenue()
    table.add_row("revenue (captured - refunded)", ", ".join(str(m) for m in revenue) or str(Money.zero("EUR")))
    table.add_row("units shipped", str(oms.units_shipped()))
    table.add_section()
    for location, on_hand, reserved in oms.stock_by_location():
        table.add_row(f"stock at {location} (on hand / reserved)", f"{on_hand} / {reserved}")
    table.add_section()
    outbox = oms.outbox_counts()
    table.add_row("events stored", str(outbox["events"]))
    table.add_row(
        "deliveries (delivered / pending / dead)", f"{outbox['delivered']} / {outbox['pending']} / {outbox['dead']}"
    )
    table.add_row("hook plugins", ", ".join(name for name, _ in oms.plugins()))
    verdict = "[green]0 problems[/]" if not problems else f"[red]{len(problems)} problems[/]"
    table.add_row("stock verify", verdict)
    table.add_row("elapsed", f"{elapsed:.2f} s")
    return table


def main() -> None:
    cli(prog_name="oms")


if __name__ == "__main__":
    main()
