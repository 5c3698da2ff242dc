"""Typed errors. Every error names what it is about, so a caller can act on it without parsing prose.

All errors derive from :class:`OMSError`. Errors about input carry ``entity``, ``field`` and ``reason``.
"""

from __future__ import annotations

from typing import Any


class OMSError(Exception):
    """Base of every error the OMS raises on purpose."""

    code = "oms_error"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self)}


class ValidationError(OMSError, ValueError):
    """Input that the OMS refuses. ``field`` is a dotted path such as ``lines[2].quantity``."""

    code = "invalid"

    def __init__(self, entity: str, field: str, reason: str, value: Any = None) -> None:
        self.entity = entity
        self.field = field
        self.reason = reason
        self.value = value
        super().__init__(f"{entity}.{field}: {reason}")

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "entity": self.entity, "field": self.field, "reason": self.reason}


class ValidationErrors(ValidationError):
    """Several problems found at once (for example every problem of one order draft)."""

    def __init__(self, errors: list[ValidationError]) -> None:
        if not errors:
            raise ValueError("ValidationErrors needs at least one error")
        self.errors = list(errors)
        first = errors[0]
        super().__init__(first.entity, first.field, first.reason, first.value)
        self.args = ("; ".join(str(e) for e in errors),)

    def __str__(self) -> str:
        return self.args[0]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self), "errors": [e.as_dict() for e in self.errors]}


class CurrencyMismatch(ValidationError):
    """Two amounts in different currencies were combined."""

    code = "currency_mismatch"


class NotFound(OMSError, LookupError):
    """An entity that does not exist was named."""

    code = "not_found"

    def __init__(self, entity: str, key: Any, field: str = "id") -> None:
        self.entity = entity
        self.key = key
        self.field = field
        super().__init__(f"{entity} with {field}={key!r} does not exist")


class InvalidTransition(OMSError):
    """A status change that the transition table does not allow, or that a rule vetoed."""

    code = "invalid_transition"

    def __init__(
        self,
        entity: str,
        field: str,
        current: str,
        target: str,
        reason: str | None = None,
        by: str | None = None,
        order_id: int | None = None,
    ) -> None:
        self.entity = entity
        self.order_id = order_id
        self.field = field
        self.current = current
        self.target = target
        self.reason = reason or f"{current} -> {target} is not an allowed transition"
        self.by = by
        who = f" (vetoed by {by})" if by else ""
        super().__init__(f"{entity}.{field}: cannot go from {current} to {target}: {self.reason}{who}")


class InsufficientStock(OMSError):
    """Not enough available stock to reserve, ship or transfer."""

    code = "insufficient_stock"

    def __init__(self, sku: str, location: str | None, requested: int, available: int) -> None:
        self.sku = sku
        self.location = location
        self.requested = requested
        self.available = available
        where = f" at {location}" if location else ""
        super().__init__(f"stock.{sku}: {requested} requested{where}, {available} available")


class ConcurrentUpdate(OMSError):
    """Another transaction changed the same order meanwhile; the use case can be retried as a whole."""

    code = "concurrent_update"


class DuplicateOrder(OMSError):
    """The same (channel, external id) arrived again with different content."""

    code = "duplicate_order"

    def __init__(self, channel: str, external_id: str, order_id: int, differences: list[str]) -> None:
        self.channel = channel
        self.external_id = external_id
        self.order_id = order_id
        self.differences = differences
        super().__init__(
            f"order {channel}/{external_id} exists as #{order_id} with different content: " + ", ".join(differences)
        )


class PaymentError(OMSError):
    """A payment operation that cannot be done (amount above what is authorized or captured, wrong state)."""

    code = "payment_error"

    def __init__(self, entity: str, field: str, reason: str) -> None:
        self.entity = entity
        self.field = field
        self.reason = reason
        super().__init__(f"{entity}.{field}: {reason}")


class GatewayError(OMSError):
    """A payment gateway, carrier or other driver failed (network, provider error)."""

    code = "gateway_error"

    def __init__(self, driver: str, reason: str) -> None:
        self.driver = driver
        self.reason = reason
        super().__init__(f"{driver}: {reason}")


class WebhookRejected(OMSError):
    """An inbound webhook failed authentication or could not be parsed."""

    code = "webhook_rejected"

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: webhook rejected: {reason}")


class HookFailed(OMSError):
    """A plugin's decision hook raised; the use case was rolled back."""

    code = "hook_failed"

    def __init__(self, plugin: str, hook: str, cause: BaseException) -> None:
        self.plugin = plugin
        self.hook = hook
        self.cause = cause
        super().__init__(f"plugin {plugin!r} failed in {hook}: {type(cause).__name__}: {cause}")


class RuleRejected(OMSError):
    """A plugin's validation rule refused the input."""

    code = "rule_rejected"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{plugin}: {msg}" for plugin, msg in problems))


class DriverNotFound(OMSError, LookupError):
    """No driver of that name is installed in that namespace."""

    code = "driver_not_found"

    def __init__(self, namespace: str, name: str, available: list[str]) -> None:
        self.namespace = namespace
        self.name = name
        self.available = available
        super().__init__(f"no {namespace} driver named {name!r}; installed: {', '.join(available) or 'none'}")


class ConfigurationError(OMSError):
    """The OMS was set up wrongly (bad URL, schema not migrated, conflicting options)."""

    code = "configuration_error"
