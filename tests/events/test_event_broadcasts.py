"""Events and the broadcast engine: the "registrants of event X" segment (and "interest Y"
still), announcing an event with a button that opens it, through the real sender."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.delivery.sender import fan_out_due
from fakes.telegram_api import FakeTelegramServer
from storage import broadcasts
from storage.db import Database
from storage.models import Broadcast
from tests.conftest import Clock
from tests.delivery.support import drain_once
from tests.events.support import (
    cancel_my_registration,
    open_event_admin,
    outbox_rows,
    register,
    seed_event,
    staff,
    volunteers,
)
from tests.support import ADULT_ANSWERS, Chat


async def test_registrants_of_an_event_is_a_segment(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    other = await seed_event(db, clock.now, days_ahead=5, title="فعالية أخرى")
    shift_id = seeded.shift_ids[0]
    a, b, c, d = await volunteers(engine, "g1", "g2", "g3", "g4")
    await register(a, seeded.event_id, shift_id)  # confirmed
    await register(b, seeded.event_id, shift_id)
    await b.press(f"w{shift_id}")  # waitlisted: a registrant too
    await register(c, seeded.event_id, shift_id)
    await c.press(f"w{shift_id}")
    await cancel_my_registration(c)  # ... who then leaves
    await register(d, other.event_id, other.shift_ids[0])  # another event
    async with db.sessions() as session:
        assert (
            await broadcasts.count_audience(
                session, {"kind": "event", "value": str(seeded.event_id)}
            )
            == 2
        )
        assert await broadcasts.count_audience(session, {"kind": "event", "value": "999"}) == 0
        assert await broadcasts.count_audience(session, {"kind": "event", "value": "x"}) == 0
        # the interest segment keeps working (ADULT_ANSWERS picks environment and events)
        assert (
            await broadcasts.count_audience(session, {"kind": "interest", "value": "events"}) == 4
        )
        assert await broadcasts.count_audience(session, {"kind": "interest", "value": "media"}) == 0
    # staff message the registrants from the event's page; the number typed is kept as text
    boss = await staff(engine)
    await boss.send("/broadcast")
    await boss.press("event")
    await boss.send(str(seeded.event_id))  # "1": a number, not the first button
    assert "النص العربي" in boss.text or "نص الإعلان" in boss.text
    await boss.send("تذكير: أحضروا قبعات")
    await boss.press("_s")
    await boss.press("_s")
    await boss.press("now")
    assert "سيصل الإعلان إلى مستلمَين" in boss.text
    await boss.press("_ok")
    async with db.sessions() as session:
        broadcast = (await session.execute(select(Broadcast))).scalar_one()
    assert broadcast.audience == {"kind": "event", "value": str(seeded.event_id)}
    rows = [r for r in await outbox_rows(db) if r.broadcast_id == broadcast.id]
    assert len(rows) == 2


async def test_announcing_an_event_sends_a_button_that_opens_it(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    seeded = await seed_event(db, clock.now)
    chat_id = 6001
    fake.known_chat(chat_id)
    volunteer = Chat(engine, user=str(chat_id), channel="telegram")
    answers = list(ADULT_ANSWERS)
    await volunteer.signup(answers)
    boss = await staff(engine)
    await open_event_admin(boss, seeded.event_id)
    await boss.press("an")
    # the texts are written for both languages; the audience and the time are asked
    await boss.press("volunteers")
    await boss.press("now")
    assert "حملة تشجير الردف" in boss.text and "Al-Rudaf tree planting" in boss.text
    assert "عرض الفعالية" in boss.text  # the summary names the button
    await boss.press("_ok")
    async with db.sessions() as session:
        broadcast = (await session.execute(select(Broadcast))).scalar_one()
    assert broadcast.attachment == {
        "choices": [{"id": f"evo:e:{seeded.event_id}", "label": "ev.btn.open"}]
    }
    await fan_out_due(db, clock.now)
    await drain_once(db, catalogs, fake, clock=clock)
    [message] = [m for m in fake.messages_to(chat_id) if m.get("from", {}).get("is_bot")]
    assert "حملة تشجير الردف" in message["text"]
    [[button]] = message["reply_markup"]["inline_keyboard"]
    assert button["callback_data"] == f"evo:e:{seeded.event_id}"
    assert "عرض الفعالية" in button["text"]
    # pressing it opens the event, wherever the volunteer was
    await volunteer.send("/mydata")
    await volunteer.press_id(button["callback_data"])
    assert "حملة تشجير الردف" in volunteer.text and volunteer.offers(f"s{seeded.shift_ids[0]}")
