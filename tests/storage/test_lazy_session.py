"""A unit of work's ORM session made on first use (storage/lazy_session.py), on both backends:
statements run on the transaction's connection without one, what a session made earlier holds
counts for them, and rows written without the ORM join the session whenever it is made."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.lazy_session import SessionOnDemand
from storage.models import User, Volunteer
from tests.storage.test_direct_writes import profile


async def new_person(db: Database) -> int:
    async with db.transaction() as session:
        user = User(role="user")
        session.add(user)
        await session.flush()
        return user.id


@asynccontextmanager
async def update_transaction(db: Database) -> AsyncIterator[AsyncConnection]:
    """A transaction as a chat update has it: a connection, no session."""
    async with db.writing() as conn:
        yield conn


async def stored_profiles(db: Database) -> list[tuple[int, str, str | None]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(Volunteer.user_id, Volunteer.national_id, Volunteer.skills)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_no_session_until_one_is_asked_for(db: Database) -> None:
    opened: list[AsyncSession] = []
    async with update_transaction(db) as conn:
        lazy = SessionOnDemand(conn, opened.append)
        assert await lazy.connection() is conn
        assert lazy.opened is None and opened == []
        session = lazy.session
        assert opened == [session] and lazy.opened is session and lazy.session is session
        await session.close()


async def test_statements_see_what_a_session_made_earlier_holds(db: Database) -> None:
    user_id = await new_person(db)
    async with update_transaction(db) as conn:
        lazy = SessionOnDemand(conn)
        lazy.session.add(profile(user_id, "1234567897"))  # pending: not written yet
        found = await repo.national_id_taken(await lazy.connection(), "1234567897")
        assert found  # connection() flushed it first
        await lazy.session.close()


async def test_a_row_written_before_the_session_joins_it_when_it_is_made(db: Database) -> None:
    user_id = await new_person(db)
    async with update_transaction(db) as conn:
        lazy = SessionOnDemand(conn)
        row = profile(user_id, "1234567897")
        assert await repo.insert_volunteer(await lazy.connection(), row)
        lazy.adopt(row)
        assert lazy.opened is None
        assert row.id is not None and row.interests == []  # defaults filled as written
        session = lazy.session
        assert row in session and row not in session.dirty and row not in session.new
        row.skills = "نجارة"  # changed later in the update: flushed as an UPDATE
        await session.flush()
        await session.close()
    assert await stored_profiles(db) == [(user_id, "1234567897", "نجارة")]


async def test_a_row_adopted_by_an_open_session_joins_it_at_once(db: Database) -> None:
    user_id = await new_person(db)
    async with update_transaction(db) as conn:
        lazy = SessionOnDemand(conn)
        session = lazy.session
        row = profile(user_id, "1234567897")
        assert await repo.insert_volunteer(await lazy.connection(), row)
        lazy.adopt(row)
        assert row in session
        assert await session.get(Volunteer, row.id) is row  # no second instance
        await session.close()


async def test_a_lost_unique_value_writes_nothing_and_leaves_the_row_new(db: Database) -> None:
    first, second = await new_person(db), await new_person(db)
    async with update_transaction(db) as conn:
        assert await repo.insert_volunteer(conn, profile(first, "1234567897"))
        loser = profile(second, "1234567897")
        assert not await repo.insert_volunteer(conn, loser)
        assert loser.id is None
    assert await stored_profiles(db) == [(first, "1234567897", None)]


async def test_a_callers_own_session_is_used_as_it_is(db: Database) -> None:
    user_id = await new_person(db)
    async with db.transaction() as session:
        lazy = SessionOnDemand.of(session)
        assert lazy.opened is session and lazy.session is session
        session.add(profile(user_id, "1234567897"))
        conn = await lazy.connection()  # flushed: the statement sees the pending row
        count = await conn.scalar(select(func.count()).select_from(Volunteer))
        assert count == 1
        row = profile(await new_person_in(session), "2234567896")
        assert await repo.insert_volunteer(await lazy.connection(), row)
        lazy.adopt(row)
        assert row in session


async def new_person_in(session: AsyncSession) -> int:
    user = User(role="user")
    session.add(user)
    await session.flush()
    return user.id


def test_it_takes_a_connection_or_a_session() -> None:
    with pytest.raises(ValueError):
        SessionOnDemand(None)
