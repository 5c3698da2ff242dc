"""How the adapter reaches Tryton: proteus on the ``trytond`` package, in this process, on one database.

``database_uri`` names the database the way SQLAlchemy does:

* ``sqlite:///relative/path/NAME.sqlite`` or ``sqlite:////absolute/path/NAME.sqlite`` (Tryton names its SQLite
  files ``NAME.sqlite`` in one directory, its ``database.path``);
* ``postgresql://user:password@host:5432/NAME``.

trytond keeps its configuration for the whole process: the backend (SQLite or PostgreSQL) is chosen once, and so are
the SQLite directory and the PostgreSQL server. Several adapters in one process can reach several databases of that
one backend and place (one directory, one server); asking for another is refused with :class:`ConfigurationError`
rather than silently reaching the wrong database.

Nothing here is imported before an adapter connects: installing the adapter costs an OMS that does not use it
nothing.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import sys
import threading
import urllib.parse
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from oms_core import ConfigurationError, OMSError

_LOCK = threading.Lock()
#: the place this process's Tryton databases live, once an adapter connected: ("sqlite", directory) or
#: ("postgresql", server URI)
_PLACE: tuple[str, str] | None = None


class TrytonError(OMSError):
    """Tryton refused or failed a call. The message says what the adapter was doing and what Tryton said."""

    code = "tryton_error"


class TrytonUnavailable(TrytonError):
    """Tryton could not be reached (database missing or locked, server down). Retrying later may succeed."""

    code = "tryton_unavailable"


class RemoteRecordMissing(TrytonError):
    """A bound Tryton record no longer exists: someone deleted it behind the OMS's back."""

    code = "tryton_record_missing"


class CancelRefused(TrytonError):
    """Tryton cannot cancel the sale any more (it is being shipped or is done); a person has to decide."""

    code = "tryton_cancel_refused"


@attrs.frozen
class Target:
    """A parsed ``database_uri``."""

    scheme: str  # "sqlite" or "postgresql"
    server_uri: str  # trytond's database.uri: the server without a database name
    database: str  # the database name
    directory: str | None  # SQLite: the directory of NAME.sqlite
    display: str  # the URI without its password, for messages

    @property
    def place(self) -> tuple[str, str]:
        return (self.scheme, self.directory or self.server_uri)


def parse_database_uri(uri: str) -> Target:
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigurationError("tryton adapter: database_uri is required (sqlite:///path/NAME.sqlite or "
                                 "postgresql://user@host/NAME)")  # fmt: skip
    uri = uri.strip()
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme == "sqlite":
        raw = uri[len("sqlite:///") :] if uri.startswith("sqlite:///") else ""
        if not raw:
            raise ConfigurationError(
                f"tryton adapter: {uri!r} names no file; use sqlite:///path/NAME.sqlite or sqlite:////abs/NAME.sqlite"
            )
        path = Path(raw).expanduser().resolve()
        if path.suffix != ".sqlite":
            raise ConfigurationError(
                f"tryton adapter: {uri!r}: Tryton names its SQLite databases NAME.sqlite; give the file's full name"
            )
        return Target("sqlite", "sqlite://", path.stem, str(path.parent), uri)
    if parsed.scheme in ("postgresql", "postgres"):
        name = parsed.path.strip("/")
        if not name:
            raise ConfigurationError(f"tryton adapter: {uri!r} names no database (postgresql://user@host/NAME)")
        server = urllib.parse.urlunsplit(parsed._replace(scheme="postgresql", path="/", query=""))
        shown = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
        return Target("postgresql", server, name, None, urllib.parse.urlunsplit(shown))
    raise ConfigurationError(
        f"tryton adapter: unsupported database_uri scheme {parsed.scheme!r}; use sqlite:///... or postgresql://..."
    )


