"""Staff: create an event with its pin and shifts in the chat, edit and cancel (registrants are
told, reminders move or are withdrawn), capacity up (waitlist promoted) and down (refused below
the people registered), approval, check-in/out from the list and by ID or mobile, exports."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import pytest
from hijridate import Gregorian
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.messages import InboundKind, Location
from bot.services.events import EventDraft, InvalidValue, create_event, update_event
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog
from storage.models_events import Event, Shift, ShiftRegistration
from tests.conftest import Clock
from tests.events.support import (
    World,
    cancel_my_registration,
    one_registered_one_waiting,
    open_event,
    open_event_admin,
    outbox_rows,
    register,
    register_or_wait,
    registrations,
    seed_event,
    staff,
    status_of,
    volunteers,
)
from tests.support import ADULT_ANSWERS, Chat


async def open_shift(boss: Chat, event_id: int, shift_id: int) -> None:
    await open_event_admin(boss, event_id)
    await boss.press(f"s{shift_id}")


async def edit_shift(boss: Chat, *changes: tuple[str, str]) -> None:
    """On the shift's staff page: edit, type a new value for each (field, value), save."""
    await boss.press("es")
    for field, value in changes:
        await boss.press("_e")
        await boss.press(field)
        await boss.send(value)
    await boss.press("_ok")


async def test_staff_create_an_event_with_a_pin_and_a_shift(
    engine: Engine, db: Database, clock: Clock
) -> None:
    boss = await staff(engine)
    await boss.send("/staff")
    await boss.press("evn")
    await boss.send("حملة نظافة السوق <الكبرى>")
    await boss.send("Market clean-up")
    await boss.send("ننظف ساحة السوق ونوزع أكياس النفايات")
    await boss.press("_s")
    await boss.press("cleaning")
    await boss.send("سوق عكاظ")
    await boss.send("Souq Okaz")  # the place in English (optional)
    await boss.send("/help")  # a detour keeps the form
    await boss.deliver(boss.inbound(InboundKind.LOCATION, location=Location(21.43, 40.51)))
    await boss.send("2020-01-01 08:00")
    assert "مضى" in boss.text
    await boss.send("١/١٢/٢٠٢٦ 8:00 ص")
    await boss.send("11:00")
    await boss.press("_s")  # no accessibility features stated
    assert "راجع الفعالية" in boss.text and "&lt;الكبرى&gt;" in boss.text
    await boss.press("_ok")
    assert "نُشرت الفعالية" in boss.text
    async with db.sessions() as session:
        event = (await session.execute(select(Event))).scalar_one()
    assert event.title_ar == "حملة نظافة السوق <الكبرى>" and event.type == "cleaning"
    assert (event.latitude, event.longitude) == (21.43, 40.51)
    assert (event.place_name, event.place_name_en) == ("سوق عكاظ", "Souq Okaz")
    assert event.starts_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 08:00 in Riyadh
    assert event.ends_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    # the event's page offers to add a shift
    await boss.press("as")
    await boss.send("2026-12-01 08:00")
    await boss.send("10:30")
    await boss.send("2")  # a number, not "the second button"
    await boss.press("f")
    await boss.send("إسعافات أولية، تصوير")
    await boss.press("staff")
    await boss.press("_s")  # no accessibility features beyond the event's
    assert "النساء فقط" in boss.text and "بموافقة الموظفين" in boss.text
    await boss.press("_ok")
    assert "أُضيفت الوردية" in boss.text
    async with db.sessions() as session:
        shift = (await session.execute(select(Shift))).scalar_one()
        actions = set((await session.execute(select(AuditLog.action))).scalars())
    assert shift.capacity == 2 and shift.gender == "f" and not shift.auto_confirm
    assert shift.skills == ["إسعافات أولية", "تصوير"]
    assert shift.ends_at - shift.starts_at == timedelta(hours=2, minutes=30)
    assert {"event.created", "shift.created"} <= actions
    # a typed "map link" works as a pin too, when editing
    await boss.press("_bk")
    await boss.press("ed")
    await boss.press("_e")
    await boss.press("pin")
    await boss.send("https://maps.google.com/?q=21.2703,40.4158")
    await boss.press("_ok")
    async with db.sessions() as session:
        event = (await session.execute(select(Event))).scalar_one()
    assert (event.latitude, event.longitude) == (21.2703, 40.4158)


