"""The engine's per-update transaction on a plain connection (storage/update_rows.py, issue 18):
the person is read as a row, the fields the engine keeps itself are explicit statements, and a
step gets an ORM session only when it asks, in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from bot.core.engine import Engine
from bot.core.flow import Context
from bot.core.messages import InboundKind
from storage.db import Database
from storage.models import ChannelIdentity, User
from tests.conftest import Clock
from tests.support import Chat, conversation


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (BEGIN and COMMIT are not among them)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def identity_row(db: Database, user: str) -> ChannelIdentity:
    async with db.sessions() as session:
        found = await session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.external_id == user)
        )
        assert found is not None
        return found


async def test_a_typed_answer_costs_the_three_statements_of_the_hot_path(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    with statements(db) as sent:
        await chat.send("محمد عبدالله الغامدي")
    assert "رقم الهوية" in chat.text
    # Deduplication, the one load, the versioned save; no session, no flush, no touch (and on
    # PostgreSQL the person lock first: storage/person_lock.py).
    lock = [] if db.is_sqlite else ["SELECT"]
    assert sent == [*lock, "INSERT", "SELECT", "UPDATE"]


async def test_last_seen_is_written_at_most_once_a_minute(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = Chat(engine)
    await chat.onboard()
    first = (await identity_row(db, chat.user)).last_seen_at
    assert first == clock()
    clock.now += timedelta(seconds=30)
    await chat.send("/help")
    assert (await identity_row(db, chat.user)).last_seen_at == first
    clock.now += timedelta(seconds=31)
    await chat.send("/help")
    assert (await identity_row(db, chat.user)).last_seen_at == clock()


async def test_a_new_chat_id_is_kept(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.deliver(replace(chat.inbound(InboundKind.COMMAND, "help"), chat_id="elsewhere"))
    assert (await identity_row(db, chat.user)).chat_id == "elsewhere"


async def test_someone_unreachable_who_writes_again_is_reachable(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await engine.mark_unreachable(chat.channel, chat.user)
    conv = await conversation(db, chat)
    async with db.sessions() as session:
        assert (await session.get(User, conv.user_id)).unreachable  # type: ignore[union-attr]
    await chat.send("/help")
    async with db.sessions() as session:
        person = await session.get(User, conv.user_id)
        assert person is not None and not person.unreachable


async def test_what_a_service_changes_through_the_session_is_what_the_step_reads_next(
    engine: Engine, db: Database
) -> None:
    """The person is read from the loaded row until a session exists; from then on from its
    ORM instance, which is also what a service gets when it asks the session."""
    chat = Chat(engine)
    await chat.onboard()
    async with db.writing() as conn:
        ctx: Context = await engine._load(conn, chat.inbound(InboundKind.TEXT, "x"))
        assert ctx.user.locale == "ar" and ctx.transaction.opened is None
        same = await ctx.session.get(User, ctx.user.id)
        assert same is ctx.orm_user  # the row became the session's instance, no second one
        assert same is not None
        same.locale = "en"
        assert ctx.user.locale == "en"
        await ctx.flush()
        await ctx.close()
    async with db.sessions() as session:
        person = await session.get(User, ctx.user.id)
        assert person is not None and person.locale == "en"


async def test_a_failed_update_leaves_nothing_of_its_own_writes(
    engine: Engine, db: Database, clock: Clock
) -> None:
    """Touches, session writes and the state roll back together with the failure."""
    chat = Chat(engine)
    await chat.onboard()
    before = await identity_row(db, chat.user)
    clock.now += timedelta(minutes=5)

    async def broken(ctx: Context) -> None:
        ctx.orm_user.locale = "en"
        await ctx.flush()
        raise RuntimeError("a step failed")

    engine.app.commands["help"] = replace(engine.app.commands["help"], handler=broken)
    await chat.send("/help")
    after = await identity_row(db, chat.user)
    assert after.last_seen_at == before.last_seen_at
    async with db.sessions() as session:
        person = await session.get(User, after.user_id)
        assert person is not None and person.locale == "ar"


async def test_a_column_the_step_writes_itself_is_read_back_from_row_and_instance(
    engine: Engine, db: Database
) -> None:
    """`use_locale` writes with one UPDATE (storage/direct_writes.py): the loaded row reads the
    new value before any session exists, an ORM instance made earlier reads it too and has
    nothing left to flush, and it is in the database once the update commits."""
    chat = Chat(engine)
    await chat.onboard()
    async with db.writing() as conn:
        ctx: Context = await engine._load(conn, chat.inbound(InboundKind.TEXT, "x"))
        with statements(db) as sent:
            await ctx.use_locale("en")
        assert sent == ["UPDATE"] and ctx.transaction.opened is None
        assert ctx.user.locale == "en" and ctx.tr.locale == "en"
        person = ctx.orm_user  # made from the row after the write
        assert person.locale == "en"
        await ctx.use_locale("ar")  # and with the instance already there
        assert person.locale == "ar" and ctx.user.locale == "ar"
        assert not ctx.session.dirty
        await ctx.close()
    async with db.sessions() as session:
        stored = await session.get(User, ctx.user.id)
        assert stored is not None and stored.locale == "ar"
