"""Events and shifts, the staff's side: create and edit an event or a shift, cancel either.

A change of an event's time or place, or of a shift's time, tells every registrant and queues
their reminders again; more places on a shift promote from its waitlist; a cancellation tells
everyone registered and cancels their registrations (nobody is promoted)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.i18n import N_
from bot.core.unit import Unit
from bot.services.errors import Conflict, NotFound, require_staff
from bot.services.event_notices import Notices, pin_of
from bot.services.registrations import promote_from_waitlist
from storage import events as store
from storage import registrations as reg_store
from storage.models_access import clean_features
from storage.models_events import Event, Shift, ShiftRegistration

MAX_CAPACITY = 1000
MAX_SHIFT = timedelta(hours=24)
MAX_REPEAT_DAYS = 31  # a shift repeated over days: at most a month of them at once
STAFF_DAYS_BACK = 30  # the staff's list shows events that ended this recently, too
GONE = "eva.err.gone"


class InvalidValue(Conflict):
    """A value the rules refuse; `field` names the form field it came from."""

    def __init__(self, field: str, msgid: str, **params: object) -> None:
        super().__init__(msgid, **params)
        self.field = field


@dataclass(frozen=True)
class EventDraft:
    """What staff enter for an event."""

    title_ar: str
    description_ar: str
    type: str
    place: str
    starts_at: datetime
    ends_at: datetime
    title_en: str | None = None
    description_en: str | None = None
    pin: tuple[float, float] | None = None
    place_en: str | None = None  # None: English readers see `place`
    access: tuple[str, ...] = ()  # accessibility features (storage.models_access)


@dataclass(frozen=True)
class ShiftDraft:
    """What staff enter for a shift; `gender` None: anyone."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    gender: str | None = None
    skills: tuple[str, ...] = ()
    auto_confirm: bool = True
    access: tuple[str, ...] = ()  # features beyond the event's own


@dataclass(frozen=True)
class EventUpdate:
    event: Event
    told: int | None  # registrants told of a new time or place; None: neither changed


@dataclass(frozen=True)
class ShiftUpdate:
    shift: Shift
    told: int | None  # registrants told of a new time; None: the time did not change
    promoted: list[ShiftRegistration] = field(default_factory=list)