def _prepare_trytond(target: Target) -> None:
    """Point trytond's process-wide configuration at the target's backend and place, or refuse."""
    global _PLACE
    import trytond.config as tconfig

    if "trytond.backend" in sys.modules:
        from trytond import backend

        if backend.name != target.scheme:
            raise ConfigurationError(
                f"tryton adapter: this process already reaches Tryton on {backend.name}; it cannot also open "
                f"{target.display} (one backend per process)"
            )
    if _PLACE is not None and target.place != _PLACE:
        raise ConfigurationError(
            f"tryton adapter: this process already reaches Tryton databases in {_PLACE[1]}; it cannot also open "
            f"{target.display} (one SQLite directory or PostgreSQL server per process)"
        )
    if target.scheme == "sqlite":
        file = Path(target.directory or ".") / f"{target.database}.sqlite"
        if not file.is_file():
            raise ConfigurationError(f"tryton adapter: there is no Tryton database at {file} ({target.display})")
        tconfig.set("database", "path", target.directory)
    tconfig.set("database", "uri", target.server_uri)
    _PLACE = target.place


def connect(target: Target, user: str) -> Any:
    """A proteus configuration for ``user`` on the target database, or :class:`ConfigurationError` saying why not."""
    with _LOCK:
        _prepare_trytond(target)
        try:
            return _config_class()(target, user)
        except OMSError:
            raise
        except Exception as exc:
            raise ConfigurationError(
                f"tryton adapter: cannot open the Tryton database {target.display}: {describe(exc)}"
            ) from exc


@functools.cache
def _config_class() -> type:
    from proteus.config import Config, TrytondConfig

    class InProcessConfig(TrytondConfig):
        """proteus's ``TrytondConfig`` without its side effects on the environment and without re-loading a pool
        that this process already loaded (``set_trytond`` re-initialises the pool on every call)."""

        def __init__(self, target: Target, user: str) -> None:
            Config.__init__(self)
            from trytond.pool import Pool
            from trytond.transaction import Transaction

            self.database = target.display
            self.database_name = target.database
            self._user = user
            self.config_file = None
            self.skip_warning = False
            if not Pool._started:
                Pool.start()
            loaded = target.database in Pool.database_list()  # before Pool(...), which adds the name
            self.pool = Pool(target.database)
            if not loaded:
                self.pool.init()
            with Transaction().start(self.database_name, 0, readonly=True) as transaction:
                User = self.pool.get("res.user")
                transaction.context = self.context
                with transaction.set_context(active_test=False):
                    found = User.search([("login", "=", user)], limit=1)
                if not found:
                    raise ConfigurationError(f"tryton adapter: {target.display} has no user {user!r}")
                if not found[0].active:
                    raise ConfigurationError(f"tryton adapter: the Tryton user {user!r} is deactivated")
                self.user = found[0].id
                with transaction.set_user(self.user):
                    self._context = User.get_preferences(context_only=True)

    return InProcessConfig


def describe(exc: BaseException) -> str:
    """Tryton's own words for an error: a user error's message, a fault's string, else the exception."""
    message = getattr(exc, "message", None)
    if isinstance(exc, xmlrpc.client.Fault):
        message = exc.faultString
    text = " ".join(str(message or exc).split())
    return f"{type(exc).__name__}: {text}" if not message else text


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | xmlrpc.client.ProtocolError | sqlite3.OperationalError):
        return True
    name = type(exc).__name__
    return name in {"DatabaseOperationalError", "OperationalError", "DatabaseTimeoutError", "InterfaceError"}


def _from_tryton(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by Tryton's code (trytond, proteus) or its database driver."""
    if type(exc).__module__.split(".")[0] in ("trytond", "proteus", "sqlite3", "xmlrpc", "psycopg2"):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").split(".")[0] in ("trytond", "proteus"):
            return True
        tb = tb.tb_next
    return False


@contextlib.contextmanager
def calling(doing: str, where: str) -> Iterator[None]:
    """Turn what a Tryton call raises into :class:`TrytonUnavailable` or :class:`TrytonError` saying what failed."""
    try:
        yield
    except OMSError:
        raise
    except Exception as exc:
        if not _from_tryton(exc):
            raise  # the OMS's own calls in between (its database, a crash) are not Tryton's doing
        if _unavailable(exc):
            raise TrytonUnavailable(f"Tryton ({where}) is unavailable while {doing}: {describe(exc)}") from exc
        raise TrytonError(f"Tryton ({where}) refused {doing}: {describe(exc)}") from exc
