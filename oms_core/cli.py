"""``oms``: the command line. A thin face over :class:`~oms_core.OMS`: it parses, calls the facade and renders.

Every error the OMS raises on purpose (:class:`~oms_core.OMSError`) is printed as one red line naming the field
and the reason, and the command exits with status 1.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import random
import re
import signal
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import attrs
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
    DuplicateOrder,
    Event,
    FulfillmentStatus,
    LineDraft,
    Money,
    OMSError,
    Order,
    OrderDraft,
    OrderStatus,
    PaymentError,
    RuleRejected,
    Shipment,
    ValidationError,
    ValidationErrors,
    hookimpl,
    payload,
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


def load_driver_config(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{namespace: {driver: {option: value}}}`` from a TOML file (or JSON, by its ``.json`` suffix).

    In TOML, one table per driver: ``["oms.channels".shopify]`` then ``secret = "..."``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"driver config {path}: cannot be read: {exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"driver config {path}: is not valid {path.suffix[1:] or 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"driver config {path}: must be a table of namespaces")
    for namespace, drivers in data.items():
        if namespace not in (CHANNELS, PAYMENT_GATEWAYS, CARRIERS, ADAPTERS):
            raise ConfigurationError(
                f"driver config {path}: unknown namespace {namespace!r}; use "
                f"{', '.join((CHANNELS, PAYMENT_GATEWAYS, CARRIERS, ADAPTERS))}"
            )
        if not isinstance(drivers, dict) or not all(isinstance(v, dict) for v in drivers.values()):
            raise ConfigurationError(f"driver config {path}: {namespace} must hold one table of options per driver")
    return data


def _open(ctx: click.Context, url: str | None = None, *, migrate: bool = True) -> OMS:
    """Open the OMS on the database named by ``--database-url`` and close it when the command ends."""
    root = ctx.find_root()
    url = url or root.params.get("database_url") or DEFAULT_URL
    config_file = root.params.get("driver_config")
    config = load_driver_config(Path(config_file)) if config_file else None
    oms = OMS.open(url, migrate=migrate, driver_config=config)
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
@click.option(
    "--driver-config",
    envvar="OMS_DRIVER_CONFIG",
    default=None,
    metavar="FILE",
    help='Options of the drivers, a TOML file with one table per driver (["oms.channels".shopify] then '
    'secret = "..."), or JSON by its .json suffix. Default: the environment variable OMS_DRIVER_CONFIG.',
)
def cli(database_url: str | None, driver_config: str | None) -> None:
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


# -- import ---------------------------------------------------------------------------------------------------------

REPORT_COLUMNS = ("index", "external_id", "field", "reason")


def parse_header(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` (or ``NAME: VALUE``) as ``(name, value)``; the value may itself contain ``=``."""
    m = re.fullmatch(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*[=:]\s?(.*)", text, re.DOTALL)
    if m is None:
        raise ValidationError("import", "header", f"{text!r} is not NAME=VALUE", text)
    return m.group(1), m.group(2)


def error_rows(position: int | str, external_id: str | None, error: OMSError) -> list[tuple[str, str, str, str]]:
    """One report row per problem of ``error``: ``(index, external id, field, reason)``.

    A :class:`ValidationErrors` gives one row per field; errors that name no field are reported under their code.
    """
    ext = external_id or ""
    if isinstance(error, ValidationErrors):
        return [(str(position), ext, e.field, e.reason) for e in error.errors]
    if isinstance(error, ValidationError | PaymentError):
        return [(str(position), ext, error.field, error.reason)]
    if isinstance(error, DuplicateOrder):
        reason = f"order #{error.order_id} was placed with other content; these fields differ"
        return [(str(position), ext, ", ".join(error.differences) or "content", reason)]
    if isinstance(error, RuleRejected):
        return [(str(position), ext, f"rule {plugin}", message) for plugin, message in error.problems]
    field = getattr(error, "field", None)
    return [(str(position), ext, field if isinstance(field, str) and field else error.code, str(error))]


class _LazyProgress:
    """A progress bar that appears with the first report, so a payload refused before placement prints none."""

    def __init__(self, console: Console, description: str) -> None:
        self.console = console
        self.description = description
        self.progress: Progress | None = None
        self.task: Any = None
        self.done = 0

    def __call__(self, done: int, total: int | None) -> None:
        if self.progress is None:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            self.progress = Progress(*columns, console=self.console)
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=total)
        self.done = done
        self.progress.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@cli.command("import")
