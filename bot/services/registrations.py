"""Registrations for shifts: register (a seat, a request for approval, or the waitlist),
cancel one's own place before the cut-off, staff approval or rejection of a request, promotion
from the waitlist, and releasing everything a person holds before their data is deleted.

The races for the last seat and for promotions are settled in `storage.registrations`; these
functions add the rules around them and the notices (confirmations, promotions, reminders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.i18n import N_, Translator
from bot.core.unit import Unit
from bot.exports import export_mobile, export_when
from bot.services import staff_notices
from bot.services.errors import Conflict, NotFound, require_staff
from bot.services.event_notices import Notices
from bot.services.initiative_notices import tell_volunteer_joined
from storage import events as event_store
from storage import registrations as store
from storage import repositories as repo
from storage.attendance import hours_of
from storage.models import User, Volunteer
from storage.models_events import (
    CONFIRMED,
    PENDING,
    WAITLISTED,
    Event,
    Shift,
    ShiftRegistration,
)

# How registration statuses are named (catalog ids) and the columns of a registrants export,
# the same in the chat and on the web.
STATUS_KEYS = {
    "confirmed": "ev.status.confirmed",
    "pending": "ev.status.pending",
    "waitlisted": "ev.status.waitlisted",
    "cancelled": "ev.status.cancelled",
}
EXPORT_COLUMNS = (
    N_("eva.x.shift"),
    N_("eva.x.name"),
    N_("eva.x.nid"),
    N_("eva.x.mobile"),
    N_("eva.x.gender"),
    N_("eva.x.status"),
    N_("eva.x.position"),
    N_("eva.x.registered"),
    N_("eva.x.check_in"),
    N_("eva.x.check_out"),
    N_("eva.x.hours"),
    N_("eva.x.rating"),
)


CANCEL_CUTOFF = timedelta(hours=12)  # volunteers cancel a confirmed place up to this before


class NoProfile(NotFound):
    """Only volunteers (people who filled in the volunteer form) register for shifts."""

    msgid = "ev.need_profile"


class ShiftFull(Conflict):
    """No place is left; the volunteer may ask again with the waitlist accepted. `waiting`:
    how many are on the waitlist already."""

    msgid = "ev.err.busy"

    def __init__(self, shift_id: int, waiting: int) -> None:
        super().__init__()
        self.shift_id = shift_id
        self.waiting = waiting


class StandsInTheWay(Conflict):
    """A registration of the same volunteer stands in the way: on this shift already
    (`reason` "duplicate") or on another shift at the same time ("overlap")."""

    def __init__(self, reason: str, other: ShiftRegistration) -> None:
        super().__init__(f"ev.err.{reason}")
        self.reason = reason
        self.other = other


@dataclass(frozen=True)
class Registered:
    registration: ShiftRegistration
    event: Event
    shift: Shift
    position: int | None = None  # place on the waitlist (1 = next in line)


@dataclass(frozen=True)
class Cancelled:
    registration: ShiftRegistration
    event: Event
    shift: Shift
    promoted: list[ShiftRegistration]


@dataclass(frozen=True)
class Approved:
    registration: ShiftRegistration
    name: str
    confirmed: bool  # False: no seat was free, the request went to the waitlist
    position: int | None = None


def can_cancel(reg: ShiftRegistration, shift: Shift, now: datetime) -> bool:
    """A volunteer cancels before the shift starts, a confirmed place only up to
    CANCEL_CUTOFF before it (a request or a waitlist place at any time before)."""
    if reg.status not in store.LIVE or shift.starts_at <= now:
        return False
    return reg.status != CONFIRMED or now < shift.starts_at - CANCEL_CUTOFF


async def _user_of(unit: Unit, volunteer: Volunteer) -> User:
    user = await unit.session.get(User, volunteer.user_id)
    assert user is not None  # a volunteer row always belongs to a person
    return user


async def shift_and_event(unit: Unit, shift_id: int) -> tuple[Shift, Event]:
    shift = await event_store.get_shift(unit.session, shift_id)
    event = await event_store.get_event(unit.session, shift.event_id) if shift else None
    if shift is None or event is None:
        raise NotFound("ev.err.gone")
    return shift, event


# --- the volunteer's side -------------------------------------------------------------------------
async def register_for_shift(
    unit: Unit, shift_id: int, *, waitlist_ok: bool, event_id: int | None = None
) -> Registered:
    """Register the acting volunteer for a shift (of event `event_id`, when given): a seat
    (confirmed, with reminders), a request for staff approval, or with `waitlist_ok` a place
    on the waitlist of a full shift. Raises NoProfile, NotFound, ShiftFull, StandsInTheWay or
    Conflict (closed, women / men only, busy)."""
    volunteer = (
        await repo.volunteer_for_user(unit.session, unit.actor.user_id)
        if unit.actor.user_id is not None
        else None
    )
    if volunteer is None:
        raise NoProfile()
    shift, event = await shift_and_event(unit, shift_id)
    if event_id is not None and event.id != event_id:
        raise NotFound("ev.err.gone")
    try:
        outcome = await store.register(
            unit.session, event, shift, volunteer, unit.now, waitlist_ok=waitlist_ok
        )
    except store.Refused as refused:
        if refused.reason == "full":
            waiting = (await store.counts(unit.session, [shift.id]))[shift.id].waitlisted
            raise ShiftFull(shift.id, waiting) from None
        if refused.reason in ("duplicate", "overlap") and refused.other is not None:
            raise StandsInTheWay(refused.reason, refused.other) from None
        if refused.reason == "gender":
            only = "ev.err.women_only" if shift.gender == "f" else "ev.err.men_only"
            raise Conflict(only) from None
        if refused.reason == "closed":
            raise Conflict("ev.err.closed") from None
        raise Conflict("ev.err.busy") from None
    reg = outcome.registration
    if reg.status == CONFIRMED:
        await Notices(unit).schedule_reminders(await _user_of(unit, volunteer), reg, event, shift)
        await tell_volunteer_joined(unit, event, reg)  # the initiative's partner, if any
    await staff_notices.registration_pending(unit, reg, shift)
    return Registered(reg, event, shift, outcome.position)


async def own_registration(
    unit: Unit, registration_id: int
) -> tuple[ShiftRegistration, Shift, Event] | None:
    """The acting volunteer's registration with its shift and event; None if it is not theirs
    (or gone)."""
    if unit.actor.user_id is None:
        return None
    volunteer = await repo.volunteer_for_user(unit.session, unit.actor.user_id)
    reg = await store.get_registration(unit.session, registration_id)
    if volunteer is None or reg is None or reg.volunteer_id != volunteer.id:
        return None
    shift = await event_store.get_shift(unit.session, reg.shift_id)
    event = await event_store.get_event(unit.session, shift.event_id) if shift else None
    if shift is None or event is None:
        return None
    return reg, shift, event


async def cancel_registration(unit: Unit, registration_id: int) -> Cancelled:
    """The acting volunteer cancels their registration (see `can_cancel`); the place goes to
    the first on the waitlist, who is told."""
    found = await own_registration(unit, registration_id)
    if found is None:
        raise NotFound("ev.err.gone")
    reg, shift, event = found
    if not can_cancel(reg, shift, unit.now):
        raise Conflict("ev.cancel_closed")
    notices = Notices(unit)
    await notices.withdraw_reminders(reg, "registration cancelled")
    promoted = await store.cancel(unit.session, reg, shift, unit.now)
    await notices.promoted(promoted, event, shift)
    await staff_notices.promoted_pending(unit, promoted, shift)
    return Cancelled(reg, event, shift, promoted)


# --- the staff's side -----------------------------------------------------------------------------
async def _pending(
    unit: Unit, registration_id: int
) -> tuple[ShiftRegistration, Shift, Event, Volunteer, User]:
    require_staff(unit.actor)
    reg = await store.get_registration(unit.session, registration_id)
    if reg is None:
        raise NotFound("ev.err.gone")
    shift, event = await shift_and_event(unit, reg.shift_id)
    volunteer, user = await Notices(unit).person(reg)
    if reg.status != PENDING:
        raise Conflict("eva.err.not_pending", name=volunteer.full_name)
    return reg, shift, event, volunteer, user


async def approve_registration(unit: Unit, registration_id: int) -> Approved:
    """Staff approve a request: a seat if one is free (with reminders), else the waitlist."""
    reg, shift, event, volunteer, user = await _pending(unit, registration_id)
    notices = Notices(unit)
    outcome = await store.approve(unit.session, reg, shift, unit.now)
    position = None
    if outcome == CONFIRMED:
        await notices.about(user, reg, event, shift, N_("ev.n.approved"), "approved")
        await notices.schedule_reminders(user, reg, event, shift)
        await tell_volunteer_joined(unit, event, reg)
    else:
        position = await store.waitlist_position(unit.session, reg)
        await notices.about(
            user, reg, event, shift, N_("ev.n.approved_waitlist"), "approved", position=position
        )
    await unit.audit("registration.approved", f"registration:{reg.id}", outcome=outcome)
    return Approved(reg, volunteer.full_name, outcome == CONFIRMED, position)


async def reject_registration(unit: Unit, registration_id: int) -> str:
    """Staff reject a request; the place it held goes to the waitlist. Returns the name."""
    reg, shift, event, volunteer, user = await _pending(unit, registration_id)
    notices = Notices(unit)
    promoted = await store.cancel(unit.session, reg, shift, unit.now)
    await notices.about(user, reg, event, shift, N_("ev.n.rejected"), "rejected")
    await notices.promoted(promoted, event, shift)
    await staff_notices.promoted_pending(unit, promoted, shift)
    await unit.audit("registration.rejected", f"registration:{reg.id}")
    return volunteer.full_name


async def promote_from_waitlist(unit: Unit, shift_id: int) -> list[ShiftRegistration]:
    """Fill a shift's free places from its waitlist and tell who moved up (the system, or
    staff after adding places)."""
    require_staff(unit.actor)
    shift, event = await shift_and_event(unit, shift_id)
    promoted = await store.fill_from_waitlist(unit.session, shift, unit.now)
    await Notices(unit).promoted(promoted, event, shift)
    await staff_notices.promoted_pending(unit, promoted, shift)
    return promoted


# --- before a person's data is deleted ------------------------------------------------------------
async def release_person(unit: Unit, user_id: int) -> None:
    """Cancel what a volunteer holds so the waitlists move (their reminders are withdrawn)."""
    volunteer = await repo.volunteer_for_user(unit.session, user_id)
    if volunteer is None:
        return
    notices = Notices(unit)
    for reg, shift, event in await store.volunteer_registrations(unit.session, volunteer.id):
        await notices.withdraw_reminders(reg, "data deleted")
        if shift.starts_at > unit.now:
            promoted = await store.cancel(unit.session, reg, shift, unit.now)
            await notices.promoted(promoted, event, shift)
            await staff_notices.promoted_pending(unit, promoted, shift)


async def export_registrants(unit: Unit, event_id: int) -> list[store.Registrant]:
    """Everyone registered for an event's shifts, for a staff export (which is audited)."""
    require_staff(unit.actor)
    people = await store.registrants(unit.session, event_id=event_id)
    await unit.audit("event.exported", f"event:{event_id}", rows=len(people))
    return people


