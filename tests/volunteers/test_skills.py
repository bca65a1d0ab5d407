"""Skills in chat (issue 13): an optional question right after the interests, in the summary
and editable from it, shown and correctable in "my data"; stored as typed (cleaned) with a
folded search key beside it; a woman is asked in the feminine. The demo data has some."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.unit import Actor
from bot.demo import load_demo_data
from bot.services import volunteers as service
from storage.db import Database
from storage.models import Volunteer
from tests.services.support import Units, add_person, units
from tests.support import (
    SKILLS_AT,
    Chat,
    assert_clean,
    conversation,
    plain,
    step_of,
    text_of,
    with_skills,
)
from tests.volunteers.test_addressed_by_gender import answers, female

__all__ = ["units"]

SKILLS = "إسعافات أولية، تصوير، لغة الإشارة"


async def the_volunteer(db: Database) -> Volunteer:
    async with db.sessions() as session:
        return (await session.execute(select(Volunteer))).scalar_one()


async def walk_to_skills(chat: Chat, locale: str = "ar") -> None:
    await chat.start_signup(locale)
    for how, value in with_skills(SKILLS)[:SKILLS_AT]:
        await chat.answer(how, value)


async def test_skills_at_sign_up_then_corrected_in_my_data(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await walk_to_skills(chat)
    # Right after the interests, optional: a skip button.
    assert text_of("ar", "vol.q.skills") in chat.text
    assert chat.offers("_s")
    # Direction overrides pasted with the text are dropped.
    await chat.send("\u202e" + SKILLS + "\u202c")
    for how, value in with_skills(SKILLS)[SKILLS_AT + 1 :]:
        await chat.answer(how, value)
    summary = plain(chat.text)
    assert f"{text_of('ar', 'vol.f.skills')}: {SKILLS}" in summary
    await chat.press("_ok")
    assert_clean(chat.last)
    saved = await the_volunteer(db)
    assert saved.skills == SKILLS
    assert saved.skills_key == "اسعافات اوليه تصوير لغه الاشاره"

    await chat.send("/mydata")
    assert f"{text_of('ar', 'vol.f.skills')}: {SKILLS}" in plain(chat.text)
    await chat.press("edit")
    await chat.press("_e")
    await chat.press("skills")
    assert SKILLS in chat.text  # the current value, to keep or replace
    await chat.send("سباكة <وكهرباء>")
    assert "سباكة &lt;وكهرباء&gt;" in chat.text  # the summary escapes it
    await chat.press("_ok")
    assert_clean(chat.last)
    corrected = await the_volunteer(db)
    assert (corrected.id, corrected.skills) == (saved.id, "سباكة <وكهرباء>")
    assert corrected.skills_key == "سباكه <وكهرباء>"
    assert corrected.interests == saved.interests  # nothing else changed

    # Skipping the question when correcting removes them, key and all.
    await chat.send("/mydata")
    await chat.press("edit")
    await chat.press("_e")
    await chat.press("skills")
    await chat.press("_s")
    assert f"{text_of('ar', 'vol.f.skills')}: {text_of('ar', 'form.skipped_f')}" in plain(chat.text)
    await chat.press("_ok")
    cleared = await the_volunteer(db)
    assert (cleared.skills, cleared.skills_key) == (None, None)


async def test_skills_in_english(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await walk_to_skills(chat, "en")
    assert text_of("en", "vol.q.skills") in chat.text
    await chat.send("First aid, sign language")
    for how, value in with_skills(SKILLS)[SKILLS_AT + 1 :]:
        await chat.answer(how, value)
    assert "Skills: First aid, sign language" in plain(chat.text)
    await chat.press("_ok")
    assert (await the_volunteer(db)).skills_key == "first aid sign language"
    await chat.send("/mydata")
    assert "Skills: First aid, sign language" in plain(chat.text)


async def test_a_woman_is_asked_her_skills_in_the_feminine(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="huda")
    await chat.start_signup()
    for how, value in answers("f")[:SKILLS_AT]:
        await chat.answer(how, value)
    assert female("vol.q.skills") in chat.text
    assert text_of("ar", "vol.q.skills") not in chat.text


async def test_skills_that_are_not_words_or_too_long_are_asked_again(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await walk_to_skills(chat)
    await chat.send("١٢٣ - ٤٥٦")
    assert text_of("ar", "vol.err.skills").split("،")[0] in chat.text
    assert text_of("ar", "vol.q.skills") in chat.text
    await chat.send("ب" * 301)
    assert text_of("ar", "err.text.too_long").format(limit=300) in chat.text
    assert text_of("ar", "vol.q.skills") in chat.text
    await chat.send("ب" * 300)  # the longest allowed
    assert text_of("ar", "vol.q.availability") in chat.text


async def test_a_typed_skip_skips_but_a_skill_that_begins_like_it_is_kept(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await walk_to_skills(chat)
    await chat.send("تخطى")  # "skip" as people type it
    assert step_of(chat.last[-1]) == "avail", chat.text
    assert (await conversation(db, chat)).data["f"]["v"]["skills"] is None
    await chat.press("_b")
    await chat.send("تخطيط")  # planning: a skill, not the skip button
    assert step_of(chat.last[-1]) == "avail", chat.text
    assert (await conversation(db, chat)).data["f"]["v"]["skills"] == "تخطيط"


async def test_demo_volunteers_have_skills_staff_can_search(units: Units, db: Database) -> None:
    await load_demo_data(db)
    async with db.transaction() as session:  # as a demo loaded before skills existed
        for volunteer in (await session.execute(select(Volunteer))).scalars():
            volunteer.skills = volunteer.skills_key = None
    await load_demo_data(db)  # fills them in, adds nobody
    boss = await add_person(db, "boss", role="staff")
    async with units(Actor.person(boss, "staff")) as unit:
        assert await service.count_matching(unit, service.Search()) == 3
        [medic] = await service.search_volunteers(unit, service.Search(text="اسعافات"))
        [media] = await service.search_volunteers(unit, service.Search(text="تصوير"))
    assert medic.full_name == "سارة الحارثي" and media.full_name == "نورة المالكي"
    assert medic.skills == "إسعافات أولية، لغة الإشارة"
