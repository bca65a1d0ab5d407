"""The volunteer sign-up through the engine: the happy path and the engine's guarantees."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from bot.core.engine import Engine
from bot.core.messages import Inbound
from storage.db import Database
from storage.models import Conversation, User, Volunteer
from tests.conftest import DatabaseFactory
from tests.support import ADULT_ANSWERS, NOTICE_VERSION, Chat


async def volunteers(db: Database) -> list[Volunteer]:
    async with db.sessions() as session:
        return list((await session.execute(select(Volunteer))).scalars())


async def at_the_summary(chat: Chat) -> None:
    """Start the sign-up and answer every question: the chat ends on the summary."""
    await chat.start_signup()
    for how, value in ADULT_ANSWERS:
        await chat.answer(how, value)


def confirm_update(chat: Chat) -> Inbound:
    """A new update pressing "confirm" on the summary, not yet delivered."""
    return chat.inbound(chat.last_inbound.kind, chat.choice_id("_ok"))  # type: ignore[union-attr]


async def test_whole_signup_in_arabic_saves_the_profile(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.send("/start")
    assert chat.offers("ar") and chat.offers("en")
    await chat.press("ar")
    assert "إشعار الخصوصية" in chat.text
    await chat.press("yes")
    assert "القائمة الرئيسية" in chat.text
    await chat.press("vol")
    assert "اسمك الكامل" in chat.text
    for how, value in ADULT_ANSWERS:
        await chat.answer(how, value)
    assert "راجع بيانات التسجيل" in chat.text
    # The summary masks the ID and never shows it whole.
    assert "1•••••••97" in chat.text
    assert "1234567897" not in chat.text
    await chat.press("_ok")
    assert "تم تسجيلك متطوعًا" in chat.text
    # The menu shown with the confirmation already counts the new profile.
    assert dict(chat.choices)[chat.choice_id("vol")] == "🙋 ملفي التطوعي"

    [vol] = await volunteers(db)
    assert vol.full_name == "محمد عبدالله الغامدي"
    assert vol.national_id == "1234567897"
    assert vol.mobile == "+966512345678"
    assert vol.gender == "m"
    assert vol.birth_calendar == "hijri"
    assert vol.birth_date.year == 1999
    assert vol.district == "hawiya"
    assert vol.interests == ["environment", "events"]
    assert vol.availability == ["we_morning"]
    assert vol.email is None
    assert vol.guardian_name is None
    assert vol.charter_accepted_at is not None
    async with db.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
        assert user.locale == "ar"
        assert user.consent_version == NOTICE_VERSION
        assert user.consent_at is not None
    # Every reply in the whole conversation kept the ID masked.
    assert all("1234567897" not in out.text for out in chat.history)


async def test_signup_in_english(engine: Engine, db: Database) -> None:
    chat = Chat(engine, language_hint="en")
    await chat.send("hello")
    assert "Choose your language" in chat.text
    await chat.press("en")
    assert "Privacy notice" in chat.text
    await chat.press("yes")
    await chat.press("vol")
    assert "full name" in chat.text
    for how, value in ADULT_ANSWERS:
        await chat.answer(how, value)
    assert "Review your sign-up" in chat.text
    await chat.press("_ok")
    assert "You are registered" in chat.text
    assert len(await volunteers(db)) == 1


async def test_restart_mid_form_resumes_at_the_same_step(
    db_factory: DatabaseFactory, make_engine: Callable[..., Engine], db: Database
) -> None:
    first = Chat(make_engine())
    await first.start_signup()
    for how, value in ADULT_ANSWERS[:4]:
        await first.answer(how, value)
    assert "تاريخ ميلادك" in first.text

    # A new process: a new Database object and a new engine on the same data.
    restarted = make_engine(db_factory.open())
    chat = Chat(restarted)
    for how, value in ADULT_ANSWERS[4:]:  # starts with a typed answer: the birth date
        await chat.answer(how, value)
    await chat.press("_ok")
    [vol] = await volunteers(db)
    assert vol.full_name == "محمد عبدالله الغامدي"
    assert vol.national_id == "1234567897"


async def test_the_same_update_twice_has_one_effect(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await at_the_summary(chat)
    confirm = confirm_update(chat)
    first, second = await asyncio.gather(engine.handle(confirm), engine.handle(confirm))
    # One of them was recognised as a repeat and given the replies the other saved.
    assert first == second and first
    assert await engine.handle(confirm) == first
    assert len(await volunteers(db)) == 1


async def test_a_repeated_text_answer_is_not_applied_twice(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    assert "رقم الهوية" in chat.text
    first = chat.last
    assert await chat.redeliver() == first  # its saved replies again (bot/core/replay.py)
    await chat.send("1234567897")
    assert "جوال" in chat.text


async def test_two_concurrent_confirmations_give_one_registration(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await at_the_summary(chat)
    a, b = confirm_update(chat), confirm_update(chat)
    await asyncio.gather(engine.handle(a), engine.handle(b))
    assert len(await volunteers(db)) == 1


async def test_two_processes_confirming_at_once_give_one_registration(
    db_factory: DatabaseFactory, make_engine: Callable[..., Engine], db: Database
) -> None:
    chat = Chat(make_engine())
    await at_the_summary(chat)
    other = make_engine(db_factory.open())  # its own locks: only the database can arbitrate
    a, b = confirm_update(chat), confirm_update(chat)
    await asyncio.gather(chat.engine.handle(a), other.handle(b))
    assert len(await volunteers(db)) == 1


async def test_same_national_id_from_two_users_at_once(engine: Engine, db: Database) -> None:
    one, two = Chat(engine, user="a"), Chat(engine, user="b")
    for chat in (one, two):
        await at_the_summary(chat)
    a, b = confirm_update(one), confirm_update(two)
    replies = await asyncio.gather(engine.handle(a), engine.handle(b))
    assert len(await volunteers(db)) == 1
    texts = ["\n".join(o.text for o in r) for r in replies]
    assert sum("مسجّل لمتطوع آخر" in t for t in texts) == 1


async def test_a_stale_button_reshows_the_current_step(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    for how, value in ADULT_ANSWERS[:3]:
        await chat.answer(how, value)
    gender_male = chat.choice_id("m")
    await chat.press("m")
    assert "تاريخ ميلادك" in chat.text
    await chat.press_id(gender_male)  # the old gender button again
    assert "تاريخ ميلادك" in chat.text
    async with db.sessions() as session:
        conv = (await session.execute(select(Conversation))).scalar_one()
        assert conv.step == "birth"


async def test_minor_needs_guardian_and_editing_birth_drops_it(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    for how, value in ADULT_ANSWERS[:4]:
        await chat.answer(how, value)
    await chat.send("01/01/2015")  # eleven years old on the test clock's date
    assert "وليّ أمرك" in chat.text
    await chat.send("عبدالله محمد الغامدي")
    await chat.send("٠٥٥٥١٢٣٤٥٦")  # Arabic-Indic digits
    await chat.press("no")
    assert "دون موافقة وليّ الأمر" in chat.text
    await chat.press("yes")
    for how, value in ADULT_ANSWERS[5:]:
        await chat.answer(how, value)
    assert "جوال وليّ الأمر" in chat.text
    await chat.press("_ok")
    [vol] = await volunteers(db)
    assert vol.guardian_name == "عبدالله محمد الغامدي"
    assert vol.guardian_mobile == "+966555123456"
    assert vol.guardian_consent_at is not None

    # Correcting the birth date to an adult's drops the guardian fields.
    await chat.send("/mydata")
    await chat.press("edit")
    await chat.press("_e")
    await chat.press("birth")
    await chat.send("1990-05-01")
    assert "جوال وليّ الأمر" not in chat.text
    await chat.press("_ok")
    [vol] = await volunteers(db)
    assert vol.birth_date == date(1990, 5, 1)
    assert vol.guardian_name is None and vol.guardian_consent_at is None


async def test_back_keep_edit_and_cancel(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("1234567897")
    await chat.press("_b")
    assert "رقم الهوية" in chat.text and "1•••••••97" in chat.text
    await chat.press("_k")
    assert "جوال" in chat.text
    for how, value in ADULT_ANSWERS[2:]:
        await chat.answer(how, value)
    await chat.press("_e")
    await chat.press("district")
    await chat.send("شهار")
    assert "راجع بيانات التسجيل" in chat.text and "شهار" in chat.text
    await chat.press("_c")
    assert "أُلغي" in chat.text
    assert await volunteers(db) == []
    await chat.press("vol")
    assert "اسمك الكامل" in chat.text and "نكمل" not in chat.text


async def test_leaving_a_form_keeps_a_draft(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("/menu")
    assert chat.offers("vol")
    assert "إكمال التسجيل" in dict(chat.choices)[chat.choice_id("vol")]
    await chat.press("vol")
    assert "نكمل من حيث توقفت" in chat.text and "رقم الهوية" in chat.text


async def test_contact_share_must_be_the_senders_own(engine: Engine, db: Database) -> None:
    chat = Chat(engine, caps=frozenset({"contact"}))
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("1234567897")
    assert any(o.ask_contact for o in chat.last)
    await chat.contact("+966512345678", own=False)
    assert "لشخص آخر" in chat.text
    await chat.contact("966512345678", own=True)
    assert "الجنس" in chat.text


async def test_count_of_rows_stays_one_per_user(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup()
    async with db.sessions() as session:
        assert (await session.execute(select(func.count(User.id)))).scalar_one() == 1


async def test_a_known_sender_phone_is_confirmed_not_asked(engine: Engine, db: Database) -> None:
    chat = Chat(engine, channel="whatsapp", user="966512345678")
    chat.sender_phone = "966512345678"
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("1234567897")
    assert "+966512345678" in chat.text and chat.offers("_me")
    await chat.press("_me")
    assert "الجنس" in chat.text
    for how, value in ADULT_ANSWERS[3:]:
        await chat.answer(how, value)
    await chat.press("_ok")
    [vol] = await volunteers(db)
    assert vol.mobile == "+966512345678"
