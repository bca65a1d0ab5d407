"""The embedded SQLite runs inline on the event loop (no thread hop per call) and behaves
like aiosqlite for everything the app does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from storage import repositories as repo
from storage.db import create_database
from storage.inline_sqlite import InlineConnection
from storage.models import ProcessedUpdate
from storage.schema import upgrade


async def test_file_databases_use_the_inline_driver(tmp_path: Path) -> None:
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    threaded = create_database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", inline=False)
    try:
        async with db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
        async with threaded.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert not isinstance(raw.driver_connection, InlineConnection)
    finally:
        await db.dispose()
        await threaded.dispose()


async def test_transactions_errors_and_concurrency(tmp_path: Path) -> None:
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    try:
        await upgrade(db.engine)

        async def one(i: int) -> bool:
            async with db.transaction() as session:
                return await repo.mark_processed(session, "t", str(i % 25))

        results = await asyncio.gather(*(one(i) for i in range(100)))
        assert results.count(True) == 25  # each id once, whatever the interleaving
        with pytest.raises(IntegrityError):
            async with db.transaction() as session:
                session.add(ProcessedUpdate(channel="t", update_id=repo.dedupe_key("0")))
                await session.flush()
        # A rolled back transaction leaves nothing behind.
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await repo.mark_processed(session, "t", "new")
                raise RuntimeError("boom")
        async with db.sessions() as session:
            count = await session.execute(select(func.count()).select_from(ProcessedUpdate))
            assert count.scalar_one() == 25
            mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
            assert mode == "wal"
    finally:
        await db.dispose()


async def test_a_reader_in_the_middle_does_not_block_a_writer(tmp_path: Path) -> None:
    """Reads begin DEFERRED: a session paused mid-read must not hold SQLite's write lock while
    a writer (which would then block the event loop in the busy handler) wants it."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    try:
        await upgrade(db.engine)

        async def reader() -> None:
            async with db.sessions() as session:
                await session.execute(text("SELECT count(*) FROM users"))
                await asyncio.sleep(0.2)
                await session.execute(text("SELECT count(*) FROM users"))

        async def writer() -> None:
            await asyncio.sleep(0.05)
            async with db.transaction() as session:
                await repo.mark_processed(session, "t", "w")

        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(asyncio.gather(reader(), writer()), 3)
        assert loop.time() - started < 1.0
    finally:
        await db.dispose()
