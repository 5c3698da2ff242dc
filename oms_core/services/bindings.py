"""External-id bindings between OMS records and the records of an ERP or CRM backend."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from oms_core.domain.bindings import Binding
from oms_core.domain.errors import ValidationError
from oms_core.storage.uow import UnitOfWork


def _key(backend: str, entity: str, value: Any, field: str) -> str:
    for name, given in (("backend", backend), ("entity", entity)):
        if not isinstance(given, str) or not given.strip():
            raise ValidationError("binding", name, "is required", given)
    if value is None or str(value).strip() == "":
        raise ValidationError("binding", field, "is required", value)
    return str(value)


def _from_row(r: Any) -> Binding:
    return Binding(r.backend, r.entity, r.local_id, r.remote_id, r.data or {}, r.created_at, r.updated_at)


def find(uow: UnitOfWork, backend: str, entity: str, *, local_id: Any = None, remote_id: Any = None) -> Binding | None:
    """The binding of ``local_id`` (or of ``remote_id``), or ``None``."""
    if (local_id is None) == (remote_id is None):
        raise ValidationError("binding", "local_id", "give either local_id or remote_id")
    b = uow.t.bindings
    column, value = (b.c.local_id, local_id) if local_id is not None else (b.c.remote_id, remote_id)
    row = uow.conn.execute(
        sa.select(b).where(
            b.c.backend == backend, b.c.entity == entity, column == _key(backend, entity, value, column.name)
        )
    ).first()
    return _from_row(row) if row else None


def bind(
    uow: UnitOfWork, backend: str, entity: str, local_id: Any, remote_id: Any, data: dict | None = None
) -> Binding:
    """Record that ``remote_id`` stands for ``local_id``. Binding the same pair again updates ``data``.

    A local record already bound to another remote record (or the reverse) is refused: call ``unbind`` first,
    which is the re-bind path when the remote record was deleted behind the OMS's back.
    """
    local = _key(backend, entity, local_id, "local_id")
    remote = _key(backend, entity, remote_id, "remote_id")
    b = uow.t.bindings
    existing = find(uow, backend, entity, local_id=local)
    if existing is not None:
        if existing.remote_id != remote:
            raise ValidationError(
                "binding", "local_id", f"{entity} {local} is bound to {backend} record {existing.remote_id}; "
                "unbind it first", local,
            )  # fmt: skip
        uow.conn.execute(
            sa.update(b)
            .where(b.c.backend == backend, b.c.entity == entity, b.c.local_id == local)
            .values(data=data or existing.data or None, updated_at=uow.now)
        )
        return Binding(backend, entity, local, remote, data or existing.data, existing.created_at, uow.now)
    other = find(uow, backend, entity, remote_id=remote)
    if other is not None:
        raise ValidationError(
            "binding", "remote_id", f"{backend} record {remote} already stands for {entity} {other.local_id}", remote
        )
    uow.conn.execute(
        sa.insert(b).values(backend=backend, entity=entity, local_id=local, remote_id=remote, data=data or None,
                            created_at=uow.now, updated_at=uow.now)
    )  # fmt: skip
    return Binding(backend, entity, local, remote, data or {}, uow.now, uow.now)


def unbind(uow: UnitOfWork, backend: str, entity: str, local_id: Any) -> bool:
    """Forget the binding of ``local_id``; the next export creates (or finds) the remote record again."""
    b = uow.t.bindings
    local = _key(backend, entity, local_id, "local_id")
    res = uow.conn.execute(sa.delete(b).where(b.c.backend == backend, b.c.entity == entity, b.c.local_id == local))
    return res.rowcount > 0


def list_bindings(uow: UnitOfWork, backend: str, entity: str | None = None) -> list[Binding]:
    b = uow.t.bindings
    q = sa.select(b).where(b.c.backend == backend).order_by(b.c.entity, b.c.local_id)
    if entity is not None:
        q = q.where(b.c.entity == entity)
    return [_from_row(r) for r in uow.conn.execute(q)]
