"""Shift reminders through the real outbox sender and the fake Bot API, with a controllable
clock (no sleeping): not due yet, due (24 h and 2 h before), withdrawn when the registration is
cancelled, and the rule after downtime: a reminder is still sent while it is useful and
skipped as 'expired' once the next one (or the shift itself) has taken over."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from tests.conftest import Clock
from tests.delivery.support import close, drain_once, make_sender
from tests.events.support import PIN, cancel_my_registration, outbox_rows, register, seed_event
from tests.support import Chat

CHAT = 5001


@pytest.fixture
def fake(fake: FakeTelegramServer) -> FakeTelegramServer:
    fake.known_chat(CHAT)
    return fake


async def telegram_volunteer(engine: Engine) -> Chat:
    chat = Chat(engine, user=str(CHAT), channel="telegram")
    await chat.signup_with_id("tg")
    return chat


async def registered_on_telegram(
    engine: Engine, db: Database, clock: Clock
) -> tuple[Chat, datetime]:
    """The Telegram volunteer registered for the shift of a new event three days ahead:
    (the chat, the shift's start)."""
    seeded = await seed_event(db, clock.now)
    start = clock.now + timedelta(days=3)
    chat = await telegram_volunteer(engine)
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    return chat, start


def bot_texts(fake: FakeTelegramServer) -> list[str]:
    return [
        m["text"] for m in fake.messages_to(CHAT) if m.get("from", {}).get("is_bot") and "text" in m
    ]


async def reminder_states(db: Database) -> dict[str, tuple[str, str | None]]:
    return {
        r.idempotency_key.rsplit(":", 1)[-1]: (r.status, r.last_error)
        for r in await outbox_rows(db, "ev:r")
        if ":rem:" in r.idempotency_key
    }


async def test_reminders_not_due_then_due_with_button_and_pin(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    chat, start = await registered_on_telegram(engine, db, clock)
    sender = make_sender(db, catalogs, fake, clock=clock)
    try:
        await sender.drain()
        assert not bot_texts(fake)  # nothing due yet
        clock.now = start - timedelta(hours=24, minutes=1)
        await sender.drain()
        assert not bot_texts(fake)
        clock.now = start - timedelta(hours=24)
        await sender.drain()
        [first] = bot_texts(fake)
        assert "تذكير" in first and "بعد 24 ساعة" in first and "حملة تشجير الردف" in first
        messages = [m for m in fake.messages_to(CHAT) if m.get("from", {}).get("is_bot")]
        button = messages[0]["reply_markup"]["inline_keyboard"][0][0]
        assert button["callback_data"] == "evo:m:0"
        assert messages[1]["location"] == {"latitude": PIN[0], "longitude": PIN[1]}
        clock.now = start - timedelta(hours=2)
        await sender.drain()
        await sender.drain()  # sent once
    finally:
        await close(sender)
    texts = bot_texts(fake)
    assert len(texts) == 2 and "بعد ساعتين" in texts[1]
    assert await reminder_states(db) == {"1440m": ("sent", None), "120m": ("sent", None)}
    # the reminder's button opens "my shifts", whatever the volunteer was doing
    await chat.send("/help")
    await chat.press_id("evo:m:0")
    assert "وردياتي القادمة" in chat.text


async def test_a_cancelled_registration_gets_no_reminder(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    chat, start = await registered_on_telegram(engine, db, clock)
    await cancel_my_registration(chat)
    sender = make_sender(db, catalogs, fake, clock=clock)
    try:
        for moment in (start - timedelta(hours=24), start - timedelta(hours=2), start):
            clock.now = moment
            await sender.drain()
    finally:
        await close(sender)
    assert not bot_texts(fake)
    assert await reminder_states(db) == {
        "1440m": ("skipped", "registration cancelled"),
        "120m": ("skipped", "registration cancelled"),
    }


async def test_after_downtime_a_late_reminder_is_sent_while_useful_else_expired(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    _, start = await registered_on_telegram(engine, db, clock)
    sender = make_sender(db, catalogs, fake, clock=clock)
    try:
        # down from before the 24-hour mark until 3 hours before: the 24-hour reminder is
        # late but still the right one to send
        clock.now = start - timedelta(hours=3)
        await sender.drain()
        assert len(bot_texts(fake)) == 1 and "بعد 24 ساعة" in bot_texts(fake)[0]
        # down again past the start: the 2-hour reminder lost its point
        clock.now = start + timedelta(minutes=10)
        await sender.drain()
    finally:
        await close(sender)
    assert len(bot_texts(fake)) == 1
    assert await reminder_states(db) == {"1440m": ("sent", None), "120m": ("skipped", "expired")}


async def test_down_across_both_marks_sends_only_the_latest_useful_one(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    _, start = await registered_on_telegram(engine, db, clock)
    clock.now = start - timedelta(hours=1)  # back up one hour before the shift
    await drain_once(db, catalogs, fake, clock=clock)
    [text] = bot_texts(fake)
    assert "بعد ساعتين" in text  # one reminder, not two at once
    assert await reminder_states(db) == {"1440m": ("skipped", "expired"), "120m": ("sent", None)}


async def test_registering_late_queues_only_the_reminders_still_ahead(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, days_ahead=0, shifts=[{"start": 10, "hours": 2}])
    chat = Chat(engine, user="late")
    await chat.signup_with_id("late")
    await register(chat, seeded.event_id, seeded.shift_ids[0])  # 10 hours before the start
    assert set(await reminder_states(db)) == {"120m"}
