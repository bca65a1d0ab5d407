"""Stall requests: the form, the site's rules and the checks at submission."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.engine import Engine
from storage.db import Database
from storage.models_families import StallRequest
from tests.conftest import Clock
from tests.families.support import (
    add_site,
    families,
    history,
    national_id,
    register_family,
    request_stall,
    requests,
    user_id,
)
from tests.support import Chat


async def test_request_a_stall_and_see_it_in_my_requests(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f1")
    await chat.press("req")
    text = chat.text
    assert "سوق عكاظ التراثي" in text and "آخر موعد للتقديم" in text
    assert any(o.location is not None for o in chat.last)  # the site's map pin
    await chat.press(f"s{site_id}")
    assert "طلب بسطة في سوق عكاظ التراثي" in chat.text
    await chat.press("food")
    await chat.send("١٢/١٢/٢٠٢٦")  # Arabic-Indic digits, day/month/year
    await chat.press("last")
    assert "راجعي طلب البسطة" in chat.text and "سوق عكاظ التراثي" in chat.text
    await chat.press("_ok")
    assert "أُرسل طلبكِ رقم" in chat.text
    [request] = await requests(db)
    assert request.status == "submitted" and request.stall_type == "food"
    assert (request.start_date, request.end_date) == (date(2026, 12, 12), date(2026, 12, 20))
    actor = f"user:{await user_id(db, 'f1')}"
    assert await history(db, request.id) == [(None, "submitted", actor)]
    # "My requests": status, site, dates Hijri and Gregorian.
    assert "مُرسَل" in chat.text
    assert "3 رجب 1448هـ الموافق 12 ديسمبر 2026م" in chat.text


async def test_english_my_requests(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f2", locale="en")
    await request_stall(chat, site_id, "nonfood", "2026-12-15", "same")
    assert "Souq Okaz Heritage Market" in chat.text
    assert "Submitted" in chat.text and "15 December 2026" in chat.text
    [request] = await requests(db)
    assert request.start_date == request.end_date == date(2026, 12, 15)


async def test_dates_must_be_within_the_site(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f3")
    await chat.press("req")
    await chat.press(f"s{site_id}")
    await chat.press("nonfood")
    await chat.send("2026-12-09")
    assert "اختر يومًا بين" in chat.text
    await chat.send("2026-12-21")
    assert "اختر يومًا بين" in chat.text
    await chat.send("2026-12-12")
    await chat.send("2026-12-11")
    assert "قبل يوم البداية" in chat.text
    await chat.send("2026-12-25")
    assert "اختر يومًا بين" in chat.text
    await chat.send("2026-12-14")
    assert "راجعي طلب البسطة" in chat.text


async def test_deadline_passed(engine: Engine, db: Database, clock: Clock) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f4")
    await request_stall(chat, site_id, confirm=False)  # on the summary
    clock.now = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)  # 00:00 on 6 Dec in Riyadh
    await chat.press("_ok")
    assert "انتهى موعد التقديم" in chat.text
    assert not await requests(db)
    await chat.send("/families")
    await chat.press("req")
    assert "لا توجد مواقع مفتوحة" in chat.text  # no longer listed


async def test_closed_site_is_not_listed_and_refused(engine: Engine, db: Database) -> None:
    open_id = await add_site(db)
    closed_id = await add_site(db, name_ar="معرض مغلق", is_open=False)
    chat = await register_family(engine, "f5")
    await chat.press("req")
    assert chat.offers(f"s{open_id}") and not chat.offers(f"s{closed_id}")
    await chat.press_id(f"fsp:pick:s{closed_id}")  # an old button
    assert "لم يعد يستقبل طلبات" in chat.text


async def test_freelance_document_must_cover_the_last_day(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f6", freelance_expiry="2026-12-15")
    await request_stall(chat, site_id, "nonfood", "2026-12-10", "2026-12-18")
    assert "وثيقة العمل الحر تنتهي في" in chat.text
    assert not await requests(db)
    await chat.send("2026-12-15")  # asked for the last day again
    await chat.press("_ok")
    [request] = await requests(db)
    assert request.end_date == date(2026, 12, 15)


async def test_health_certificate_for_food_stalls(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f7", health_expiry="2026-12-12")
    await request_stall(chat, site_id, "food", "2026-12-10", "last")
    assert "الشهادة الصحية تنتهي في" in chat.text
    await chat.send("2026-12-12")
    await chat.press("_ok")
    assert len(await requests(db)) == 1
    # A family without food products has no certificate: no food stall for it.
    other = await register_family(engine, "f8", seed=8, categories=("sewing",))
    await request_stall(other, site_id, "food")
    assert "تحتاج شهادة صحية" in other.text
    await other.press("nonfood")
    await other.press("_ok")
    assert len(await requests(db)) == 2


async def test_one_active_request_per_family_and_site(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    chat = await register_family(engine, "f9")
    await request_stall(chat, site_id)
    await chat.send("/families")
    await chat.press("req")
    # The site is named with the reason, before choosing, and has no button.
    assert "طلب قائم في هذا الموقع" in chat.text
    assert not chat.offers(f"s{site_id}")
    # A button kept from before is refused with the same reason.
    await chat.press_id(f"fsp:pick:s{site_id}")
    assert "طلب قائم في هذا الموقع" in chat.text
    # Cancelled, the family may apply again.
    [request] = await requests(db)
    await chat.send("/families")
    await chat.press("my")
    await chat.press(f"x{request.id}")
    await chat.press("yes")
    assert "أُلغي الطلب" in chat.text
    await request_stall(chat, site_id)
    assert [r.status for r in await requests(db)] == ["cancelled", "submitted"]


async def test_two_forms_racing_for_the_same_site_make_one_request(
    engine: Engine, db: Database
) -> None:
    """The same family on two channels fills the form twice: the unique index keeps one."""
    site_id = await add_site(db)
    chat = await register_family(engine, "f10")
    await request_stall(chat, site_id, confirm=False)
    [family] = await families(db)
    async with db.transaction() as session:
        session.add(
            StallRequest(
                family_id=family.id,
                site_id=site_id,
                stall_type="nonfood",
                start_date=date(2026, 12, 10),
                end_date=date(2026, 12, 10),
                status="submitted",
            )
        )
    await chat.press("_ok")
    assert "لديكِ طلب قائم" in chat.text
    assert len(await requests(db)) == 1


async def test_saudi_only_site_needs_a_national_id(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, saudi_only=True)
    resident = await register_family(engine, "f11", nid=national_id(11, first="2"))
    await resident.press("req")
    # Told before choosing: the site is named with its rule and offers no button.
    assert "للمواطنين السعوديين فقط" in resident.text
    assert not resident.offers(f"s{site_id}")
    await resident.press_id(f"fsp:pick:s{site_id}")  # an old button: the same rule
    assert "للمواطنين السعوديين فقط" in resident.text
    citizen = await register_family(engine, "f12", seed=12)
    await request_stall(citizen, site_id)
    assert len(await requests(db)) == 1


async def test_women_only_site(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, women_only=True)
    man = await register_family(engine, "f13", seed=13, gender="m")
    await man.press("req")
    assert "مخصّص للنساء فقط" in man.text and not man.offers(f"s{site_id}")
    woman = await register_family(engine, "f14", seed=14)
    await request_stall(woman, site_id)
    assert len(await requests(db)) == 1


async def test_unregistered_person_is_sent_to_registration(engine: Engine, db: Database) -> None:
    await add_site(db)
    chat = Chat(engine, user="nobody")
    await chat.onboard()
    await chat.send("/families")
    assert chat.offers("reg") and not chat.offers("req")
    await chat.press_id("fm:main:my")  # an old button
    assert "سجّل أسرتك أولًا" in chat.text


async def test_each_open_sites_deadline_and_fee_are_shown_before_choosing(
    engine: Engine, db: Database
) -> None:
    """Before any button is pressed, every open site's own description names its application
    deadline (Hijri and Gregorian) and its fee, so nobody learns them only after choosing."""
    okaz = await add_site(db, fee="rent", fee_note="٥٠ ريالًا لليوم")
    later = datetime(2026, 12, 8, 20, 59, 59, tzinfo=UTC)  # 8 Dec, 23:59:59 in Riyadh
    rudaf = await add_site(db, name_ar="سوق الردف", name_en="Al-Rudaf Market", deadline=later)
    said_by_locale = {
        "ar": {
            okaz: ("5 ديسمبر 2026", "جمادى الآخرة", "إيجار", "50 ريالًا"),
            rudaf: ("8 ديسمبر 2026", "مجانًا"),
        },
        "en": {okaz: ("5 December 2026", "Jumada", "Rent"), rudaf: ("8 December 2026", "Free")},
    }
    for seed, (locale, words) in enumerate(said_by_locale.items(), start=1):
        chat = await register_family(engine, f"d{locale}", seed=seed, locale=locale)
        await chat.press("req")
        *descriptions, choose = chat.last
        assert [c.id.rsplit(":", 1)[-1] for c in choose.choices][:2] == [f"s{okaz}", f"s{rudaf}"]
        for site_id, said in zip((okaz, rudaf), descriptions, strict=True):
            assert all(word in said.text for word in words[site_id]), (locale, said.text)
