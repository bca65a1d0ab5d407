"""Staff open an event for an approved initiative in chat, through the same service call as the
web page: the place, the times and the shift's capacity asked like the events' staff forms (bad
answers asked again), then the event's own staff screen."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models_events import Event, Shift
from tests.families.support import staff
from tests.initiatives.support import add_initiative, add_partner, audit_actions
from tests.support import assert_clean


async def test_staff_open_an_event_for_an_approved_initiative(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    iid = await add_initiative(db, await add_partner(db), "حملة تشجير حي الشهداء")
    await boss.send("/staff")
    await boss.press("irv")
    await boss.press(f"i{iid}")
    assert not boss.offers("ev")  # not approved yet
    await boss.press("ap")
    await boss.press("ev")
    assert "بوردية واحدة" in boss.text
    await boss.send("حديقة الشهداء")
    await boss.send("٢٠٢٦-١٢-١٠ ١٦:٠٠")  # Arabic-Indic digits
    await boss.send("15:00")  # before the start: asked again
    assert_clean(boss.last)
    await boss.send("19:00")
    await boss.send("كثير")  # not a number: asked again
    await boss.send("٢٠")
    await boss.press("_ok")
    assert "فُتحت فعالية للمبادرة رقم" in boss.text
    async with db.sessions() as s:
        event = (await s.execute(select(Event))).scalar_one()
        shift = (await s.execute(select(Shift))).scalar_one()
    assert event.initiative_id == iid and event.place_name == "حديقة الشهداء"
    assert event.title_ar == "حملة تشجير حي الشهداء" and event.type == "afforestation"
    assert (shift.event_id, shift.capacity) == (event.id, 20)
    assert "initiative.event_opened" in await audit_actions(db)


async def test_an_initiative_not_approved_gets_no_event(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    iid = await add_initiative(db, await add_partner(db), "حملة", status="rejected")
    await boss.send("/staff")
    await boss.press("irv")
    await boss.press_id(f"inr:q:i{iid}")  # not in the queue: its button forged
    assert "حملة" in boss.text and boss.offers("back") and not boss.offers("ev")
    await boss.press_id("inr:one:ev")  # a forged "open an event": not offered, not opened
    assert "بوردية واحدة" not in boss.text and boss.offers("back")