async def test_only_staff_manage_events(engine: Engine, db: Database, clock: Clock) -> None:
    seeded = await seed_event(db, clock.now)
    [volunteer] = await volunteers(engine, "x1")
    await volunteer.send("/staff")
    assert "مخصّص لموظفي الأمانة" in volunteer.text
    await volunteer.press_id(f"eva:list:e{seeded.event_id}")  # a forged button
    await volunteer.press_id("eva:event:cx")
    async with db.sessions() as session:
        event = await session.get(Event, seeded.event_id)
    assert event is not None and event.status == "published"


async def test_changing_a_shift_time_tells_registrants_and_moves_reminders(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 3}])
    shift_id = seeded.shift_ids[0]
    first, second = await volunteers(engine, "c1", "c2")
    await register(first, seeded.event_id, shift_id)
    await register(second, seeded.event_id, shift_id)
    old = {r.idempotency_key for r in await outbox_rows(db, "ev:r") if ":rem:" in r.idempotency_key}
    assert len(old) == 4
    boss = await staff(engine)
    await open_shift(boss, seeded.event_id, shift_id)
    await edit_shift(boss, ("starts", "2026-11-29 10:00"), ("ends", "13:00"))
    assert "أُبلغ مسجّلان." in boss.text
    rows = await outbox_rows(db, "ev:r")
    withdrawn = [r for r in rows if r.idempotency_key in old]
    assert {(r.status, r.last_error) for r in withdrawn} == {("skipped", "changed")}
    fresh = [r for r in rows if ":rem:" in r.idempotency_key and r.idempotency_key not in old]
    start = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    assert len(fresh) == 4 and {r.due_at for r in fresh} == {
        start - timedelta(hours=24),
        start - timedelta(hours=2),
    }
    assert all("20261129T0700Z" in r.idempotency_key for r in fresh)
    changed = [r for r in rows if ":chg:" in r.idempotency_key]
    assert len(changed) == 2 and all(r.payload["key"] == "ev.n.changed" for r in changed)
    # changing it back gives new reminders again (the shift's revision is in the key)
    await edit_shift(boss, ("starts", "2026-11-28 12:00"), ("ends", "15:00"))
    pending = [
        r
        for r in await outbox_rows(db, "ev:r")
        if ":rem:" in r.idempotency_key and r.status == "pending"
    ]
    assert len(pending) == 4 and all("20261128T0900Z" in r.idempotency_key for r in pending)


