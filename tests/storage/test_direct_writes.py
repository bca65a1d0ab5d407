"""Writes that skip the unit of work (storage/direct_writes.py), on both backends: a new row in
one statement that gives way to a unique value without undoing the transaction, columns of a
loaded row in one UPDATE, and instances that stay true to what was written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Integer, String, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage import repositories as repo
from storage.db import Database
from storage.direct_writes import DirectWrites, keep_written
from storage.models import AuditLog, User, Volunteer

WRITES = DirectWrites(Volunteer)
CHARTER_AT = datetime(2026, 1, 1, 9, tzinfo=UTC)


def profile(user_id: int, national_id: str) -> Volunteer:
    # interests, availability, created_at and updated_at are left to their Python defaults.
    return Volunteer(
        user_id=user_id,
        full_name="منى عبدالله الغامدي",
        national_id=national_id,
        mobile="0512345678",
        gender="f",
        birth_date=date(1999, 7, 1),
        birth_calendar="gregorian",
        district="hawiya",
        charter_accepted_at=CHARTER_AT,
    )


async def two_people(session: AsyncSession) -> tuple[int, int]:
    first, second = User(role="user"), User(role="user")
    session.add_all([first, second])
    await session.flush()
    return first.id, second.id


def count_statements(db: Database) -> list[str]:
    sent: list[str] = []
    engine = db.engine.sync_engine

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return sent


async def test_a_new_row_is_written_and_joins_the_session_as_loaded(db: Database) -> None:
    async with db.transaction() as session:
        first, _ = await two_people(session)
        row = profile(first, "1234567897")
        assert await WRITES.insert(session, row)
        assert row.id is not None
        # What the unit of work would have filled in is on the instance and in the row.
        assert row.interests == [] and row.availability == []
        assert row.created_at is not None
        # Persistent, with nothing left to flush, and the session's own instance.
        assert row in session and not session.dirty and not session.new
        assert await session.get(Volunteer, row.id) is row
        sent = count_statements(db)
        assert (row.full_name, row.created_at.tzinfo is not None) == ("منى عبدالله الغامدي", True)
        assert sent == []  # reading its columns goes nowhere
        row.district = "shafa"  # a later change is an UPDATE of the same row
        await session.flush()
        assert any(s.lstrip().upper().startswith("UPDATE VOLUNTEERS") for s in sent)
    async with db.sessions() as session:
        stored = (await session.execute(select(Volunteer))).scalar_one()
        assert (stored.national_id, stored.district) == ("1234567897", "shafa")
        assert stored.interests == []
        assert stored.charter_accepted_at == CHARTER_AT


async def test_a_taken_national_id_writes_nothing_and_keeps_the_transaction(db: Database) -> None:
    async with db.transaction() as session:
        first, second = await two_people(session)
        assert await WRITES.insert(session, profile(first, "1234567897"))
        session.add(AuditLog(actor="system", action="before", details={}))
        loser = profile(second, "1234567897")
        assert not await WRITES.insert(session, loser)
        assert loser not in session and loser.id is None
        # The same person twice is refused too (user_id is unique).
        assert not await WRITES.insert(session, profile(first, "2234567896"))
        session.add(AuditLog(actor="system", action="after", details={}))
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Volunteer)) == 1
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
        assert sorted(actions) == ["after", "before"]  # nothing was rolled back


async def test_insert_takes_only_a_new_row_of_its_class(db: Database) -> None:
    async with db.transaction() as session:
        first, _ = await two_people(session)
        with pytest.raises(TypeError):
            await WRITES.insert(session, User(role="user"))
        stored = profile(first, "1234567897")
        session.add(stored)
        with pytest.raises(ValueError, match="not in a session"):
            await WRITES.insert(session, stored)


async def test_columns_are_updated_with_their_onupdate_and_kept_as_committed(
    db: Database,
) -> None:
    async with db.transaction() as session:
        first, _ = await two_people(session)
        row = profile(first, "1234567897")
        assert await WRITES.insert(session, row)
        conn = await session.connection()
        before = row.updated_at
        written = await WRITES.update(conn, row.id, {"district": "shafa", "skills": None})
        # updated_at has a Python-side onupdate: written as a flush would write it.
        assert set(written) == {"district", "skills", "updated_at"}
        assert written["updated_at"] >= before
        keep_written(row, written)
        assert row.district == "shafa" and not session.dirty
        with pytest.raises(LookupError):
            await WRITES.update(conn, row.id + 1000, {"district": "shafa"})
        with pytest.raises(ValueError, match="nothing to write"):
            await WRITES.update(conn, row.id, {})
        with pytest.raises(KeyError):
            await WRITES.update(conn, row.id, {"no_such_column": 1})
    async with db.sessions() as session:
        stored = (await session.execute(select(Volunteer))).scalar_one()
        assert stored.district == "shafa" and stored.updated_at == written["updated_at"]


async def test_update_user_writes_at_once_and_leaves_no_flush(db: Database) -> None:
    async with db.transaction() as session:
        first, _ = await two_people(session)
        person = await session.get(User, first)
        assert person is not None
        at = datetime(2026, 2, 1, tzinfo=UTC)
        await repo.update_user(session, person, consent_version="2", consent_at=at)
        assert not session.dirty
        # Already in the transaction, before any flush: another query sees it.
        conn = await session.connection()
        version = await conn.execute(text(f"SELECT consent_version FROM users WHERE id={first}"))
        assert version.scalar_one() == "2"
    async with db.sessions() as session:
        stored = await session.get(User, first)
        assert stored is not None and (stored.consent_version, stored.consent_at) == ("2", at)


class _Base(DeclarativeBase):
    pass


class _Counter(_Base):
    __tablename__ = "direct_writes_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(8), server_default=text("'x'"))


async def test_a_server_default_is_refused_rather_than_written_as_null(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(TypeError, match="server default"):
            await DirectWrites(_Counter).insert(session, _Counter())


async def test_profile_holders_tell_the_own_profile_from_another_persons_id(db: Database) -> None:
    async with db.transaction() as session:
        first, second = await two_people(session)
        assert await WRITES.insert(session, profile(first, "1234567897"))
        own = (await session.execute(select(Volunteer.id))).scalar_one()
        assert await repo.profile_holders(session, first, "1234567897") == (own, False)
        assert await repo.profile_holders(session, first, "2234567896") == (own, False)
        assert await repo.profile_holders(session, second, "1234567897") == (None, True)
        assert await repo.profile_holders(session, second, "2234567896") == (None, False)
        # A profile added to the session and not yet flushed counts.
        session.add(profile(second, "2234567896"))
        assert (await repo.profile_holders(session, first, "2234567896")).national_id_taken
