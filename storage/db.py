"""Engine and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import inline_sqlite
from storage.hot_statements import inline_sqlite_of
from storage.wal_checkpoint import INLINE_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES, WalCheckpointer

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_BEGIN = "sqlite_begin"
# The database holds personal data: only its owner may read it. SQLite gives the -wal and
# -shm files it creates later the database file's own permissions.
PRIVATE_FILE_MODE = 0o600


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; foreign keys are off by default in SQLite;
    # busy_timeout makes a second writer wait instead of failing at once.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints run in their own thread (storage/wal_checkpoint.py); inline only past this.
    cur.execute(f"PRAGMA wal_autocheckpoint={INLINE_CHECKPOINT_PAGES}")
    cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
    cur.close()
    # SQLAlchemy's "begin" event emits the BEGIN (pysqlite's own implicit one is unreliable).
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    # Writers ask for IMMEDIATE (take the write lock at once, so a transaction that reads
    # first cannot fail later on a snapshot another process changed); readers stay DEFERRED
    # and, in WAL mode, never wait for anyone.
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    dbapi = conn.connection.dbapi_connection
    if dbapi.driver_connection.in_transaction:
        return  # begun on sqlite3 itself (`Database.writing`): SQLAlchemy joins it
    # Straight to the driver: every update begins a transaction, and exec_driver_sql's
    # statement machinery (events, result set-up) cost more than SQLite's BEGIN itself.
    cursor = dbapi.cursor()
    try:
        cursor.execute(f"BEGIN {mode}")
    finally:
        cursor.close()


def _create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only, whatever the umask (SQLite takes an
    empty file as an empty database)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # the umask may have taken bits from os.open's mode
    finally:
        os.close(fd)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Statement parameters are names, phone numbers and IDs: keep them out of the SQL log
    # and out of the text of every DBAPI error (IntegrityError, DataError …).
    kwargs["hide_parameters"] = True
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _create_private_file(Path(database))
        if database and database != ":memory:" and kwargs.pop("inline", True):
            kwargs.setdefault("async_creator", inline_sqlite.creator(database))
        else:
            kwargs.pop("inline", None)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """Engine, sessions and the write discipline of the backend.

    SQLite has one writer at a time. Rather than letting concurrent transactions collide and
    sleep in SQLite's busy handler (which adds latency spikes), writers in this process queue on
    an asyncio lock; `BEGIN IMMEDIATE` covers writers in other processes (CLI commands).
    Use `transaction()` for anything that writes and `sessions()` only to read.
    PostgreSQL needs neither: row locks and unique keys do the work there.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Read-only work (no lock, deferred BEGIN on SQLite).
        self.sessions = create_session_factory(engine)
        self._writing_engine = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self._writer = create_session_factory(self._writing_engine)
        self.is_sqlite = is_sqlite(str(engine.url))
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        # SQLite's one writer keeps its connection between updates (`writing()` says why).
        self._writer_connection: AsyncConnection | None = None
        self.checkpointer: WalCheckpointer | None = None
        database = engine.url.database
        if self.is_sqlite and database and database != ":memory:":
            self.checkpointer = WalCheckpointer(Path(database))
            self.checkpointer.start()
            # A database dropped without dispose() still lets its thread end.
            weakref.finalize(self, self.checkpointer.stop_soon)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any exception."""
        lock = self._write_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self._writer() as session, session.begin():
                yield session
        finally:
            if lock is not None:
                lock.release()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """`transaction()` as a plain connection, with the same write discipline: the engine's
        per-update transaction (storage/update_rows.py says why not a session)."""
        lock = self._write_lock
        if lock is None:
            async with self._writing_engine.begin() as conn:
                yield conn
            return
        # On SQLite the writers queue anyway, so the engine's writer keeps one connection
        # rather than taking one from the pool and handing it back (with its reset) on every
        # update: measured for issue 18, an empty transaction cost 125 µs through the pool and
        # 44 µs on a kept connection, and a few µs as BEGIN and COMMIT on sqlite3.
        async with lock:
            kept = self._writer_connection
            if kept is None or kept.closed or kept.invalidated:
                if kept is not None:
                    await kept.close()  # invalidated: SQLAlchemy has already dropped the DBAPI one
                kept = self._writer_connection = await self._writing_engine.connect()
            raw = inline_sqlite_of(kept)
            if raw is None:  # aiosqlite's own thread (`inline=False`)
                async with kept.begin():
                    yield kept
                return
            # BEGIN and COMMIT on sqlite3 itself, as the hot statements run: most updates
            # never ask SQLAlchemy for anything else. When one does (a session, an execute),
            # SQLAlchemy begins its transaction on top of this one (`_sqlite_begin` sends no
            # second BEGIN) and then ends both.
            raw.execute("BEGIN IMMEDIATE")
            try:
                yield kept
                if kept.in_transaction():
                    await kept.commit()
                else:
                    raw.commit()
            except BaseException:
                # Also when the COMMIT failed (a deferred constraint leaves SQLite's transaction
                # open): the next update must find the connection out of any transaction.
                await _roll_back(kept, raw)
                raise

    async def dispose(self) -> None:
        async with self._write_lock or contextlib.nullcontext():
            if self._writer_connection is not None:
                await self._writer_connection.close()
                self._writer_connection = None
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)
        await self.engine.dispose()


async def _roll_back(kept: AsyncConnection, raw: sqlite3.Connection) -> None:
    try:
        if kept.in_transaction():
            await kept.rollback()
        if raw.in_transaction:
            raw.rollback()
    except Exception:
        await kept.invalidate()  # unusable: the next `writing()` connects afresh


def joined_session(conn: AsyncConnection) -> AsyncSession:
    """An ORM session inside the transaction `conn` is in: it flushes there, and closing it
    leaves the transaction to whoever began it (`Database.writing` commits or rolls back)."""
    if not conn.in_transaction():
        raw = inline_sqlite_of(conn)
        if raw is None or not raw.in_transaction:
            raise RuntimeError("a joined session needs a connection in a transaction")
        # Begun on sqlite3 itself: SQLAlchemy's transaction goes on top without I/O
        # (`_sqlite_begin` sends no second BEGIN), so the session joins it. A session that
        # began it would own it, and closing the session would roll the update back.
        conn.sync_connection.begin()  # type: ignore[union-attr]
    return AsyncSession(bind=conn, expire_on_commit=False)


async def connection_of(db: AsyncSession | AsyncConnection) -> AsyncConnection:
    """The connection under a session, or the connection itself: queries of the engine's hot
    path run on either (an update's transaction is a plain connection, see
    storage/update_rows.py; jobs and tests pass sessions)."""
    return db if isinstance(db, AsyncConnection) else await db.connection()


async def flushed_connection(db: AsyncSession | AsyncConnection) -> AsyncConnection:
    """`connection_of`, for a statement that must see what a session holds: the session is
    flushed first, as an ORM query's autoflush would flush it."""
    if isinstance(db, AsyncSession):
        await db.flush()
    return await connection_of(db)


def create_database(url: str, **kwargs: Any) -> Database:
    return Database(create_engine(url, **kwargs))


class HasDatabaseUrl(Protocol):
    """What `open_database` needs of the settings (storage does not import `bot.settings`)."""

    @property
    def database_url(self) -> str: ...


@asynccontextmanager
async def open_database(
    target: str | HasDatabaseUrl, *, ensure: bool = True, **kwargs: Any
) -> AsyncIterator[Database]:
    """The one way a process or command gets its database: create the engine, bring the schema
    up to date (`ensure`; off for `shuraka db`, which manages the schema itself), and dispose
    of the engine on the way out, whatever happened inside."""
    url = target if isinstance(target, str) else target.database_url
    db = create_database(url, **kwargs)
    try:
        if ensure:
            # Imported here: storage.schema imports this module.
            from storage.schema import ensure_schema

            await ensure_schema(db.engine)
        yield db
    finally:
        await db.dispose()


async def add_unique(session: AsyncSession, row: object) -> bool:
    """Add and flush `row` in a savepoint; False when a unique constraint refused it (a
    national ID, one active request per family and site). Losing such a race must not undo the
    whole transaction: the savepoint rollback drops a new row and reloads an existing one."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True