async def test_cancelling_the_event_tells_everyone_and_withdraws_reminders(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded, first, _ = await one_registered_one_waiting(engine, db, clock.now, "k1", "k2")
    boss = await staff(engine)
    await open_event_admin(boss, seeded.event_id)
    await boss.press("cx")
    assert "سنُبلغ المسجّلَين فيها" in boss.text
    await boss.press("y")
    assert "أُلغيت فعالية" in boss.text and "أُبلغ مسجّلان." in boss.text
    rows = await outbox_rows(db, "ev:r")
    assert not [r for r in rows if ":rem:" in r.idempotency_key and r.status == "pending"]
    told = [r for r in rows if r.idempotency_key.endswith(":cancelled")]
    assert len(told) == 2 and all(r.payload["key"] == "ev.n.event_cancelled" for r in told)
    assert all(r.status == "cancelled" for r in await registrations(db))
    await first.send("/events")
    assert not first.offers(f"e{seeded.event_id}")


async def test_capacity_up_promotes_and_down_is_refused_below_the_registered(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    chats = await volunteers(engine, "p1", "p2", "p3")
    for chat in chats:
        await register_or_wait(chat, seeded.event_id, shift_id)
    boss = await staff(engine)
    await open_shift(boss, seeded.event_id, shift_id)
    await edit_shift(boss, ("cap", "3"))
    assert "نُقل شخصان من قائمة الانتظار" in boss.text
    assert [await status_of(db, u) for u in ("p1", "p2", "p3")] == [{shift_id: "confirmed"}] * 3
    seats = sorted(r.seat or 0 for r in await registrations(db, shift_id))
    assert seats == [1, 2, 3]
    assert len([r for r in await outbox_rows(db) if r.idempotency_key.endswith(":promoted")]) == 2
    # one leaves, then the capacity goes down to 2: the seats are renumbered within it
    await cancel_my_registration(chats[0])
    await edit_shift(boss, ("cap", "1"))
    assert "لا يمكن أن يقل العدد عن عدد المسجّلين حاليًا (2)" in boss.text
    await boss.send("2")
    await boss.press("_ok")
    async with db.sessions() as session:
        shift = await session.get(Shift, shift_id)
    assert shift is not None and shift.capacity == 2
    live = [r for r in await registrations(db, shift_id) if r.status == "confirmed"]
    assert sorted(r.seat or 0 for r in live) == [1, 2]


async def test_approval_and_attendance(engine: Engine, db: Database, clock: Clock) -> None:
    seeded = await seed_event(
        db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 1, "auto": False}]
    )
    shift_id = seeded.shift_ids[0]
    first, second = await volunteers(engine, "a1", "a2")
    await register(first, seeded.event_id, shift_id)
    assert "سنخبرك عند موافقة الموظفين" in first.text
    await register(second, seeded.event_id, shift_id)
    await second.press(f"w{shift_id}")  # the request waiting for approval holds the place
    assert not await outbox_rows(db, "ev:r")  # no reminders before approval
    boss = await staff(engine)
    await open_shift(boss, seeded.event_id, shift_id)
    await boss.press("rg")
    assert "بانتظار موافقة الموظفين" in boss.text
    [first_reg, second_reg] = await registrations(db, shift_id)
    await boss.press(f"a{first_reg.id}")
    assert "قُبل طلب" in boss.text
    assert await status_of(db, "a1") == {shift_id: "confirmed"}
    approved = await outbox_rows(db, f"ev:r{first_reg.id}:")
    assert {r.payload["key"] for r in approved} == {"ev.n.approved", "ev.n.reminder"}
    # check-in opens CHECKIN_OPENS_MINUTES (30) before the start
    await boss.press(f"i{first_reg.id}")
    assert "يبدأ تسجيل الحضور" in boss.text
    start = clock.now + timedelta(days=3)
    clock.now = start - timedelta(minutes=5)
    await boss.press(f"i{first_reg.id}")
    assert "سُجّل حضور" in boss.text
    clock.now = start + timedelta(hours=2, minutes=30)
    await boss.press(f"o{first_reg.id}")
    assert "الساعات: 2.6" in boss.text  # 2 h 35 min
    # by mobile: both share one (a family's); only a1 is confirmed, and already checked out
    await boss.press("_bk")
    await boss.press("ci")
    await boss.send("12345")
    assert "اكتب رقم هوية صحيحًا" in boss.text
    await boss.send("0512345678")
    assert "أكثر من متطوع مسجّل بهذا الجوال" in boss.text
    async with db.sessions() as session:
        regs = {r.id: r for r in (await session.execute(select(ShiftRegistration))).scalars()}
    assert regs[first_reg.id].checked_out_at == start + timedelta(hours=2, minutes=30)
    assert regs[second_reg.id].checked_in_at is None


async def test_check_in_by_national_id(engine: Engine, db: Database, clock: Clock) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3}])
    shift_id = seeded.shift_ids[0]
    chat = Chat(engine, user="n1")
    await chat.signup()  # ADULT_ANSWERS: a known national ID
    await register(chat, seeded.event_id, shift_id)
    clock.now += timedelta(days=3)
    boss = await staff(engine)
    await open_shift(boss, seeded.event_id, shift_id)
    await boss.press("ci")
    national_id = ADULT_ANSWERS[1][1]
    await boss.send(national_id)
    assert "سُجّل حضور محمد عبدالله الغامدي" in boss.text
    clock.now += timedelta(hours=3, minutes=15)
    await boss.send(national_id)  # the second time checks out
    assert "سُجّل انصراف" in boss.text and "الساعات: 3.2" in boss.text
    await boss.send(national_id)
    assert "وانصرافه من قبل" in boss.text
    await boss.send("1000000008")  # valid, but not registered here
    assert "لا يوجد متطوع بهذا الرقم" in boss.text
    # by mobile, in any common spelling
    other = Chat(engine, user="n2")
    answers = list(ADULT_ANSWERS)
    answers[1] = ("text", "1000000008")
    answers[2] = ("text", "0559876543")
    answers[0] = ("text", "سارة محمد الحارثي")
    await other.signup(answers)
    clock.now -= timedelta(days=1)
    await register(other, seeded.event_id, shift_id)
    clock.now += timedelta(days=1)
    await boss.send("+966 55 987 6543")
    assert "سُجّل حضور سارة محمد الحارثي" in boss.text


