"""The attendance services on the real database: check-in (from CHECKIN_OPENS_MINUTES before the
start) and check-out by staff, rating a shift once it is over, and the thank-you job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.i18n import Catalogs
from bot.core.unit import Actor
from bot.services import attendance as service
from bot.services import registrations
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.settings import ConfigError, Settings, load_settings
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import World, seed_event


@pytest.fixture
def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    return World(db, catalogs, settings, clock.now)


async def registered(world: World, shift_id: int, *, waitlist_ok: bool = False) -> tuple[int, int]:
    """A new volunteer registered for the shift: (their id, the registration's id)."""
    person = await world.person()
    async with world.acting(person) as unit:
        done = await registrations.register_for_shift(unit, shift_id, waitlist_ok=waitlist_ok)
        return person, done.registration.id


@pytest.mark.parametrize(("opens_minutes", "early_minutes"), [(30, 31), (60, 61)])
async def test_check_in_opens_the_set_minutes_before_the_start(
    world: World, opens_minutes: int, early_minutes: int
) -> None:
    world.settings = world.settings.model_copy(update={"checkin_opens_minutes": opens_minutes})
    seeded = await seed_event(world.db, world.now, days_ahead=1)
    _, reg_id = await registered(world, seeded.shift_ids[0])
    boss = await world.staff()
    shift = await world.shift(seeded.shift_ids[0])
    opens = shift.starts_at - timedelta(minutes=opens_minutes)
    assert service.checkin_opens_at(world.settings, shift) == opens
    world.now = shift.starts_at - timedelta(minutes=early_minutes)
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict) as early:
            await service.record_attendance(unit, reg_id, service.CHECK_IN)
    assert (early.value.msgid, early.value.params) == ("eva.err.too_early", {"when": opens})
    assert (await world.registration(reg_id)).checked_in_at is None
    assert await world.audits("attendance.check_in") == []
    world.now = opens
    async with world.acting(boss, "admin") as unit:
        done = await service.record_attendance(unit, reg_id, service.CHECK_IN)
    assert (done.direction, done.at, done.name) == ("in", opens, "متطوع 1")
    assert (await world.registration(reg_id)).checked_in_at == opens
    [audit] = await world.audits("attendance.check_in")
    assert (audit.actor, audit.target) == (f"user:{boss}", f"registration:{reg_id}")


def test_the_check_in_margin_is_a_validated_setting(settings: Settings) -> None:
    assert Settings.model_fields["checkin_opens_minutes"].default == 30
    for bad in (-1, 721):
        with pytest.raises(ConfigError, match="CHECKIN_OPENS_MINUTES"):
            load_settings(**{**settings.model_dump(), "checkin_opens_minutes": bad})
    assert load_settings(**{**settings.model_dump(), "checkin_opens_minutes": 720})


async def test_check_out_counts_the_hours_and_then_nothing_more(world: World) -> None:
    seeded = await seed_event(world.db, world.now, days_ahead=1)
    _, reg_id = await registered(world, seeded.shift_ids[0])
    boss = await world.staff()
    shift = await world.shift(seeded.shift_ids[0])
    world.now = shift.starts_at
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict) as not_in:
            await service.record_attendance(unit, reg_id, service.CHECK_OUT)
        assert not_in.value.msgid == "eva.err.out_before_in"
        await service.record_attendance(unit, reg_id)  # typed: the next step, a check-in
    world.now = shift.starts_at + timedelta(hours=2, minutes=30)
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict) as already_in:
            await service.record_attendance(unit, reg_id, service.CHECK_IN)
        assert already_in.value.msgid == "eva.already_in"
        done = await service.record_attendance(unit, reg_id)  # typed: the check-out
    assert (done.direction, done.hours) == ("out", 2.5)
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict) as already_out:
            await service.record_attendance(unit, reg_id)
    assert already_out.value.params == {"name": "متطوع 1"}
    assert already_out.value.msgid == "eva.already_out"
    assert len(await world.audits("attendance.check_out")) == 1


