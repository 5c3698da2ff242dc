"""External-id bindings: which record of an ERP or CRM backend stands for which OMS record.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from oms_core.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(prefix: str = "", schema: str | None = None) -> None:
    p = prefix
    op.create_table(
        f"{p}bindings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("local_id", sa.String(length=128), nullable=False),
        sa.Column("remote_id", sa.String(length=128), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("backend", "entity", "local_id", name=f"uq_{p}bindings_local"),
        sa.UniqueConstraint("backend", "entity", "remote_id", name=f"uq_{p}bindings_remote"),
        schema=schema,
    )


def downgrade(prefix: str = "", schema: str | None = None) -> None:
    op.drop_table(f"{prefix}bindings", schema=schema)
