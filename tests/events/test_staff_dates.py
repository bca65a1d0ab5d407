"""Staff type shift, event and broadcast times as they say them: "tomorrow 6 pm" in Arabic or
English, the event's own date from a button; an end before the start is refused and asked again
(the start is kept), never moved to the next day. Days come from the injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.date_input import EXAMPLE_DAYS_AHEAD
from bot.core.engine import Engine
from storage.db import Database
from storage.models import Broadcast
from storage.models_events import Shift
from tests.conftest import Clock
from tests.events.support import Seeded, open_event_admin, seed_event
from tests.support import Chat, text_of

RIYADH = ZoneInfo("Asia/Riyadh")
TOMORROW_6PM = "\u063a\u062f\u064b\u0627 6 \u0645\u0633\u0627\u0621\u064b"  # ghadan 6 masa'an
PM = "\u0645"
AM = "\u0635"


def riyadh(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=RIYADH).astimezone(UTC)


def today(clock: Clock) -> date:
    return clock.now.astimezone(RIYADH).date()


async def boss_in(engine: Engine, locale: str) -> Chat:
    boss = Chat(engine, user="boss")
    await boss.onboard(locale)
    return boss


async def new_shifts(db: Database, seeded: Seeded) -> list[Shift]:
    """The shifts added in the chat (not the one the event was seeded with)."""
    async with db.sessions() as session:
        found = (await session.execute(select(Shift).order_by(Shift.id))).scalars()
        return [s for s in found if s.id not in seeded.shift_ids]


async def finish_shift(boss: Chat, *, confirm: bool = True) -> None:
    """After the times: capacity, any gender, no skills, automatic approval, no accessibility
    features, confirm."""
    await boss.send("4")
    await boss.press("any")
    await boss.press("_s")
    await boss.press("auto")
    await boss.press("_s")  # no accessibility features beyond the event's
    if confirm:
        await boss.press("_ok")


async def test_adding_a_shift_tomorrow_6_pm_and_an_end_before_the_start_in_arabic(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now)
    boss = await boss_in(engine, "ar")
    await open_event_admin(boss, seeded.event_id)
    await boss.press("as")
    # The question's example is computed from today, and the event's date is a button.
    example = (today(clock) + timedelta(days=EXAMPLE_DAYS_AHEAD)).isoformat()
    assert example in boss.text and boss.offers("_day")
    await boss.send(TOMORROW_6PM)
    start = riyadh(today(clock) + timedelta(days=1), 18)
    # 5 pm is before 6 pm: refused with the start shown, the end asked again.
    await boss.send(f"5 {PM}")
    refusal = text_of("ar", "evf.err.end_not_after_start").split("{")[0]
    assert refusal in boss.text and f"6:00 {PM}" in boss.text  # the start, kept
    assert text_of("ar", "esf.q.ends").split("\u060c")[0] in boss.text
    await boss.send(f"9:30 {PM}")
    await finish_shift(boss, confirm=False)
    assert f"6:00 {PM}" in boss.text and f"9:30 {PM}" in boss.text  # the summary
    await boss.press("_ok")
    [shift] = await new_shifts(db, seeded)
    assert (shift.starts_at, shift.ends_at) == (start, start + timedelta(hours=3, minutes=30))


async def test_an_end_time_alone_is_the_same_day_even_when_earlier_in_english(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now)
    boss = await boss_in(engine, "en")
    await open_event_admin(boss, seeded.event_id)
    await boss.press("as")
    await boss.send("tomorrow 10 pm")
    # A night shift's end typed alone is not rolled to the next morning.
    await boss.send("2 am")
    assert text_of("en", "evf.err.end_not_after_start").split("{")[0] in boss.text
    assert not await new_shifts(db, seeded)
    day_after = today(clock) + timedelta(days=2)
    await boss.send(f"{day_after.isoformat()} 2:00 am")
    await finish_shift(boss)
    [shift] = await new_shifts(db, seeded)
    start = riyadh(today(clock) + timedelta(days=1), 22)
    assert (shift.starts_at, shift.ends_at) == (start, riyadh(day_after, 2))


async def test_the_shift_start_offers_the_events_own_date(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, days_ahead=5)
    event_day = (clock.now + timedelta(days=5)).astimezone(RIYADH).date()
    boss = await boss_in(engine, "ar")
    await open_event_admin(boss, seeded.event_id)
    await boss.press("as")
    label = dict(boss.choices)[boss.choice_id("_day")]
    assert str(event_day.day) in label and str(event_day.year) in label
    await boss.press("_day")
    assert text_of("ar", "esf.q.start_time").split("{")[0] in boss.text
    await boss.send(f"\u0668 {AM}")  # Arabic-Indic 8, morning
    await boss.send("12:00")
    await finish_shift(boss)
    [shift] = await new_shifts(db, seeded)
    assert (shift.starts_at, shift.ends_at) == (riyadh(event_day, 8), riyadh(event_day, 12))


async def test_a_time_alone_for_a_new_event_start_asks_for_the_date(
    engine: Engine, db: Database, clock: Clock
) -> None:
    boss = await boss_in(engine, "ar")
    await boss.send("/staff")
    await boss.press("evn")
    await boss.send("\u062d\u0645\u0644\u0629 \u062a\u0634\u062c\u064a\u0631")
    await boss.press("_s")
    await boss.send("\u0646\u0632\u0631\u0639 \u0627\u0644\u0623\u0634\u062c\u0627\u0631")
    await boss.press("_s")
    await boss.press("cleaning")
    await boss.send("\u0627\u0644\u0631\u062f\u0641")
    await boss.press("_s")  # the place in English
    await boss.press("_s")  # its location
    assert (today(clock) + timedelta(days=EXAMPLE_DAYS_AHEAD)).isoformat() in boss.text
    await boss.send(f"6 {PM}")
    assert text_of("ar", "err.datetime.format").split(".")[0] in boss.text
    await boss.send(TOMORROW_6PM)
    await boss.send(f"6 {PM}")  # equal to the start: not after it
    assert text_of("ar", "evf.err.end_not_after_start").split("{")[0] in boss.text


async def test_a_broadcast_is_scheduled_for_tomorrow_6_pm(
    engine: Engine, db: Database, clock: Clock
) -> None:
    boss = await boss_in(engine, "ar")
    await boss.send("/broadcast")
    await boss.press("all")
    await boss.send("\u0625\u0639\u0644\u0627\u0646")  # "announcement"
    await boss.press("_s")
    await boss.press("_s")
    await boss.press("later")
    assert (today(clock) + timedelta(days=EXAMPLE_DAYS_AHEAD)).isoformat() in boss.text
    await boss.send(TOMORROW_6PM)
    await boss.press("_ok")
    async with db.sessions() as session:
        [broadcast] = (await session.execute(select(Broadcast))).scalars()
    assert broadcast.scheduled_at == riyadh(today(clock) + timedelta(days=1), 18)


async def test_editing_a_shift_end_before_its_start_is_refused_and_a_time_alone_is_its_day(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, days_ahead=5)
    [shift_id] = seeded.shift_ids
    boss = await boss_in(engine, "ar")
    await open_event_admin(boss, seeded.event_id)
    await boss.press(f"s{shift_id}")
    await boss.press("es")
    await boss.press("_e")
    await boss.press("starts")
    await boss.send(TOMORROW_6PM)
    await boss.press("_e")
    await boss.press("ends")
    # 5 am is before 6 pm of the start's day: refused with the start shown, never the next day.
    await boss.send(f"5 {AM}")
    refusal = text_of("ar", "evf.err.end_not_after_start").split("{")[0]
    assert refusal in boss.text and f"6:00 {PM}" in boss.text
    await boss.send(f"9 {PM}")  # a time alone: the start's day
    await boss.press("_ok")
    async with db.sessions() as session:
        shift = await session.get(Shift, shift_id)
    start = riyadh(today(clock) + timedelta(days=1), 18)
    assert shift is not None and (shift.starts_at, shift.ends_at) == (
        start,
        start + timedelta(hours=3),
    )