@click.argument("channel")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--header",
    "header_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="A request header that came with the payload (repeatable), e.g. the signature: "
    "--header X-Shopify-Hmac-Sha256=...",
)
@click.option(
    "--no-verify",
    is_flag=True,
    help="Do not check the signature: for orders pulled from an API, and for order files, which carry none (a file "
    "is then read in chunks when the driver can).",
)
@click.option(
    "--batch-size", default=500, show_default=True, type=click.IntRange(min=1), help="Orders per transaction."
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the refused orders as CSV (index, external_id, field, reason) to this file.",
)
@click.pass_context
def import_command(
    ctx: click.Context,
    channel: str,
    file: Path,
    header_args: tuple[str, ...],
    no_verify: bool,
    batch_size: int,
    report: Path | None,
) -> None:
    """Import the orders in FILE through the channel driver CHANNEL (see `oms plugins`).

    FILE is what the channel sends: a webhook body (give its headers with --header, the signature among them), an
    API response or an order file. Its signature is checked unless --no-verify, then every order is placed; an
    order placed before is replayed, not placed twice. Drivers' secrets come from --driver-config. Exit status 1
    when the payload or any order is refused; each refusal names the field and the reason.
    """
    headers = dict(parse_header(h) for h in header_args)
    oms = _open(ctx)
    console = _console()
    progress = _LazyProgress(console, f"{channel}: orders placed")
    with file.open("rb") as stream:
        try:
            result = oms.import_orders(
                channel,
                stream,  # read in chunks when the driver can, whole otherwise
                headers,
                verify=not no_verify,
                batch_size=batch_size,
                progress=progress,
            )
        except ValidationError as exc:  # the payload itself cannot be read: the import stopped there
            progress.stop()
            rows = error_rows("payload", None, exc)
            _write_report(report, rows)
            console.print(_error_table(f"Payload refused: {file.name}", rows))
            placed = f"; the {progress.done} orders before it stay placed" if progress.done else ""
            _err_console().print(f"[bold red]error:[/] {escape(str(exc))}{escape(placed)}", soft_wrap=True)
            ctx.exit(1)
        finally:
            progress.stop()
    rows = [row for i, ext, err in result.errors for row in error_rows(i, ext, err)]
    _write_report(report, rows)
    summary = Table(title="Import summary", show_header=False)
    summary.add_column("what", style="bold")
    summary.add_column("value", justify="right")
    for key, value in (
        ("channel", channel),
        ("file", file.name),
        ("orders read", result.total),
        ("created", result.created),
        ("replayed", result.replayed),
        ("failed", len(result.errors)),
    ):
        summary.add_row(key, str(value))
    console.print(summary)
    if result.errors:
        console.print(_error_table(f"Refused orders: {len(result.errors)}", rows))
        _err_console().print(
            f"[bold red]error:[/] {len(result.errors)} of {result.total} orders refused"
            + (f" (written to {escape(str(report))})" if report else ""),
            soft_wrap=True,
        )
        ctx.exit(1)


def _error_table(title: str, rows: list[tuple[str, str, str, str]]) -> Table:
    table = Table(title=title)
    for name in ("index", "external id", "field", "reason"):
        table.add_column(name, justify="right" if name == "index" else "left")
    for row in rows:
        table.add_row(*map(cell, row))
    return table


def _write_report(path: Path | None, rows: list[tuple[str, str, str, str]]) -> None:
    if path is None:
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(rows)


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
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0, min_open=True),
    help="How long a claimed batch stays this worker's [default: 300]; keep it above the slowest batch.",
)
@click.pass_context
def worker(
    ctx: click.Context, batch: int, poll: float, once: bool, max_seconds: float | None, lease_seconds: float | None
) -> None:
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
            lease_seconds=lease_seconds,
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


@cli.group()
def erp() -> None:
    """ERP and CRM adapters (configure them with --driver-config)."""


@erp.command("sync")
@click.argument("adapter")
@click.pass_context
def erp_sync(ctx: click.Context, adapter: str) -> None:
    """Products and stock in, deliveries back, pending orders out, through ADAPTER (e.g. odoo, tryton).

    Prints what moved and every record skipped with its reason; exit 1 when any was skipped.
    """
    oms = _open(ctx)
    console = _console()
    with console.status(f"Synchronising with {adapter}..."):
        report = oms.erp_sync(adapter)
    values = attrs.asdict(report, recurse=False) if attrs.has(type(report)) else dict(vars(report))
    problems = [p for v in values.values() if isinstance(v, list | tuple) for p in v]
    table = Table(title=f"{adapter} sync")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool):
            table.add_row(name.replace("_", " "), str(value))
    table.add_row("records skipped", str(len(problems)))
    console.print(table)
    for problem in problems:
        _err_console().print(f"[yellow]skipped:[/] {escape(str(problem))}", soft_wrap=True)
    if problems:
        ctx.exit(1)


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
#: B2B customers buy at the net price less this discount, VAT added on top
B2B_DISCOUNT = Decimal("0.20")
B2B_SHIPPING = Decimal("12.00")

