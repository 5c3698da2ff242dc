"""Schema migrations with Alembic, shipped in the package and aware of the table prefix and schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(prefix: str = "", schema: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["oms_prefix"] = prefix
    cfg.attributes["oms_schema"] = schema
    return cfg


def version_table(prefix: str) -> str:
    return f"{prefix}alembic_version"


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: sa.Connection, prefix: str = "", schema: str | None = None) -> str | None:
    ctx = MigrationContext.configure(
        conn, opts={"version_table": version_table(prefix), "version_table_schema": schema}
    )
    return ctx.get_current_revision()


def upgrade(conn: sa.Connection, prefix: str = "", schema: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision`` inside the caller's transaction on ``conn``."""
    if schema is not None and conn.dialect.name == "postgresql":
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    cfg = alembic_config(prefix, schema)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)
