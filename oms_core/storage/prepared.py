"""Prepared statements for the hot paths: a Core statement compiled once, run on the DB-API cursor.

SQLAlchemy's execution layer costs tens of microseconds per statement (cache look-up, execution context, result
set-up) where the driver itself needs a few. The statements the order pipeline runs for every order are
therefore compiled once per dialect and parameter set, and executed directly on the driver cursor of the unit of
work's own connection — inside the same transaction. The SQL is still written with SQLAlchemy Core (so prefixes,
schemas and dialects are honoured) and values still go through SQLAlchemy's own bind and result processors (exact
amounts, UTC times, JSON), so what is stored is byte for byte what the Core path stores.

One difference remains: an error the database raises here (a constraint, a lock) surfaces as the driver's own
exception (``sqlite3`` / ``psycopg``), not wrapped in ``sqlalchemy.exc``. The use cases check everything before they
write, so such an error means a bug or a broken database; it rolls the use case back like any other.
"""

from __future__ import annotations

import collections
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from oms_core.storage.types import UTCDateTime

Processor = Callable[[Any], Any] | None
_REPEATED_VALUE_TYPES = (UTCDateTime,)


def _last_value_memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` remembering its last argument and result, by identity.

    A use case binds its one ``uow.now`` to every time column it writes, so converting it once is enough. Only for
    immutable values (times): a mutable one could have changed since.
    """
    last: list[tuple[Any, Any]] = [(object(), None)]  # one (value, result) pair, replaced whole: thread-safe

    def memo(value: Any) -> Any:
        seen, result = last[0]
        if value is seen:
            return result
        result = process(value)
        last[0] = (value, result)
        return result

    return memo


_MEMOS: weakref.WeakKeyDictionary[sa.Dialect, dict[type, Callable[[Any], Any]]] = weakref.WeakKeyDictionary()


def _shared_memo(dialect: sa.Dialect, type_: Any, process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """One :func:`_last_value_memo` per dialect and column type, shared by every statement: the use case's one
    ``uow.now`` is then converted once, not once per statement that writes a time."""
    memos = _MEMOS.setdefault(dialect, {})
    found = memos.get(type(type_))
    if found is None:
        found = memos[type(type_)] = _last_value_memo(process)
    return found


class Prepared:
    """One statement for one dialect and one set of parameter names."""

    __slots__ = ("_row", "args", "named", "returns", "row_type", "sql")

    def __init__(self, stmt: sa.Executable, dialect: sa.Dialect, keys: Sequence[str] | None = None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.returns = is_returning(stmt)
        if compiled.positional:
            names = list(compiled.positiontup or ())
        else:
            names = list(dict.fromkeys(compiled.bind_names.values()))
        processors = dict(compiled._bind_processors)
        for bind, name in compiled.bind_names.items():
            if name in processors and isinstance(bind.type, _REPEATED_VALUE_TYPES):
                processors[name] = _shared_memo(dialect, bind.type, processors[name])
        self.sql: str = compiled.string
        self.named = not compiled.positional
        # values fixed in the statement itself (literals SQLAlchemy turned into anonymous parameters)
        defaults = {
            name: bp.effective_value for bp, name in compiled.bind_names.items() if bp.value is not None or bp.callable
        }
        # (name, processor, default) per parameter, in the order the driver wants them
        plan: list[tuple[str, Processor, Any]] = [(n, processors.get(n), defaults.get(n)) for n in names]
        # a named paramstyle spells some names differently in the SQL (pyformat escapes quotes, dots, brackets...)
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        self.args: Callable[[Mapping[str, Any]], Any] = _args_function(plan, self.named, escaped)
        columns = getattr(compiled, "_result_columns", [])
        results: list[Processor] = [col[3]._cached_result_processor(dialect, None) for col in columns]
        self.row_type = collections.namedtuple("Row", [col[0] for col in columns], rename=True) if columns else tuple
        self._row = _row_function(results, self.row_type) if columns else tuple

    def row(self, raw: Sequence[Any] | None) -> Any:
        """A result row with SQLAlchemy's result processing applied, its columns readable by name."""
        return None if raw is None else self._row(raw)


def _args_function(
    plan: Sequence[tuple[str, Processor, Any]], named: bool, escaped: Mapping[str, str]
) -> Callable[[Mapping[str, Any]], Any]:
    """``args(params)``: the driver's parameters (a list, or a dict for a named paramstyle) from ``params``, each
    value through its bind processor; a missing one is the statement's own default. Generated once per statement
    (as ``attrs`` and ``namedtuple`` generate their methods): a loop over the plan costs twice as much per call.
    """
    env: dict[str, Any] = {}
    values = []
    for i, (name, process, default) in enumerate(plan):
        env[f"d{i}"] = default
        value = f"get({name!r}, d{i})"
        if process is not None:  # None too goes through it: JSON stores None as 'null'
            env[f"p{i}"] = process
            value = f"p{i}({value})"
        values.append(f"{escaped.get(name, name)!r}: {value}" if named else value)
    body = "{" + ", ".join(values) + "}" if named else "[" + ", ".join(values) + "]"
    exec(f"def args(params):\n    get = params.get\n    return {body}\n", env)  # the names are repr()-quoted
    return env["args"]  # type: ignore[no-any-return]


def _row_function(results: Sequence[Processor], row_type: Any) -> Callable[[Sequence[Any]], Any]:
    """``row(raw)``: ``row_type`` of the raw values, each non-NULL one through its result processor (generated
    once per statement, see :func:`_args_function`)."""
    env: dict[str, Any] = {"new": tuple.__new__, "Row": row_type}
    values = []
    for i, process in enumerate(results):
        if process is None:
            values.append(f"raw[{i}]")
        else:
            env[f"p{i}"] = process
            values.append(f"(None if raw[{i}] is None else p{i}(raw[{i}]))")
    exec(f"def row(raw):\n    return new(Row, ({', '.join(values)},))\n", env)
    return env["row"]  # type: ignore[no-any-return]


class Outcome:
    """What a prepared statement returned: ``rowcount`` and, for RETURNING or SELECT, processed rows."""

    __slots__ = ("_prepared", "_rows", "rowcount")

    def __init__(self, prepared: Prepared, cursor: Any, returns: bool) -> None:
        self._prepared = prepared
        self.rowcount: int = cursor.rowcount
        self._rows = cursor.fetchall() if returns else []

    def all(self) -> list[Any]:
        return [self._prepared.row(r) for r in self._rows]

    def first(self) -> Any:
        return self._prepared.row(self._rows[0]) if self._rows else None

    def scalar(self) -> Any:
        row = self.first()
        return row[0] if row else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise sa.exc.NoResultFound("expected exactly one row") if not self._rows else sa.exc.MultipleResultsFound()
        return self.scalar()

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.all()]

    def __iter__(self) -> Any:
        return iter(self.all())


#: Longest IN list given its own prepared statement; a longer one is split into chunks of this size.
IN_LIMIT = 32


def in_list(column: sa.ColumnElement[Any], name: str, n: int) -> sa.ColumnElement[bool]:
    """``column IN (:name_0, ..., :name_{n-1})``: a fixed-length IN list that can be compiled once (per ``n``)."""
    return column.in_([sa.bindparam(f"{name}_{i}") for i in range(n)])


def in_params(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The parameters for :func:`in_list`: ``{name_0: values[0], ...}``."""
    return {f"{name}_{i}": v for i, v in enumerate(values)}


def chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    """``values`` in chunks of at most :data:`IN_LIMIT`, so that IN lists come in a bounded number of lengths."""
    return [values[i : i + IN_LIMIT] for i in range(0, len(values), IN_LIMIT)]


def driver_cursor(conn: sa.Connection) -> Any:
    """A cursor of ``conn``'s driver connection, made once per driver connection and reused.

    Every use reads its results at once (``Outcome`` fetches them), so one cursor serves the statements in turn.
    """
    info = conn.connection.info  # lives as long as the driver connection, across pool check-outs
    cursor = info.get("oms_cursor")
    if cursor is None:
        cursor = info["oms_cursor"] = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    return cursor


def is_returning(stmt: sa.Executable) -> bool:
    return isinstance(stmt, sa.Select) or bool(getattr(stmt, "_returning", ()))


def execute(
    conn: sa.Connection,
    tables: Any,
    key: Any,
    build: Callable[[Any], Any],
    params: Mapping[str, Any],
    *,
    columns: bool = False,
) -> Outcome:
    """Run ``tables.stmt(key, build)`` prepared for ``conn``'s dialect on its driver cursor, in its transaction.

    ``columns=True`` for an INSERT or UPDATE whose columns are the keys of ``params`` (one compilation per key set).
    """
    prepared = tables.prepared(key, build, conn.dialect, tuple(params) if columns else None)
    cursor = driver_cursor(conn)
    cursor.execute(prepared.sql, prepared.args(params))
    return Outcome(prepared, cursor, prepared.returns)


def execute_many(
    conn: sa.Connection,
    tables: Any,
    key: Any,
    build: Callable[[Any], Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    columns: bool = False,
) -> int:
    """``executemany`` of a prepared statement over ``rows`` (all with the same keys). Returns the rowcount."""
    if not rows:
        return 0
    prepared = tables.prepared(key, build, conn.dialect, tuple(rows[0]) if columns else None)
    cursor = driver_cursor(conn)
    cursor.executemany(prepared.sql, [prepared.args(r) for r in rows])
    return cursor.rowcount
