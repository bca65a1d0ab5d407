"""Attendance rules in the staff chat (issue 14 item 4), through the engine: check-in opens
CHECKIN_OPENS_MINUTES before a shift starts, no check-out before the check-in, staff undo a
check-in or a check-out (the web's service and audit rows), and hours that are zero read "no
hours counted yet", never "0 ساعة", in Arabic (neutral and feminine) and English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.core.dates import fmt_datetime
from bot.core.engine import Engine
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import (
    Seeded,
    World,
    open_event_admin,
    register,
    registrations,
    seed_event,
    volunteers,
)
from tests.support import ADULT_ANSWERS, Chat


async def one_registered(engine: Engine, db: Database, clock: Clock) -> tuple[Seeded, int, Chat]:
    """A 3-hour shift three days ahead with one confirmed volunteer: the event, the
    registration's id and the volunteer's chat."""
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3}])
    [chat] = await volunteers(engine, "t1")
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    [reg] = await registrations(db, seeded.shift_ids[0])
    return seeded, reg.id, chat


async def registrants_screen(engine: Engine, seeded: Seeded, locale: str = "ar") -> Chat:
    """Staff (in `locale`) on the shift's registrant list."""
    boss = Chat(engine, user="boss")
    await boss.onboard(locale)
    await open_event_admin(boss, seeded.event_id)
    await boss.press(f"s{seeded.shift_ids[0]}")
    await boss.press("rg")
    return boss


async def registration(db: Database, reg_id: int) -> tuple[bool, bool]:
    """(checked in, checked out) of a registration."""
    [reg] = [r for r in await registrations(db) if r.id == reg_id]
    return reg.checked_in_at is not None, reg.checked_out_at is not None


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_check_in_opens_30_minutes_before_the_start(
    engine: Engine, db: Database, clock: Clock, locale: str
) -> None:
    seeded, reg_id, _ = await one_registered(engine, db, clock)
    start = clock.now + timedelta(days=3)
    boss = await registrants_screen(engine, seeded, locale)
    tr = engine.catalogs.translator(locale)
    clock.now = start - timedelta(minutes=31)
    await boss.press(f"i{reg_id}")
    opens = fmt_datetime(tr, start - timedelta(minutes=30), engine.settings.timezone)
    assert tr.t("eva.err.too_early", when=opens) in boss.text
    assert await registration(db, reg_id) == (False, False)
    clock.now = start - timedelta(minutes=30)
    await boss.press(f"i{reg_id}")
    assert ("سُجّل حضور" if locale == "ar" else "checked in at") in boss.text
    assert await registration(db, reg_id) == (True, False)


