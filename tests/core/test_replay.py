"""Replies saved with the state (bot/core/replay.py, issue 16): a worker killed after its
transaction committed and before the replies went out no longer leaves the update answered by
nobody. The platform re-delivers it; the engine does not handle it again but gives back the
replies its first handling saved, while they are still the person's latest and recent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from bot.core import replay
from bot.core.engine import Engine
from bot.core.messages import Attachment, Choice, Location, Outbound
from scheduler.factory import prune_processed_updates
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, Conversation, utcnow
from tests.conftest import DatabaseFactory
from tests.support import Chat, conversation, state_key


async def saved_replies(db: Database) -> list[object]:
    async with db.sessions() as session:
        rows = await session.execute(select(Conversation.pending_replies))
        return [row[0] for row in rows]


async def saved_for(db: Database, chat: Chat) -> object:
    async with db.sessions() as session:
        conv = await conversation(db, chat)
        row = await session.execute(
            select(Conversation.pending_replies).where(Conversation.user_id == conv.user_id)
        )
        return row.scalar_one()


async def age_conversations(db: Database, by: timedelta) -> None:
    async with db.transaction() as session:
        await session.execute(update(Conversation).values(updated_at=utcnow() - by))


async def test_a_redelivered_latest_update_gets_its_replies_again_without_a_second_effect(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    first = await chat.send("محمد عبدالله الغامدي")
    assert "رقم الهوية" in chat.text
    before = state_key(await conversation(db, chat))
    assert await chat.redeliver() == first  # the same screen, not nothing
    assert state_key(await conversation(db, chat)) == before  # and not applied twice
    await chat.send("1234567897")
    assert "جوال" in chat.text


async def test_the_replies_survive_the_process_that_made_them(
    db_factory: DatabaseFactory, make_engine: Callable[..., Engine]
) -> None:
    """Worker A commits and dies before sending; the platform re-delivers to worker B (its
    own database connection, its own memory)."""
    chat = Chat(make_engine())
    await chat.onboard()
    lost = await chat.send("/help")  # handled and committed, never sent: A was killed
    other = make_engine(db_factory.open())
    again = await other.handle(chat.last_inbound)  # type: ignore[arg-type]
    assert again == lost and again and again[0].text


async def test_an_older_update_redelivered_after_a_newer_one_gets_nothing(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/help")
    older = chat.last_inbound
    await chat.send("/start")
    assert older is not None and await chat.deliver(older) == []


async def test_saved_replies_are_not_sent_once_they_are_old(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/help")
    await age_conversations(db, repo.PENDING_REPLIES_KEPT + timedelta(seconds=5))
    assert await chat.redeliver() == []


async def test_housekeeping_clears_old_saved_replies_and_keeps_recent_ones(
    engine: Engine, db: Database
) -> None:
    old, recent = Chat(engine, user="old"), Chat(engine, user="recent")
    await old.onboard()
    await age_conversations(db, repo.PENDING_REPLIES_KEPT + timedelta(minutes=1))
    await recent.onboard()
    assert all(saved is not None for saved in await saved_replies(db))
    await prune_processed_updates(db)
    assert await saved_for(db, old) is None
    assert await saved_for(db, recent) is not None
    assert await recent.redeliver() == recent.last


async def test_deleting_someones_data_drops_every_saved_reply(engine: Engine, db: Database) -> None:
    """A staff member's saved reply may name the person; nothing of them stays behind."""
    leaving, other = Chat(engine, user="leaving"), Chat(engine, user="other")
    await leaving.onboard()
    await other.onboard()
    await leaving.send("/mydata")
    await leaving.press("del")
    await leaving.press("yes")
    async with db.sessions() as session:
        assert (await session.execute(select(AuditLog.action))).scalars().all()
    assert await saved_replies(db) == [None]  # only the other's row is left, and it is empty
    assert await other.redeliver() == []


def test_replies_round_trip_through_json_with_files_pins_and_flags() -> None:
    replies = [
        Outbound(
            text="<b>مرحبا</b>",
            choices=(Choice("m:home:vol", "تطوع"), Choice("m:home:_c", "إلغاء")),
            hints={"locale": "ar", "staff": "1"},
        ),
        Outbound(text="pin", location=Location(21.27, 40.41), remove_keyboard=True),
        Outbound(text="share", ask_contact=True, ask_location=True),
        Outbound(
            text="file",
            attachment=Attachment("document", "a.pdf", b"%PDF\x00\xff", "cap", None),
        ),
        Outbound(text="photo", attachment=Attachment("photo", file_id="AgAD")),
    ]
    packed = replay.pack("key", replies)
    assert packed is not None and packed["u"] == "key"
    assert replay.unpack(packed["o"]) == replies


def test_nothing_is_saved_for_no_replies_or_a_big_file() -> None:
    assert replay.pack("key", []) is None
    big = Attachment("document", "big.xlsx", b"x" * (replay.MAX_SAVED_FILE + 1))
    assert replay.pack("key", [Outbound(text="t", attachment=big)]) is None
    small = Attachment("document", "ok.xlsx", b"x" * replay.MAX_SAVED_FILE)
    assert replay.pack("key", [Outbound(text="t", attachment=small)]) is not None


def test_a_saved_row_not_in_the_shape_is_skipped() -> None:
    assert replay.unpack([{"t": "ok"}, "junk", {"no": "text"}, 3]) == [Outbound(text="ok")]


async def test_replies_the_adapter_sent_are_not_sent_again(engine: Engine, db: Database) -> None:
    """Telegram retrying a webhook call that took too long: the first answer went out."""
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/help")
    assert chat.last_inbound is not None
    engine.delivered(chat.last_inbound)
    await engine.sent_marks.flush()
    assert await saved_for(db, chat) is None
    assert await chat.redeliver() == []


async def test_a_late_mark_leaves_a_newer_updates_replies(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/help")
    older = chat.last_inbound
    newer = await chat.send("/start")
    assert older is not None
    engine.delivered(older)  # its mark lands after the newer update was saved
    await engine.close()
    assert await chat.redeliver() == newer


async def test_replayed_replies_once_sent_are_not_sent_a_third_time(
    db_factory: DatabaseFactory, make_engine: Callable[..., Engine]
) -> None:
    """Worker A died before sending; worker B replays and sends: B's mark clears them."""
    chat = Chat(make_engine())
    await chat.onboard()
    first = await chat.send("/help")  # A never sent it
    chat.engine = make_engine(db_factory.open())
    assert await chat.redeliver() == first
    assert chat.last_inbound is not None
    chat.engine.delivered(chat.last_inbound)
    await chat.engine.close()
    assert await chat.redeliver() == []


async def test_a_retry_right_after_the_answer_gets_nothing_before_the_mark_is_written(
    engine: Engine,
) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/help")
    assert chat.last_inbound is not None
    engine.delivered(chat.last_inbound)  # its batch not written yet
    assert await chat.redeliver() == []
