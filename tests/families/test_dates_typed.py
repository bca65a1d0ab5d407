"""Families type document expiry dates as they say them ("20 Rajab 1448" in Arabic, "15 January
2027", "tomorrow"); each date question shows coming examples computed from today, and its errors
are followed by its own examples, never the birth-date ones. Days come from the injected clock."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from hijridate import Gregorian

from bot.core.date_input import EXAMPLE_DAYS_AHEAD
from bot.core.engine import Engine
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import seed_event, volunteers
from tests.families.support import answer_all, families, family_answers, national_id
from tests.support import Chat, text_of

ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
BIRTH_EXAMPLES = ("15/03/1420", "25/06/1999")


def today(clock: Clock) -> date:
    return clock.now.astimezone(ZoneInfo("Asia/Riyadh")).date()


def hijri_words(day: date, lang: str = "ar") -> str:
    h = Gregorian(day.year, day.month, day.day).to_hijri()
    return f"{h.day} {h.month_name('ar' if lang == 'ar' else 'en')} {h.year}"


async def up_to_the_freelance_expiry(engine: Engine, user: str, locale: str) -> Chat:
    """A family registration answered up to the freelance document's expiry question."""
    chat = Chat(engine, user=user)
    await chat.onboard(locale)
    await chat.press("fam")
    await chat.press("reg")
    answers = family_answers(national_id(41))
    upto = next(i for i, (_, v) in enumerate(answers) if v == "FL-123456")
    await answer_all(chat, answers[: upto + 1])
    return chat


async def test_a_family_types_the_expiry_as_a_hijri_date_in_words(
    engine: Engine, db: Database, clock: Clock
) -> None:
    expiry = today(clock) + timedelta(days=400)
    health = today(clock) + timedelta(days=1)
    chat = Chat(engine, user="famh")
    await chat.onboard("ar")
    await chat.press("fam")
    await chat.press("reg")
    await answer_all(
        chat,
        family_answers(
            national_id(42),
            freelance_expiry=hijri_words(expiry).translate(ARABIC_INDIC),
            health_expiry="\u063a\u062f\u064b\u0627",  # "tomorrow"
        ),
    )
    await chat.press("_ok")
    [family] = await families(db)
    assert family.freelance_doc_expiry == expiry
    assert family.health_cert_expiry == health


async def test_the_expiry_question_shows_its_own_future_examples_in_arabic(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = await up_to_the_freelance_expiry(engine, "famx", "ar")
    example_day = today(clock) + timedelta(days=EXAMPLE_DAYS_AHEAD)
    assert hijri_words(example_day) in chat.text
    assert example_day.strftime("%d/%m/%Y") in chat.text
    await chat.send("\u0642\u0631\u064a\u0628\u064b\u0627")  # "soon": not a date
    assert text_of("ar", "err.date.format") in chat.text
    assert example_day.strftime("%d/%m/%Y") in chat.text  # the question again, its examples
    assert not any(birth in chat.text for birth in BIRTH_EXAMPLES)
    # A past date in words is refused as expired.
    yesterday = today(clock) - timedelta(days=1)
    await chat.send(hijri_words(yesterday))
    assert text_of("ar", "fam.err.doc_expired").split("\u060c")[0] in chat.text


async def test_the_expiry_in_english_words(engine: Engine, db: Database, clock: Clock) -> None:
    chat = await up_to_the_freelance_expiry(engine, "fame", "en")
    example_day = today(clock) + timedelta(days=EXAMPLE_DAYS_AHEAD)
    assert format_date(example_day, "d MMMM y", locale="en") in chat.text
    await chat.send("someday")
    assert text_of("en", "err.date.format") in chat.text
    assert not any(birth in chat.text for birth in BIRTH_EXAMPLES)
    next_year = today(clock).year + 1
    await chat.send(f"January 15, {next_year}")
    assert text_of("en", "fam.q.health_no") in chat.text  # accepted: the next question
    answers = family_answers(national_id(41))
    after = next(i for i, (_, v) in enumerate(answers) if v == "HC 998877")
    await answer_all(chat, answers[after:])
    await chat.press("_ok")
    [family] = await families(db)
    assert family.freelance_doc_expiry == date(next_year, 1, 15)


async def test_the_event_date_filter_shows_coming_examples_and_takes_weekdays(
    engine: Engine, db: Database, clock: Clock
) -> None:
    await seed_event(db, clock.now, days_ahead=1, title="\u063a\u062f\u064b\u0627")
    [chat] = await volunteers(engine, "fd1")
    await chat.send("/events")
    await chat.press("_fd")
    assert (today(clock) + timedelta(days=7)).isoformat() in chat.text
    await chat.send("\u062a\u0627\u0631\u064a\u062e")  # "date": not one
    assert text_of("ar", "err.date.format") in chat.text
    assert not any(birth in chat.text for birth in BIRTH_EXAMPLES)
    assert (today(clock) + timedelta(days=7)).isoformat() in chat.text
    await chat.send("\u063a\u062f\u064b\u0627")  # tomorrow: the seeded event's day
    assert "\u0641\u0639\u0627\u0644\u064a\u0629 \u0648\u0627\u062d\u062f\u0629" in chat.text