PEOPLE = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth",
          "Frances Allen", "Niklaus Wirth", "Margaret Hamilton", "Tony Hoare", "Radia Perlman", "John Backus",
          "Katherine Johnson", "Ken Thompson", "Hedy Lamarr", "Dennis Ritchie"]  # fmt: skip
CITIES = [("Berlin", "10115", "DE"), ("Hamburg", "20095", "DE"), ("Paris", "75001", "FR"), ("Lyon", "69001", "FR"),
          ("Amsterdam", "1012", "NL"), ("Vienna", "1010", "AT"), ("Milan", "20121", "IT"),
          ("Madrid", "28001", "ES")]  # fmt: skip
#: (company, buyer, city, postcode, country) of the wholesale customers who send a CSV order file
BUSINESSES = [("Café Central GmbH", "Anna Weber", "Vienna", "1010", "AT"),
              ("Teehaus Lindner", "Jonas Lindner", "Hamburg", "20095", "DE"),
              ("Koffiebar De Pijp", "Sanne de Vries", "Amsterdam", "1073", "NL"),
              ("Épicerie Lumière", "Claire Martin", "Lyon", "69002", "FR"),
              ("Rösterei Nord", "Mats Hansen", "Berlin", "10405", "DE")]  # fmt: skip

# What the demo shop configures for its connectors. The demo plays the shops' side too: it signs the webhooks it
# sends with these secrets, as Shopify and WooCommerce would.
SHOPIFY_SECRET = "demo-shopify-app-client-secret"
WOOCOMMERCE_SECRET = "demo-woocommerce-webhook-secret"
STRIPE_TEST_KEY = "sk_test_demo"
SHOP_DOMAIN = "demo-tea-and-coffee.myshopify.com"
WOO_SITE = "https://shop.demo-tea-and-coffee.example/"
SENDER = {"name": "Demo Tea & Coffee", "line1": "Lagerstraße 5", "postcode": "10115", "city": "Berlin", "country": "DE"}
#: the demo shop's contract with its courier for domestic parcels, in the tablerate carrier's TOML format (see
#: its README)
RATE_TABLE = """
currency = "EUR"

[zones.domestic]
countries = ["DE"]

[rates.domestic.standard]
days = 2
brackets = [{ max_grams = 1000, price = "4.90" }, { max_grams = 5000, price = "6.90" },
            { max_grams = 31500, price = "16.90" }]

[rates.domestic.freight]
days = 4
brackets = [{ max_grams = 100000, price = "59.00" }]
"""

#: (namespace, driver, what the demo does with it) for each connector the demo uses when it is installed
CONNECTORS = [
    (CHANNELS, "shopify", "web shop orders, as signed orders/create webhooks"),
    (CHANNELS, "woocommerce", "second shop's orders, as signed order.created webhooks"),
    (CHANNELS, "csv", "a wholesale order file (CSV) imported in one batch"),
    (PAYMENT_GATEWAYS, "stripe", "card payments, in sandbox mode (an offline emulation of Stripe)"),
    (CARRIERS, "tablerate", "domestic parcels, priced by the shop's rate table, with PDF label and packing slip"),
]
#: what the demo does instead when a connector is not installed
FALLBACKS = {
    "shopify": "web shop orders placed directly (channel web)",
    "woocommerce": "second shop's orders placed directly (channel marketplace)",
    "csv": "wholesale orders placed directly (channel b2b)",
    "stripe": "card payments taken through manual",
    "tablerate": "domestic parcels shipped through flat_rate",
}
DIRECT_CHANNELS = {"shopify": "web", "woocommerce": "marketplace", "csv": "b2b"}


def demo_driver_config() -> dict[str, dict[str, dict[str, Any]]]:
    """The configuration of the connectors the demo uses (a driver that is not installed is never built)."""
    return {
        CHANNELS: {"shopify": {"secret": SHOPIFY_SECRET}, "woocommerce": {"secret": WOOCOMMERCE_SECRET}},
        PAYMENT_GATEWAYS: {"stripe": {"sandbox": True, "api_key": STRIPE_TEST_KEY}},
        CARRIERS: {"tablerate": {"table_text": RATE_TABLE, "sender": SENDER, "tracking_prefix": "DM"}},
    }


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
    oms = OMS.open(
        url, disable_plugins=_other_plugins(), plugins=[DemoNotifications()], driver_config=demo_driver_config()
    )
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


