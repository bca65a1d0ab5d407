"""The event and shift services on the real database: create and edit an event or a shift
(a change tells the registrants and queues their reminders again), the capacity rules, and
cancelling an event or a shift; each refused for non-staff and on a gone event."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.i18n import Catalogs
from bot.services import events as service
from bot.services import registrations
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Event, Shift, ShiftRegistration
from tests.conftest import Clock
from tests.events.support import PIN, World, seed_event


@pytest.fixture
def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    return World(db, catalogs, settings, clock.now)


def event_draft(world: World, *, days: int = 5, place: str = "الحديقة") -> service.EventDraft:
    start = world.now + timedelta(days=days)
    return service.EventDraft(
        title_ar="يوم التطوع",
        description_ar="وصف",
        type="cleaning",
        place=place,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        title_en="Volunteer day",
        pin=PIN,
    )


def shift_draft(world: World, *, days: int = 3, capacity: int = 2) -> service.ShiftDraft:
    start = world.now + timedelta(days=days)
    return service.ShiftDraft(start, start + timedelta(hours=3), capacity)


async def registered(world: World, shift_id: int, *, waitlist_ok: bool = False) -> int:
    """A new volunteer registered for the shift; the registration's id."""
    async with world.acting(await world.person()) as unit:
        done = await registrations.register_for_shift(unit, shift_id, waitlist_ok=waitlist_ok)
        return done.registration.id


# --- events ---------------------------------------------------------------------------------------
async def test_create_event_publishes_and_audits(world: World) -> None:
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        event = await service.create_event(unit, event_draft(world))
    stored = await world.event(event.id)
    assert (stored.status, stored.created_by, stored.title_en) == (
        "published",
        boss,
        "Volunteer day",
    )
    assert (stored.latitude, stored.longitude) == PIN
    [audit] = await world.audits("event.created")
    assert (audit.actor, audit.target) == (f"user:{boss}", f"event:{event.id}")


async def test_create_event_is_refused_for_non_staff_and_backwards_times(world: World) -> None:
    person, boss = await world.person(), await world.staff()
    draft = event_draft(world)
    async with world.acting(person) as unit:
        with pytest.raises(Forbidden):
            await service.create_event(unit, draft)
    backwards = service.EventDraft(**{**draft.__dict__, "ends_at": draft.starts_at})
    past = service.EventDraft(**{**draft.__dict__, "starts_at": world.now})
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(service.InvalidValue) as refused:
            await service.create_event(unit, backwards)
        with pytest.raises(service.InvalidValue) as started:
            await service.create_event(unit, past)
    assert (refused.value.field, refused.value.msgid) == ("ends", "evf.err.end_before_start")
    assert (started.value.field, started.value.msgid) == ("starts", "err.datetime.past")
    assert await world.rows(Event) == [] and await world.audits("event.created") == []


async def test_a_new_time_tells_the_registrants_and_requeues_reminders(world: World) -> None:
    seeded = await seed_event(world.db, world.now)
    reg_id = await registered(world, seeded.shift_ids[0])
    old_reminders = await world.outbox(f"ev:r{reg_id}:rem:")
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        update = await service.update_event(unit, seeded.event_id, event_draft(world), "t:1")
    assert update.told == 1
    [changed] = await world.outbox(f"ev:r{reg_id}:chg:")
    assert (changed.idempotency_key, changed.payload["key"]) == (
        f"ev:r{reg_id}:chg:t:1",
        "ev.n.changed",
    )
    reminders = {r.id: r.status for r in await world.outbox(f"ev:r{reg_id}:rem:")}
    assert {reminders[r.id] for r in old_reminders} == {"skipped"}
    assert list(reminders.values()).count("pending") == 2  # new keys: the shift's revision
    assert (await world.shift(seeded.shift_ids[0])).revision == 1
    [audit] = await world.audits("event.updated")
    assert audit.target == f"event:{seeded.event_id}"


async def test_an_edit_of_words_only_tells_nobody(world: World) -> None:
    seeded = await seed_event(world.db, world.now, place="منتزه الردف")
    reg_id = await registered(world, seeded.shift_ids[0])
    event = await world.event(seeded.event_id)
    same = service.EventDraft(
        title_ar="عنوان جديد",
        description_ar="وصف جديد",
        type=event.type,
        place=event.place_name,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        pin=PIN,
    )
    async with world.acting(await world.staff(), "admin") as unit:
        update = await service.update_event(unit, seeded.event_id, same, "t:2")
    assert update.told is None
    assert (await world.event(seeded.event_id)).title_ar == "عنوان جديد"
    assert await world.outbox(f"ev:r{reg_id}:chg:") == []


async def test_a_cancelled_event_cannot_be_edited_or_given_shifts(world: World) -> None:
    seeded = await seed_event(world.db, world.now)
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        await service.cancel_event(unit, seeded.event_id)
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(NotFound) as gone:
            await service.update_event(unit, seeded.event_id, event_draft(world), "t:3")
        with pytest.raises(NotFound):
            await service.create_shift(unit, seeded.event_id, shift_draft(world))
        with pytest.raises(NotFound):
            await service.cancel_event(unit, seeded.event_id)
    assert gone.value.msgid == "eva.err.gone"
    assert (await world.event(seeded.event_id)).title_ar == "حملة تشجير الردف"
    assert len(await world.rows(Shift)) == 1
    assert await world.audits("event.updated") == [] and await world.audits("shift.created") == []


