"""Volunteers: browse (paged, by type and dates), details with places left, register, the
refusals (duplicate, overlap, gender, closed), the waitlist, "my shifts" with the calendar file
and the pin, cancelling before the cut-off (which promotes the first on the waitlist), hours and
the rating after a shift."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.core.engine import Engine
from bot.core.flow import JobEnv
from bot.handlers.events.common import (
    CANCEL_CUTOFF,
    REMINDER_OFFSETS,
    send_thank_yous,
)
from storage.db import Database
from storage.models_events import ShiftRegistration
from tests.conftest import Clock
from tests.events.support import (
    PIN,
    one_registered_one_waiting,
    open_event,
    outbox_rows,
    register,
    registrations,
    seed_event,
    status_of,
    user_id,
    volunteers,
)
from tests.support import Chat


async def test_browse_pages_and_filters(engine: Engine, db: Database, clock: Clock) -> None:
    now = clock.now
    for day in range(1, 8):  # seven events, one a day, alternating types
        await seed_event(
            db,
            now,
            days_ahead=day,
            title=f"فعالية {day}",
            event_type="cleaning" if day % 2 else "awareness",
        )
    past = await seed_event(db, now - timedelta(days=3), days_ahead=0, title="فعالية منتهية")
    [chat] = await volunteers(engine, "b1")
    await chat.send("/events")
    assert "7 فعاليات." in chat.text
    assert "الصفحة 1 من 2" in chat.text
    assert chat.offers("_nx") and not chat.offers("_pv")
    assert not chat.offers(f"e{past.event_id}")  # over: not listed
    await chat.press("_nx")
    assert "الصفحة 2 من 2" in chat.text and chat.offers("_pv") and not chat.offers("_nx")
    # by type
    await chat.press("_ft")
    await chat.press("awareness")
    assert "3 فعاليات." in chat.text and "التصفية: توعية" in chat.text
    assert chat.offers("_fx")
    # and by dates: a typed range in Arabic-Indic digits, both ends included
    await chat.press("_fd")
    await chat.send("٢٠٢٦-١١-٢٧ 2026-11-29")
    assert "فعاليتان." in chat.text  # awareness events on the 27th and the 29th
    await chat.press("_fx")
    assert "7 فعاليات." in chat.text
    await chat.press("_fd")
    await chat.press("today")
    assert "لا توجد فعاليات تطابق التصفية" in chat.text


async def test_details_show_places_left_with_arabic_plurals(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(
        db,
        clock.now,
        shifts=[
            {"start": 0, "hours": 3, "capacity": 1},
            {"start": 3, "hours": 3, "capacity": 2, "gender": "f", "skills": ["تصوير"]},
            {"start": 6, "hours": 3, "capacity": 11, "auto": False},
        ],
    )
    [chat] = await volunteers(engine, "d1")
    await open_event(chat, seeded.event_id)
    text = chat.text
    assert "بقي مكان واحد" in text
    assert "بقي مكانان" in text and "للنساء فقط" in text and "تصوير" in text
    assert "بقي 11 مكانًا" in text and "تتطلب موافقة الموظفين" in text
    # the user's text is escaped; the pin comes with the details
    assert "&lt;ونحتفل&gt; &amp;" in text
    assert any(o.location and (o.location.latitude, o.location.longitude) == PIN for o in chat.last)
    await chat.send("/language")
    await chat.press("en")
    await open_event(chat, seeded.event_id)
    assert "Al-Rudaf tree planting" in chat.text and "1 place left" in chat.text
    assert "11 places left" in chat.text


async def test_register_queues_two_reminders_and_refuses_a_duplicate(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now)
    [chat] = await volunteers(engine, "r1")
    shift_id = seeded.shift_ids[0]
    await register(chat, seeded.event_id, shift_id)
    assert "تم تسجيلك" in chat.text
    assert await status_of(db, "r1") == {shift_id: "confirmed"}
    reminders = await outbox_rows(db, "ev:r")
    assert len(reminders) == len(REMINDER_OFFSETS) == 2
    start = clock.now + timedelta(days=3)
    assert sorted(r.due_at for r in reminders) == [
        start - timedelta(hours=24),
        start - timedelta(hours=2),
    ]
    assert all(r.kind == "reminder" and r.status == "pending" for r in reminders)
    assert all(r.payload["location"] == list(PIN) for r in reminders)
    # the pressed button is gone; a second registration through an old button is refused
    assert not chat.offers(f"s{shift_id}")
    await chat.press_id(f"ev:event:s{shift_id}")
    assert "أنت مسجّل في هذه الوردية من قبل" in chat.text
    assert len(await registrations(db)) == 1


async def test_overlap_gender_and_closed_are_refused(
    engine: Engine, db: Database, clock: Clock
) -> None:
    first = await seed_event(db, clock.now, title="الفعالية الأولى")
    overlapping = await seed_event(
        db,
        clock.now + timedelta(hours=1),
        title="فعالية متداخلة",
        shifts=[{"start": 0, "hours": 3}, {"start": 3, "hours": 2, "gender": "f"}],
    )
    [chat] = await volunteers(engine, "o1")  # a man
    await register(chat, first.event_id, first.shift_ids[0])
    await register(chat, overlapping.event_id, overlapping.shift_ids[0])
    assert "تتعارض مع ورديتك في «الفعالية الأولى»" in chat.text
    await chat.press(f"s{overlapping.shift_ids[1]}")
    assert "مخصّصة للنساء" in chat.text
    assert await status_of(db, "o1") == {first.shift_ids[0]: "confirmed"}
    # a shift that has begun takes no registrations
    clock.now += timedelta(days=3, hours=2)
    await chat.press_id(f"ev:event:s{overlapping.shift_ids[0]}")
    assert not chat.offers(f"s{overlapping.shift_ids[0]}")


async def test_full_shift_waitlist_then_cancel_promotes_the_first(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    first, second, third = await volunteers(engine, "w1", "w2", "w3")
    await register(first, seeded.event_id, shift_id)
    await register(second, seeded.event_id, shift_id)
    assert "مكتملة" in second.text and "سيكون ترتيبك 1" in second.text
    await second.press(f"w{shift_id}")
    assert "قائمة الانتظار" in second.text and "وترتيبك 1" in second.text
    await register(third, seeded.event_id, shift_id)
    await third.press(f"w{shift_id}")
    assert "وترتيبك 2" in third.text
    await third.send("/myshifts")
    assert "في قائمة الانتظار (ترتيبك 2)" in third.text
    # the first cancels from "my shifts": the place goes to the first on the waitlist
    await first.send("/myshifts")
    [reg_choice] = [cid for cid, _ in first.choices if ":r" in cid]
    await first.press_id(reg_choice)
    await first.press("x")
    await first.press("y")
    assert "أُلغي تسجيلك" in first.text
    assert await status_of(db, "w2") == {shift_id: "confirmed"}
    assert await status_of(db, "w3") == {shift_id: "waitlisted"}
    assert await status_of(db, "w1") == {}
    promoted = [r for r in await outbox_rows(db) if r.idempotency_key.endswith(":promoted")]
    assert len(promoted) == 1 and promoted[0].user_id == await user_id(db, "w2")
    assert promoted[0].due_at <= clock.now  # told at once
    # the cancelled registration's reminders were withdrawn, the promoted one has its own
    rows = await outbox_rows(db, "ev:r")
    first_reg = (await registrations(db, shift_id))[0]
    withdrawn = [r for r in rows if r.idempotency_key.startswith(f"ev:r{first_reg.id}:rem:")]
    assert {(r.status, r.last_error) for r in withdrawn} == {("skipped", "registration cancelled")}
    assert sum(1 for r in rows if ":rem:" in r.idempotency_key and r.status == "pending") == 2
    await third.send("/myshifts")
    assert "في قائمة الانتظار (ترتيبك 1)" in third.text


async def test_my_shift_has_a_calendar_file_and_the_pin_and_a_cut_off(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now)
    [chat] = await volunteers(engine, "m1")
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    await chat.send("/myshifts")
    [reg_choice] = [cid for cid, _ in chat.choices if ":r" in cid]
    await chat.press_id(reg_choice)
    [detail] = [o for o in chat.last if o.attachment is not None]
    assert detail.attachment is not None
    assert detail.attachment.filename.endswith(".ics") and detail.attachment.kind == "document"
    ics = detail.attachment.data.decode()
    assert "BEGIN:VEVENT" in ics and "DTSTART;TZID=Asia/Riyadh:" in ics
    assert "LOCATION:منتزه الردف" in ics and "GEO:21.270300;40.415800" in ics
    assert (
        detail.location is not None and (detail.location.latitude, detail.location.longitude) == PIN
    )
    assert chat.offers("x")
    # inside the cut-off the bot no longer cancels a confirmed place
    start = clock.now + timedelta(days=3)
    clock.now = start - CANCEL_CUTOFF + timedelta(minutes=1)
    await chat.send("/myshifts")
    await chat.press_id(reg_choice)
    assert not chat.offers("x") and "انتهت مهلة إلغاء التسجيل" in chat.text
    await chat.press_id("evm:reg:x")  # an old button
    assert await status_of(db, "m1") == {seeded.shift_ids[0]: "confirmed"}


async def test_register_needs_a_volunteer_profile(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now)
    chat = Chat(engine, user="nobody")
    await chat.onboard()
    await chat.press("ev")
    await chat.press(f"e{seeded.event_id}")
    assert "سجّل متطوعًا أولًا" in chat.text
    await chat.press_id(f"ev:event:s{seeded.shift_ids[0]}")
    assert "سجّل متطوعًا أولًا" in chat.text
    assert not await registrations(db)
    await chat.press("vol")
    assert "الاسم" in chat.text  # the sign-up form starts


async def test_hours_thank_you_and_rating(engine: Engine, db: Database, clock: Clock) -> None:
    seeded = await seed_event(
        db, clock.now, shifts=[{"start": 0, "hours": 3}, {"start": 4, "hours": 2}]
    )
    [chat] = await volunteers(engine, "h1")
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    await chat.press(f"s{seeded.shift_ids[1]}")
    start = clock.now + timedelta(days=3)
    async with db.transaction() as session:
        # attended the first shift 09:10-11:40 (2.5 h), checked in at the second, no check-out
        await session.execute(
            update(ShiftRegistration)
            .where(ShiftRegistration.shift_id == seeded.shift_ids[0])
            .values(
                checked_in_at=start + timedelta(minutes=10),
                checked_out_at=start + timedelta(hours=2, minutes=40),
            )
        )
        await session.execute(
            update(ShiftRegistration)
            .where(ShiftRegistration.shift_id == seeded.shift_ids[1])
            .values(checked_in_at=start + timedelta(hours=4))
        )
    clock.now = start + timedelta(hours=3)  # the first is over, the second has not begun
    await chat.send("/myhours")
    assert "المجموع: 2.5 ساعة في وردية واحدة." in chat.text
    assert await send_thank_yous(JobEnv(db, engine.catalogs, engine.settings), clock.now) == 1
    clock.now = start + timedelta(hours=7)  # both over: planned 2 h for the second
    await chat.send("/myhours")
    assert "المجموع: 4.5 ساعة في ورديتين." in chat.text
    assert await send_thank_yous(JobEnv(db, engine.catalogs, engine.settings), clock.now) == 1
    assert (
        await send_thank_yous(JobEnv(db, engine.catalogs, engine.settings), clock.now) == 0
    )  # once each
    thanks = [r for r in await outbox_rows(db) if r.idempotency_key.endswith(":thanks")]
    assert len(thanks) == 2
    choices = thanks[0].payload["choices"]
    assert [c["params"]["n"] for c in choices] == [1, 2, 3, 4, 5]
    # pressing a star (a global button: works whatever step the volunteer is on)
    await chat.send("/events")
    await chat.press_id(choices[3]["id"])
    assert "سجّلنا تقييمك: 4 من 5" in chat.text
    async with db.sessions() as session:
        ratings = (await session.execute(select(ShiftRegistration.rating))).scalars().all()
    assert sorted(r or 0 for r in ratings) == [0, 4]
    # someone else's registration cannot be rated
    [other] = await volunteers(engine, "h2")
    await other.press_id(choices[0]["id"])
    assert "تعذّر تسجيل هذا التقييم" in other.text


async def test_my_data_lists_registrations_and_hours(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded = await seed_event(db, clock.now)
    [chat] = await volunteers(engine, "md1")
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    await chat.send("/mydata")
    assert "مشاركاتك في الفعاليات" in chat.text
    assert "حملة تشجير الردف" in chat.text


async def test_deleting_my_data_gives_my_place_to_the_waitlist(
    engine: Engine, db: Database, clock: Clock
) -> None:
    seeded, first, _ = await one_registered_one_waiting(engine, db, clock.now, "del1", "del2")
    shift_id = seeded.shift_ids[0]
    await first.send("/mydata")
    await first.press("del")
    await first.press("yes")
    assert await status_of(db, "del2") == {shift_id: "confirmed"}
    promoted = [r for r in await outbox_rows(db) if r.idempotency_key.endswith(":promoted")]
    assert [r.user_id for r in promoted] == [await user_id(db, "del2")]
