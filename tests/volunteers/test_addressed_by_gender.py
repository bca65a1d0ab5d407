"""Addressed as who they are (issue 14 item 6), through the engine as a person signs up.

Before the gender answer every question is neutral; right after it the next question already
speaks to her (or him); a later update in the same form still does (the engine reads the
form's answer); after sign-up the stored profile decides, in chat and in notifications
rendered by the outbox sender.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from tests.conftest import Clock
from tests.delivery.support import close, make_sender
from tests.events.support import register, seed_event
from tests.support import ADULT_ANSWERS, Chat, text_of

CHAT = 5101
FEMALE_SAVED = "تم تسجيلكِ متطوعةً"
FEMALE_CHARTER = "هل تقبلين الميثاق؟"
MALE_CHARTER = "هل تقبل الميثاق؟"


def female(msgid: str) -> str:
    """The catalog's feminine variant of `msgid`."""
    from babel.messages.pofile import read_po

    from bot.core.i18n import DEFAULT_LOCALES_DIR, po_path

    with po_path(DEFAULT_LOCALES_DIR, "ar").open("rb") as fh:
        message = read_po(fh).get(msgid, context="female")
    assert message is not None, msgid
    return str(message.string)


def answers(gender: str) -> list[tuple[str, object]]:
    return [("press", gender) if value == "m" else (how, value) for how, value in ADULT_ANSWERS]


async def test_a_woman_is_addressed_as_a_woman_from_her_gender_answer_on(engine: Engine) -> None:
    chat = Chat(engine, user="huda")
    await chat.start_signup()
    steps = answers("f")
    for how, value in steps[:2]:  # name, national ID
        await chat.answer(how, value)
    # the mobile question comes before the gender answer: neutral
    assert text_of("ar", "vol.q.mobile") in chat.text
    assert female("vol.q.mobile") not in chat.text
    await chat.answer(*steps[2])
    await chat.press("f")
    # the very next question speaks to her
    assert female("vol.q.birth") in chat.text
    assert text_of("ar", "vol.q.birth") not in chat.text
    # a later update of the same form too: back to the mobile question, then on again
    await chat.press("_b")
    await chat.press("_b")
    assert female("vol.q.mobile") in chat.text
    await chat.press("_k")
    await chat.press("_k")
    assert female("vol.q.birth") in chat.text
    for how, value in steps[4:-1]:
        await chat.answer(how, value)
    assert FEMALE_CHARTER in chat.text
    assert MALE_CHARTER not in chat.text
    await chat.answer(*steps[-1])
    assert female("vol.summary_title") in chat.text
    await chat.press("_ok")
    assert FEMALE_SAVED in chat.text
    # from now on her stored profile decides, in any flow
    await chat.send("/menu")
    assert female("menu.title") in chat.text


async def test_a_man_reads_the_masculine_wording(engine: Engine) -> None:
    chat = Chat(engine, user="omar")
    await chat.start_signup()
    steps = answers("m")
    for how, value in steps[:3]:
        await chat.answer(how, value)
    await chat.press("m")
    assert text_of("ar", "vol.q.birth") in chat.text
    for how, value in steps[4:-1]:
        await chat.answer(how, value)
    assert MALE_CHARTER in chat.text and FEMALE_CHARTER not in chat.text
    await chat.answer(*steps[-1])
    await chat.press("_ok")
    assert "تم تسجيلك متطوعًا" in chat.text and FEMALE_SAVED not in chat.text
    await chat.send("/menu")
    assert text_of("ar", "menu.title") in chat.text


async def test_english_is_one_form_whoever_reads(engine: Engine) -> None:
    chat = Chat(engine, user="sara")
    await chat.start_signup("en")
    for how, value in answers("f"):
        await chat.answer(how, value)
    await chat.press("_ok")
    assert text_of("en", "vol.saved") in chat.text


@pytest.fixture
def fake(fake: FakeTelegramServer) -> FakeTelegramServer:
    fake.known_chat(CHAT)
    fake.known_chat(CHAT + 1)
    return fake


def bot_texts(fake: FakeTelegramServer, chat: int) -> list[str]:
    return [
        m["text"] for m in fake.messages_to(chat) if m.get("from", {}).get("is_bot") and "text" in m
    ]


@pytest.mark.parametrize(("gender", "chat_id"), [("f", CHAT), ("m", CHAT + 1)])
async def test_a_reminder_notification_speaks_to_its_recipient(
    engine: Engine,
    db: Database,
    catalogs: Catalogs,
    clock: Clock,
    fake: FakeTelegramServer,
    gender: str,
    chat_id: int,
) -> None:
    seeded = await seed_event(db, clock.now)
    start = clock.now + timedelta(days=3)
    chat = Chat(engine, user=str(chat_id), channel="telegram")
    await chat.signup(answers(gender))
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    registered = "✅ تم تسجيلكِ في وردية" if gender == "f" else "✅ تم تسجيلك في وردية"
    assert registered in chat.text
    sender = make_sender(db, catalogs, fake, clock=clock)
    try:
        clock.now = start - timedelta(hours=24)
        await sender.drain()
    finally:
        await close(sender)
    [reminder] = bot_texts(fake, chat_id)
    assert "تذكير" in reminder
    if gender == "f":
        assert "ورديتكِ في «حملة تشجير الردف»" in reminder
    else:
        assert "ورديتك في «حملة تشجير الردف»" in reminder