async def test_a_longer_margin_from_the_settings_lets_31_minutes_early_in(
    make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    engine = make_engine(checkin_opens_minutes=60)
    seeded, reg_id, _ = await one_registered(engine, db, clock)
    boss = await registrants_screen(engine, seeded)
    clock.now = clock.now + timedelta(days=3) - timedelta(minutes=31)
    await boss.press(f"i{reg_id}")
    assert "سُجّل حضور" in boss.text and "لم يبدأ" not in boss.text
    assert await registration(db, reg_id) == (True, False)


async def test_no_check_out_before_the_check_in_and_undo_of_a_check_in(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded, reg_id, _ = await one_registered(engine, db, clock)
    boss = await registrants_screen(engine, seeded)
    clock.now += timedelta(days=3)
    await boss.press(f"i{reg_id}")
    stale_check_out = boss.choice_id(f"o{reg_id}")
    assert dict(boss.choices)[boss.choice_id(f"ui{reg_id}")].startswith("↩️ تراجع عن تسجيل الحضور")
    await boss.press(f"ui{reg_id}")
    assert "أُلغي تسجيل حضور" in boss.text
    assert await registration(db, reg_id) == (False, False)
    assert boss.offers(f"i{reg_id}") and not boss.offers(f"o{reg_id}")
    await boss.press_id(stale_check_out)  # the button from before the undo
    assert "لا يُسجَّل الانصراف قبل الحضور" in boss.text
    assert await registration(db, reg_id) == (False, False)
    world = World(db, engine.catalogs, engine.settings, clock.now)
    assert len(await world.audits("attendance.undo_check_in")) == 1
    assert await world.audits("attendance.check_out") == []


async def test_undo_of_a_check_out_restores_the_check_in_and_the_hours(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded, reg_id, volunteer = await one_registered(engine, db, clock)
    boss = await registrants_screen(engine, seeded)
    start = clock.now + timedelta(days=3)
    clock.now = start
    await boss.press(f"i{reg_id}")
    clock.now = start + timedelta(hours=2)
    await boss.press(f"o{reg_id}")
    assert "الساعات: ساعتان." in boss.text
    await volunteer.send("/myhours")
    assert "المجموع: ساعتان في وردية واحدة." in volunteer.text
    # the checked-out registrant's line offers only the undo
    assert boss.offers(f"uo{reg_id}") and not boss.offers(f"o{reg_id}")
    await boss.press(f"uo{reg_id}")
    assert "أُلغي تسجيل انصراف" in boss.text
    assert await registration(db, reg_id) == (True, False)
    await volunteer.send("/myhours")  # the shift is not over: nothing counts until check-out
    assert "لم تُحتسب لك ساعات بعد" in volunteer.text
    clock.now = start + timedelta(hours=2, minutes=30)
    await boss.press(f"o{reg_id}")
    assert "الساعات: 2.5 ساعة." in boss.text
    world = World(db, engine.catalogs, engine.settings, clock.now)
    assert len(await world.audits("attendance.undo_check_out")) == 1
    assert len(await world.audits("attendance.check_out")) == 2


async def test_undo_right_after_a_check_in_by_national_id(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3}])
    chat = Chat(engine, user="n1")
    await chat.signup()
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    [reg] = await registrations(db, seeded.shift_ids[0])
    boss = await registrants_screen(engine, seeded)
    await boss.press("_bk")
    await boss.press("ci")
    clock.now += timedelta(days=3)
    await boss.send(ADULT_ANSWERS[1][1])
    assert "سُجّل حضور" in boss.text
    await boss.press(f"ui{reg.id}")
    assert "أُلغي تسجيل حضور محمد عبدالله الغامدي" in boss.text
    assert await registration(db, reg.id) == (False, False)
    assert not boss.offers(f"ui{reg.id}")  # done: the prompt waits for the next ID
    await boss.send(ADULT_ANSWERS[1][1])
    clock.now += timedelta(minutes=10)
    await boss.send(ADULT_ANSWERS[1][1])  # the check-out, ten minutes later
    assert "الساعات: 0.2 ساعة." in boss.text  # short, but never rounded away
    await boss.press(f"uo{reg.id}")
    assert await registration(db, reg.id) == (True, False)


@pytest.mark.parametrize(
    ("locale", "gender", "expected"),
    [
        ("ar", "m", "لم تُحتسب لك ساعات بعد؛ تُحتسب عند تسجيل حضورك في وردية."),
        ("ar", "f", "لم تُحتسب لكِ ساعات بعد؛ تُحتسب عند تسجيل حضوركِ في وردية."),
        ("en", "m", "No hours counted yet; they count once you are checked in at a shift."),
    ],
)
async def test_no_hours_yet_read_as_such_and_ten_minutes_count(
    engine: Engine, db: Database, clock: Clock, locale: str, gender: str, expected: str
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3}])
    chat = Chat(engine, user="z1")
    answers = list(ADULT_ANSWERS)
    answers[3] = ("press", gender)
    await chat.signup(answers)
    if locale == "en":
        await chat.send("/language")
        await chat.press("en")
    await chat.send("/myhours")
    assert expected in chat.text and " 0 " not in chat.text
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    [reg] = await registrations(db, seeded.shift_ids[0])
    boss = await registrants_screen(engine, seeded)
    clock.now += timedelta(days=3)
    await boss.press(f"i{reg.id}")
    clock.now += timedelta(minutes=10)
    await boss.press(f"o{reg.id}")
    await chat.send("/myhours")
    arabic, english = "المجموع: 0.2 ساعة في وردية واحدة.", "Total: 0.2 hours in 1 shift."
    assert (arabic if locale == "ar" else english) in chat.text
