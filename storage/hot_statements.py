"""The per-update statements, run straight on sqlite3 under the embedded default.

Issue 18's measurements on this machine: a single-row INSERT, SELECT and UPDATE in one
transaction cost SQLite about 25 µs, and SQLAlchemy's execution machinery around them (cache
key, parameter set-up, cursor and result objects, events) about 240 µs more. The engine runs a
handful of such statements on every update, so on the inline SQLite driver
(storage/inline_sqlite.py) a `HotStatement` runs its Core statement's SQL, compiled once for
the dialect, on the sqlite3 connection itself, inside the update's transaction (which
`storage.db.Database.writing` begins and ends on sqlite3 too). The
statement is still written once, in Core: parameters and results go through the same type
processors SQLAlchemy would apply (dates as SQLite stores them, JSON, booleans), and on
PostgreSQL, or any other driver, it is an ordinary `conn.execute`.

What this leaves out, on purpose: Python-side column defaults (an INSERT must name every value
it relies on: the constructor refuses one that would need a default filled in) and expanding
IN parameters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage.inline_sqlite import InlineConnection

Processor = Callable[[Any], Any] | None
_GIVEN = object()  # the parameter has no value in the statement: the caller gives it


@dataclass(frozen=True, slots=True)
class HotResult:
    """What the engine reads of a statement's answer: its rows (all fetched) and, for an
    INSERT or UPDATE, how many rows it touched."""

    rows: Sequence[Sequence[Any]]
    rowcount: int

    def first(self) -> Sequence[Any] | None:
        return self.rows[0] if self.rows else None

    def one(self) -> Sequence[Any]:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]


@dataclass(frozen=True, slots=True)
class _SqliteForm:
    """A statement compiled for SQLite once: the SQL, where each parameter comes from (its
    name and the value a literal in the statement gave it) and the type processors."""

    sql: str
    params: tuple[tuple[str, Any, Processor], ...]  # key, literal value (or _GIVEN), processor
    results: tuple[Processor, ...]
    returns_rows: bool


def _compile(statement: Executable, keys: Sequence[str], dialect: Dialect) -> _SqliteForm:
    element: Any = statement
    compiled = element.compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        raise TypeError("a hot statement needs positional parameters (SQLite's qmark style)")
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("a hot statement must name every value: Python-side defaults are not run")
    params = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.expanding:
            raise ValueError("a hot statement cannot expand IN parameters")
        impl = bind.type.dialect_impl(dialect)
        literal = _GIVEN if bind.required else bind.effective_value
        params.append((bind.key, literal, impl.bind_processor(dialect)))
    # A SELECT's columns, or an INSERT's or UPDATE's RETURNING (none: no rows come back).
    columns = list(element.exported_columns)
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    return _SqliteForm(compiled.string, tuple(params), results, bool(columns))


class HotStatement:
    """A Core statement of the hot path, with the parameter keys it is always given (an INSERT
    or UPDATE compiles its SET and VALUES from them, as SQLAlchemy does from the keys of the
    parameters passed to `execute`)."""

    def __init__(self, statement: Executable, keys: Sequence[str] = ()) -> None:
        if not isinstance(statement, ClauseElement):
            raise TypeError("a hot statement is a Core statement")
        self.statement = statement
        self.keys = tuple(keys)
        self._forms: dict[str, _SqliteForm] = {}

    async def execute(self, conn: AsyncConnection, params: Mapping[str, Any]) -> HotResult:
        raw = inline_sqlite_of(conn)
        if raw is None:
            result: Any = await conn.execute(self.statement, dict(params))
            rows = result.all() if result.returns_rows else []
            return HotResult(rows, result.rowcount if not result.returns_rows else len(rows))
        if not raw.in_transaction:
            # What SQLAlchemy's autobegin would do: sqlite3 itself would commit each statement.
            await conn.begin()
        dialect = conn.dialect
        form = self._forms.get(dialect.name)
        if form is None:
            form = self._forms[dialect.name] = _compile(self.statement, self.keys, dialect)
        return _run(conn, raw, form, params)


def _run(
    conn: AsyncConnection, raw: sqlite3.Connection, form: _SqliteForm, params: Mapping[str, Any]
) -> HotResult:
    values = []
    for key, literal, process in form.params:
        value = params[key] if literal is _GIVEN or key in params else literal
        # SQLAlchemy hands None to the processors too (JSON writes it as 'null').
        values.append(value if process is None else process(value))
    cursor = raw.cursor()
    sync = conn.sync_connection
    if sync is not None and sync.dispatch.before_cursor_execute:
        # Whoever watches the statements sent (a test counting them, a bench) sees these too.
        sync.dispatch.before_cursor_execute(sync, cursor, form.sql, values, None, False)
    cursor.execute(form.sql, values)
    try:
        if not form.returns_rows:
            return HotResult((), cursor.rowcount)
        processors = form.results
        rows = [
            tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
            for row in cursor.fetchall()
        ]
        return HotResult(rows, len(rows))
    finally:
        cursor.close()


def inline_sqlite_of(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The sqlite3 connection under `conn` when it runs on the inline driver, else None."""
    driver = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    return driver.raw if isinstance(driver, InlineConnection) else None
