"""The one door to Odoo: ``OdooTransport.call(model, method, *args, **kwargs)`` and ``version()``.

Everything the adapter asks Odoo goes through :meth:`OdooTransport.call`, which is Odoo's documented
``execute_kw(db, uid, password, model, method, args, kwargs)`` of the ``object`` service. Records are read with
``search_read``/``read`` and explicit field lists, never browsed, so the adapter works with any model whatever
fields custom modules add. A transport for Odoo 19's JSON-2 API (``POST /json/2/<model>/<method>``) can replace
:class:`OdooRPCTransport` without touching the adapter.

Errors are translated here, once:

* the network failed or timed out → :class:`OdooUnavailable` (a reaction that meets it is retried later);
* Odoo refused the credentials (``uid`` false at login, or an ``odoo.exceptions.AccessDenied`` fault) →
  :class:`~oms_core.ConfigurationError`;
* Odoo answered with a fault → :class:`OdooError` carrying Odoo's exception name and message
  (``odoo.exceptions.MissingError`` → :class:`OdooMissingRecord`).
"""

from __future__ import annotations

import abc
import http.client
import json
import socket
import urllib.error
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs

from oms_core import ConfigurationError, OMSError


class OdooError(OMSError):
    """Odoo answered a call with a fault. ``name`` is Odoo's exception (``odoo.exceptions.UserError``)."""

    code = "odoo_error"

    def __init__(self, message: str, *, name: str | None = None, model: str | None = None, method: str | None = None):
        self.name = name
        self.model = model
        self.method = method
        where = f"{model}.{method}" if model and method else "the call"
        super().__init__(f"Odoo refused {where}: {name + ': ' if name else ''}{message}")
        self.odoo_message = message


class OdooMissingRecord(OdooError):
    """A record the OMS refers to does not exist in Odoo (any more)."""

    code = "odoo_missing_record"


class OdooUnavailable(OMSError):
    """Odoo could not be reached, or did not answer within the configured timeout."""

    code = "odoo_unavailable"


@attrs.frozen
class OdooVersion:
    """The server's version as ``common.version`` reports it (``server_version_info``).

    The field names that differ between versions are decided here, and only here:

    * storable products: ``detailed_type = 'product'`` up to 17.0; from 17.3 (so in 18) ``type = 'consu'`` with
      ``is_storable = True``;
    * done quantity of a stock move: ``quantity_done`` up to 16; ``quantity`` from 17;
    * sale order lock: the state ``done`` up to 16; the boolean ``locked`` from 17 (the state ``done`` is gone).
    """

    major: int
    minor: int = 0
    label: str = ""

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> OdooVersion:
        raw = info.get("server_version_info") or []
        label = str(info.get("server_version") or "")
        try:
            first = raw[0]
            major = int(str(first).rsplit("~", 1)[-1])  # "saas~17" on Odoo Online's intermediate versions
            minor = int(raw[1]) if len(raw) > 1 else 0
        except (IndexError, TypeError, ValueError):
            try:
                major, minor = (int(x) for x in label.rsplit("~", 1)[-1].split(".")[:2])
            except ValueError:
                raise ConfigurationError(f"cannot tell the Odoo version from {dict(info)!r}") from None
        return cls(major, minor, label or f"{major}.{minor}")

    @property
    def has_is_storable(self) -> bool:
        return (self.major, self.minor) >= (17, 3)

    def storable_domain(self) -> list[Any]:
        if self.has_is_storable:
            return [("type", "=", "consu"), ("is_storable", "=", True)]
        return [("detailed_type", "=", "product")]

    def storable_values(self) -> dict[str, Any]:
        """What makes a new product storable, for ``product.product.create``."""
        if self.has_is_storable:
            return {"type": "consu", "is_storable": True}
        return {"detailed_type": "product"}

    @property
    def move_quantity_field(self) -> str:
        return "quantity" if self.major >= 17 else "quantity_done"

    @property
    def has_locked_flag(self) -> bool:
        return self.major >= 17

    def __str__(self) -> str:
        return self.label