async def registrant_rows(unit: Unit, event_id: int, tr: Translator) -> list[list[Any]]:
    """The rows of an event's registrants export (EXPORT_COLUMNS), in the reader's language and
    the users' time zone: the same file from the chat and the web. Audited as an export."""
    zone = unit.timezone
    rows: list[list[Any]] = []
    positions: dict[int, int] = {}
    for r in await export_registrants(unit, event_id):
        reg, shift, volunteer = r.registration, r.shift, r.volunteer
        position = None
        if reg.status == WAITLISTED:
            position = positions[shift.id] = positions.get(shift.id, 0) + 1
        gender_key = "vol.gender.female" if volunteer.gender == "f" else "vol.gender.male"
        rows.append(
            [
                export_when(tr, shift.starts_at, zone),
                volunteer.full_name,
                volunteer.national_id,
                export_mobile(volunteer.mobile),
                tr.label(gender_key),
                tr.label(STATUS_KEYS[reg.status]),
                position,
                export_when(tr, reg.created_at, zone),
                export_when(tr, reg.checked_in_at, zone),
                export_when(tr, reg.checked_out_at, zone),
                round(hours_of(reg, shift, unit.now), 2),
                reg.rating,
            ]
        )
    return rows


async def shift_registrants(
    unit: Unit, shift_id: int
) -> tuple[Shift, Event, list[store.Registrant]]:
    """A shift, its event and everyone holding a place or waiting on it, in shift then
    waitlist order (staff)."""
    require_staff(unit.actor)
    shift, event = await shift_and_event(unit, shift_id)
    return shift, event, await store.registrants(unit.session, shift_id=shift.id)
