"""One whole registration over HTTP: the real aiogram client and our service against the fake
Bot API — sign up, browse, see the pin, register, open "my shifts", get the calendar file."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from storage.models_events import ShiftRegistration
from tests.channels.telegram.support import (
    ARABIC_SIGNUP,
    DeliveryTracker,
    TelegramUser,
    drive,
    polling,
    runtime_for,
)
from tests.conftest import Clock
from tests.events.support import PIN, outbox_rows, seed_event


async def test_whole_registration_over_telegram(
    fake: FakeTelegramServer, engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 5}])
    shift_id = seeded.shift_ids[0]
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker):
        user = TelegramUser(fake, tracker, 2001, first_name="Sara")
        await user.text("/start")
        await user.press("ar")
        await user.press("yes")
        await user.press("vol")
        await drive(user, ARABIC_SIGNUP)
        await user.press("_ok")
        await user.press("ev")
        assert "الفعاليات التطوعية القادمة" in user.last_text()
        await user.press(f"e{seeded.event_id}")
        locations = [m["location"] for m in user.bot_messages() if "location" in m]
        assert locations == [{"latitude": PIN[0], "longitude": PIN[1]}]
        before = len(user.bot_messages())
        await user.press(f"s{shift_id}")
        assert "تم تسجيلكِ في وردية «حملة تشجير الردف»" in user.texts_since(before)
        assert "بقيت 4 أماكن" in user.texts_since(before)
        await user.press("_my")
        assert "وردياتي القادمة" in user.last_text()
        [reg_button] = [
            b["callback_data"].rsplit(":", 1)[-1]
            for m in user.live_menus()
            for row in m["reply_markup"]["inline_keyboard"]
            for b in row
            if ":r" in b["callback_data"]
        ]
        before = len(user.bot_messages())
        await user.press(reg_button)
        new = user.bot_messages()[before:]
        [document] = [m["document"] for m in new if "document" in m]
        assert document["file_name"] == f"shift-{shift_id}.ics"
        assert document["mime_type"] == "text/calendar"
        assert [m["location"] for m in new if "location" in m] == [
            {"latitude": PIN[0], "longitude": PIN[1]}
        ]
        [upload] = [f for f in fake.uploads if f.file_name.endswith(".ics")]
        ics = upload.content.decode()
        assert "BEGIN:VEVENT" in ics and "DTSTART;TZID=Asia/Riyadh:20261128T120000" in ics
        assert len(user.live_menus()) == 1  # never two live menus
        assert not fake.pending_callbacks  # every press answered
    async with db.sessions() as session:
        reg = (await session.execute(select(ShiftRegistration))).scalar_one()
    assert reg.status == "confirmed" and reg.seat == 1
    assert len([r for r in await outbox_rows(db, "ev:r") if ":rem:" in r.idempotency_key]) == 2