class OdooTransport(abc.ABC):
    """How the adapter talks to Odoo: one method call, and the server's version."""

    @abc.abstractmethod
    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` of ``model`` with positional ``args`` and keyword ``kwargs`` (``execute_kw``)."""

    @abc.abstractmethod
    def version(self) -> Mapping[str, Any]:
        """``common.version``: at least ``server_version`` and ``server_version_info``."""

    def close(self) -> None:  # noqa: B027 - optional
        """Release connections, if any."""


_NETWORK_ERRORS = (
    urllib.error.URLError,
    TimeoutError,
    socket.timeout,
    ConnectionError,
    http.client.HTTPException,
    json.JSONDecodeError,
    OSError,
)


def parse_url(url: str) -> tuple[str, str, int]:
    """``(host, odoorpc protocol, port)`` of ``http(s)://host[:port]``."""
    parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"odoo: url must be http(s)://host[:port], not {url!r}")
    if parts.path not in ("", "/"):
        raise ConfigurationError(f"odoo: url must not have a path ({url!r}); Odoo serves /jsonrpc at its root")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 80)
    return parts.hostname, "jsonrpc+ssl" if ssl else "jsonrpc", port


class OdooRPCTransport(OdooTransport):
    """JSON-RPC through odoorpc: ``ODOO(host, protocol='jsonrpc', port=...)``, ``login``, then ``execute_kw``.

    Nothing is sent before the first call. The login happens once; a later ``AccessDenied`` (the password was
    changed) is reported as a :class:`~oms_core.ConfigurationError` like a failed login.
    """

    def __init__(self, url: str, db: str, user: str, password: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.host, self.protocol, self.port = parse_url(url)
        self.db, self.user, self._password = db, user, password
        self.timeout = float(timeout)
        self._odoo: Any = None

    def _connect(self) -> Any:
        if self._odoo is not None:
            return self._odoo
        import odoorpc

        try:
            odoo = odoorpc.ODOO(self.host, protocol=self.protocol, port=self.port, timeout=self.timeout)
            odoo.login(self.db, self.user, self._password)
        except odoorpc.error.RPCError as exc:
            raise self._translate(exc, None, "login") from None
        except odoorpc.error.InternalError as exc:
            raise OdooUnavailable(f"Odoo at {self.url}: {exc}") from None
        except _NETWORK_ERRORS as exc:
            raise self._unavailable(exc) from None
        self._odoo = odoo
        return odoo

    def _unavailable(self, exc: BaseException) -> OdooUnavailable:
        reason = getattr(exc, "reason", None) or exc
        return OdooUnavailable(
            f"Odoo at {self.url} did not answer ({type(exc).__name__}: {reason}); timeout {self.timeout:g} s"
        )

    def _translate(self, exc: Any, model: str | None, method: str) -> OMSError:
        info = exc.info if isinstance(getattr(exc, "info", None), dict) else {}
        data = info.get("data") if isinstance(info.get("data"), dict) else {}
        name = data.get("name") or ""
        message = data.get("message") or str(getattr(exc, "message", "") or exc)
        if name.endswith("AccessDenied") or method == "login":
            return ConfigurationError(
                f"odoo: {self.url} database {self.db!r} refused the login {self.user!r}: "
                f"{name + ': ' if name else ''}{message or 'wrong login or password'}; "
                "check db, user and password (or API key)"
            )
        if name.endswith("MissingError"):
            return OdooMissingRecord(message, name=name, model=model, method=method)
        return OdooError(message, name=name or None, model=model, method=method)

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        import odoorpc

        odoo = self._connect()
        try:
            return odoo.execute_kw(model, method, list(args), kwargs)
        except odoorpc.error.RPCError as exc:
            raise self._translate(exc, model, method) from None
        except _NETWORK_ERRORS as exc:
            raise self._unavailable(exc) from None

    def version(self) -> Mapping[str, Any]:
        import odoorpc

        odoo = self._connect()
        try:
            return odoo.json("/jsonrpc", {"service": "common", "method": "version", "args": []})["result"]
        except odoorpc.error.RPCError as exc:
            raise self._translate(exc, None, "version") from None
        except _NETWORK_ERRORS as exc:
            raise self._unavailable(exc) from None

    def close(self) -> None:
        self._odoo = None