async def test_export_registrants_waitlist_attendance_and_hours(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded, _, _ = await one_registered_one_waiting(engine, db, clock.now, "e1", "e2")
    shift_id = seeded.shift_ids[0]
    boss = await staff(engine)
    await open_shift(boss, seeded.event_id, shift_id)
    await boss.press("rg")
    [first_reg, _] = await registrations(db, shift_id)
    start = clock.now + timedelta(days=3)
    clock.now = start
    await boss.press(f"i{first_reg.id}")
    clock.now = start + timedelta(hours=3, minutes=30)  # over, no check-out: planned 3 h
    await open_event_admin(boss, seeded.event_id)
    await boss.press("xl")
    files = {o.attachment.filename: o.attachment.data for o in boss.last if o.attachment}
    name = f"event-{seeded.event_id}"
    assert set(files) == {f"{name}.xlsx", f"{name}.csv"}
    sheet = load_workbook(io.BytesIO(files[f"{name}.xlsx"])).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert header[:3] == ["الوردية", "الاسم", "رقم الهوية"]
    by_status = {row[header.index("الحالة")]: row for row in rows[1:]}
    confirmed = by_status["مؤكَّد ✅"]
    waiting = by_status["في قائمة الانتظار"]
    assert confirmed[header.index("الساعات")] == 3
    # Riyadh time, Hijri then Gregorian, to the minute (no seconds, no microseconds)
    assert confirmed[header.index("الحضور")] == "1448-06-18 هـ (2026-11-28 م) 12:00"
    assert waiting[header.index("ترتيب الانتظار")] == 1
    assert waiting[header.index("الساعات")] == 0
    assert confirmed[header.index("الجوال")] == "+966512345678"  # text, no apostrophe
    table = list(csv.reader(io.StringIO(files[f"{name}.csv"].decode("utf-8-sig"))))
    assert table[0] == header and len(table) == 3
    mobile = header.index("الجوال")
    assert "+966512345678" in {row[mobile] for row in table[1:]}  # clean in CSV: no apostrophe
    async with db.sessions() as session:
        actions = set((await session.execute(select(AuditLog.action))).scalars())
    assert "event.exported" in actions and "attendance.check_in" in actions


async def _start_event_form(boss: Chat) -> None:
    await boss.send("/staff")
    await boss.press("evn")


async def test_an_event_name_must_contain_letters(
    engine: Engine, db: Database, clock: Clock
) -> None:
    boss = await staff(engine)
    await _start_event_form(boss)
    await boss.send("١٢٣ - ٤٥٦ !!")
    assert "يجب أن يحتوي اسم الفعالية على حروف" in boss.text
    assert "اسم الفعالية" in boss.text and "مثل: حملة" in boss.text  # and the question again
    await boss.send("2026")
    assert "يجب أن يحتوي اسم الفعالية على حروف" in boss.text
    await boss.send("حملة 2026")  # letters and digits: a name
    assert "يجب أن يحتوي" not in boss.text
    await boss.send("🌳🌳")  # the optional English name: the same rule
    assert "يجب أن يحتوي اسم الفعالية على حروف" in boss.text


async def test_an_event_name_without_letters_is_refused_in_english(
    engine: Engine, db: Database, clock: Clock
) -> None:
    boss = Chat(engine, user="boss")
    await boss.onboard("en")
    await _start_event_form(boss)
    await boss.send("---")
    assert "An event's name must contain letters" in boss.text
    await boss.send("Clean-up 2")
    assert "must contain letters" not in boss.text


async def test_the_service_refuses_a_name_without_letters_for_every_door(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    """The web's event forms call the same service: a name of digits is refused there too,
    and an edit cannot rename an event to one."""
    world = World(db, catalogs, settings, clock.now)
    boss = await world.staff()
    seeded = await seed_event(db, clock.now)
    start = clock.now + timedelta(days=2)
    draft = EventDraft("2026", "وصف", "cleaning", "السوق", start, start + timedelta(hours=2))
    with pytest.raises(InvalidValue) as refused:
        async with world.acting(boss, "admin") as unit:
            await create_event(unit, draft)
    assert (refused.value.field, refused.value.msgid) == ("title_ar", "evf.err.title_letters")
    with pytest.raises(InvalidValue) as refused:
        async with world.acting(boss, "admin") as unit:
            await update_event(
                unit, seeded.event_id, replace(draft, title_ar="نظافة", title_en="12"), "t"
            )
    assert refused.value.field == "title_en"
    async with world.acting(boss, "admin") as unit:
        assert (await create_event(unit, replace(draft, title_ar="نظافة ٢"))).id


def _hijri_day(moment: datetime, lang: Literal["ar", "en"]) -> str:
    """ "<day> <month>" of the Hijri date a moment falls on in Riyadh (as a button shows it)."""
    local = moment.astimezone(ZoneInfo("Asia/Riyadh"))
    hijri = Gregorian(local.year, local.month, local.day).to_hijri()
    return f"{hijri.day} {hijri.month_name(lang)}"


def _shift_labels(chat: Chat, prefix: str) -> list[str]:
    return [label for cid, label in chat.choices if cid.rsplit(":", 1)[-1].startswith(prefix)]


async def test_shift_buttons_tell_two_shifts_apart_by_day_and_time(
    engine: Engine, db: Database, clock: Clock
) -> None:
    """Three shifts of one event (the event starts at noon in Riyadh): 4-8 pm on two days
    and 12-2:30 pm on the first. Every button names the weekday, the Hijri day and the
    hours, for staff and for volunteers, in Arabic and English."""
    seeded = await seed_event(
        db,
        clock.now,
        shifts=[
            {"start": 4, "hours": 4, "capacity": 3},
            {"start": 28, "hours": 4, "capacity": 3},
            {"start": 0, "hours": 2.5, "capacity": 3},
        ],
    )
    first_day = clock.now + timedelta(days=3)
    day_one, day_two = _hijri_day(first_day, "ar"), _hijri_day(first_day + timedelta(days=1), "ar")
    assert day_one != day_two
    boss = await staff(engine)
    await open_event_admin(boss, seeded.event_id)
    staff_labels = _shift_labels(boss, "s")
    assert len(set(staff_labels)) == 3
    assert sum(f"{day_one}، 4–8 م" in label for label in staff_labels) == 1
    assert sum(f"{day_two}، 4–8 م" in label for label in staff_labels) == 1
    assert sum(f"{day_one}، 12–2:30 م" in label for label in staff_labels) == 1
    # a volunteer sees the same on the register buttons, then on "my shifts"
    [volunteer] = await volunteers(engine, "b1")
    await open_event(volunteer, seeded.event_id)
    register_labels = _shift_labels(volunteer, "s")
    assert len(set(register_labels)) == 3
    assert all(day_one in label or day_two in label for label in register_labels)
    for shift_id in seeded.shift_ids[:2]:
        await register(volunteer, seeded.event_id, shift_id)
    await volunteer.send("/myshifts")
    mine = _shift_labels(volunteer, "r")
    assert len(mine) == 2 and len(set(mine)) == 2
    assert any(f"{day_one}، 4–8 م" in label for label in mine)
    assert any(f"{day_two}، 4–8 م" in label for label in mine)
    # in English
    await volunteer.send("/language")
    await volunteer.press("en")
    await volunteer.send("/myshifts")
    mine = _shift_labels(volunteer, "r")
    english_day = _hijri_day(first_day, "en")
    assert any(f"{english_day}, 4–8 PM" in label for label in mine)
    await open_event(volunteer, seeded.event_id)
    assert any(f"{english_day}, 12–2:30 PM" in label for label in _shift_labels(volunteer, "s"))