@dataclasses.dataclass(frozen=True)
class DemoSale:
    """One order of the demo before it reaches the OMS: who buys what, where, and how it is paid and shipped."""

    i: int
    storefront: str  # the channel it comes through: shopify, woocommerce or csv
    person: str
    street: str
    city: str
    postcode: str
    country: str
    lines: tuple[tuple[str, int, Decimal, Decimal], ...]  # (sku, quantity, unit price, tax)
    shipping: Decimal
    shipping_tax: Decimal
    taxes_included: bool
    placed_at: dt.datetime
    card: bool  # pays by card (through stripe when installed), else by bank transfer or invoice
    company: str | None = None

    @property
    def goods(self) -> Decimal:
        return sum((price * qty for _, qty, price, _ in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((tax for *_, tax in self.lines), Decimal(0)) + self.shipping_tax

    @property
    def total(self) -> Decimal:
        return self.goods + self.shipping + (Decimal(0) if self.taxes_included else self.tax)

    @property
    def first_name(self) -> str:
        return self.person.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        return self.person.split(" ", 1)[-1]

    @property
    def email(self) -> str:
        return f"{self.first_name.lower()}.{self.i}@example.com"


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


class Demo:
    """A seeded, reproducible day of trading: catalogue, stock in two warehouses, orders through their life.

    Orders come in through the channel connectors when they are installed: Shopify and WooCommerce webhooks that
    the demo writes and signs as the shops would, and a wholesale CSV file. Card payments go through Stripe's
    sandbox, parcels through the table-rate carrier. A connector that is not installed is replaced by the direct
    way (``place_order``, the manual gateway, the flat-rate carrier), and the summary says so.
    """

    def __init__(self, oms: OMS, orders: int, seed: int) -> None:
        self.oms = oms
        self.orders = orders
        self.rng = random.Random(seed)
        self.seed = seed
        self.regular = [p for p in CATALOGUE if p[0] != SPLIT_SKU]
        self.prices = {sku: Decimal(price) for sku, _, price, _ in CATALOGUE}
        self.names = {sku: name for sku, name, _, _ in CATALOGUE}
        self.grams = {sku: grams for sku, _, _, grams in CATALOGUE}
        self.product_ids = {sku: 8_000 + n for n, (sku, *_) in enumerate(CATALOGUE)}  # the shops' own ids
        self.installed = {name: name in oms.driver_names(ns) for ns, name, _ in CONNECTORS}
        #: wholesale orders, imported as one file at the end of the day (none in a very small demo)
        self.b2b = orders // 15 if orders >= 30 else 0
        self.retail = orders - self.b2b
        self.opened = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=orders + 5)

    def setup(self) -> None:
        oms, rng = self.oms, self.rng
        oms.add_location("WH1", "Main warehouse", priority=1, postcode="10115", country="DE")
        oms.add_location("WH2", "Overflow warehouse", priority=2, postcode="04109", country="DE")
        # expected demand per SKU: orders x 1.7 lines x 1.5 units over the regular SKUs; WH1 alone runs short of
        # some SKUs (sourcing then moves to WH2), both together have enough
        demand = max(10, self.retail * 17 * 15 // (100 * len(self.regular)))
        wholesale = self.b2b * 25 * 8 // (10 * len(self.regular)) + 10 if self.b2b else 0
        with oms.transaction():
            for sku, name, _, grams in CATALOGUE:
                oms.add_product(sku, name, weight_grams=grams, low_stock_threshold=5)
            for sku, *_ in self.regular:
                oms.receive_stock(sku, "WH1", rng.randint(demand * 6 // 10, demand) + 5, reference="PO-1001")
                oms.receive_stock(
                    sku, "WH2", rng.randint(demand * 8 // 10, demand * 12 // 10) + 10, reference="PO-1002"
                )
                if wholesale:
                    oms.receive_stock(sku, "WH2", wholesale, reference="PO-1004")
            for loc, qty in SPLIT_STOCK.items():
                oms.receive_stock(SPLIT_SKU, loc, qty, reference="PO-1003")

    # -- the orders, as the shops send them

    def sale(self, i: int, lines: list[tuple[str, int]] | None = None) -> DemoSale:
        rng = self.rng
        if lines is None:
            n = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
            skus = rng.sample([p[0] for p in self.regular], n)
            lines = [(sku, rng.choices((1, 2, 3), weights=(6, 3, 1))[0]) for sku in skus]
        person = rng.choice(PEOPLE)
        city, postcode, country = rng.choice(CITIES)
        storefront = rng.choice(("shopify", "shopify", "shopify", "woocommerce"))
        street = f"{rng.randint(1, 99)} Market Street"
        card = rng.random() < 0.65
        priced = []
        for sku, qty in lines:
            price = self.prices[sku]
            priced.append((sku, qty, price, (price * qty * VAT / (1 + VAT)).quantize(CENT)))
        goods = sum((self.prices[sku] * qty for sku, qty in lines), Decimal(0))
        shipping = Decimal(0) if goods >= FREE_SHIPPING_FROM else SHIPPING
        return DemoSale(
            i, storefront, person, street, city, postcode, country, tuple(priced), shipping,
            (shipping * VAT / (1 + VAT)).quantize(CENT), True, self.opened + dt.timedelta(minutes=i), card,
        )  # fmt: skip

    def wholesale(self, i: int) -> DemoSale:
        rng = self.rng
        company, buyer, city, postcode, country = rng.choice(BUSINESSES)
        skus = rng.sample([p[0] for p in self.regular], rng.choice((2, 3)))
        priced = []
        for sku in skus:
            qty = rng.choice((4, 6, 8, 10, 12))
            net = (self.prices[sku] / (1 + VAT) * (1 - B2B_DISCOUNT)).quantize(CENT)
            priced.append((sku, qty, net, (net * qty * VAT).quantize(CENT)))
        street = f"{rng.randint(1, 99)} Harbour Road"
        return DemoSale(
            i, "csv", buyer, street, city, postcode, country, tuple(priced), B2B_SHIPPING,
            (B2B_SHIPPING * VAT).quantize(CENT), False, self.opened + dt.timedelta(minutes=i), False, company,
        )  # fmt: skip

    def external_id(self, sale: DemoSale) -> str:
        if not self.installed.get(sale.storefront):
            return f"{self.seed}-{sale.i:05d}"
        return {"shopify": str(5_820_172_000_000 + sale.i), "woocommerce": str(7_000 + sale.i)}.get(
            sale.storefront, f"PO-{self.seed}-{sale.i:05d}"
        )

    def _webhook_id(self, sale: DemoSale) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{SHOP_DOMAIN}/{self.seed}/{sale.i}"))

    def shopify_webhook(self, sale: DemoSale) -> tuple[bytes, dict[str, str]]:
        """An ``orders/create`` webhook as Shopify delivers it: the order JSON and its signed headers."""
        order_id = int(self.external_id(sale))
        local = sale.placed_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
        money = {"amount": _money(sale.total), "currency_code": "EUR"}
        address = {
            "first_name": sale.first_name, "last_name": sale.last_name, "name": sale.person, "company": None,
            "address1": sale.street, "address2": None, "city": sale.city, "zip": sale.postcode, "province": None,
            "province_code": None, "country_code": sale.country, "phone": None,
        }  # fmt: skip
        order = {
            "id": order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": f"#{1000 + sale.i}",
            "order_number": 1000 + sale.i,
            "email": sale.email,
            "contact_email": sale.email,
            "created_at": local.isoformat(),
            "processed_at": local.isoformat(),
            "updated_at": local.isoformat(),
            "currency": "EUR",
            "presentment_currency": "EUR",
            "taxes_included": True,
            "subtotal_price": _money(sale.goods),
            "total_line_items_price": _money(sale.goods),
            "total_discounts": "0.00",
            "total_tax": _money(sale.tax),
            "total_price": _money(sale.total),
            "total_price_set": {"shop_money": money, "presentment_money": money},
            "total_tip_received": "0.00",
            "financial_status": "pending",
            "fulfillment_status": None,
            "cancelled_at": None,
            "cancel_reason": None,
            "source_name": "web",
            "customer": {
                "id": 6_200_000_000 + sale.i,
                "email": sale.email,
                "first_name": sale.first_name,
                "last_name": sale.last_name,
                "phone": None,
            },
            "billing_address": address,
            "shipping_address": address,
            "line_items": [
                {
                    "id": 13_800_000_000_000 + sale.i * 10 + n,
                    "product_id": self.product_ids[sku],
                    "sku": sku,
                    "title": self.names[sku],
                    "name": self.names[sku],
                    "quantity": qty,
                    "price": _money(price),
                    "price_set": {"shop_money": {"amount": _money(price), "currency_code": "EUR"}},
                    "grams": self.grams[sku],
                    "requires_shipping": True,
                    "taxable": True,
                    "total_discount": "0.00",
                    "discount_allocations": [],
                    "tax_lines": [{"channel_liable": False, "price": _money(tax), "title": "MwSt"}],
                    "vendor": "Demo Tea & Coffee",
                }
                for n, (sku, qty, price, tax) in enumerate(sale.lines)
            ],
            "shipping_lines": [
                {
                    "id": 4_900_000_000 + sale.i,
                    "code": "Standard",
                    "title": "Standard",
                    "source": "shopify",
                    "price": _money(sale.shipping),
                    "discounted_price": _money(sale.shipping),
                    "discount_allocations": [],
                    "tax_lines": [{"channel_liable": False, "price": _money(sale.shipping_tax), "title": "MwSt"}],
                }
            ]
            if sale.shipping
            else [],
        }
        body = json.dumps(order, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        signature = payload.sign_hmac_sha256_base64(SHOPIFY_SECRET, body)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-API-Version": "2024-04",
            "X-Shopify-Webhook-Id": self._webhook_id(sale),
            "X-Shopify-Triggered-At": sale.placed_at.isoformat().replace("+00:00", "Z"),
        }
        return body, headers

    def woocommerce_webhook(self, sale: DemoSale) -> tuple[bytes, dict[str, str]]:
        """An ``order.created`` webhook as WooCommerce delivers it (prices include VAT, as in a German shop)."""
        order_id = int(self.external_id(sale))
        local = sale.placed_at.astimezone(dt.timezone(dt.timedelta(hours=1))).replace(tzinfo=None)
        gmt = sale.placed_at.replace(tzinfo=None)
        address = {
            "first_name": sale.first_name, "last_name": sale.last_name, "company": "", "address_1": sale.street,
            "address_2": "", "city": sale.city, "state": "", "postcode": sale.postcode, "country": sale.country,
        }  # fmt: skip
        line_items = []
        for n, (sku, qty, price, tax) in enumerate(sale.lines):
            net = _money(price * qty - tax)  # WooCommerce keeps line amounts without tax
            line_items.append(
                {
                    "id": 300 + sale.i * 10 + n,
                    "name": self.names[sku],
                    "product_id": self.product_ids[sku],
                    "variation_id": 0,
                    "quantity": qty,
                    "tax_class": "",
                    "subtotal": net,
                    "subtotal_tax": _money(tax),
                    "total": net,
                    "total_tax": _money(tax),
                    "taxes": [{"id": 1, "total": _money(tax), "subtotal": _money(tax)}],
                    "sku": sku,
                    "meta_data": [],
                }
            )
        shipping_net = _money(sale.shipping - sale.shipping_tax)
        order = {
            "id": order_id,
            "parent_id": 0,
            "number": str(order_id),
            "order_key": f"wc_order_{uuid.uuid5(uuid.NAMESPACE_URL, f'{WOO_SITE}{order_id}').hex[:13]}",
            "created_via": "checkout",
            "version": "8.9.1",
            "status": "processing",
            "currency": "EUR",
            "date_created": local.isoformat(),
            "date_created_gmt": gmt.isoformat(),
            "date_modified": local.isoformat(),
            "date_modified_gmt": gmt.isoformat(),
            "discount_total": "0.00",
            "discount_tax": "0.00",
            "shipping_total": shipping_net,
            "shipping_tax": _money(sale.shipping_tax),
            "cart_tax": _money(sale.tax - sale.shipping_tax),
            "total": _money(sale.total),
            "total_tax": _money(sale.tax),
            "prices_include_tax": True,
            "customer_id": 0,
            "customer_note": "",
            "billing": {**address, "email": sale.email, "phone": ""},
            "shipping": {**address, "phone": ""},
            "payment_method": "stripe" if sale.card else "bacs",
            "payment_method_title": "Credit card" if sale.card else "Direct bank transfer",
            "transaction_id": "",
            "line_items": line_items,
            "tax_lines": [
                {
                    "id": 1,
                    "rate_code": "DE-MWST-1",
                    "rate_id": 1,
                    "label": "MwSt.",
                    "compound": False,
                    "tax_total": _money(sale.tax - sale.shipping_tax),
                    "shipping_tax_total": _money(sale.shipping_tax),
                }
            ],
            "shipping_lines": [
                {
                    "id": 900 + sale.i,
                    "method_title": "Versand",
                    "method_id": "flat_rate",
                    "total": shipping_net,
                    "total_tax": _money(sale.shipping_tax),
                    "taxes": [{"id": 1, "total": _money(sale.shipping_tax), "subtotal": ""}],
                }
            ]
            if sale.shipping
            else [],
            "fee_lines": [],
            "coupon_lines": [],
            "refunds": [],
        }
        body = json.dumps(order, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        signature = payload.sign_hmac_sha256_base64(WOOCOMMERCE_SECRET, body)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
            "X-WC-Webhook-Source": WOO_SITE,
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-ID": "17",
            "X-WC-Webhook-Delivery-ID": str(10_000 + sale.i),
        }
        return body, headers

    def wholesale_file(self, sales: list[DemoSale]) -> bytes:
        """The wholesale customers' order file: one row per order line, the order's columns on every row."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for sale in sales:
            order = {
                "order_id": self.external_id(sale),
                "currency": "EUR",
                "customer_email": sale.email,
                "customer_name": sale.person,
                "ship_company": sale.company,
                "ship_name": sale.person,
                "ship_line1": sale.street,
                "ship_city": sale.city,
                "ship_postcode": sale.postcode,
                "ship_country": sale.country,
                "shipping": _money(sale.shipping),
                "shipping_tax": _money(sale.shipping_tax),
                "taxes_included": "false",
                "placed_at": sale.placed_at.isoformat(),
                "expected_total": _money(sale.total),
            }
            for sku, qty, price, tax in sale.lines:
                line = {"sku": sku, "quantity": qty, "unit_price": _money(price), "line_name": self.names[sku],
                        "line_tax": _money(tax)}  # fmt: skip
                writer.writerow({**order, **line})
        return out.getvalue().encode("utf-8")

    def draft(self, sale: DemoSale) -> OrderDraft:
        """The order as the OMS's own draft, for a channel whose connector is not installed."""
        return OrderDraft(
            channel=DIRECT_CHANNELS[sale.storefront],
            external_id=self.external_id(sale),
            currency="EUR",
            customer=Customer(email=sale.email, name=sale.person),
            shipping_address=Address(
                name=sale.person,
                line1=sale.street,
                city=sale.city,
                postcode=sale.postcode,
                country=sale.country,
                company=sale.company,
            ),
            lines=[LineDraft(sku, qty, price, name=self.names[sku], tax=tax) for sku, qty, price, tax in sale.lines],
            shipping=sale.shipping,
            shipping_tax=sale.shipping_tax,
            taxes_included=sale.taxes_included,
            placed_at=sale.placed_at,
        )

    def place(self, i: int, lines: list[tuple[str, int]] | None = None) -> tuple[Order, DemoSale]:
        """Take one web order: through its shop's connector (a signed webhook), or directly."""
        sale = self.sale(i, lines)
        if not self.installed[sale.storefront]:
            return self.oms.place_order(self.draft(sale)), sale
        body, headers = (self.shopify_webhook if sale.storefront == "shopify" else self.woocommerce_webhook)(sale)
        result = self.oms.import_orders(sale.storefront, body, headers)
        if result.errors:
            raise result.errors[0][2]
        return self.oms.find_order(sale.storefront, self.external_id(sale)), sale

    # -- paying and shipping

    def pay(self, order: Order, sale: DemoSale, method: str = "bank_transfer") -> None:
        if sale.card and self.installed["stripe"]:
            self.oms.pay(order.id, gateway="stripe", method="pm_card_visa")  # Stripe's test card
        else:
            self.oms.pay(order.id, gateway="manual", method="card" if sale.card else method)

    def carrier(self, sale: DemoSale) -> str | None:
        """Domestic parcels go with the shop's courier (tablerate), the others by post (the default, flat_rate)."""
        return "tablerate" if sale.country == "DE" and self.installed["tablerate"] else None

    def ship_all(self, order_id: int, sale: DemoSale) -> list[Shipment]:
        """Ship everything reserved, one shipment per location holding the reservations."""
        where = sorted({r.location for r in self.oms.reservations(order_id) if r.open_quantity > 0})
        return [self.oms.ship(order_id, location=loc, carrier=self.carrier(sale)) for loc in where]

    # -- the day

    def run(self, advance: Callable[[int], None]) -> None:
        for i, scenario in enumerate(self.scenarios()):
            scenario(i)
            advance(1)
        if self.b2b:
            self.wholesale_batch()
            advance(self.b2b)

    def scenarios(self) -> Iterator[Callable[[int], None]]:
        scripted = [self.split_shipment, self.held_and_released, self.returned]
        for i in range(self.retail):
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
                yield self.sold

    # one function per story an order can have

    def sold(self, i: int) -> None:
        oms = self.oms
        order, sale = self.place(i)
        oms.confirm_order(order.id)
        self.pay(order, sale)
        shipments = self.ship_all(order.id, sale)
        if self.rng.random() < 0.25:
            for shipment in shipments:
                oms.mark_delivered(shipment.id)

    def cancelled(self, i: int) -> None:
        oms = self.oms
        order, sale = self.place(i)
        oms.confirm_order(order.id)
        self.pay(order, sale)
        oms.cancel_order(order.id, "customer changed their mind")  # releases the stock, refunds the payment

    def partial_captures(self, i: int) -> None:
        oms = self.oms
        order, sale = self.place(i)
        oms.confirm_order(order.id)
        payment = oms.authorize_payment(order.id, gateway="manual", method="invoice")
        first = (payment.amount.amount / 2).quantize(CENT)
        oms.capture_payment(payment.id, first)
        self.ship_all(order.id, sale)
        oms.capture_payment(payment.id)  # the rest

    def awaiting_payment(self, i: int) -> None:
        order, sale = self.place(i)
        self.oms.confirm_order(order.id)
        if sale.card and self.installed["stripe"]:
            # Stripe's test card that is always declined: the failed attempt is on the order's timeline
            self.oms.authorize_payment(order.id, gateway="stripe", method="pm_card_visa_chargeDeclined")

    def pending(self, i: int) -> None:
        self.place(i)

    def returned(self, i: int) -> None:
        oms = self.oms
        order, sale = self.place(i)
        oms.confirm_order(order.id)
        self.pay(order, sale)
        shipments = self.ship_all(order.id, sale)
        if shipments:
            rma = oms.create_return(order.id, {shipments[0].lines[0].sku: 1}, "arrived damaged")
            oms.receive_return(rma.id)  # restocked where it was shipped from, and refunded

    def held_and_released(self, i: int) -> None:
        oms = self.oms
        order, sale = self.place(i, [("KETTLE", 3), ("GRINDER", 2)])
        oms.confirm_order(order.id)
        oms.hold_order(order.id, "fraud_review", "large first order: check the customer", by="ops@example.com")
        oms.release_hold(order.id, by="ops@example.com")
        self.pay(order, sale)
        self.ship_all(order.id, sale)

    def split_shipment(self, i: int) -> None:
        oms = self.oms
        order, sale = self.place(i, [(SPLIT_SKU, SPLIT_QTY)])
        oms.confirm_order(order.id)  # 3 reserved at WH1, 2 at WH2
        self.pay(order, sale)
        oms.ship(order.id, location="WH1", carrier=self.carrier(sale))
        oms.ship(order.id, location="WH2", carrier=self.carrier(sale))

    def wholesale_batch(self) -> None:
        """The wholesale customers' orders of the day, in one CSV file: imported, confirmed, invoiced, shipped."""
        oms = self.oms
        sales = [self.wholesale(self.retail + k) for k in range(self.b2b)]
        if self.installed["csv"]:
            result = oms.import_orders("csv", self.wholesale_file(sales), {"Content-Type": "text/csv"}, verify=False)
        else:
            result = oms.place_orders([self.draft(sale) for sale in sales])
        if result.errors:
            raise result.errors[0][2]
        channel = "csv" if self.installed["csv"] else DIRECT_CHANNELS["csv"]
        for sale in sales:
            order = oms.find_order(channel, self.external_id(sale))
            oms.confirm_order(order.id)
            oms.pay(order.id, gateway="manual", method="invoice")
            self.ship_all(order.id, sale)


#: the columns of the wholesale order file (the csv channel's standard column names)
CSV_COLUMNS = ("order_id", "currency", "customer_email", "customer_name", "ship_company", "ship_name", "ship_line1",
               "ship_city", "ship_postcode", "ship_country", "shipping", "shipping_tax", "taxes_included",
               "placed_at", "expected_total", "sku", "quantity", "unit_price", "line_name", "line_tax")  # fmt: skip


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
    """Create a catalogue and stock in two warehouses, then take orders from placement to shipment.

    Orders come through the installed connectors (Shopify and WooCommerce webhooks, a wholesale CSV file), cards
    are paid through Stripe's sandbox and parcels shipped by the table-rate carrier; what is not installed is done
    directly, and the summary says so.
    """
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
        run.run(lambda n: progress.advance(task, n))
    problems = oms.verify_stock()
    elapsed = time.perf_counter() - started
    console.print(_demo_summary(oms, run, problems, elapsed, url))
    console.print(_demo_connectors(run))
    for p in problems:
        console.print(f"[red]{escape(str(p))}[/]")
    console.print(
        f"Next: [bold]oms --database-url {escape(masked(url))} orders list[/], then "
        "[bold]orders show ID[/] to see an order's timeline."
    )
    if problems:
        ctx.exit(1)


def _demo_summary(oms: OMS, run: Demo, problems: list[Any], elapsed: float, url: str) -> Table:
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
    table.add_row("orders per channel", "")
    for channel, n in oms.order_counts("channel").items():
        table.add_row(f"  {channel}", str(n))
    table.add_row("payments per gateway", "attempts / captured")
    for gateway, n, captured in oms.payments_by_gateway():
        table.add_row(f"  {gateway}", f"{n} / {captured}")
    table.add_row("shipments per carrier", "")
    for carrier, n in oms.shipment_counts().items():
        table.add_row(f"  {carrier}", str(n))
    used = sum(run.installed.values())
    table.add_row("connectors used", f"{used} of {len(CONNECTORS)}" + ("" if used == len(CONNECTORS) else " (below)"))
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


def _demo_connectors(run: Demo) -> Table:
    table = Table(title="Connectors")
    for name in ("driver", "namespace", "in this demo"):
        table.add_column(name)
    for namespace, name, used_for in CONNECTORS:
        if run.installed[name]:
            table.add_row(cell(name), cell(namespace), cell(used_for))
        else:
            table.add_row(cell(name), cell(namespace), Text(f"not installed: {FALLBACKS[name]}", style="yellow"))
    return table


def main() -> None:
    cli(prog_name="oms")


if __name__ == "__main__":
    main()
