"""The registration number rules in the chat form: the unified number (Arabic-Indic digits
too), an older commercial-register number (kept, and the person asked for the unified one),
a government body's department instead of a number, a bad number asked again without losing
the earlier answers, and a number already registered."""

from __future__ import annotations

from bot.core.engine import Engine
from storage.db import Database
from tests.partners.support import partners, register, start_registration
from tests.support import assert_clean


async def test_arabic_indic_digits_give_the_unified_number(engine: Engine, db: Database) -> None:
    chat = await register(engine, "rep", number="٧٠٠١٢٣٤٥٦٧")
    assert "استلمنا تسجيل الجهة" in chat.text and "سجل تجاري قديم" not in chat.text
    [partner] = await partners(db)
    assert (partner.id_kind, partner.reg_number, partner.department) == (
        "unified",
        "7001234567",
        None,
    )


async def test_an_old_cr_number_is_kept_and_the_unified_one_asked_for(
    engine: Engine, db: Database
) -> None:
    chat = await register(engine, "rep", kind="company", number="1010 123 456")
    assert "رقم سجل تجاري قديم" in chat.text and "الرقم الموحد" in chat.text
    [partner] = await partners(db)
    assert (partner.id_kind, partner.reg_number) == ("old_cr", "1010123456")


async def test_a_government_body_gives_its_department_not_a_number(
    engine: Engine, db: Database
) -> None:
    await register(
        engine, "rep", name="جامعة الطائف", kind="government", department="عمادة خدمة المجتمع"
    )
    [partner] = await partners(db)
    assert (partner.type, partner.id_kind, partner.reg_number) == ("government", "none", None)
    assert partner.department == "عمادة خدمة المجتمع"


async def test_a_bad_number_is_asked_again_keeping_the_earlier_answers(
    engine: Engine, db: Database
) -> None:
    chat = await start_registration(engine, "rep")
    await chat.send("مركز حي الشهداء")
    await chat.press("_s")
    await chat.press("centre")
    for bad in ("12345", "70012345678", "7OO1234567"):
        await chat.send(bad)
        assert "الرقم غير صحيح" in chat.text and "اكتب الرقم الموحد" in chat.text
        assert_clean(chat.last)
    await chat.send("7009876543")
    await chat.send("سعد القرشي")
    await chat.send("0551234567")
    await chat.press("environment")
    await chat.press("_d")
    # The summary still has the name and type typed before the bad numbers.
    assert "مركز حي الشهداء" in chat.text and "مركز حي" in chat.text and "7009876543" in chat.text
    await chat.press("_ok")
    [partner] = await partners(db)
    assert (partner.name_ar, partner.type, partner.reg_number) == (
        "مركز حي الشهداء",
        "centre",
        "7009876543",
    )


async def test_the_same_unified_number_twice_is_told_to_join_instead(
    engine: Engine, db: Database
) -> None:
    await register(engine, "first")
    chat = await start_registration(engine, "second")
    await chat.send("جمعية أخرى")
    await chat.press("_s")
    await chat.press("nonprofit")
    await chat.send("7001234567")
    assert "هذه الجهة مسجّلة من قبل" in chat.text and "الانضمام" in chat.text
    assert len(await partners(db)) == 1


async def test_english_registration_reads_english(engine: Engine, db: Database) -> None:
    chat = await start_registration(engine, "rep", locale="en")
    assert "Before we ask" in chat.text
    await chat.send("جمعية البر")
    await chat.send("Al-Birr Society")
    await chat.press("nonprofit")
    await chat.send("123")
    assert "That number is not valid" in chat.text