async def test_only_confirmed_volunteers_and_only_staff(world: World) -> None:
    seeded = await seed_event(world.db, world.now, shifts=[{"start": 0, "hours": 2, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    holder, held = await registered(world, shift_id)
    _, queued = await registered(world, shift_id, waitlist_ok=True)
    boss = await world.staff()
    world.now = (await world.shift(shift_id)).starts_at
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict) as refused:
            await service.record_attendance(unit, queued, service.CHECK_IN)
        with pytest.raises(NotFound):
            await service.record_attendance(unit, 999_999)
    assert refused.value.msgid == "eva.err.not_confirmed"
    assert refused.value.params == {"name": "متطوع 2", "status": "waitlisted"}
    async with world.acting(holder) as unit:
        with pytest.raises(Forbidden):
            await service.record_attendance(unit, held, service.CHECK_IN)
    assert (await world.registration(held)).checked_in_at is None
    assert (await world.registration(queued)).checked_in_at is None


async def test_rating_waits_for_the_end_and_is_the_volunteers_own(world: World) -> None:
    seeded = await seed_event(world.db, world.now, days_ahead=1)
    person, reg_id = await registered(world, seeded.shift_ids[0])
    shift = await world.shift(seeded.shift_ids[0])
    other = await world.person()
    async with world.acting(person) as unit:
        with pytest.raises(Conflict) as early:
            await service.rate_shift(unit, reg_id, 5)
        with pytest.raises(NotFound):
            await service.rate_shift(unit, reg_id, 6)
    assert early.value.msgid == "ev.err.rate_early"
    world.now = shift.ends_at
    async with world.acting(other) as unit:
        with pytest.raises(NotFound) as not_theirs:
            await service.rate_shift(unit, reg_id, 5)
    assert not_theirs.value.msgid == "ev.err.rate"
    assert (await world.registration(reg_id)).rating is None
    async with world.acting(person) as unit:
        assert await service.rate_shift(unit, reg_id, 4) == 4
    assert (await world.registration(reg_id)).rating == 4


async def test_thank_you_once_to_those_who_came(world: World) -> None:
    seeded = await seed_event(world.db, world.now, days_ahead=1)
    shift_id = seeded.shift_ids[0]
    came, came_reg = await registered(world, shift_id)
    _, absent_reg = await registered(world, shift_id)
    shift = await world.shift(shift_id)
    world.now = shift.starts_at
    async with world.acting(await world.staff(), "admin") as unit:
        await service.record_attendance(unit, came_reg, service.CHECK_IN)
    world.now = shift.ends_at + timedelta(minutes=5)
    async with world.acting(Actor.system()) as unit:
        assert await service.thank_attendees(unit) == 1
    async with world.acting(Actor.system()) as unit:
        assert await service.thank_attendees(unit) == 0
    [thanks] = await world.outbox(f"ev:r{came_reg}:thanks")
    assert (thanks.user_id, thanks.payload["key"]) == (came, "ev.n.thanks")
    assert thanks.payload["params"] == {"title": "حملة تشجير الردف"}
    assert [c["id"] for c in thanks.payload["choices"]] == [
        f"evr:{came_reg}:{n}" for n in service.RATINGS
    ]
    assert await world.outbox(f"ev:r{absent_reg}:thanks") == []
    assert (await world.registration(came_reg)).thanked_at == world.now


async def test_check_in_by_id_or_a_shared_family_mobile(world: World) -> None:
    seeded = await seed_event(world.db, world.now, days_ahead=1)
    shift_id = seeded.shift_ids[0]
    family = "0555000111"
    regs = []
    for _ in range(2):
        person = await world.person(mobile=family)
        async with world.acting(person) as unit:
            done = await registrations.register_for_shift(unit, shift_id, waitlist_ok=False)
            regs.append(done.registration.id)
    boss = await world.staff()
    world.now = (await world.shift(shift_id)).starts_at
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict) as shared:
            await service.record_attendance_of(unit, shift_id, mobile=family)
        with pytest.raises(NotFound) as unknown:
            await service.record_attendance_of(unit, shift_id, national_id="1999999999")
    assert (shared.value.msgid, unknown.value.msgid) == (
        "eva.err.shared_mobile",
        "eva.err.not_registered",
    )
    assert {(await world.registration(r)).checked_in_at for r in regs} == {None}
    async with world.acting(boss, "admin") as unit:  # the first by their ID: in, then out
        await service.record_attendance_of(unit, shift_id, national_id="1000000001")
        out = await service.record_attendance_of(unit, shift_id, national_id="1000000001")
        assert (out.direction, out.registration.id) == ("out", regs[0])
        # The family's mobile now means the one whose registration is still open.
        other = await service.record_attendance_of(unit, shift_id, mobile=family)
    assert (other.direction, other.registration.id) == ("in", regs[1])
    async with world.acting(await world.person()) as unit:
        with pytest.raises(Forbidden):
            await service.record_attendance_of(unit, shift_id, mobile=family)
