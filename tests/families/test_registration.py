"""Family registration: the form end to end, corrections, and bad input."""

from __future__ import annotations

from datetime import date

from bot.core.engine import Engine
from storage.db import Database
from tests.families.support import (
    APPLICANT,
    FAMILY_NAME,
    answer_all,
    families,
    family_answers,
    national_id,
    register_family,
)
from tests.support import Chat, orm_sessions_used


async def test_register_a_food_family_with_a_photo(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="fam1")
    await chat.onboard()
    await chat.press("fam")
    assert "لم تُسجَّل أسرتك بعد" in chat.text
    await chat.press("reg")
    assert "لا نطلب صور الهوية" in chat.text
    await answer_all(chat, family_answers(national_id(1)))
    summary = chat.text
    assert "راجعي بيانات الأسرة" in summary
    assert "1•••••••" in summary and national_id(1) not in summary  # the ID is masked
    assert "&lt;طازجة&gt; &amp;" in summary  # user text is escaped
    assert "الشهادة الصحية" in summary and "📷" in summary
    await chat.press("_ok")
    assert "سُجّلت أسرتك" in chat.text
    assert chat.offers("req") and chat.offers("my")
    [family] = await families(db)
    assert family.family_name == FAMILY_NAME and family.applicant_name == APPLICANT
    assert family.applicant_gender == "f"
    assert family.national_id == national_id(1)
    assert family.mobile == "+966512345678"
    assert family.categories == ["food", "crafts"]
    assert family.freelance_doc_number == "FL-123456"
    assert family.freelance_doc_expiry == date(2027, 12, 31)
    assert family.health_cert_number == "HC998877"
    assert family.health_cert_expiry == date(2027, 6, 30)
    assert family.photos == [{"kind": "photo", "file_id": "photo-1", "channel": "console"}]
    assert family.needs == ["electricity"]


async def test_non_food_family_is_not_asked_for_a_health_certificate(
    engine: Engine, db: Database
) -> None:
    chat = await register_family(engine, "fam2", categories=("sewing", "other"), photos=3)
    assert "سُجّلت أسرتك" in chat.text
    [family] = await families(db)
    assert family.health_cert_number is None and family.health_cert_expiry is None
    assert family.other_category == "ألعاب أطفال خشبية"
    assert [p["file_id"] for p in family.photos] == ["photo-1", "photo-2", "photo-3"]


async def test_hijri_expiry_dates_are_accepted(engine: Engine, db: Database) -> None:
    await register_family(engine, "fam3", freelance_expiry="1449/05/20 هـ")
    [family] = await families(db)
    assert family.freelance_doc_expiry.year == 2027


async def test_registered_family_corrects_its_data(engine: Engine, db: Database) -> None:
    chat = await register_family(engine, "fam4")
    await chat.press("reg")  # "My family data": the summary of the stored values
    assert "راجعي بيانات الأسرة" in chat.text
    await chat.press("_e")
    await chat.press("fname")
    await chat.send("حلويات الطائف")
    await chat.press("_ok")
    assert "حُدّثت بيانات الأسرة" in chat.text
    [family] = await families(db)
    assert family.family_name == "حلويات الطائف"
    assert family.photos[0]["file_id"] == "photo-1"  # kept


async def test_national_id_of_another_family_is_refused(engine: Engine, db: Database) -> None:
    await register_family(engine, "fam5", seed=5)
    chat = Chat(engine, user="fam6")
    await chat.onboard()
    await chat.press("fam")
    await chat.press("reg")
    answers = family_answers(national_id(5))
    await answer_all(chat, answers[:4])
    with orm_sessions_used() as used:
        await answer_all(chat, answers[4:5])
    assert used == []  # asked on the update's connection (issue 18)
    assert "مسجّل لأسرة أخرى" in chat.text
    assert len(await families(db)) == 1


async def test_expired_document_is_refused(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="fam7")
    await chat.onboard()
    await chat.press("fam")
    await chat.press("reg")
    answers = family_answers(national_id(7))
    await answer_all(chat, answers[:11])  # up to the freelance number
    await chat.send("2025-01-01")
    assert "هذه الوثيقة منتهية" in chat.text


async def test_registered_families_are_the_families_audience(engine: Engine, db: Database) -> None:
    from storage import broadcasts

    await register_family(engine, "fam8", seed=8)
    volunteer = Chat(engine, user="vol8")
    await volunteer.signup_with_id("vol8")
    async with db.sessions() as session:
        assert await broadcasts.count_audience(session, {"kind": "families"}) == 1
        assert await broadcasts.count_audience(session, {"kind": "volunteers"}) == 1


async def test_leaving_the_form_keeps_a_draft(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="fam9")
    await chat.onboard("en")
    await chat.press("fam")
    await chat.press("reg")
    await chat.send("Taif Honey House")
    await chat.send("/families")
    assert (
        chat.offers("reg") and "Continue registration" in dict(chat.choices)[chat.choice_id("reg")]
    )
    await chat.press("reg")
    assert "continue where you left off" in chat.text.lower()
