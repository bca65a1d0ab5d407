"""The engine's per-update statements (storage/hot_statements.py): straight on sqlite3 under the
embedded default, an ordinary `execute` elsewhere, and the same answers either way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import repositories as repo
from storage import update_rows as rows
from storage.db import Database, create_database
from storage.hot_statements import HotStatement, inline_sqlite_of
from storage.models import User
from storage.schema import upgrade

SEEN = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


async def person_with_conversation(conn: AsyncConnection) -> int:
    person = await rows.create_person(conn, "telegram", "42", "4242", seen_at=SEEN)
    user_id = int(person.user["id"])
    saved = await repo.save_conversation(
        conn, user_id, flow="signup", step="name", data={"f": {"اسم": "منى"}}, expected_version=None
    )
    assert saved
    return user_id


async def test_the_load_answers_as_sqlalchemy_does(db: Database) -> None:
    async with db.writing() as conn:
        await person_with_conversation(conn)
        params = {"b_channel": "telegram", "b_external": "42"}
        hot = (await rows._LOAD.execute(conn, params)).one()
        plain = (await conn.execute(rows._LOAD.statement, params)).one()
    assert tuple(hot) == tuple(plain)
    loaded: dict[str, Any] = dict(zip(rows.USER_COLUMNS, hot, strict=False))
    # Types as the model declares them, not as SQLite stores them.
    assert loaded["unreachable"] is False
    assert isinstance(loaded["created_at"], datetime) and loaded["created_at"].tzinfo is not None
    tail = hot[len(rows.USER_COLUMNS) :]
    assert tail[2] == SEEN  # the identity's last seen, to the microsecond, in UTC
    assert tail[5] == {"f": {"اسم": "منى"}}  # the conversation's JSON, decoded


async def test_json_none_is_stored_as_sql_null_and_versions_are_checked(db: Database) -> None:
    async with db.writing() as conn:
        user_id = await person_with_conversation(conn)
        stale = await repo.save_conversation(
            conn, user_id, flow="f", step="s", data={}, expected_version=7, pending=None
        )
        saved = await repo.save_conversation(
            conn, user_id, flow="f", step="s", data={}, expected_version=1, pending=None
        )
        pending_is_null = await conn.scalar(
            text("SELECT pending_replies IS NULL FROM conversations WHERE user_id = :u"),
            {"u": user_id},
        )
    assert (stale, saved) == (False, True)  # the UPDATE's row count reaches the caller
    assert pending_is_null in (True, 1)


async def test_a_repeated_update_is_refused_by_the_hot_insert(db: Database) -> None:
    async with db.writing() as conn:
        first = await repo.mark_processed(conn, "telegram", "1001")
        again = await repo.mark_processed(conn, "telegram", "1001")
    assert (first, again) == (True, False)


async def test_outside_a_transaction_a_hot_statement_begins_one(db: Database) -> None:
    """As SQLAlchemy's autobegin would: sqlite3 alone would commit the statement at once, and
    a rollback (the engine's failure reply reads on such a connection) would not undo it."""
    async with db.writing() as conn:
        user_id = await person_with_conversation(conn)
        await conn.execute(text("UPDATE users SET unreachable = :t"), {"t": True})
    async with db.engine.connect() as conn:
        person = await rows.load_person(conn, "telegram", "42")
        assert person is not None and person.user["unreachable"] is True
        await rows.mark_reachable(conn, person)
        await conn.rollback()
    async with db.sessions() as session:
        stored = await session.get(User, user_id)
        assert stored is not None and stored.unreachable is True


async def test_the_inline_driver_runs_them_on_sqlite3_itself(tmp_path: Path) -> None:
    inline = create_database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    threaded = create_database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", inline=False)
    try:
        for database in (inline, threaded):
            await upgrade(database.engine)
        seen: list[str] = []
        async with inline.writing() as conn:
            raw = inline_sqlite_of(conn)
            assert raw is not None
            raw.set_trace_callback(seen.append)
            await repo.mark_processed(conn, "telegram", "7")
            raw.set_trace_callback(None)
        assert [s.split()[0] for s in seen] == ["INSERT"]
        async with threaded.writing() as conn:
            assert inline_sqlite_of(conn) is None
            assert await repo.mark_processed(conn, "telegram", "7")  # an ordinary execute
    finally:
        await inline.dispose()
        await threaded.dispose()


async def test_a_statement_that_needs_python_defaults_is_refused(tmp_path: Path) -> None:
    """Raw SQL would leave out a default SQLAlchemy fills in (users.created_at), silently."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    try:
        await upgrade(db.engine)
        users: Any = User.__table__
        needs_default = HotStatement(insert(users), keys=("role",))
        async with db.writing() as conn:
            with pytest.raises(ValueError, match="defaults"):
                await needs_default.execute(conn, {"role": "user"})
        async with db.sessions() as session:
            assert await session.scalar(select(User.id)) is None
    finally:
        await db.dispose()


async def test_the_sqlite_writer_keeps_its_connection_and_replaces_a_broken_one(
    tmp_path: Path,
) -> None:
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    try:
        await upgrade(db.engine)
        async with db.writing() as first:
            await repo.mark_processed(first, "telegram", "1")
        async with db.writing() as second:
            assert second is first  # no pool round trip between updates
        await first.invalidate()  # as a lost connection would leave it
        async with db.writing() as third:
            assert third is not first
            assert await repo.mark_processed(third, "telegram", "2")
    finally:
        await db.dispose()
    assert third.closed


async def test_a_failed_commit_leaves_the_writer_ready_for_the_next_update(
    tmp_path: Path,
) -> None:
    """A deferred foreign key fails the COMMIT and SQLite keeps that transaction open; the
    kept connection must not carry it into the next update (which would fail to BEGIN)."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    try:
        await upgrade(db.engine)
        with pytest.raises(Exception, match="FOREIGN KEY"):
            async with db.writing() as conn:
                raw = inline_sqlite_of(conn)
                assert raw is not None
                raw.execute("PRAGMA defer_foreign_keys=ON")
                await repo.mark_processed(conn, "telegram", "lost")
                raw.execute(
                    "INSERT INTO conversations (user_id, flow, step, data, version, updated_at)"
                    " VALUES (999999, 'f', 's', '{}', 1, '2026-01-01 00:00:00')"
                )
        async with db.writing() as conn:
            assert await repo.mark_processed(conn, "telegram", "next")
            assert await repo.mark_processed(conn, "telegram", "lost"), "rolled back"
    finally:
        await db.dispose()
