"""External-id bindings: which record of an ERP or CRM stands for which OMS record, per backend.

An adapter that creates a record on the other side binds it at once, and looks the binding up before it creates
anything, so retries and redeliveries never create a record twice. ``backend`` names one ERP instance (for
example ``"odoo:acme-prod"``); ``entity`` is what is bound (``"order"``, ``"customer"``, ``"product"``…).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs


@attrs.frozen
class Binding:
    backend: str
    entity: str
    local_id: str
    remote_id: str
    data: dict[str, Any] = attrs.field(factory=dict)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
