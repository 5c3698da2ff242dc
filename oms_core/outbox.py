"""The outbox: events are stored in the use case's transaction and delivered to reaction hooks after commit.

Each event gets one *delivery* row per plugin that implements its reaction hook, written in the same
transaction. A delivery is claimed with a lease (``locked_until``), so any number of dispatchers — the inline one
after each commit, ``oms worker`` processes on other machines — can run at once: on PostgreSQL the claim uses
``FOR UPDATE SKIP LOCKED``; on SQLite the write lock serialises claims. A dispatcher that dies leaves its lease to
expire and the delivery is claimed again (at least once; handlers use ``event.id`` to act once).

A failing handler is retried with exponential back-off (``retry_base_seconds * 2 ** (attempt - 1)``, capped at
``retry_max_seconds``); after ``max_delivery_attempts`` the delivery is ``dead`` with its last error, until
``retry_dead`` puts it back. Committed state is never touched by a failing handler.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import traceback
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pluggy
import sqlalchemy as sa

from oms_core.domain.events import EVENT_NAMES, Event
from oms_core.domain.order import utcnow
from oms_core.plugins import call_impl, impls
from oms_core.storage.tables import Tables

if TYPE_CHECKING:
    from oms_core.app import OMS

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
DEFAULT_LEASE = dt.timedelta(seconds=300)


@attrs.frozen
class Delivery:
    id: int
    event_id: str
    event_name: str
    handler: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    order_id: int | None
    delivered_at: dt.datetime | None


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Subscribers:
    """Which plugins react to which event, computed once per OMS instance."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm
        self._cache: dict[str, list[str]] = {}

    def handlers(self) -> list[str]:
        """Every plugin of this instance that implements at least one reaction hook."""
        return sorted({name for event in EVENT_NAMES for name in self(event)})

    def __call__(self, event_name: str) -> list[str]:
        found = self._cache.get(event_name)
        if found is None:
            hook = getattr(self._pm.hook, event_name, None)
            found = [impl.plugin_name for impl in impls(self._pm, event_name)] if hook is not None else []
            self._cache[event_name] = found
        return found


def backoff(attempt: int, base: float, cap: float) -> dt.timedelta:
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))


def claim(
    conn: sa.Connection,
    t: Tables,
    worker: str,
    limit: int,
    lease: dt.timedelta = DEFAULT_LEASE,
    event_ids: Sequence[str] | None = None,
    handlers: Sequence[str] | None = None,
) -> list[Any]:
    """Claim up to ``limit`` due deliveries for ``worker``; each claim counts as an attempt.

    ``handlers`` limits the claim to the plugins this process has: a delivery for a plugin that another process
    (or another OMS instance on the same tables) has is left to it, instead of failing here until it is dead.
    """
    d = t.deliveries
    now = utcnow()
    due = (
        sa.select(d.c.id)
        .where(
            d.c.status == PENDING,
            d.c.next_attempt_at <= now,
            sa.or_(d.c.locked_until.is_(None), d.c.locked_until < now),
        )
        .order_by(d.c.id)
        .limit(limit)
    )
    if event_ids is not None:
        due = due.where(d.c.event_id.in_(list(event_ids)))
    if handlers is not None:
        due = due.where(d.c.handler.in_(list(handlers)))
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return conn.execute(
        sa.update(d)
        .where(d.c.id.in_(due.scalar_subquery()))
        .values(locked_by=worker, locked_until=now + lease, attempts=d.c.attempts + 1)
        .returning(d.c.id, d.c.event_id, d.c.handler, d.c.attempts)
    ).all()


def deliver_one(pm: pluggy.PluginManager, oms: OMS, event: Event, handler: str) -> None:
    """Call ``handler``'s implementation of the event's reaction hook."""
    for impl in impls(pm, event.name):
        if impl.plugin_name == handler:
            call_impl(pm, impl, event.name, {"event": event, "oms": oms})
            return
    raise LookupError(f"no plugin {handler!r} implementing {event.name} is installed")


def process(
    oms: OMS,
    *,
    worker: str | None = None,
    limit: int = 100,
    event_ids: Sequence[str] | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> int:
    """Claim and deliver one batch. Returns how many deliveries were attempted."""
    t, settings = oms.tables, oms.settings
    worker = worker or default_worker_id()
    with oms.engine.begin() as conn:
        claimed = claim(conn, t, worker, limit, lease, event_ids, oms._subscribers.handlers())
        if not claimed:
            return 0
        ev = t.events
        rows = conn.execute(sa.select(ev).where(ev.c.id.in_({c.event_id for c in claimed}))).all()
    events = {r.id: r for r in rows}
    results: list[dict[str, Any]] = []
    for c in claimed:
        r = events[c.event_id]
        event = Event(
            name=r.name, payload=r.payload, order_id=r.order_id, id=r.id, occurred_at=r.occurred_at, attempt=c.attempts
        )
        now = utcnow()
        try:
            deliver_one(oms.pm, oms, event, c.handler)
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()
            dead = c.attempts >= settings.max_delivery_attempts
            results.append(
                {
                    "_id": c.id,
                    "status": DEAD if dead else PENDING,
                    "last_error": error[:4000],
                    "next_attempt_at": now
                    + backoff(c.attempts, settings.retry_base_seconds, settings.retry_max_seconds),
                    "delivered_at": None,
                }
            )
        else:
            results.append(
                {"_id": c.id, "status": DELIVERED, "last_error": None, "next_attempt_at": now, "delivered_at": now}
            )
    d = t.deliveries
    with oms.engine.begin() as conn:
        conn.execute(
            sa.update(d)
            .where(d.c.id == sa.bindparam("_id"), d.c.locked_by == worker)
            .values(
                status=sa.bindparam("status"),
                last_error=sa.bindparam("last_error"),
                next_attempt_at=sa.bindparam("next_attempt_at"),
                delivered_at=sa.bindparam("delivered_at"),
                locked_by=None,
                locked_until=None,
            ),
            results,
        )
    return len(claimed)


def list_deliveries(conn: sa.Connection, t: Tables, status: str | None = None, limit: int = 100) -> list[Delivery]:
    d, e = t.deliveries, t.events
    q = (
        sa.select(d, e.c.name.label("event_name"), e.c.order_id)
        .join(e, e.c.id == d.c.event_id)
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    if status:
        q = q.where(d.c.status == status)
    return [
        Delivery(
            r.id,
            r.event_id,
            r.event_name,
            r.handler,
            r.status,
            r.attempts,
            r.next_attempt_at,
            r.last_error,
            r.order_id,
            r.delivered_at,
        )
        for r in conn.execute(q)
    ]


def counts(conn: sa.Connection, t: Tables) -> dict[str, int]:
    d = t.deliveries
    found = dict(conn.execute(sa.select(d.c.status, sa.func.count()).group_by(d.c.status)).all())
    events = conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar_one()
    return {
        "events": events,
        PENDING: found.get(PENDING, 0),
        DELIVERED: found.get(DELIVERED, 0),
        DEAD: found.get(DEAD, 0),
    }


def retry_dead(conn: sa.Connection, t: Tables, ids: Iterable[int] | None = None) -> int:
    """Put dead deliveries (all, or those with ``ids``) back in the queue with a fresh attempt count."""
    d = t.deliveries
    q = sa.update(d).where(d.c.status == DEAD)
    if ids is not None:
        q = q.where(d.c.id.in_(list(ids)))
    return conn.execute(
        q.values(status=PENDING, attempts=0, next_attempt_at=utcnow(), locked_by=None, locked_until=None)
    ).rowcount
