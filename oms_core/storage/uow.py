"""The unit of work: one transaction per use case, rolled back unless committed.

Rows that a use case only appends (timeline entries, stock ledger rows, events and their deliveries) are buffered
and written with one ``executemany`` each at commit, inside the same transaction. Events are stored only when a
reaction handler subscribes to them (one delivery row per handler); nobody could receive the others.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from oms_core.domain.errors import ConfigurationError
from oms_core.domain.events import Event
from oms_core.domain.order import utcnow
from oms_core.storage import prepared
from oms_core.storage.prepared import Outcome
from oms_core.storage.tables import Tables


def _check_driver_transaction(conn: sa.Connection) -> None:
    """Refuse to join a host's SQLite transaction that the driver has not really begun.

    With the sqlite3 driver's default settings SQLAlchemy's ``begin()`` emits nothing: the driver begins only
    before the first INSERT, UPDATE or DELETE. A ``SAVEPOINT`` issued before that opens a transaction of its own,
    and its ``RELEASE`` commits it, so the host's rollback would not undo the OMS writes. Fail instead.
    """
    if conn.dialect.name != "sqlite":
        return
    if getattr(conn.connection.driver_connection, "in_transaction", True):
        return
    raise ConfigurationError(
        "the host's SQLite connection is in a SQLAlchemy transaction that the sqlite3 driver has not begun, so "
        "OMS writes could not roll back with it; create the host engine with isolation_level=None on the driver "
        "connection and a 'begin' event listener that emits BEGIN (see docs/embedding.md)"
    )


class UnitOfWork:
    """Holds the connection and transaction of one use case.

    ``subscribers(event_name)`` tells which reaction handlers get a delivery row for an event.
    """

    def __init__(
        self,
        conn: sa.Connection,
        tables: Tables,
        subscribers: Callable[[str], list[str]],
        *,
        owns_connection: bool,
        release: Callable[[sa.Connection], None] | None = None,
    ) -> None:
        self.conn = conn
        self._release = release or sa.Connection.close
        self.t = tables
        self._subscribers = subscribers
        self._owns = owns_connection
        self.now = utcnow()
        self.events: list[Event] = []
        self._timeline: list[dict[str, Any]] = []
        self._ledger: list[dict[str, Any]] = []
        self._events_stored = 0
        self._tx: sa.Transaction | None = None
        self.committed = False

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def begin(self) -> UnitOfWork:
        if self._owns:
            self._tx = self.conn.begin()
        else:
            # the host's connection: join its transaction through a savepoint, so that a failed use case
            # rolls back alone and a successful one commits (or not) with the host
            if self.conn.in_transaction():
                _check_driver_transaction(self.conn)
                self._tx = self.conn.begin_nested()
            else:
                self._tx = self.conn.begin()
        return self

    def __enter__(self) -> UnitOfWork:
        return self.begin()

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.committed and self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._owns:
                self._release(self.conn)  # closed, or kept for the next use case

    # -- prepared statements on the driver cursor (hot paths) ----------------------------------------------------

    def run(
        self, key: Hashable, build: Callable[[Tables], Any], params: Mapping[str, Any], *, columns: bool = False
    ) -> Outcome:
        """Execute the statement ``build`` makes (once) with ``params`` on this transaction's driver cursor."""
        return prepared.execute(self.conn, self.t, key, build, params, columns=columns)

    def run_many(self, key: Hashable, build: Callable[[Tables], Any], rows: Sequence[Mapping[str, Any]],
                 *, columns: bool = False) -> int:  # fmt: skip
        """``executemany`` of the statement ``build`` makes over ``rows`` (all with the same keys)."""
        return prepared.execute_many(self.conn, self.t, key, build, rows, columns=columns)

    # -- buffered appends ---------------------------------------------------------------------------------------

    def timeline(
        self, order_id: int, kind: str, message: str, source: str = "oms", data: dict[str, Any] | None = None
    ) -> None:
        self._timeline.append(
            {"order_id": order_id, "at": self.now, "kind": kind, "message": message, "source": source, "data": data}
        )

    def ledger(
        self, sku: str, location: str, delta: int, reason: str, reference: str | None, note: str | None = None
    ) -> None:
        self._ledger.append(
            {
                "sku": sku,
                "location": location,
                "delta": delta,
                "reason": str(reason),
                "reference": reference,
                "note": note,
                "at": self.now,
            }
        )

    def emit(self, name: str, payload: dict[str, Any], order_id: int | None = None) -> Event | None:
        """Record an event for the outbox; ``None`` when no reaction handler subscribes (nothing is stored)."""
        if not self._subscribers(name):
            return None
        event = Event(name=name, payload=payload, order_id=order_id, occurred_at=self.now)
        self.events.append(event)
        return event

    def flush(self) -> None:
        """Write the buffered rows now (they are also written by ``commit``)."""
        if self._timeline:
            self.run_many("insert_timeline", lambda t: t.timeline.insert(), self._timeline, columns=True)
            self._timeline = []
        if self._ledger:
            self.run_many("insert_ledger", lambda t: t.stock_ledger.insert(), self._ledger, columns=True)
            self._ledger = []
        # the outbox holds what is to be delivered: ``emit`` keeps only events a reaction handler subscribes to
        # (the order timeline and the stock ledger are the history; a relay that wants every event subscribes)
        pending = [(e, self._subscribers(e.name)) for e in self.events[self._events_stored :]]
        self._events_stored = len(self.events)
        if pending:
            self.run_many(
                "insert_events",
                lambda t: t.events.insert(),
                [
                    {
                        "id": e.id,
                        "name": e.name,
                        "order_id": e.order_id,
                        "payload": e.payload,
                        "occurred_at": e.occurred_at,
                    }
                    for e, _ in pending
                ],
                columns=True,
            )
            deliveries = [
                {"event_id": e.id, "handler": h, "status": "pending", "attempts": 0, "next_attempt_at": self.now}
                for e, handlers in pending
                for h in handlers
            ]
            self.run_many("insert_deliveries", lambda t: t.deliveries.insert(), deliveries, columns=True)

    def commit(self) -> None:
        self.flush()
        assert self._tx is not None
        self._tx.commit()
        self.committed = True
