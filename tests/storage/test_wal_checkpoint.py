"""SQLite's WAL checkpoints in their own thread (storage/wal_checkpoint.py): connections do not
checkpoint inline below the safety net, the database's thread does, and it ends with the
database."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import create_database
from storage.wal_checkpoint import (
    INLINE_CHECKPOINT_PAGES,
    WAL_SIZE_LIMIT_BYTES,
    WalCheckpointer,
    checkpoint,
)

WAIT_S = 20.0  # the thread's interval is a fraction of a second; this is only the give-up


async def wait_for(condition: object, what: str) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), WAIT_S)
    except TimeoutError:
        pytest.fail(f"not within {WAIT_S} s: {what}")


async def test_updates_leave_the_wal_to_the_databases_thread(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    db = create_database(f"sqlite+aiosqlite:///{path}")
    try:
        checkpointer = db.checkpointer
        assert checkpointer is not None and checkpointer.running
        async with db.writing() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            pages = await conn.execute(text("PRAGMA wal_autocheckpoint"))
            assert pages.scalar_one() == INLINE_CHECKPOINT_PAGES
            limit = await conn.execute(text("PRAGMA journal_size_limit"))
            assert limit.scalar_one() == WAL_SIZE_LIMIT_BYTES
        for i in range(50):
            async with db.writing() as conn:
                await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "x" * 500 * i})
        checkpointer.last = None  # a checkpoint taken while the rows were written does not count

        def caught_up() -> bool:
            last = checkpointer.last
            return last is not None and last.wal_frames > 0 and last.checkpointed == last.wal_frames

        await wait_for(caught_up, "the thread checkpoints the whole WAL")
        # What the thread copied is in the database file itself: a reader that ignores the WAL
        # (immutable=1) sees every row.
        reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (50,)
        finally:
            reader.close()
    finally:
        await db.dispose()
    assert not checkpointer.running


async def test_a_database_dropped_without_dispose_lets_its_thread_end(tmp_path: Path) -> None:
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'dropped.db'}")
    checkpointer = db.checkpointer
    assert checkpointer is not None and checkpointer.running
    await db.engine.dispose()
    del db
    gc.collect()
    await wait_for(lambda: not checkpointer.running, "the thread ends")


async def test_the_thread_ends_when_its_file_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    sqlite3.connect(path).close()
    checkpointer = WalCheckpointer(path, interval=0.01)
    checkpointer.start()
    try:
        await wait_for(lambda: checkpointer.last is not None, "a first checkpoint")
        path.unlink()
        await wait_for(lambda: not checkpointer.running, "the thread ends")
    finally:
        checkpointer.stop()


def test_a_checkpoint_reports_frames_and_progress(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "plain.db")
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.commit()
        done = checkpoint(conn)
        assert not done.busy and done.wal_frames > 0 and done.checkpointed == done.wal_frames
    finally:
        conn.close()


def test_an_in_memory_database_has_no_thread() -> None:
    assert create_database("sqlite+aiosqlite://").checkpointer is None


async def test_a_failing_checkpoint_is_logged_rarely_and_the_thread_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "not-a-database.db"
    path.write_bytes(b"this is not SQLite" * 100)
    checkpointer = WalCheckpointer(path, interval=0.005)
    checkpointer.start()
    try:
        attempts = 0

        def tried_often() -> bool:
            nonlocal attempts
            attempts += 1
            return attempts > 20  # polled every 20 ms: the thread tried dozens of times

        await wait_for(tried_often, "time for many attempts")
        assert checkpointer.running and checkpointer.last is None
        warnings = [r for r in caplog.records if r.name == "storage.wal_checkpoint"]
        assert len(warnings) == 1 and "DatabaseError" in warnings[0].getMessage()
    finally:
        checkpointer.stop()
    assert not checkpointer.running
