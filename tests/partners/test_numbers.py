"""The registration number rules in the chat form: the unified number (Arabic-Indic digits
too), an older commercial-register number (kept, and the person asked for the unified one),
a government body's department instead of a number, a bad number asked again without losing
the earlier answers, and a number already registered."""

from __future__ import annotations

from bot.core.engine import Engine
from storage import partners as store
from storage.db import Database
from storage.models_partners import Partner
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


async def test_a_number_typed_in_arabic_indic_digits_with_spaces_is_the_same_number(
    engine: Engine, db: Database
) -> None:
    await register(engine, "first")
    chat = await start_registration(engine, "second", locale="en")
    await chat.send("Another society")
    await chat.send("Another society")
    await chat.press("nonprofit")
    await chat.send("٧٠٠ ١٢٣ ٤٥٦٧")
    assert "This organisation is already registered" in chat.text and "Join" in chat.text
    assert_clean(chat.last)
    assert len(await partners(db)) == 1


def _partner(number: str | None, status: str = "submitted") -> Partner:
    return Partner(
        name_ar="جمعية",
        type="government" if number is None else "nonprofit",
        id_kind="none" if number is None else "unified",
        reg_number=number,
        contact_name="هند",
        contact_mobile="+966551234567",
        areas=["social"],
        status=status,
    )


async def test_the_database_holds_one_standing_registration_per_number(db: Database) -> None:
    """The unique index, not only the form's question: the second of two registrations of one
    number that raced past the check is refused, and the transaction goes on."""
    async with db.transaction() as s:
        assert await store.add_partner(s, _partner("7001234567"))
        assert not await store.add_partner(s, _partner("7001234567"))
        # Bodies without a number are not limited; a rejected or withdrawn registration frees
        # its number for a new one.
        assert await store.add_partner(s, _partner(None))
        assert await store.add_partner(s, _partner(None))
        assert await store.add_partner(s, _partner("7009999999", "rejected"))
        assert await store.add_partner(s, _partner("7009999999", "withdrawn"))
        assert await store.add_partner(s, _partner("7009999999"))
    numbers = [p.reg_number for p in await partners(db)]
    assert numbers.count("7001234567") == 1 and numbers.count(None) == 2


async def test_a_registration_that_lost_the_race_is_told_to_join(
    engine: Engine, db: Database
) -> None:
    """The number was free when typed; someone registered it before the summary was
    confirmed: the person is told it is registered and asked for the number again."""
    chat = await start_registration(engine, "second")
    await chat.send("جمعية أخرى")
    await chat.press("_s")
    await chat.press("nonprofit")
    await chat.send("7001234567")
    await register(engine, "first")
    await chat.send("سعد القرشي")
    await chat.send("0551234567")
    await chat.press("social")
    await chat.press("_d")
    await chat.press("_ok")
    assert "هذه الجهة مسجّلة من قبل" in chat.text
    assert len(await partners(db)) == 1
