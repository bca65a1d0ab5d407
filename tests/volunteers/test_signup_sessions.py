"""Issue 18: accepting the privacy notice, a sign-up's national ID check and its final save run
as statements on the update's connection, with no ORM session (storage/lazy_session.py); what
users see and what is stored stay the same."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models import User, Volunteer
from tests.support import ADULT_ANSWERS, NOTICE_VERSION, Chat, orm_sessions_used


async def test_a_new_volunteers_id_check_and_save_use_no_orm_session(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    (name_how, name), (nid_how, nid), *rest = ADULT_ANSWERS
    await chat.answer(name_how, name)
    with orm_sessions_used() as used:
        await chat.answer(nid_how, nid)
    assert used == []
    assert "رقم جوالك" in chat.text  # the ID was taken, the next question asked
    for how, value in rest:
        await chat.answer(how, value)
    with orm_sessions_used() as used:
        await chat.press("_ok")
    assert used == []
    assert "تم تسجيلك متطوعًا" in chat.text
    assert dict(chat.choices)[chat.choice_id("vol")] == "🙋 ملفي التطوعي"
    async with db.sessions() as session:
        [stored] = (await session.execute(select(Volunteer))).scalars()
        assert stored.national_id == nid and stored.interests == ["environment", "events"]


async def test_an_id_another_volunteer_holds_is_refused_as_it_is_typed(
    engine: Engine, db: Database
) -> None:
    first = Chat(engine, user="first")
    await first.start_signup()
    for how, value in ADULT_ANSWERS:
        await first.answer(how, value)
    await first.press("_ok")
    second = Chat(engine, user="second")
    await second.start_signup()
    (name_how, name), (nid_how, nid), *_ = ADULT_ANSWERS
    await second.answer(name_how, name)
    await second.answer(nid_how, nid)
    assert "مسجّل لمتطوع آخر" in second.text  # the national ID message, and the question again
    assert "رقم الهوية" in second.text


async def test_accepting_the_privacy_notice_uses_no_orm_session(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.send("/start")
    await chat.press("ar")
    with orm_sessions_used() as used:
        await chat.press("yes")
    assert used == []
    assert "القائمة الرئيسية" in chat.text
    async with db.sessions() as session:
        [user] = (await session.execute(select(User))).scalars()
        assert user.consent_version == NOTICE_VERSION and user.consent_at is not None
