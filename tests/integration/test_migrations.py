"""The shipped migrations build exactly the tables that storage/tables.py declares, on each backend."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from oms_core.storage.migrate import current_revision, head_revision
from oms_core.storage.tables import Tables
from oms_core.testing.fixtures import PREFIX


def test_migrated_schema_matches_the_declared_tables(database):
    schema = database["schema"]
    with database["engine"].connect() as conn:
        assert current_revision(conn, PREFIX, schema) == head_revision()
        ctx = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": schema is not None,
                "include_name": lambda name, type_, parent: type_ != "schema" or name == schema,
                "version_table": f"{PREFIX}alembic_version",
                "version_table_schema": schema,
            },
        )
        diff = compare_metadata(ctx, Tables(PREFIX, schema).metadata)
    assert diff == []


def test_migrating_again_changes_nothing(make_oms):
    oms = make_oms()
    oms.migrate()
    current, head = oms.schema_revision()
    assert current == head
