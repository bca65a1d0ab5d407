"""A productive family's applicant is addressed by the gender given in the family form
(issue 14 item 6): right after the answer, and later from the stored family, also in the
notices the outbox renders; a man reads the masculine (neutral) wording."""

from __future__ import annotations

from bot.core.engine import Engine
from storage.db import Database
from storage.people import genders_of
from tests.families.support import (
    add_site,
    answer_all,
    family_answers,
    national_id,
    register_family,
    request_stall,
    user_id,
)
from tests.support import ADULT_ANSWERS, Chat, text_of

FEMALE_SAVED = "✅ سُجّلت أسرتكِ. يمكنكِ الآن طلب بسطة في أحد المواقع المفتوحة."
FEMALE_MENU = "سجّلي أسرتكِ مرة واحدة"


async def test_a_woman_applicant_is_addressed_as_a_woman(engine: Engine) -> None:
    chat = await register_family(engine, "umm-ali", seed=11, gender="f")
    assert FEMALE_SAVED in "\n".join(o.text for o in chat.history)
    await chat.send("/menu")
    await chat.press("fam")  # a new update: the stored family decides
    assert FEMALE_MENU in chat.text


async def test_a_man_applicant_reads_the_neutral_wording(engine: Engine) -> None:
    chat = await register_family(engine, "abu-ali", seed=12, gender="m")
    assert text_of("ar", "fam.saved") in "\n".join(o.text for o in chat.history)
    await chat.send("/menu")
    await chat.press("fam")
    assert FEMALE_MENU not in chat.text
    assert text_of("ar", "fam.menu_title").split("\n")[1] in chat.text


async def test_a_volunteer_profile_speaks_before_the_family(engine: Engine, db: Database) -> None:
    """Someone both volunteer and family applicant: their own volunteer answer is used."""
    chat = Chat(engine, user="both")
    await chat.signup(list(ADULT_ANSWERS))  # a man's volunteer profile
    await chat.send("/menu")
    await chat.press("fam")
    await chat.press("reg")
    await answer_all(chat, family_answers(national_id(13), gender="f"))
    await chat.press("_ok")
    uid = await user_id(db, "both")
    async with db.sessions() as session:
        assert await genders_of(session, [uid]) == {uid: "m"}


async def test_the_summaries_and_questions_address_a_woman_as_a_woman(
    engine: Engine, db: Database
) -> None:
    """Item 6: once the applicant's gender is known, the family's summary and the stall
    request's questions and summary speak to her; a man reads the neutral wording."""
    site_id = await add_site(db)
    woman = await register_family(engine, "umm-salem", seed=14, gender="f")
    assert "راجعي بيانات الأسرة" in "\n".join(o.text for o in woman.history)
    await request_stall(woman, site_id, confirm=False)
    told = "\n".join(o.text for o in woman.history)
    assert "أي نوع من البسطات تريدين؟" in told and "اكتبي التاريخ" in told
    assert "راجعي طلب البسطة" in woman.text
    man = await register_family(engine, "abu-salem", seed=15, gender="m")
    assert text_of("ar", "fam.summary_title") in "\n".join(o.text for o in man.history)
    await request_stall(man, site_id, confirm=False)
    assert text_of("ar", "fam.req.summary_title") in man.text and "راجعي" not in man.text