async def test_cancel_event_tells_everyone_and_cancels_all(world: World) -> None:
    seeded = await seed_event(
        world.db,
        world.now,
        shifts=[{"start": 0, "hours": 2, "capacity": 1}, {"start": 3, "hours": 2}],
    )
    first, second = seeded.shift_ids
    held, queued = await registered(world, first), await registered(world, first, waitlist_ok=True)
    other = await registered(world, second)
    person = await world.person()
    async with world.acting(person) as unit:
        with pytest.raises(Forbidden):
            await service.cancel_event(unit, seeded.event_id)
    assert (await world.event(seeded.event_id)).status == "published"
    async with world.acting(await world.staff(), "admin") as unit:
        told = await service.cancel_event(unit, seeded.event_id)
    assert told == 3
    assert (await world.event(seeded.event_id)).status == "cancelled"
    assert {s.status for s in await world.rows(Shift)} == {"cancelled"}
    assert {r.status for r in await world.rows(ShiftRegistration)} == {"cancelled"}
    for reg_id in (held, queued, other):
        [notice] = await world.outbox(f"ev:r{reg_id}:cancelled")
        assert notice.payload["key"] == "ev.n.event_cancelled"
    assert await world.outbox(f"ev:r{queued}:promoted") == []  # nobody is promoted
    [audit] = await world.audits("event.cancelled")
    assert audit.details == {"told": 3}


# --- shifts ---------------------------------------------------------------------------------------
async def test_create_shift_checks_its_values(world: World) -> None:
    seeded = await seed_event(world.db, world.now)
    boss = await world.staff()
    soon = world.now + timedelta(hours=1)
    too_long = service.ShiftDraft(soon, soon + timedelta(hours=25), 2)
    too_big = shift_draft(world, capacity=service.MAX_CAPACITY + 1)
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(service.InvalidValue) as long_one:
            await service.create_shift(unit, seeded.event_id, too_long)
        with pytest.raises(service.InvalidValue) as big_one:
            await service.create_shift(unit, seeded.event_id, too_big)
        with pytest.raises(service.InvalidValue) as started:
            await service.create_shift(unit, seeded.event_id, shift_draft(world, days=0))
        shift = await service.create_shift(unit, seeded.event_id, shift_draft(world))
    assert (long_one.value.field, long_one.value.params) == ("ends", {"hours": 24})
    assert (started.value.field, started.value.msgid) == ("starts", "err.datetime.past")
    assert big_one.value.field == "cap"
    assert (shift.status, shift.revision, shift.capacity) == ("active", 0, 2)
    assert len(await world.rows(Shift)) == 2
    [audit] = await world.audits("shift.created")
    assert (audit.target, audit.details) == (f"shift:{shift.id}", {"event": seeded.event_id})


async def test_capacity_cannot_go_below_the_places_held(world: World) -> None:
    # Requests waiting for approval hold their places too (approving must not overfill).
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 3, "capacity": 2, "auto": False}]
    )
    shift_id = seeded.shift_ids[0]
    await registered(world, shift_id)
    await registered(world, shift_id)
    before = await world.shift(shift_id)
    draft = service.ShiftDraft(before.starts_at + timedelta(hours=1), before.ends_at, 1)
    async with world.acting(await world.staff(), "admin") as unit:
        with pytest.raises(service.InvalidValue) as refused:
            await service.update_shift(unit, shift_id, draft, "t:4")
    assert (refused.value.field, refused.value.msgid, refused.value.params) == (
        "cap",
        "esf.err.capacity_below",
        {"n": 2},
    )
    after = await world.shift(shift_id)
    assert (after.capacity, after.starts_at, after.revision) == (2, before.starts_at, 0)
    assert await world.audits("shift.updated") == []


async def test_more_places_promote_and_a_new_time_is_told(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    held = await registered(world, shift_id)
    queued = await registered(world, shift_id, waitlist_ok=True)
    before = await world.shift(shift_id)
    draft = service.ShiftDraft(before.starts_at + timedelta(hours=1), before.ends_at, 2)
    async with world.acting(await world.staff(), "admin") as unit:
        update = await service.update_shift(unit, shift_id, draft, "t:5")
    assert update.told == 2  # the waiting volunteer is told of the new time too
    assert [r.id for r in update.promoted] == [queued]
    assert (await world.registration(queued)).status == "confirmed"
    assert len(await world.outbox(f"ev:r{held}:chg:t:5")) == 1
    assert len(await world.outbox(f"ev:r{queued}:promoted")) == 1
    [audit] = await world.audits("shift.updated")
    assert audit.details == {"event": seeded.event_id}


async def test_cancel_shift(world: World) -> None:
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 2}, {"start": 3, "hours": 2}]
    )
    first, second = seeded.shift_ids
    gone, stays = await registered(world, first), await registered(world, second)
    async with world.acting(await world.person()) as unit:
        with pytest.raises(Forbidden):
            await service.cancel_shift(unit, first)
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        assert await service.cancel_shift(unit, first) == 1
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict):
            await service.cancel_shift(unit, first)
    assert [(await world.shift(i)).status for i in (first, second)] == ["cancelled", "active"]
    assert (await world.registration(gone)).status == "cancelled"
    assert (await world.registration(stays)).status == "confirmed"
    [notice] = await world.outbox(f"ev:r{gone}:cancelled")
    assert notice.payload["key"] == "ev.n.shift_cancelled"
    assert {r.status for r in await world.outbox(f"ev:r{gone}:rem:")} == {"skipped"}
    [audit] = await world.audits("shift.cancelled")
    assert (audit.target, audit.details) == (f"shift:{first}", {"told": 1})
