"""Issue 14 item 8, a family's journey as a family lives it: the staff's note on a rejection
stays in "my requests"; deleting the family's data warns of what the person has (a held stall
first), frees the stall for the waiting family and tells the staff; only the sites the family
may apply to get a button, the others say why; a family without a freelance document is told
where to get one; an offer says the fee and how it is paid, where the stall is and when to set
up."""

from __future__ import annotations

from typing import Any

from bot.core.engine import Engine
from bot.core.i18n import load_catalogs
from bot.core.unit import Actor
from bot.services.family_sites import SiteData, save_site
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import register, seed_event, volunteers
from tests.families.support import (
    SITE_END,
    SITE_START,
    add_site,
    approve,
    family_answers,
    national_id,
    notices,
    open_review,
    register_family,
    request_row,
    request_stall,
    requests,
    send_photo,
    staff,
    submitted,
    waitlist,
)
from tests.services.support import World, boss, world
from tests.support import Chat, text_of

__all__ = ["boss", "world"]  # the service fixtures used below

CATALOGS = load_catalogs()


def rendered(locale: str, payload: dict[str, Any]) -> str:
    """An outbox notice as its recipient reads it."""
    return CATALOGS.translator(locale).t(payload["key"], **payload.get("params", {}))


# --- a rejection's note ---------------------------------------------------------------------------
async def test_the_staff_note_of_a_rejection_stays_in_my_requests(
    engine: Engine, db: Database
) -> None:
    rid = await submitted(engine, db, "fam", 1)
    boss = await staff(engine)
    await open_review(boss)
    await boss.press(f"r{rid}")
    await boss.press("rj")
    await boss.press("documents")
    await boss.send("الشهادة الصحية <منتهية>، جدّدوها ثم قدّموا من جديد")
    family = Chat(engine, user="fam")
    await family.send("/families")
    await family.press("my")
    assert "ملاحظة الفريق: الشهادة الصحية &lt;منتهية&gt;، جدّدوها" in family.text


# --- deleting a family's data ---------------------------------------------------------------------
async def test_deleting_a_family_warns_of_its_stall_frees_it_and_tells_the_staff(
    engine: Engine, db: Database
) -> None:
    site_id = await add_site(db, food_stalls=1)
    holder = await register_family(engine, "a", seed=1)
    waiting = await register_family(engine, "b", seed=2)
    for chat in (holder, waiting):
        await request_stall(chat, site_id)
    first, second = [r.id for r in await requests(db)]
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, first)
    await open_review(boss)
    await waitlist(boss, second)
    await holder.send("/mydata")
    await holder.press("del")
    # The warning names the stall first, then only what this person has: no volunteer profile,
    # no shift registrations, a family and its one request.
    warning = holder.text
    assert "أسرتك تحجز البسطة رقم 1 في سوق عكاظ التراثي" in warning
    assert "تُعرض على الأسرة التالية في قائمة الانتظار" in warning
    assert "تسجيل أسرتك «مطبخ أم محمد»" in warning and "طلب بسطة واحد مع سجلّه" in warning
    assert "ملفك التطوعي" not in warning and "مناوب" not in warning
    assert warning.index("تحجز البسطة") < warning.index("حسابك وإعداداتك")
    await holder.press("yes")
    # The stall went to the waiting family, by the waiting-list rule.
    offered = await request_row(db, second)
    assert offered.status == "approved" and offered.stall_number == 1
    assert (await notices(db, "b"))[-1].payload["key"] == "fam.n.offer"
    # The staff are told, in their language, of the site and the stall; not of the family.
    told = [n.payload for n in await notices(db, "boss") if "stall_freed" in n.payload["key"]]
    assert [p["key"] for p in told] == ["stn.stall_freed_offered"]
    text = rendered("ar", told[0])
    assert "البسطة رقم 1 (بسطة أغذية) في سوق عكاظ التراثي" in text, text
    assert "عُرضت البسطة على الأسرة التالية" in text and "مطبخ" not in text


async def test_a_freed_stall_nobody_waits_for_is_told_free(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, food_stalls=1)
    holder = await register_family(engine, "a", seed=1, locale="en")
    await request_stall(holder, site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, (await requests(db))[0].id)
    await holder.send("/mydata")
    await holder.press("del")
    assert "Your family holds stall 1 at Souq Okaz Heritage Market" in holder.text
    assert "1 stall request with its history" in holder.text
    assert "volunteer profile" not in holder.text
    await holder.press("yes")
    told = [n.payload["key"] for n in await notices(db, "boss") if "freed" in n.payload["key"]]
    assert told == ["stn.stall_freed_free"]


