"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every call (cursor, execute, fetch, close …) on its own thread, and each
hand-off costs far more than the work itself: about twenty per update, most of the engine's
time. SQLite on a local file in WAL mode with synchronous=NORMAL answers in microseconds, so
this module runs the same calls inline on the event loop's thread, behind the interface
SQLAlchemy's aiosqlite dialect expects (`create_async_engine(..., async_creator=...)`).

Only for the embedded default: one process owns the file, and its writers already queue on
an asyncio lock (storage.db.Database), so SQLite never makes the loop wait for a lock held in
this process. Another process writing at the same moment (a CLI command) makes this one wait
at most `busy_timeout`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any


class _Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Any) -> _Cursor:
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __await__(self) -> Any:
        # aiosqlite's cursor() result is both awaitable and an async context manager.
        yield from ()
        return self

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _ImmediateQueue:
    """SQLAlchemy sets isolation_level by queueing a function for aiosqlite's thread; here it
    simply runs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._tx = _ImmediateQueue(conn)

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection itself (storage/hot_statements.py runs on it)."""
        return self._conn

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)


def creator(database: str, **kw: Any) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: connections that run inline."""

    async def connect() -> InlineConnection:
        # Same options SQLAlchemy's pysqlite dialect uses, so type handling is unchanged.
        conn = sqlite3.connect(
            database,
            detect_types=kw.get("detect_types", 0),
            check_same_thread=False,
            isolation_level=None,
        )
        return InlineConnection(conn)

    return connect
