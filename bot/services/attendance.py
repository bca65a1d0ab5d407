"""Attendance: staff check volunteers in (from `checkin_opens_minutes` in the settings before
the start) and out, and undo either; volunteers rate a shift once it is over, and the thank-you
after a shift (a periodic job)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.dates import local_day
from bot.core.unit import Unit
from bot.services.errors import Conflict, NotFound, require_staff
from bot.services.event_notices import RATE, Notices, title_for
from bot.services.guardians import awaiting_guardian
from bot.settings import Settings
from storage import attendance as store
from storage import events as event_store
from storage import registrations as reg_store
from storage import repositories as repo
from storage.models import Volunteer
from storage.models_events import CONFIRMED, Event, Shift, ShiftRegistration

THANK_YOU_WINDOW = timedelta(days=2)  # shifts that ended this recently get a thank-you
THANK_YOU_EXPIRES = timedelta(days=7)
RATINGS = range(1, 6)

CHECK_IN: Literal["in"] = "in"
CHECK_OUT: Literal["out"] = "out"
Direction = Literal["in", "out"]


@dataclass(frozen=True)
class Attendance:
    """A check-in (`direction` "in") or a check-out, at `at`, with the hours it counts."""

    registration: ShiftRegistration
    name: str
    direction: Direction
    at: datetime
    hours: float = 0.0


def checkin_opens(settings: Settings) -> timedelta:
    """How long before a shift's start staff can check people in (`CHECKIN_OPENS_MINUTES`)."""
    return timedelta(minutes=settings.checkin_opens_minutes)


def checkin_opens_at(settings: Settings, shift: Shift) -> datetime:
    return shift.starts_at - checkin_opens(settings)


async def record_attendance(
    unit: Unit, registration_id: int, wanted: Direction | None = None
) -> Attendance:
    """Check a confirmed volunteer in, or out: `wanted` from a button; None (staff typed an
    ID or a mobile) does whichever is next. Raises Conflict naming what stands in the way
    (params: `name`, and `status` (a status code) or `when` (a datetime) where they apply)."""
    require_staff(unit.actor)
    reg = await reg_store.get_registration(unit.session, registration_id)
    shift = await event_store.get_shift(unit.session, reg.shift_id) if reg else None
    if reg is None or shift is None:
        raise NotFound("ev.err.gone")
    volunteer, _ = await Notices(unit).person(reg)
    name, now = volunteer.full_name, unit.now
    if reg.status != CONFIRMED:
        raise Conflict("eva.err.not_confirmed", name=name, status=reg.status)
    if reg.checked_in_at is None and wanted == CHECK_OUT:
        # A check-out needs the check-in it ends: without one there are no hours to count.
        raise Conflict("eva.err.out_before_in", name=name)
    if reg.checked_in_at is None:
        return await check_in(unit, reg, shift, volunteer)
    if reg.checked_out_at is not None:
        raise Conflict("eva.already_out", name=name)
    if wanted == CHECK_IN:
        raise Conflict("eva.already_in", name=name)
    reg.checked_out_at = now
    await unit.audit("attendance.check_out", f"registration:{reg.id}")
    return Attendance(reg, name, CHECK_OUT, now, store.hours_of(reg, shift, now))


async def check_in(
    unit: Unit, reg: ShiftRegistration, shift: Shift, volunteer: Volunteer, **audit: str
) -> Attendance:
    """The one check-in rule, whoever presses: staff (`record_attendance`) or the volunteer
    scanning the shift's QR code (`bot.services.checkin`). The caller has checked that `reg`
    is a confirmed registration not yet checked in; `audit` adds details to the audit row."""
    name, now = volunteer.full_name, unit.now
    # A minor's place is kept, but nobody checks them in before their guardian is confirmed
    # (bot.services.guardians): staff confirm it first.
    if awaiting_guardian(volunteer, local_day(now, unit.timezone)):
        raise Conflict("eva.err.guardian_unconfirmed", name=name)
    opens = checkin_opens_at(unit.settings, shift)
    if now < opens:
        raise Conflict("eva.err.too_early", when=opens)
    reg.checked_in_at = now
    await unit.audit("attendance.check_in", f"registration:{reg.id}", **audit)
    return Attendance(reg, name, CHECK_IN, now)


