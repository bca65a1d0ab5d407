"""The reads of the web workspace (bot.services.reports and the additive reads of broadcasts
and staff): what waits, open shifts, the chart series, the audit log's filters, the broadcast
history and the web's role changes. On the real database; no test depends on today's date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.core.i18n import Catalogs
from bot.core.unit import Actor
from bot.services import broadcasts, reports, staff
from bot.services.errors import Conflict, Forbidden, NotFound, ServiceError
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog, Volunteer
from storage.models_events import ShiftRegistration
from storage.models_families import Site
from tests.conftest import Clock
from tests.delivery.support import seed_recipients
from tests.events.support import World, seed_event


@pytest.fixture
def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    return World(db, catalogs, settings, clock())


async def seed_overview(world: World) -> dict[str, int]:
    """Volunteers who signed up 0, 1 and 3 weeks ago; an event in 3 days with one shift of 2
    places, one taken, and a past registration worked 2.5 hours; a site open this week."""
    now = world.now
    people = [await world.person() for _ in range(3)]
    async with world.db.transaction() as s:
        for weeks, user_id in zip((0, 1, 3), people, strict=True):
            await s.execute(
                update(Volunteer)
                .where(Volunteer.user_id == user_id)
                .values(created_at=now - timedelta(weeks=weeks))
            )
    seeded = await seed_event(world.db, now)
    past = await seed_event(world.db, now, days_ahead=-40, title="مضى")
    async with world.db.transaction() as s:
        vols = [v for v in (await s.execute(Volunteer.__table__.select())).all()]
        s.add(
            ShiftRegistration(
                shift_id=seeded.shift_ids[0], volunteer_id=vols[0].id, status="confirmed", seat=1
            )
        )
        s.add(
            ShiftRegistration(
                shift_id=past.shift_ids[0],
                volunteer_id=vols[1].id,
                status="confirmed",
                seat=1,
                checked_in_at=now - timedelta(days=40),
                checked_out_at=now - timedelta(days=40) + timedelta(hours=2, minutes=30),
            )
        )
        site = Site(
            name_ar="سوق الأسر",
            district="x",
            food_stalls=4,
            nonfood_stalls=0,
            start_date=date(2026, 11, 24),
            end_date=date(2026, 11, 27),
            deadline=now,
        )
        s.add(site)
        await s.flush()
        return {"event": seeded.event_id, "shift": seeded.shift_ids[0], "site": site.id}


async def test_overview_reads_what_waits_shifts_and_series(world: World) -> None:
    ids = await seed_overview(world)
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        o = await reports.overview(unit)
    assert o.waiting == reports.Waiting(0, 0, 0)
    assert [(s.shift_id, s.free) for s in o.shifts] == [(ids["shift"], 1)]
    assert len(o.signups) == 12 and sum(n for _, n in o.signups) == 3
    assert o.signups[-1][1] == 1 and o.signups[-2][1] == 1 and o.signups[-4][1] == 1
    assert len(o.hours) == 6 and sum(h for _, h in o.hours) == 2.5
    # The site runs from the test's day (25 Nov) to the 27th: three days, nothing held yet.
    assert [(d, p) for _, _, d, p in o.occupancy] == [
        (date(2026, 11, 25), 0),
        (date(2026, 11, 26), 0),
        (date(2026, 11, 27), 0),
    ]
    assert o.sending == [] and o.outcomes == []


async def test_reads_are_for_staff_only(world: World) -> None:
    someone = await world.person()
    async with world.acting(someone) as unit:
        for read in (reports.overview, broadcasts.count_broadcasts):
            with pytest.raises(Forbidden):
                await read(unit)
        with pytest.raises(Forbidden):
            await reports.list_audit(unit, reports.AuditFilter(), 0, 10)


async def test_audit_filters(world: World) -> None:
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        await unit.audit("broadcast.created", "broadcast:1")
        await unit.audit("broadcast.stopped", "broadcast:1", sent=1)
        await unit.audit("staff.add", "telegram:5", role="staff")
    async with world.acting(Actor.system()) as unit:
        await unit.audit("event.cancelled", "event:3")
        # The audit log stamps rows with the wall clock: put them on the test's day.
        await unit.session.execute(update(AuditLog).values(created_at=world.now))
    async with world.acting(boss, "admin") as unit:
        everything = reports.AuditFilter()
        assert await reports.count_audit(unit, everything) == 4
        newest = await reports.list_audit(unit, everything, 0, 2)
        assert [r.action for r in newest] == ["event.cancelled", "staff.add"]
        found = await reports.list_audit(unit, reports.AuditFilter(action="broadcast"), 0, 10)
        assert {r.action for r in found} == {"broadcast.created", "broadcast.stopped"}
        assert await reports.count_audit(unit, reports.AuditFilter(actor="system")) == 1
        assert await reports.count_audit(unit, reports.AuditFilter(target="telegram:5")) == 1
        # "_" and "%" are plain characters in a filter, not wildcards.
        assert await reports.count_audit(unit, reports.AuditFilter(action="%")) == 0
        today = world.now.date()
        assert await reports.count_audit(unit, reports.AuditFilter(since=today, until=today)) == 4
        tomorrow = today + timedelta(days=1)
        assert await reports.count_audit(unit, reports.AuditFilter(since=tomorrow)) == 0
        yesterday = today - timedelta(days=1)
        assert await reports.count_audit(unit, reports.AuditFilter(until=yesterday)) == 0


async def test_broadcast_history_and_line(world: World) -> None:
    boss = await world.staff()
    await seed_recipients(world.db, 1)
    async with world.acting(boss, "admin") as unit:
        draft = broadcasts.BroadcastDraft({"kind": "all"}, "نص")
        first = await broadcasts.create_broadcast(unit, draft)
        later = broadcasts.BroadcastDraft({"kind": "all"}, "نص", at=world.now + timedelta(days=1))
        second = await broadcasts.create_broadcast(unit, later)
    async with world.acting(boss, "admin") as unit:
        assert await broadcasts.count_broadcasts(unit) == 2
        lines = await broadcasts.list_broadcasts(unit, 0, 10)
        assert [line.broadcast.id for line in lines] == [second.id, first.id]
        assert lines[1].total == first.recipients == 1 and lines[1].percent == 0
        assert lines[0].total == 0 and lines[0].percent == 100
        line = await broadcasts.broadcast_line(unit, first.id)
        assert line.counts == {"pending": 1}
        with pytest.raises(NotFound):
            await broadcasts.broadcast_line(unit, 999)


def test_quiet_hours(world: World, settings: Settings, clock: Clock) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.unit import Unit

    # Quiet hours are a matter of the clock and the settings: a session bound to nothing.
    unit = Unit(AsyncSession(), Actor.system(), clock(), world.catalogs, settings)
    assert settings.quiet_hours == "22:00-08:00"
    # The clock is 09:00 UTC = 12:00 in Riyadh; 20:00 UTC = 23:00 in Riyadh.
    assert not broadcasts.in_quiet_hours(unit, clock())
    assert broadcasts.in_quiet_hours(unit, datetime(2026, 11, 25, 20, 0, tzinfo=clock().tzinfo))
    assert broadcasts.in_quiet_hours(unit, datetime(2026, 11, 25, 4, 59, tzinfo=clock().tzinfo))
    assert not broadcasts.in_quiet_hours(unit, datetime(2026, 11, 25, 5, 0, tzinfo=clock().tzinfo))


async def test_set_staff_role_by_an_admin(world: World) -> None:
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        change = await staff.set_staff_role(unit, "telegram:77", "staff")
        assert change == staff.RoleChange("telegram:77", "staff")
        await staff.set_staff_role(unit, " Telegram:77 ", "admin")
        await staff.set_staff_role(unit, "78", "staff")  # a bare id is a Telegram one
    async with world.acting(boss, "admin") as unit:
        members = {m.identities: m.role for m in await staff.list_staff(unit)}
        assert members[("telegram:77",)] == "admin" and members[("telegram:78",)] == "staff"
        await staff.set_staff_role(unit, "telegram:77", "user")
    assert [a.details["role"] for a in await world.audits("staff.add")] == [
        "staff",
        "admin",
        "staff",
    ]
    assert [a.target for a in await world.audits("staff.remove")] == ["telegram:77"]


async def test_set_staff_role_refusals_write_nothing(world: World) -> None:
    boss = await world.staff()
    plain = await world.person()
    async with world.acting(plain, "staff") as unit:
        with pytest.raises(Forbidden):
            await staff.set_staff_role(unit, "telegram:77", "staff")
    async with world.acting(boss, "admin") as unit:
        for bad in ("fax:1", "telegram:", "", "telegram:1 2"):
            with pytest.raises(ServiceError) as err:
                await staff.set_staff_role(unit, bad, "staff")
            assert err.value.msgid == "web.staff.bad_who"
        with pytest.raises(Conflict):
            # The admin's own account (World's people are console:pN).
            await staff.set_staff_role(unit, "console:p1", "user")
    assert await world.audits("staff.add") == [] and await world.audits("staff.remove") == []
