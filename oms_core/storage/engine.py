"""Engines the OMS creates itself: SQLite tuned for an embedded store, PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from oms_core.domain.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option of a connection that only reads: on SQLite its transactions begin DEFERRED, not IMMEDIATE.
READ_ONLY = "oms_read_only"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_engine(url: str, *, sqlite_synchronous: str = "NORMAL", **kwargs: Any) -> sa.Engine:
    """Create an engine for ``url``.

    SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` for every transaction, so concurrent
    writers queue on the lock instead of failing on a stale snapshot. ``sqlite_synchronous`` is ``NORMAL``
    (durable up to the last checkpoint on power loss, never corrupt) or ``FULL`` (every commit synced).
    """
    url = normalise_url(url)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigurationError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError(f"sqlite_synchronous must be NORMAL or FULL, not {sqlite_synchronous!r}")
        engine = sa.create_engine(url, **kwargs)
        configure_sqlite(engine, sqlite_synchronous.upper())
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(url, **kwargs)
    raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def configure_sqlite(engine: sa.Engine, synchronous: str = "NORMAL") -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # a writer takes the write lock at once (IMMEDIATE), so it queues instead of failing on a stale snapshot;
        # a reader (READ_ONLY) begins DEFERRED and reads its WAL snapshot without waiting for any writer
        mode = "DEFERRED" if conn.get_execution_options().get(READ_ONLY) else "IMMEDIATE"
        # on the driver itself: SQLAlchemy's statement machinery would cost more than the BEGIN
        conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]
