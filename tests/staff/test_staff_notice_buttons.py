"""Staff notices through the engine: the button in a staff notice opens the work it is about
(a request in the families review, a shift's registrants in the events panel), only for staff,
and the staff panel's screen chooses each notice or the daily digest."""

from __future__ import annotations

from datetime import date

from bot.core.engine import Engine
from bot.core.unit import Actor, Unit
from bot.services import registrations
from bot.settings import Settings
from storage.db import Database
from storage.models import User, Volunteer
from tests.conftest import Clock
from tests.events.support import seed_event
from tests.families.support import notices, staff, submitted, user_id
from tests.support import Chat


async def staff_button(db: Database, external_id: str, key: str) -> str:
    """The button id of the staff member's notice `key`."""
    [row] = [n for n in await notices(db, external_id) if n.payload.get("key") == key]
    return str(row.payload["choices"][0]["id"])


async def test_the_review_button_opens_the_request(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    rid = await submitted(engine, db, "fam", 1)
    button = await staff_button(db, "boss", "stn.request")
    await boss.press_id(button)
    assert f"القرار في الطلب رقم {rid}:" in boss.text
    # The family pressing the same id (a forged button) is refused.
    family = Chat(engine, user="fam")
    await family.press_id(button)
    assert "مخصّص لموظفي الأمانة" in family.text


async def test_the_approve_button_opens_the_shift_registrants(
    engine: Engine, db: Database, catalogs: object, settings: Settings, clock: Clock
) -> None:
    boss = await staff(engine)
    seeded = await seed_event(
        db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 2, "auto": False}]
    )
    volunteer = Chat(engine, user="vol")
    await volunteer.onboard()
    vol_id = await user_id(db, "vol")
    async with db.transaction() as session:
        session.add(
            Volunteer(
                user_id=vol_id,
                full_name="سعد المتطوع",
                national_id="1000000099",
                mobile="0500000099",
                gender="m",
                birth_date=date(1995, 1, 1),
                birth_calendar="gregorian",
                district="x",
                interests=[],
                availability=[],
                charter_accepted_at=clock.now,
            )
        )
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(vol_id, "user"), clock.now, engine.catalogs, settings)
        await registrations.register_for_shift(unit, seeded.shift_ids[0], waitlist_ok=False)
    await boss.press_id(await staff_button(db, "boss", "stn.registration"))
    assert "المسجّلون في الوردية" in boss.text
    assert "سعد المتطوع" in boss.text
    assert len(boss.last) == 1  # the registrants, not the shift's screen before them


async def test_the_panel_chooses_the_daily_digest(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    await boss.send("/staff")
    await boss.press("stn")
    assert "كل تنبيه فور حدوثه" in boss.text
    await boss.press("digest")
    assert "تم الحفظ: ملخص يومي واحد الساعة 08:00" in boss.text
    async with db.sessions() as session:
        user = await session.get(User, await user_id(db, "boss"))
        assert user is not None and user.staff_notices == "digest"
    # In digest mode nothing is queued as it happens.
    await submitted(engine, db, "fam", 1)
    assert [n for n in await notices(db, "boss") if n.payload.get("key") == "stn.request"] == []