async def test_the_warning_of_a_volunteer_names_the_profile_and_nothing_of_families(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = Chat(engine)
    await chat.signup()
    await chat.send("/mydata")
    await chat.press("del")
    assert text_of("ar", "mydata.delete_profile").lstrip("• ") in chat.text
    assert "أسرتك" not in chat.text and "البسطات" not in chat.text and "مناوب" not in chat.text
    # Registered for two upcoming shifts: the warning counts them (Arabic dual).
    seeded = await seed_event(
        db,
        clock.now,
        shifts=[{"start": 0, "hours": 2, "capacity": 3}, {"start": 3, "hours": 2, "capacity": 3}],
    )
    [volunteer] = await volunteers(engine, "v2")
    for shift_id in seeded.shift_ids:
        await register(volunteer, seeded.event_id, shift_id)
    await volunteer.send("/mydata")
    await volunteer.press("del")
    assert "تسجيلك في مناوبتين قادمتين، ويُعطى مكانك فيهما لمن ينتظر" in volunteer.text


async def test_staff_enter_a_sites_set_up_time(world: World, boss: Actor) -> None:
    data = SiteData(
        name_ar="سوق عكاظ التراثي",
        name_en=None,
        district="suq_ukaz",
        pin=None,
        food_stalls=1,
        nonfood_stalls=1,
        start_date=SITE_START,
        end_date=SITE_END,
        deadline_day=SITE_START,
        fee="free",
        fee_note=None,
        saudi_only=False,
        women_only=False,
        setup_note="من الساعة 3 عصرًا في اليوم السابق",
    )
    saved = await world.run(boss, save_site, None, data)
    assert saved.site.setup_note == "من الساعة 3 عصرًا في اليوم السابق"


# --- which sites a family may apply to ------------------------------------------------------------
async def test_only_eligible_sites_get_a_button_and_the_others_say_why(
    engine: Engine, db: Database
) -> None:
    open_site = await add_site(db, name_ar="سوق الطائف الموسمي", name_en="Taif Seasonal Market")
    saudi = await add_site(
        db, name_ar="حاضنة السوق البلدي", name_en="Municipal Incubator", saudi_only=True
    )
    food_only = await add_site(
        db, name_ar="ركن المأكولات الشعبية", name_en="Popular Food Corner", nonfood_stalls=0
    )
    # A resident (ID starting with 2) selling crafts only: no health certificate.
    resident = await register_family(
        engine, "r", seed=5, nid=national_id(5, first="2"), categories=("crafts",), locale="en"
    )
    await resident.send("/families")  # the family's menu, whatever the last screen was
    await resident.press("req")
    assert resident.offers(f"s{open_site}")
    assert not resident.offers(f"s{saudi}") and not resident.offers(f"s{food_only}")
    assert "Sites you cannot apply to" in resident.text
    assert "Popular Food Corner: ⛔" not in resident.text
    assert "Popular Food Corner: All stalls at this site are food stalls" in resident.text
    # A Saudi family with a health certificate may apply everywhere.
    citizen = await register_family(engine, "c", seed=6)
    await citizen.send("/families")
    await citizen.press("req")
    assert all(citizen.offers(f"s{s}") for s in (open_site, saudi, food_only))
    assert "لا يمكنك التقديم عليها" not in citizen.text


async def test_a_resident_is_told_of_the_nationality_rule_before_choosing(
    engine: Engine, db: Database
) -> None:
    saudi = await add_site(db, saudi_only=True)
    resident = await register_family(engine, "r", nid=national_id(7, first="2"))
    await resident.press("req")
    assert not resident.offers(f"s{saudi}")
    assert "لا يوجد الآن موقع مفتوح يمكنك التقديم عليه" in resident.text
    assert "سوق عكاظ التراثي: هذا الموقع للمواطنين السعوديين فقط" in resident.text


# --- a family without a freelance document --------------------------------------------------------
async def test_a_family_without_a_freelance_document_is_told_how_to_get_one(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine, user="new")
    await chat.onboard()
    await chat.press("fam")
    await chat.press("reg")
    answers = family_answers("1000000008")
    until_freelance = next(i for i, a in enumerate(answers) if a == ("text", "FL-123456"))
    for how, value in answers[:until_freelance]:
        if how == "photo":
            await send_photo(chat, value)
        else:
            await chat.answer(how, value)
    assert "منصة العمل الحر" in chat.text and "https://freelance.sa" in chat.text
    await chat.send("ليس لدي وثيقة")
    assert "نحتاج رقم وثيقة العمل الحر" in chat.text
    assert "https://freelance.sa" in chat.text and "أصدر وثيقتك" in chat.text
    # What was typed is kept: the families menu offers to continue.
    await chat.send("/families")
    assert "إكمال تسجيل الأسرة" in dict(chat.choices)[chat.choice_id("reg")]


# --- what an offer says ---------------------------------------------------------------------------
async def test_an_offer_states_the_fee_how_it_is_paid_where_and_the_set_up(
    engine: Engine, db: Database
) -> None:
    site_id = await add_site(
        db,
        fee="rent",
        fee_note="300 ريال للفترة، تُدفع في مكتب السوق قبل الافتتاح",
        setup_note="يوم 9 ديسمبر من 4 عصرًا إلى 9 مساءً",
    )
    chat = await register_family(engine, "fam")
    await request_stall(chat, site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, (await requests(db))[0].id)
    offer = (await notices(db, "fam"))[-1].payload
    text = rendered("ar", offer)
    assert "الرسوم: إيجار — 300 ريال للفترة، تُدفع في مكتب السوق" in text, text
    assert "المكان: سوق عكاظ التراثي — سوق عكاظ" in text
    assert "https://maps.google.com/?q=21.550000,40.480000" in text
    assert "التجهيز: يوم 9 ديسمبر من 4 عصرًا" in text
    # "my requests" keeps the same facts while the stall is held.
    await chat.send("/families")
    await chat.press("my")
    assert "الرسوم: إيجار — 300 ريال" in chat.text and "التجهيز: يوم 9 ديسمبر" in chat.text


async def test_an_offer_without_notes_says_the_team_will_tell(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, fee="symbolic", latitude=None, longitude=None)
    chat = await register_family(engine, "fam", locale="en")
    await request_stall(chat, site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, (await requests(db))[0].id)
    text = rendered("en", (await notices(db, "fam"))[-1].payload)
    assert "Fee: Symbolic fee — the team will tell you the amount and how to pay" in text, text
    assert "Where: Souq Okaz Heritage Market — " in text and "maps.google" not in text
    assert "Set-up: The team will tell you the set-up time before opening." in text
