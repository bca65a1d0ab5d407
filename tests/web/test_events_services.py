"""The services the events and volunteers pages added, called directly on the real database:
duplicate an event, shifts over days, undo of attendance, a volunteer's hours, the directory's
search, the audited full national ID and the export."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.i18n import Catalogs
from bot.core.unit import Actor
from bot.services import attendance, registrations, volunteers
from bot.services import events as service
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Event, Shift
from tests.conftest import Clock
from tests.events.support import World, seed_event


@pytest.fixture
def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    return World(db, catalogs, settings, clock.now)


async def test_duplicate_copies_the_event_and_its_shifts_to_a_new_start(world: World) -> None:
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 3}, {"start": 4, "hours": 2}]
    )
    source = await world.event(seeded.event_id)
    boss = await world.staff()
    starts = source.starts_at + timedelta(days=7)
    async with world.acting(boss, "staff") as unit:
        copy = await service.duplicate_event(unit, seeded.event_id, starts)
    event = await world.event(copy.id)
    assert (event.title_ar, event.place_name, event.status) == (
        source.title_ar,
        source.place_name,
        "published",
    )
    assert event.ends_at - event.starts_at == source.ends_at - source.starts_at
    shifts = await world.rows(Shift, Shift.event_id == copy.id)
    assert [s.starts_at - starts for s in shifts] == [timedelta(0), timedelta(hours=4)]
    [audit] = await world.audits("event.duplicated")
    assert (audit.target, audit.details) == (f"event:{copy.id}", {"source": seeded.event_id})
    assert len(await world.audits("shift.created")) == 2


async def test_duplicate_is_refused_in_the_past_for_a_missing_event_and_for_non_staff(
    world: World,
) -> None:
    seeded = await seed_event(world.db, world.now)
    boss, plain = await world.staff(), await world.person()
    async with world.acting(boss, "staff") as unit:
        with pytest.raises(Conflict) as past:
            await service.duplicate_event(unit, seeded.event_id, world.now - timedelta(hours=1))
        with pytest.raises(NotFound):
            await service.duplicate_event(unit, 999, world.now + timedelta(days=1))
    assert past.value.msgid == "err.datetime.past"
    async with world.acting(plain) as unit:
        with pytest.raises(Forbidden):
            await service.duplicate_event(unit, seeded.event_id, world.now + timedelta(days=1))
    assert len(await world.rows(Event)) == 1 and await world.audits("event.created") == []


async def test_shifts_over_days_all_or_none(world: World) -> None:
    seeded = await seed_event(world.db, world.now)
    boss = await world.staff()
    start = world.now + timedelta(days=2)
    draft = service.ShiftDraft(start, start + timedelta(hours=3), 4)
    async with world.acting(boss, "staff") as unit:
        made = await service.create_shifts_over_days(unit, seeded.event_id, draft, 3)
    assert [s.starts_at - start for s in made] == [timedelta(days=n) for n in range(3)]
    assert len(await world.audits("shift.created")) == 3
    for days in (0, service.MAX_REPEAT_DAYS + 1):
        async with world.acting(boss, "staff") as unit:
            with pytest.raises(Conflict) as refused:
                await service.create_shifts_over_days(unit, seeded.event_id, draft, days)
        assert refused.value.msgid == "web.ev.err.days"
    too_long = service.ShiftDraft(start, start + timedelta(hours=30), 4)
    with pytest.raises(Conflict):
        async with world.acting(boss, "staff") as unit:  # the refusal rolls all back
            await service.create_shifts_over_days(unit, seeded.event_id, too_long, 2)
    assert len(await world.rows(Shift, Shift.event_id == seeded.event_id)) == 4


async def test_undo_check_in_and_check_out(world: World) -> None:
    seeded = await seed_event(world.db, world.now, days_ahead=1)
    person = await world.person()
    async with world.acting(person) as unit:
        reg_id = (
            await registrations.register_for_shift(unit, seeded.shift_ids[0], waitlist_ok=False)
        ).registration.id
    boss = await world.staff()
    world.now += timedelta(days=1)
    async with world.acting(boss, "staff") as unit:
        with pytest.raises(Conflict) as nothing:
            await attendance.undo_attendance(unit, reg_id, attendance.CHECK_IN)
        assert nothing.value.msgid == "eva.not_in"
        await attendance.record_attendance(unit, reg_id, attendance.CHECK_IN)
        undone = await attendance.undo_attendance(unit, reg_id, attendance.CHECK_IN)
    assert (undone.direction, undone.at) == ("in", world.now)
    assert (await world.registration(reg_id)).checked_in_at is None
    async with world.acting(boss, "staff") as unit:
        await attendance.record_attendance(unit, reg_id, attendance.CHECK_IN)
    world.now += timedelta(hours=2)
    async with world.acting(boss, "staff") as unit:
        await attendance.record_attendance(unit, reg_id, attendance.CHECK_OUT)
        with pytest.raises(Conflict) as order:  # the check-out is undone first
            await attendance.undo_attendance(unit, reg_id, attendance.CHECK_IN)
        assert order.value.msgid == "eva.already_out"
        hours = await attendance.volunteer_hours(unit, 1)
        assert hours.total == 2.0
        await attendance.undo_attendance(unit, reg_id, attendance.CHECK_OUT)
    reg = await world.registration(reg_id)
    assert reg.checked_in_at is not None and reg.checked_out_at is None
    assert [a.target for a in await world.audits("attendance.undo_check_in")] == [
        f"registration:{reg_id}"
    ]
    assert len(await world.audits("attendance.undo_check_out")) == 1
    async with world.acting(person) as unit:
        with pytest.raises(Forbidden):
            await attendance.undo_attendance(unit, reg_id, attendance.CHECK_IN)
    assert (await world.registration(reg_id)).checked_in_at is not None


async def test_search_the_directory_and_the_audited_full_id(world: World) -> None:
    for _ in range(3):
        await world.person()
    boss, admin = await world.person(role="staff", volunteer=False), await world.staff()
    async with world.acting(boss, "staff") as unit:
        found = await volunteers.search_volunteers(unit, volunteers.Search(text="2"))
        total = await volunteers.count_matching(unit, volunteers.Search(text="2"))
        assert total == 1 and found[0].full_name == "متطوع 2"
        everyone = await volunteers.count_matching(unit, volunteers.Search(district="x"))
        assert everyone == 3
        page = await volunteers.search_volunteers(
            unit, volunteers.Search(), sort="name", descending=True, limit=2
        )
        assert [v.full_name for v in page] == ["متطوع 3", "متطوع 2"]
        with pytest.raises(Forbidden):
            await volunteers.view_full_national_id(unit, found[0].id)
        exported = await volunteers.export_volunteers(unit, volunteers.Search())
        assert len(exported) == 3
    assert await world.audits("volunteer.national_id_viewed") == []
    assert (await world.audits("volunteers.exported"))[0].details == {"rows": 3}
    async with world.acting(admin, "admin") as unit:
        assert await volunteers.view_full_national_id(unit, found[0].id) == "1000000002"
        with pytest.raises(NotFound):
            await volunteers.view_full_national_id(unit, 999)
    [audit] = await world.audits("volunteer.national_id_viewed")
    assert (audit.actor, audit.target) == (f"user:{admin}", f"volunteer:{found[0].id}")
    async with world.acting(Actor.person(1)) as unit:  # a volunteer, not staff
        with pytest.raises(Forbidden):
            await volunteers.search_volunteers(unit, volunteers.Search())
