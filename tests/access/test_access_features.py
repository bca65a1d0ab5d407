"""Accessibility of events, shifts and sites (issue 15 §1–3): staff state the features in the
chat forms, volunteers and families read them in words, volunteers filter events by them (a
shift adds to its event's), the staff's web list filters by one; "supporting people with
disabilities" is an event type and an interest."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Event, Shift
from tests.conftest import Clock
from tests.events.support import seed_event, staff, volunteers
from tests.families.support import add_site, register_family
from tests.support import ADULT_ANSWERS, Chat
from tests.web.rig import link_for, sign_in, staff_user

Client = TestClient[Any, Any]
STEP_FREE, SIGNS, QUIET = "دخول بلا درج", "ترجمة بلغة الإشارة", "منطقة هادئة"


async def set_access(db: Database, event_id: int, event: list[str], shift: list[str]) -> None:
    """The event's features, and the first shift's own (the others add none)."""
    async with db.transaction() as s:
        await s.execute(update(Event).where(Event.id == event_id).values(access=event))
        first = (
            (await s.execute(select(Shift.id).where(Shift.event_id == event_id).order_by(Shift.id)))
            .scalars()
            .first()
        )
        await s.execute(update(Shift).where(Shift.id == first).values(access=shift))


async def test_staff_state_features_in_the_chat_forms(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    await boss.send("/staff")
    await boss.press("evn")
    await boss.send("لقاء رياضي لذوي الإعاقة")
    await boss.press("_s")  # no English title
    await boss.send("أنشطة رياضية مهيأة للجميع")
    await boss.press("_s")
    assert boss.offers("disability")  # the new event type
    await boss.press("disability")
    await boss.send("نادي الطائف")
    await boss.press("_s")  # no English place
    await boss.press("_s")  # no pin
    await boss.send("١/١٢/٢٠٢٦ 8:00 ص")
    await boss.send("11:00")
    assert boss.offers("step_free") and boss.offers("quiet_area")
    await boss.press("step_free")
    await boss.press("sign_language")
    await boss.press("_d")
    assert STEP_FREE in boss.text and SIGNS in boss.text  # the summary, in words
    await boss.press("_ok")
    await boss.press("as")
    await boss.send("2026-12-01 08:00")
    await boss.send("10:30")
    await boss.send("5")
    await boss.press("any")
    await boss.press("_s")
    await boss.press("auto")
    await boss.press("quiet_area")  # a shift adds to its event's
    await boss.press("_d")
    await boss.press("_ok")
    async with db.sessions() as s:
        event = (await s.execute(select(Event))).scalar_one()
        shift = (await s.execute(select(Shift))).scalar_one()
    assert event.type == "disability"
    assert event.access == ["step_free", "sign_language"]
    assert shift.access == ["quiet_area"]


async def test_volunteers_read_and_filter_by_features(
    engine: Engine, db: Database, clock: Clock
) -> None:
    two_shifts = [{"start": 0, "hours": 2, "capacity": 5}, {"start": 3, "hours": 2}]
    quiet = await seed_event(db, clock(), title="ملتقى هادئ", shifts=two_shifts)
    await set_access(db, quiet.event_id, ["step_free"], ["quiet_area"])
    ramps = await seed_event(db, clock(), title="حملة المنحدرات", days_ahead=4)
    await set_access(db, ramps.event_id, ["step_free", "parking"], [])
    bare = await seed_event(db, clock(), title="حملة بلا خدمات", days_ahead=5)
    [chat] = await volunteers(engine, "v1")

    await chat.send("/events")
    await chat.press(f"e{quiet.event_id}")
    assert f"♿ إمكانية الوصول: {STEP_FREE}" in chat.text
    assert f"♿ إضافةً: {QUIET}" in chat.text  # the first shift's own
    await chat.send("/events")
    await chat.press("_fa")
    await chat.press("quiet_area")
    assert chat.offers("_ok")
    await chat.press("_ok")
    assert chat.offers(f"e{quiet.event_id}")
    assert not chat.offers(f"e{ramps.event_id}") and not chat.offers(f"e{bare.event_id}")
    assert QUIET in chat.text  # the filter is said in words
    # Only the shift offering every feature asked for is shown.
    await chat.press(f"e{quiet.event_id}")
    first, second = quiet.shift_ids
    assert chat.offers(f"s{first}") and not chat.offers(f"s{second}")

    await chat.send("/events")
    await chat.press("_fa")
    await chat.press("step_free")
    await chat.press("_ok")
    assert chat.offers(f"e{quiet.event_id}") and chat.offers(f"e{ramps.event_id}")
    assert not chat.offers(f"e{bare.event_id}")
    await chat.press("_fa")
    await chat.press("parking")  # both features now
    await chat.press("_ok")
    assert chat.offers(f"e{ramps.event_id}") and not chat.offers(f"e{quiet.event_id}")
    await chat.press("_fa")
    await chat.press("_all")  # no filter
    assert chat.offers(f"e{bare.event_id}")

    # The new type is one of the type filter's choices.
    await chat.press("_ft")
    assert chat.offers("disability")


async def test_the_interest_is_offered_at_sign_up(engine: Engine) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    interests_at = ADULT_ANSWERS.index(("press", "environment"))
    for how, value in ADULT_ANSWERS[:interests_at]:
        await chat.answer(how, value)
    assert chat.offers("disability")
    assert "دعم الأشخاص ذوي الإعاقة" in dict(chat.choices).values()


async def test_families_read_a_sites_features(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, access=["toilets", "parking"], reserved_stalls=1)
    family = await register_family(engine, "f1")
    await family.send("/families")
    await family.press("req")
    assert family.offers(f"s{site_id}")
    assert "♿ إمكانية الوصول: مواقف سيارات لذوي الإعاقة، دورات مياه مهيأة" in family.text
    assert "♿ بسطة واحدة من كل نوع محجوزة لأسر ذوي الإعاقة" in family.text


async def test_the_staff_events_list_filters_by_a_feature(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    signs = await seed_event(db, clock(), title="محاضرة بلغة الإشارة")
    await set_access(db, signs.event_id, [], ["sign_language"])  # on a shift only
    other = await seed_event(db, clock(), title="حملة أخرى", days_ahead=4)
    user_id = await staff_user(db, "staff", external="900")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    everything = await (await client.get("/events")).text()
    assert f'href="/events/{signs.event_id}"' in everything
    assert f'href="/events/{other.event_id}"' in everything
    assert 'id="f-access"' in everything and SIGNS in everything
    filtered = await (await client.get("/events?access=sign_language")).text()
    assert f'href="/events/{signs.event_id}"' in filtered
    assert f'href="/events/{other.event_id}"' not in filtered
    unknown = await (await client.get("/events?access=nonsense")).text()  # ignored
    assert f'href="/events/{other.event_id}"' in unknown