async def record_attendance_of(
    unit: Unit, shift_id: int, *, national_id: str | None = None, mobile: str | None = None
) -> Attendance:
    """Check in or out (whichever is next) the volunteer registered for a shift with this
    national ID or mobile. A mobile shared by family members picks the one registration still
    open (confirmed, not checked out); if that is not one, staff are asked for the ID."""
    require_staff(unit.actor)
    people = await reg_store.find_registrants(
        unit.session, shift_id, national_id=national_id, mobile=mobile
    )
    open_ones = [
        p
        for p in people
        if p.registration.status == CONFIRMED and p.registration.checked_out_at is None
    ]
    if not people:
        raise NotFound("eva.err.not_registered")
    if len(people) == 1:
        return await record_attendance(unit, people[0].registration.id)
    if len(open_ones) == 1:
        return await record_attendance(unit, open_ones[0].registration.id)
    raise Conflict("eva.err.shared_mobile")


async def rate_shift(unit: Unit, registration_id: int, stars: int) -> int:
    """The acting volunteer rates a shift they were confirmed for, once it is over."""
    reg = await reg_store.get_registration(unit.session, registration_id)
    volunteer = (
        await repo.volunteer_for_user(unit.session, unit.actor.user_id)
        if unit.actor.user_id is not None
        else None
    )
    shift = await event_store.get_shift(unit.session, reg.shift_id) if reg else None
    if (
        stars not in RATINGS
        or reg is None
        or shift is None
        or volunteer is None
        or reg.volunteer_id != volunteer.id
        or reg.status != CONFIRMED
    ):
        raise NotFound("ev.err.rate")
    if shift.ends_at > unit.now:
        raise Conflict("ev.err.rate_early")
    reg.rating = stars
    reg.updated_at = unit.now
    return stars


async def thank_attendees(unit: Unit) -> int:
    """After a shift, everyone who was checked in is thanked and asked for a 1-5 rating, once
    (shifts that ended within THANK_YOU_WINDOW). Returns how many notices were queued."""
    queued = 0
    for r in await store.thank_you_due(unit.session, unit.now, THANK_YOU_WINDOW):
        event = await unit.session.get(Event, r.shift.event_id)
        assert event is not None  # a shift's event is never deleted
        reg = r.registration
        choices = [
            {"id": f"{RATE}:{reg.id}:{n}", "label": "ev.btn.rate", "params": {"n": n}}
            for n in RATINGS
        ]
        created = await unit.notifier.send(
            r.user.id,
            "ev.n.thanks",
            idempotency_key=f"ev:r{reg.id}:thanks",
            params={"title": title_for(r.user.locale or "ar", event)},
            expires_at=r.shift.ends_at + THANK_YOU_EXPIRES,
            choices=choices,
        )
        reg.thanked_at = unit.now
        queued += int(created)
    return queued


async def undo_attendance(unit: Unit, registration_id: int, direction: Direction) -> Attendance:
    """Undo a check-out (the volunteer is checked in again) or a check-in (staff pressed the
    wrong person). Only the last step can be undone: a check-in after its check-out is undone
    first. The result's `at` is the time that was removed."""
    require_staff(unit.actor)
    reg = await reg_store.get_registration(unit.session, registration_id)
    if reg is None:
        raise NotFound("ev.err.gone")
    volunteer, _ = await Notices(unit).person(reg)
    name = volunteer.full_name
    if direction == CHECK_OUT:
        if reg.checked_out_at is None:
            msgid = "eva.not_in" if reg.checked_in_at is None else "eva.already_in"
            raise Conflict(msgid, name=name)
        removed, reg.checked_out_at = reg.checked_out_at, None
        await unit.audit("attendance.undo_check_out", f"registration:{reg.id}")
        return Attendance(reg, name, CHECK_OUT, removed)
    if reg.checked_out_at is not None:
        raise Conflict("eva.already_out", name=name)
    if reg.checked_in_at is None:
        raise Conflict("eva.not_in", name=name)
    removed, reg.checked_in_at = reg.checked_in_at, None
    await unit.audit("attendance.undo_check_in", f"registration:{reg.id}")
    return Attendance(reg, name, CHECK_IN, removed)


@dataclass(frozen=True)
class Hours:
    total: float
    shifts: list[tuple[Shift, Event, float]]  # the attended shifts, oldest first


async def volunteer_hours(unit: Unit, volunteer_id: int) -> Hours:
    """A volunteer's hours: the shifts that count (as "my hours" in chat) and their total."""
    rows = await reg_store.volunteer_registrations(
        unit.session, volunteer_id, statuses=(CONFIRMED,)
    )
    attended = store.counted_shifts(rows, unit.now)
    return Hours(sum((h for _, _, h in attended), 0.0), attended)
