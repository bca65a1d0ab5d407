"""One digit style on Arabic screens (issue 14 item 7): ARABIC_DIGITS chooses Western (the
default) or Arabic-Indic for every reply and notification in Arabic; links, e-mail addresses,
commands and HTML markup keep their characters; English keeps Western digits; what people type
is accepted in either style, always."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs, localize_digits, localize_outbound
from bot.core.messages import Attachment, Choice, Outbound
from bot.delivery.sender import config_from_settings
from bot.settings import ConfigError, load_settings
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from tests.conftest import Clock
from tests.delivery.support import close, make_sender
from tests.events.support import register, seed_event
from tests.support import ADULT_ANSWERS, Chat, text_of

INDIC = re.compile("[\u0660-\u0669]")
WESTERN = re.compile("[0-9]")
# What keeps its characters whatever the style (checked independently of the code's pattern).
VERBATIM = re.compile(r"<[^>]*>|https?://\S+|\S+@\S+\.\w+|/[a-z_]+")


def shown_digits(text: str) -> str:
    """The digits a reader sees outside markup, links, addresses and commands."""
    return "".join(ch for ch in VERBATIM.sub(" ", text) if ch.isdigit())


# --- the function -------------------------------------------------------------------------------


def test_western_is_the_default_and_the_setting_is_checked() -> None:
    assert load_settings().arabic_digits == "western"
    assert load_settings(arabic_digits="arabic-indic").arabic_digits == "arabic-indic"
    with pytest.raises(ConfigError, match="ARABIC_DIGITS"):
        load_settings(arabic_digits="roman")
    sender = config_from_settings(load_settings(arabic_digits="arabic-indic"))
    assert sender.arabic_digits == "arabic-indic"


def test_arabic_indic_leaves_links_markup_commands_and_addresses_alone() -> None:
    text = (
        '<a href="https://example.sa/r/12?x=3">الطلب 12</a> من 08:30 إلى 10:00، '
        "أرسل /start أو /mydata2 واكتب إلى team1@taif.gov.sa &#39;5&#39; www.taif2.sa/p/7 "
        '<a href="tg://user?id=123">3</a>'
    )
    assert localize_digits(text, "arabic-indic") == (
        '<a href="https://example.sa/r/12?x=3">الطلب ١٢</a> من ٠٨:٣٠ إلى ١٠:٠٠، '
        "أرسل /start أو /mydata2 واكتب إلى team1@taif.gov.sa &#39;٥&#39; www.taif2.sa/p/7 "
        '<a href="tg://user?id=123">٣</a>'
    )


def test_western_turns_every_arabic_indic_digit_back() -> None:
    assert localize_digits("من ١٠ أرقام، ۱۲ و 15/03/1420", "western") == (
        "من 10 أرقام، 12 و 15/03/1420"
    )


def test_only_arabic_messages_change_with_their_buttons_and_captions() -> None:
    out = Outbound(
        text="١٢ · 3",
        choices=(Choice("ev:l:e1", "1. حملة"),),
        attachment=Attachment(kind="document", caption="ملف 2"),
    )
    arabic = localize_outbound(out, "ar", "arabic-indic")
    assert arabic.text == "١٢ · ٣"
    assert arabic.choices == (Choice("ev:l:e1", "١. حملة"),)  # the id never changes
    assert arabic.attachment is not None and arabic.attachment.caption == "ملف ٢"
    assert localize_outbound(out, "en", "arabic-indic") is out


# --- through the engine ---------------------------------------------------------------------------


async def _signup_typing_both_styles(chat: Chat) -> None:
    """A sign-up whose national ID and birth date are typed in Arabic-Indic digits and the
    mobile in Western ones: both are accepted. Starts on the main menu."""
    answers = list(ADULT_ANSWERS)
    answers[1] = ("text", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0667")
    answers[4] = ("text", "\u0661\u0665/\u0660\u0663/\u0661\u0664\u0662\u0660")
    await chat.press("vol")
    for how, value in answers:
        await chat.answer(how, value)
    await chat.press("_ok")
    assert text_of("ar", "vol.saved") in chat.text


async def test_western_arabic_screens(
    make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    chat = Chat(make_engine(arabic_digits="western"), user="w1")
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("12345")  # a wrong national ID: the message speaks of "10 digits"
    assert "10 أرقام" in chat.text
    await chat.send("/cancel")
    await _signup_typing_both_styles(chat)
    # staff typed the event's name with Arabic-Indic digits: shown in Western ones
    seeded = await seed_event(db, clock.now, title="حملة تشجير \u0661\u0664\u0664\u0668")
    await chat.send("/events")
    assert "حملة تشجير 1448" in chat.text
    assert any(WESTERN.search(label) for _, label in chat.choices)
    for out in chat.history:
        assert not INDIC.search(out.text), out.text
        for choice in out.choices:
            assert not INDIC.search(choice.label), choice.label
    assert seeded.event_id


async def test_arabic_indic_arabic_screens(
    make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    engine = make_engine(arabic_digits="arabic-indic")
    chat = Chat(engine, user="a1")
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("12345")
    assert "١٠ أرقام" in chat.text
    await chat.send("/cancel")
    await _signup_typing_both_styles(chat)
    seeded = await seed_event(db, clock.now)
    await chat.send("/events")
    labels = [label for _, label in chat.choices]
    assert any(INDIC.search(label) for label in labels), labels
    await chat.send("\u0661")  # the first event, picked by its number in either style
    assert "حملة تشجير الردف" in chat.text
    await chat.send("/help")
    assert "/mydata" in chat.text  # commands stay as they are typed
    for out in chat.history:
        assert not WESTERN.search(shown_digits(out.text)), out.text
        for choice in out.choices:
            assert not WESTERN.search(choice.label), choice.label
    assert seeded.event_id


async def test_english_screens_keep_western_digits(make_engine: Callable[..., Engine]) -> None:
    chat = Chat(make_engine(arabic_digits="arabic-indic"), user="e1")
    await chat.start_signup("en")
    await chat.send("Sara Ahmed Alharthi")
    await chat.send("\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0667")
    assert "0512345678" in chat.text
    assert not any(INDIC.search(out.text) for out in chat.history)


# --- notifications -----------------------------------------------------------------------------

CHAT = 5201


@pytest.fixture
def fake(fake: FakeTelegramServer) -> FakeTelegramServer:
    fake.known_chat(CHAT)
    return fake


@pytest.mark.parametrize(
    ("style", "expected"), [("western", "بعد 24 ساعة"), ("arabic-indic", "بعد ٢٤ ساعة")]
)
async def test_an_arabic_notification_has_the_chosen_digits(
    engine: Engine,
    db: Database,
    catalogs: Catalogs,
    clock: Clock,
    fake: FakeTelegramServer,
    style: str,
    expected: str,
) -> None:
    seeded = await seed_event(db, clock.now)
    start = clock.now + timedelta(days=3)
    chat = Chat(engine, user=str(CHAT), channel="telegram")
    await chat.signup()
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    sender = make_sender(db, catalogs, fake, clock=clock, arabic_digits=style)
    try:
        clock.now = start - timedelta(hours=24)
        await sender.drain()
    finally:
        await close(sender)
    [reminder] = [
        m["text"] for m in fake.messages_to(CHAT) if m.get("from", {}).get("is_bot") and "text" in m
    ]
    assert expected in reminder
    other = WESTERN if style == "arabic-indic" else INDIC
    assert not other.search(shown_digits(reminder)), reminder
