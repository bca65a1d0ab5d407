"""Only adults apply for a family (issue 14 item 9): the form asks the applicant's birth date
(Hijri or Gregorian, any digits) right after their name and gender, and an applicant under 18
is told kindly and the registration ends there, nothing kept. 18 today is an adult. A volunteer
profile answers the question (an adult is not asked; a minor is refused at once). Only "adult
confirmed at" is stored, never the birth date. Days come from the injected clock."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.engine import Engine
from storage.db import Database
from tests.conftest import Clock
from tests.families.support import (
    APPLICANT_BIRTH,
    answer_all,
    families,
    family_answers,
    national_id,
)
from tests.support import ADULT_ANSWERS, Chat, plain, text_of
from tests.volunteers.support import minor_answers

ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)


def born_years_ago(clock: Clock, years: int) -> date:
    today = clock.now.astimezone(ZoneInfo("Asia/Riyadh")).date()
    return today.replace(year=today.year - years)


def with_birth(answers: list[tuple[str, object]], typed: str) -> list[tuple[str, object]]:
    index = answers.index(("text", APPLICANT_BIRTH))
    return [*answers[:index], ("text", typed), *answers[index + 1 :]]


async def registering(engine: Engine, user: str, locale: str = "ar") -> Chat:
    chat = Chat(engine, user=user)
    await chat.onboard(locale)
    await chat.press("fam")
    await chat.press("reg")
    return chat


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_an_applicant_under_18_is_refused_kindly(
    engine: Engine, db: Database, clock: Clock, locale: str
) -> None:
    chat = await registering(engine, f"young-{locale}", locale)
    answers = family_answers(national_id(61), gender="m")  # the neutral wording
    await answer_all(chat, answers[:3])  # family name, applicant, gender
    eighteen_tomorrow = born_years_ago(clock, 18) + timedelta(days=1)
    typed = eighteen_tomorrow.strftime("%d/%m/%Y")
    await chat.send(typed.translate(ARABIC_INDIC) if locale == "ar" else typed)
    said = plain(chat.last[0].text)
    assert said == plain(text_of(locale, "fam.err.under_age")), said
    # Back on the families menu with nothing kept: no family, no draft to continue.
    assert chat.offers("reg") and "continue" not in chat.text.lower()
    assert text_of(locale, "fam.menu.register") in [label for _, label in chat.choices]
    assert await families(db) == []


async def test_an_applicant_18_today_is_accepted_and_only_that_is_kept(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = await registering(engine, "eighteen")
    eighteen_today = born_years_ago(clock, 18)
    answers = with_birth(family_answers(national_id(62)), eighteen_today.isoformat())
    await answer_all(chat, answers)
    await chat.press("_ok")
    [family] = await families(db)
    assert family.adult_confirmed_at == clock.now
    # Correcting the registration does not ask the birth date again.
    await chat.press("reg")
    assert text_of("ar", "fam.f.birth") not in plain(chat.text)


async def test_a_volunteer_profile_answers_the_age_question(
    engine: Engine, db: Database, clock: Clock
) -> None:
    nid = national_id(65)  # the minor's own (the adult has ADULT_ANSWERS')
    adult = Chat(engine, user="adult-volunteer")
    await adult.signup(list(ADULT_ANSWERS))
    await adult.send("/families")
    await adult.press("reg")
    answers = family_answers(national_id(63))
    answers.remove(("text", APPLICANT_BIRTH))  # never asked
    await answer_all(adult, answers)
    await adult.press("_ok")
    [family] = await families(db)
    assert family.adult_confirmed_at == clock.now

    minor = Chat(engine, user="minor-volunteer")
    await minor.signup(minor_answers(born_years_ago(clock, 15).isoformat(), national_id=nid))
    await minor.send("/families")
    await minor.press("reg")  # refused before any question
    assert plain(text_of("ar", "fam.err.under_age")) in [plain(o.text) for o in minor.last]
    assert minor.offers("reg") and len(await families(db)) == 1