def _check_span(starts_at: datetime, ends_at: datetime, longest: timedelta | None) -> None:
    if ends_at <= starts_at:
        raise InvalidValue("ends", "evf.err.end_before_start")
    if longest is not None and ends_at - starts_at > longest:
        raise InvalidValue("ends", "esf.err.too_long", hours=int(longest.total_seconds() // 3600))


def check_title(title: str | None, field: str = "title_ar") -> None:
    """An event's name must contain letters (Arabic or any other script): digits, dashes or
    emoji alone name nothing a volunteer could recognise in a list or a reminder."""
    if title is not None and title.strip() and not any(ch.isalpha() for ch in title):
        raise InvalidValue(field, "evf.err.title_letters")


def _check_titles(draft: EventDraft) -> None:
    check_title(draft.title_ar or "-")  # an empty name has no letter either
    check_title(draft.title_en, "title_en")


def _check_future(unit: Unit, starts_at: datetime) -> None:
    """Something new starts after now (an edit may keep a start that has passed)."""
    if starts_at <= unit.now:
        raise InvalidValue("starts", "err.datetime.past")


def _fill_event(event: Event, draft: EventDraft) -> None:
    event.title_ar = draft.title_ar
    event.title_en = draft.title_en
    event.description_ar = draft.description_ar
    event.description_en = draft.description_en
    event.type = draft.type
    event.place_name = draft.place
    event.place_name_en = draft.place_en
    event.latitude, event.longitude = draft.pin if draft.pin else (None, None)
    event.starts_at, event.ends_at = draft.starts_at, draft.ends_at
    event.access = clean_features(draft.access) or None


async def _live_event(unit: Unit, event_id: int) -> Event:
    event = await store.get_event(unit.session, event_id)
    if event is None or event.status != store.PUBLISHED:
        raise NotFound(GONE)
    return event


# --- events ---------------------------------------------------------------------------------------
async def create_event(unit: Unit, draft: EventDraft) -> Event:
    """Publish a new event (staff)."""
    require_staff(unit.actor)
    _check_titles(draft)
    _check_future(unit, draft.starts_at)
    _check_span(draft.starts_at, draft.ends_at, None)
    event = Event(status=store.PUBLISHED, created_by=unit.actor.user_id, created_at=unit.now)
    _fill_event(event, draft)
    unit.session.add(event)
    await unit.session.flush()
    await unit.audit("event.created", f"event:{event.id}")
    return event


async def update_event(unit: Unit, event_id: int, draft: EventDraft, change: str) -> EventUpdate:
    """Edit a published event (staff). A new time or place is told to every registrant once
    per `change` (a name for this edit, e.g. the update that made it)."""
    require_staff(unit.actor)
    _check_titles(draft)
    _check_span(draft.starts_at, draft.ends_at, None)
    event = await _live_event(unit, event_id)
    before = (event.starts_at, event.ends_at, event.place_name, pin_of(event))
    _fill_event(event, draft)
    await unit.session.flush()
    await unit.audit("event.updated", f"event:{event.id}")
    after = (event.starts_at, event.ends_at, event.place_name, pin_of(event))
    told = await Notices(unit).changed(event, change) if before != after else None
    return EventUpdate(event, told)


async def cancel_event(unit: Unit, event_id: int) -> int:
    """Cancel a published event and its shifts (staff); returns how many people were told."""
    require_staff(unit.actor)
    event = await _live_event(unit, event_id)
    told = await Notices(unit).cancelled(event, N_("ev.n.event_cancelled"))
    event.status = store.EVENT_CANCELLED
    for shift in await store.shifts_of(unit.session, event.id):
        shift.status = store.SHIFT_CANCELLED
    await unit.audit("event.cancelled", f"event:{event.id}", told=told)
    return told


# --- shifts ---------------------------------------------------------------------------------------
def _fill_shift(shift: Shift, draft: ShiftDraft) -> None:
    shift.starts_at, shift.ends_at, shift.capacity = draft.starts_at, draft.ends_at, draft.capacity
    shift.gender = draft.gender
    shift.skills = list(draft.skills)
    shift.auto_confirm = draft.auto_confirm
    shift.access = clean_features(draft.access) or None


def _check_shift(draft: ShiftDraft) -> None:
    _check_span(draft.starts_at, draft.ends_at, MAX_SHIFT)
    if not 1 <= draft.capacity <= MAX_CAPACITY:
        raise InvalidValue("cap", "esf.err.capacity", max=MAX_CAPACITY)


async def create_shift(unit: Unit, event_id: int, draft: ShiftDraft) -> Shift:
    """Add a shift to a published event (staff)."""
    require_staff(unit.actor)
    _check_future(unit, draft.starts_at)
    _check_shift(draft)
    event = await _live_event(unit, event_id)
    shift = Shift(event_id=event.id, status=store.ACTIVE, revision=0)
    _fill_shift(shift, draft)
    unit.session.add(shift)
    await unit.session.flush()
    await unit.audit("shift.created", f"shift:{shift.id}", event=event.id)
    return shift


async def update_shift(
    unit: Unit, shift_id: int, draft: ShiftDraft, change: str, *, event_id: int | None = None
) -> ShiftUpdate:
    """Edit a shift of a published event (of `event_id`, when given) (staff). The capacity
    cannot go below the places held; a new time is told to its registrants (once per
    `change`); more places promote from the waitlist."""
    require_staff(unit.actor)
    _check_shift(draft)
    shift = await store.get_shift(unit.session, shift_id)
    if shift is None or (event_id is not None and shift.event_id != event_id):
        raise NotFound(GONE)
    event = await _live_event(unit, shift.event_id)
    held = (await reg_store.counts(unit.session, [shift.id]))[shift.id]
    if draft.capacity < held.confirmed + held.pending:
        raise InvalidValue("cap", "esf.err.capacity_below", n=held.confirmed + held.pending)
    if draft.capacity < shift.capacity:
        await reg_store.compact_seats(unit.session, shift)
    old_span, old_capacity = (shift.starts_at, shift.ends_at), shift.capacity
    _fill_shift(shift, draft)
    await unit.session.flush()
    await unit.audit("shift.updated", f"shift:{shift.id}", event=event.id)
    notices = Notices(unit)
    told = None
    if old_span != (draft.starts_at, draft.ends_at):
        told = await notices.changed(event, change, [shift])
    promoted: list[ShiftRegistration] = []
    if draft.capacity > old_capacity:
        promoted = await promote_from_waitlist(unit, shift.id)
    return ShiftUpdate(shift, told, promoted)


async def cancel_shift(unit: Unit, shift_id: int) -> int:
    """Cancel one active shift (staff); returns how many people were told."""
    require_staff(unit.actor)
    shift = await store.get_shift(unit.session, shift_id)
    event = await store.get_event(unit.session, shift.event_id) if shift else None
    if shift is None or event is None:
        raise NotFound(GONE)
    if shift.status != store.ACTIVE:
        raise Conflict(GONE)
    told = await Notices(unit).cancelled(event, N_("ev.n.shift_cancelled"), shift)
    shift.status = store.SHIFT_CANCELLED
    await unit.audit("shift.cancelled", f"shift:{shift.id}", told=told)
    return told


# --- the web workspace's reads and bulk actions ---------------------------------------------------
@dataclass(frozen=True)
class ShiftLine:
    shift: Shift
    counts: reg_store.ShiftCounts


async def list_staff_events(
    unit: Unit,
    *,
    event_type: str | None = None,
    offset: int = 0,
    limit: int = 25,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    access: tuple[str, ...] = (),
) -> tuple[list[Event], int]:
    """Events for staff: upcoming, recent (STAFF_DAYS_BACK) and cancelled; and how many.
    A range [date_from, date_to) keeps the events that overlap it; one that starts further
    back than STAFF_DAYS_BACK reaches back to it (staff look for an old event by its date)."""
    require_staff(unit.actor)
    days_back = STAFF_DAYS_BACK
    if date_from is not None and date_from < unit.now:
        days_back = max(days_back, (unit.now - date_from).days + 1)
    return await store.list_events(
        unit.session,
        now=unit.now,
        event_type=event_type or None,
        date_from=date_from,
        date_to=date_to,
        access=access,
        offset=offset,
        limit=limit,
        staff_days_back=days_back,
    )


async def event_with_shifts(unit: Unit, event_id: int) -> tuple[Event, list[ShiftLine]]:
    """An event (any status) with all its shifts and their places held (staff)."""
    require_staff(unit.actor)
    event = await store.get_event(unit.session, event_id)
    if event is None:
        raise NotFound(GONE)
    shifts = await store.shifts_of(unit.session, event.id, include_cancelled=True)
    held = await reg_store.counts(unit.session, [s.id for s in shifts])
    return event, [ShiftLine(s, held[s.id]) for s in shifts]


async def duplicate_event(unit: Unit, event_id: int, starts_at: datetime) -> Event:
    """A copy of an event and its active shifts, moved to start at `starts_at` (the shifts
    keep their place in the day); published as new, with nobody registered (staff)."""
    require_staff(unit.actor)
    source = await store.get_event(unit.session, event_id)
    if source is None:
        raise NotFound(GONE)
    moved = starts_at - source.starts_at
    draft = EventDraft(
        title_ar=source.title_ar,
        description_ar=source.description_ar,
        type=source.type,
        place=source.place_name,
        starts_at=starts_at,
        ends_at=source.ends_at + moved,
        title_en=source.title_en,
        description_en=source.description_en,
        pin=pin_of(source),
        place_en=source.place_name_en,
        access=tuple(source.access or ()),
    )
    event = await create_event(unit, draft)
    for shift in await store.shifts_of(unit.session, source.id):
        copy = ShiftDraft(
            shift.starts_at + moved,
            shift.ends_at + moved,
            shift.capacity,
            shift.gender,
            tuple(shift.skills),
            shift.auto_confirm,
            tuple(shift.access or ()),
        )
        await create_shift(unit, event.id, copy)
    await unit.audit("event.duplicated", f"event:{event.id}", source=source.id)
    return event


async def create_shifts_over_days(
    unit: Unit, event_id: int, draft: ShiftDraft, days: int
) -> list[Shift]:
    """The same shift on `days` days in a row from the draft's day (staff). All or none:
    the first refusal stops them all (the caller's transaction rolls back)."""
    require_staff(unit.actor)
    if not 1 <= days <= MAX_REPEAT_DAYS:
        raise InvalidValue("days", "web.ev.err.days", max=MAX_REPEAT_DAYS)
    made = []
    for n in range(days):
        step = timedelta(days=n)
        day = replace(draft, starts_at=draft.starts_at + step, ends_at=draft.ends_at + step)
        made.append(await create_shift(unit, event_id, day))
    return made
