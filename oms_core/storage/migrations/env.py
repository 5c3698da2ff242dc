"""Alembic environment: runs on the connection the OMS hands in, with its table prefix and schema."""

from alembic import context

config = context.config
connection = config.attributes.get("connection")
prefix = config.attributes.get("oms_prefix", "")
schema = config.attributes.get("oms_schema")

if connection is None:
    raise RuntimeError("run migrations through `oms db upgrade` or OMS.migrate(), which pass a connection")

context.configure(
    connection=connection,
    version_table=f"{prefix}alembic_version",
    version_table_schema=schema,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations(prefix=prefix, schema=schema)
