"""The registration services on the real database: register (confirmed, pending, waitlisted,
and every refusal), cancel before the cut-off, staff approval and rejection, promotion from
the waitlist, and the release of a person's places before their data is deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.i18n import Catalogs
from bot.core.unit import Actor
from bot.services import registrations as service
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Shift, ShiftRegistration
from tests.conftest import Clock
from tests.events.support import World, seed_event


@pytest.fixture
def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    return World(db, catalogs, settings, clock.now)


async def register(world: World, person: int, shift_id: int, **kwargs: bool) -> service.Registered:
    async with world.acting(person) as unit:
        return await service.register_for_shift(
            unit, shift_id, waitlist_ok=kwargs.get("waitlist_ok", False)
        )


async def live(world: World, shift_id: int) -> list[ShiftRegistration]:
    return await world.rows(
        ShiftRegistration,
        ShiftRegistration.shift_id == shift_id,
        ShiftRegistration.status != "cancelled",
    )


# --- registering ----------------------------------------------------------------------------------
async def test_register_takes_a_seat_and_queues_the_reminders(world: World) -> None:
    seeded = await seed_event(world.db, world.now)
    person = await world.person()
    done = await register(world, person, seeded.shift_ids[0])
    reg = done.registration
    assert (reg.status, reg.seat, done.position) == ("confirmed", 1, None)
    assert done.event.id == seeded.event_id
    reminders = await world.outbox(f"ev:r{reg.id}:rem:")
    assert [r.payload["key"] for r in reminders] == ["ev.n.reminder"] * 2
    assert {r.user_id for r in reminders} == {person}


async def test_register_asks_staff_when_the_shift_needs_approval(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "auto": False}])
    done = await register(world, await world.person(), seeded.shift_ids[0])
    assert (done.registration.status, done.registration.seat) == ("pending", None)
    assert await world.outbox(f"ev:r{done.registration.id}:") == []  # no reminder before approval


async def test_a_full_shift_is_refused_until_the_waitlist_is_accepted(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    await register(world, await world.person(), shift_id)
    second = await world.person()
    async with world.acting(second) as unit:
        with pytest.raises(service.ShiftFull) as full:
            await service.register_for_shift(unit, shift_id, waitlist_ok=False)
    assert (full.value.shift_id, full.value.waiting) == (shift_id, 0)
    assert len(await live(world, shift_id)) == 1  # nothing written for the refused one
    done = await register(world, second, shift_id, waitlist_ok=True)
    assert (done.registration.status, done.position) == ("waitlisted", 1)


async def test_duplicate_and_overlapping_registrations_are_refused(world: World) -> None:
    seeded = await seed_event(
        world.db,
        world.now,
        shifts=[{"start": 0, "hours": 3, "capacity": 5}, {"start": 2, "hours": 3, "capacity": 5}],
    )
    first, second = seeded.shift_ids
    person = await world.person()
    held = (await register(world, person, first)).registration
    for shift_id, reason in ((first, "duplicate"), (second, "overlap")):
        async with world.acting(person) as unit:
            with pytest.raises(service.StandsInTheWay) as refused:
                await service.register_for_shift(unit, shift_id, waitlist_ok=True)
        assert (refused.value.reason, refused.value.other.id) == (reason, held.id)
        assert refused.value.msgid == f"ev.err.{reason}"
    assert len(await live(world, second)) == 0


async def test_closed_gender_and_profile_rules(world: World) -> None:
    seeded = await seed_event(
        world.db,
        world.now,
        shifts=[{"start": 0, "hours": 2, "gender": "f"}, {"start": 3, "hours": 2}],
    )
    women_only, later = seeded.shift_ids
    man, stranger = await world.person(gender="m"), await world.person(volunteer=False)
    async with world.acting(man) as unit:
        with pytest.raises(Conflict) as refused:
            await service.register_for_shift(unit, women_only, waitlist_ok=True)
    assert refused.value.msgid == "ev.err.women_only"
    async with world.acting(stranger) as unit:
        with pytest.raises(service.NoProfile):
            await service.register_for_shift(unit, later, waitlist_ok=True)
        with pytest.raises(NotFound):
            await service.register_for_shift(unit, 999_999, waitlist_ok=True)
    world.now += timedelta(days=4)  # the event has begun: registration is closed
    async with world.acting(man) as unit:
        with pytest.raises(Conflict) as closed:
            await service.register_for_shift(unit, later, waitlist_ok=True)
    assert closed.value.msgid == "ev.err.closed"
    assert await live(world, women_only) == [] and await live(world, later) == []


# --- cancelling -----------------------------------------------------------------------------------
async def test_cancel_before_the_cutoff_promotes_the_first_waiting(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    holder, waiting = await world.person(), await world.person()
    held = (await register(world, holder, shift_id)).registration
    queued = (await register(world, waiting, shift_id, waitlist_ok=True)).registration
    async with world.acting(holder) as unit:
        done = await service.cancel_registration(unit, held.id)
    assert [r.id for r in done.promoted] == [queued.id]
    assert (await world.registration(held.id)).status == "cancelled"
    assert (await world.registration(queued.id)).status == "confirmed"
    withdrawn = await world.outbox(f"ev:r{held.id}:rem:")
    assert {r.status for r in withdrawn} == {"skipped"}
    [promoted] = await world.outbox(f"ev:r{queued.id}:promoted")
    assert (promoted.user_id, promoted.payload["key"]) == (waiting, "ev.n.promoted")
    assert len(await world.outbox(f"ev:r{queued.id}:rem:")) == 2


async def test_cancel_is_refused_after_the_cutoff_and_for_someone_else(world: World) -> None:
    seeded = await seed_event(world.db, world.now, days_ahead=1)  # starts in 24 hours
    holder, other = await world.person(), await world.person()
    held = (await register(world, holder, seeded.shift_ids[0])).registration
    async with world.acting(other) as unit:
        with pytest.raises(NotFound):
            await service.cancel_registration(unit, held.id)
    world.now += service.CANCEL_CUTOFF  # exactly the cut-off: too late
    async with world.acting(holder) as unit:
        with pytest.raises(Conflict) as refused:
            await service.cancel_registration(unit, held.id)
    assert refused.value.msgid == "ev.cancel_closed"
    assert (await world.registration(held.id)).status == "confirmed"
    assert {r.status for r in await world.outbox(f"ev:r{held.id}:rem:")} == {"pending"}


# --- staff: approve, reject, promote --------------------------------------------------------------
async def test_approve_confirms_tells_and_audits(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "auto": False}])
    person, boss = await world.person(), await world.staff()
    reg = (await register(world, person, seeded.shift_ids[0])).registration
    async with world.acting(boss, "admin") as unit:
        approved = await service.approve_registration(unit, reg.id)
    assert (approved.confirmed, approved.name, approved.position) == (True, "متطوع 1", None)
    assert (await world.registration(reg.id)).seat == 1
    [notice] = await world.outbox(f"ev:r{reg.id}:approved")
    assert (notice.user_id, notice.payload["key"]) == (person, "ev.n.approved")
    assert len(await world.outbox(f"ev:r{reg.id}:rem:")) == 2
    [audit] = await world.audits("registration.approved")
    assert (audit.actor, audit.target, audit.details) == (
        f"user:{boss}",
        f"registration:{reg.id}",
        {"outcome": "confirmed"},
    )
    async with world.acting(boss, "admin") as unit:  # decided already
        with pytest.raises(Conflict) as again:
            await service.approve_registration(unit, reg.id)
    assert (again.value.msgid, again.value.params) == ("eva.err.not_pending", {"name": "متطوع 1"})
    assert len(await world.audits("registration.approved")) == 1


async def test_approve_without_a_free_seat_goes_to_the_waitlist(world: World) -> None:
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1, "auto": False}]
    )
    shift_id, boss = seeded.shift_ids[0], await world.staff()
    first = (await register(world, await world.person(), shift_id)).registration
    second = (await register(world, await world.person(), shift_id, waitlist_ok=True)).registration
    assert second.status == "waitlisted"
    async with world.acting(boss, "admin") as unit:
        await service.approve_registration(unit, first.id)
    # A pending request that staff approve when the seat is taken meanwhile: the waitlist.
    async with world.db.transaction() as session:
        row = await session.get(ShiftRegistration, second.id)
        assert row is not None
        row.status = "pending"
    async with world.acting(boss, "admin") as unit:
        approved = await service.approve_registration(unit, second.id)
    assert (approved.confirmed, approved.position) == (False, 1)
    [notice] = await world.outbox(f"ev:r{second.id}:approved")
    assert notice.payload["key"] == "ev.n.approved_waitlist"
    assert notice.payload["params"]["position"] == 1


async def test_only_staff_approve_or_reject(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "auto": False}])
    person = await world.person()
    reg = (await register(world, person, seeded.shift_ids[0])).registration
    async with world.acting(person) as unit:
        with pytest.raises(Forbidden):
            await service.approve_registration(unit, reg.id)
        with pytest.raises(Forbidden):
            await service.reject_registration(unit, reg.id)
    assert (await world.registration(reg.id)).status == "pending"
    assert await world.outbox(f"ev:r{reg.id}:") == []


async def test_reject_frees_the_place_for_the_waitlist(world: World) -> None:
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1, "auto": False}]
    )
    shift_id, boss = seeded.shift_ids[0], await world.staff()
    asked = (await register(world, await world.person(), shift_id)).registration
    queued = (await register(world, await world.person(), shift_id, waitlist_ok=True)).registration
    async with world.acting(boss, "admin") as unit:
        name = await service.reject_registration(unit, asked.id)
    assert name == "متطوع 2"  # the staff member is person 1
    assert (await world.registration(asked.id)).status == "cancelled"
    assert (await world.registration(queued.id)).status == "pending"  # approval still needed
    [rejected] = await world.outbox(f"ev:r{asked.id}:rejected")
    assert rejected.payload["key"] == "ev.n.rejected"
    [promoted] = await world.outbox(f"ev:r{queued.id}:promoted")
    assert promoted.payload["key"] == "ev.n.promoted_pending"
    [audit] = await world.audits("registration.rejected")
    assert audit.target == f"registration:{asked.id}"


async def test_promote_from_waitlist_fills_free_places(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    await register(world, await world.person(), shift_id)
    queued = (await register(world, await world.person(), shift_id, waitlist_ok=True)).registration
    async with world.acting(Actor.system()) as unit:
        assert await service.promote_from_waitlist(unit, shift_id) == []  # no free place
    async with world.db.transaction() as session:
        shift = await session.get(Shift, shift_id)
        assert shift is not None
        shift.capacity = 2
    async with world.acting(Actor.system()) as unit:
        promoted = await service.promote_from_waitlist(unit, shift_id)
    assert [r.id for r in promoted] == [queued.id]
    assert (await world.registration(queued.id)).status == "confirmed"
    assert len(await world.outbox(f"ev:r{queued.id}:promoted")) == 1


# --- before deleting a person's data --------------------------------------------------------------
async def test_release_person_cancels_future_places_and_moves_the_waitlist(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    leaving, waiting = await world.person(), await world.person()
    held = (await register(world, leaving, shift_id)).registration
    queued = (await register(world, waiting, shift_id, waitlist_ok=True)).registration
    nobody = await world.person(volunteer=False)
    async with world.acting(Actor.system()) as unit:
        await service.release_person(unit, leaving)
        await service.release_person(unit, nobody)  # holds nothing: nothing to do
    assert (await world.registration(held.id)).status == "cancelled"
    assert (await world.registration(queued.id)).status == "confirmed"
    assert {r.status for r in await world.outbox(f"ev:r{held.id}:rem:")} == {"skipped"}


async def test_export_is_for_staff_and_audited(world: World) -> None:
    seeded = await seed_event(world.db, world.now)
    person = await world.person()
    await register(world, person, seeded.shift_ids[0])
    async with world.acting(person) as unit:
        with pytest.raises(Forbidden):
            await service.export_registrants(unit, seeded.event_id)
    assert await world.audits("event.exported") == []
    async with world.acting(await world.staff(), "admin") as unit:
        people = await service.export_registrants(unit, seeded.event_id)
    assert [p.user.id for p in people] == [person]
    [audit] = await world.audits("event.exported")
    assert (audit.target, audit.details) == (f"event:{seeded.event_id}", {"rows": 1})


async def test_a_shift_of_another_event_is_not_registered(world: World) -> None:
    one, other = await seed_event(world.db, world.now), await seed_event(world.db, world.now)
    person = await world.person()
    async with world.acting(person) as unit:
        with pytest.raises(NotFound):
            await service.register_for_shift(
                unit, other.shift_ids[0], waitlist_ok=True, event_id=one.event_id
            )
    assert await live(world, other.shift_ids[0]) == []
