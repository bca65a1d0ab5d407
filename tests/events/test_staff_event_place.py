"""Issue 14 item 11: the staff's event screen names the place in the reader's language, as the
volunteers' screens do (`event_notices.place_for`)."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from storage.db import Database
from storage.models_events import Event
from tests.conftest import Clock
from tests.events.support import open_event_admin, seed_event
from tests.support import Chat


@pytest.mark.parametrize(
    ("locale", "shown", "hidden"),
    [("en", "Al-Rudaf Park", "منتزه الردف"), ("ar", "منتزه الردف", "Al-Rudaf Park")],
)
async def test_the_staff_event_screen_names_the_place_in_the_readers_language(
    engine: Engine, db: Database, clock: Clock, locale: str, shown: str, hidden: str
) -> None:
    seeded = await seed_event(db, clock.now, place="منتزه الردف")
    async with db.transaction() as session:
        event = await session.get(Event, seeded.event_id)
        assert event is not None
        event.place_name_en = "Al-Rudaf Park"
    boss = Chat(engine, user="boss")
    await boss.onboard(locale)
    await open_event_admin(boss, seeded.event_id)
    assert shown in boss.text and hidden not in boss.text
