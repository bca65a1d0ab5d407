"""Registrations for shifts: seats, registering, the waitlist, promotion and cancelling.

The last place of a shift is protected by the database, not by a read-then-write check: a
confirmed registration holds a seat number in 1..capacity that is unique per shift among
confirmed rows (`uq_registration_seat`), and a volunteer holds at most one live registration
per shift (`uq_registration_live`). Two people racing for the last seat both try to insert
seat N; the loser's insert fails inside a savepoint and it is put on the waitlist instead.

Waitlist order is first come, first served (`queued_at`, then id). Promotion takes the first
waitlisted row with `FOR UPDATE SKIP LOCKED` (PostgreSQL) and a guarded update (`WHERE status =
'waitlisted'`), so two cancellations at the same moment promote two different people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.events import ACTIVE, PUBLISHED, is_open
from storage.models import User, Volunteer
from storage.models_events import (
    CANCELLED,
    CONFIRMED,
    PENDING,
    WAITLISTED,
    Event,
    Shift,
    ShiftRegistration,
)

LIVE = (PENDING, CONFIRMED, WAITLISTED)
SEAT_ATTEMPTS = 5


class Refused(Exception):
    """A registration the rules do not allow. `reason` is one of closed, gender, duplicate,
    overlap, full; `other` is the registration that stands in the way (duplicate, overlap)."""

    def __init__(self, reason: str, other: ShiftRegistration | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.other = other


@dataclass(frozen=True)
class Outcome:
    registration: ShiftRegistration
    position: int | None = None  # place on the waitlist (1 = next in line)


@dataclass(frozen=True)
class ShiftCounts:
    confirmed: int = 0
    pending: int = 0
    waitlisted: int = 0

    def places_left(self, capacity: int) -> int:
        # Requests waiting for staff approval are counted: approving them must not overfill.
        return max(capacity - self.confirmed - self.pending, 0)


@dataclass(frozen=True)
class Registrant:
    registration: ShiftRegistration
    shift: Shift
    volunteer: Volunteer
    user: User


# --- reading --------------------------------------------------------------------------------------
async def get_registration(session: AsyncSession, reg_id: int) -> ShiftRegistration | None:
    return await session.get(ShiftRegistration, reg_id)


async def counts(session: AsyncSession, shift_ids: Iterable[int]) -> dict[int, ShiftCounts]:
    ids = list(shift_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(ShiftRegistration.shift_id, ShiftRegistration.status, func.count())
        .where(ShiftRegistration.shift_id.in_(ids), ShiftRegistration.status.in_(LIVE))
        .group_by(ShiftRegistration.shift_id, ShiftRegistration.status)
    )
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    for shift_id, status, n in rows.all():
        found[shift_id][status] = int(n)
    return {
        i: ShiftCounts(c.get(CONFIRMED, 0), c.get(PENDING, 0), c.get(WAITLISTED, 0))
        for i, c in found.items()
    }


async def live_registration(
    session: AsyncSession, shift_id: int, volunteer_id: int
) -> ShiftRegistration | None:
    return (
        await session.execute(
            select(ShiftRegistration).where(
                ShiftRegistration.shift_id == shift_id,
                ShiftRegistration.volunteer_id == volunteer_id,
                ShiftRegistration.status.in_(LIVE),
            )
        )
    ).scalar_one_or_none()


async def volunteer_registrations(
    session: AsyncSession,
    volunteer_id: int,
    *,
    ending_after: datetime | None = None,
    statuses: Sequence[str] = LIVE,
) -> list[tuple[ShiftRegistration, Shift, Event]]:
    stmt = (
        select(ShiftRegistration, Shift, Event)
        .join(Shift, Shift.id == ShiftRegistration.shift_id)
        .join(Event, Event.id == Shift.event_id)
        .where(
            ShiftRegistration.volunteer_id == volunteer_id,
            ShiftRegistration.status.in_(list(statuses)),
        )
        .order_by(Shift.starts_at, Shift.id)
    )
    if ending_after is not None:
        stmt = stmt.where(Shift.ends_at > ending_after)
    return [(r, s, e) for r, s, e in (await session.execute(stmt)).all()]


# Registrations joined with their shift, volunteer and user: the rows of `Registrant`.
REGISTRANTS = (
    select(ShiftRegistration, Shift, Volunteer, User)
    .join(Shift, Shift.id == ShiftRegistration.shift_id)
    .join(Volunteer, Volunteer.id == ShiftRegistration.volunteer_id)
    .join(User, User.id == Volunteer.user_id)
)


async def load_registrants(
    session: AsyncSession, stmt: Select[ShiftRegistration, Shift, Volunteer, User]
) -> list[Registrant]:
    return [Registrant(r, s, v, u) for r, s, v, u in (await session.execute(stmt)).all()]


async def registrants(
    session: AsyncSession,
    *,
    event_id: int | None = None,
    shift_id: int | None = None,
    statuses: Sequence[str] = LIVE,
) -> list[Registrant]:
    """Registrations with their shift, volunteer and user, in shift then waitlist order."""
    stmt = REGISTRANTS.where(ShiftRegistration.status.in_(list(statuses))).order_by(
        Shift.starts_at,
        Shift.id,
        ShiftRegistration.queued_at,
        ShiftRegistration.id,
    )
    if event_id is not None:
        stmt = stmt.where(Shift.event_id == event_id)
    if shift_id is not None:
        stmt = stmt.where(Shift.id == shift_id)
    return await load_registrants(session, stmt)


async def find_registrants(
    session: AsyncSession, shift_id: int, *, national_id: str | None, mobile: str | None
) -> list[Registrant]:
    """Live registrations in a shift of the volunteers with this ID or mobile number (family
    members may share a mobile), confirmed ones first."""
    matches = []
    if national_id:
        matches.append(Volunteer.national_id == national_id)
    if mobile:
        matches.append(Volunteer.mobile == mobile)
    if not matches:
        return []
    found = await load_registrants(
        session,
        REGISTRANTS.where(
            ShiftRegistration.shift_id == shift_id,
            ShiftRegistration.status.in_(LIVE),
            or_(*matches),
        ).order_by(ShiftRegistration.id),
    )
    return sorted(found, key=lambda r: r.registration.status != CONFIRMED)


async def waitlist_position(session: AsyncSession, reg: ShiftRegistration) -> int:
    ahead = await session.execute(
        select(func.count(ShiftRegistration.id)).where(
            ShiftRegistration.shift_id == reg.shift_id,
            ShiftRegistration.status == WAITLISTED,
            or_(
                ShiftRegistration.queued_at < reg.queued_at,
                and_(
                    ShiftRegistration.queued_at == reg.queued_at,
                    ShiftRegistration.id < reg.id,
                ),
            ),
        )
    )
    return int(ahead.scalar_one()) + 1


# --- seats ----------------------------------------------------------------------------------------
async def _taken_seats(session: AsyncSession, shift_id: int) -> set[int]:
    rows = await session.execute(
        select(ShiftRegistration.seat).where(
            ShiftRegistration.shift_id == shift_id,
            ShiftRegistration.status == CONFIRMED,
            ShiftRegistration.seat.is_not(None),
        )
    )
    return {int(seat) for seat in rows.scalars() if seat is not None}


async def free_seat(session: AsyncSession, shift: Shift) -> int | None:
    taken = await _taken_seats(session, shift.id)
    if len(taken) >= shift.capacity:
        return None
    return next((s for s in range(1, shift.capacity + 1) if s not in taken), None)


async def compact_seats(session: AsyncSession, shift: Shift) -> None:
    """Renumber confirmed seats 1..n (before lowering a capacity: seats stay within it).
    Moving each seat down in increasing order never collides with another."""
    rows = await session.execute(
        select(ShiftRegistration)
        .where(ShiftRegistration.shift_id == shift.id, ShiftRegistration.status == CONFIRMED)
        .order_by(ShiftRegistration.seat)
    )
    for number, reg in enumerate(rows.scalars(), start=1):
        if reg.seat != number:
            reg.seat = number
            await session.flush()


# --- registering, cancelling, promoting -----------------------------------------------------------
async def overlapping(
    session: AsyncSession, volunteer_id: int, shift: Shift
) -> ShiftRegistration | None:
    """A live registration of this volunteer on another shift whose time overlaps."""
    return (
        await session.execute(
            select(ShiftRegistration)
            .join(Shift, Shift.id == ShiftRegistration.shift_id)
            .join(Event, Event.id == Shift.event_id)
            .where(
                ShiftRegistration.volunteer_id == volunteer_id,
                ShiftRegistration.status.in_(LIVE),
                Shift.id != shift.id,
                Shift.status == ACTIVE,
                Event.status == PUBLISHED,
                Shift.starts_at < shift.ends_at,
                Shift.ends_at > shift.starts_at,
            )
            .order_by(Shift.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def register(
    session: AsyncSession,
    event: Event,
    shift: Shift,
    volunteer: Volunteer,
    now: datetime,
    *,
    waitlist_ok: bool,
) -> Outcome:
    """Register a volunteer: a seat (auto-confirm), a request for staff approval, or, when the
    shift is full and `waitlist_ok`, a place on the waitlist. Raises `Refused`."""
    if not is_open(event, shift, now):
        raise Refused("closed")
    if shift.gender and shift.gender != volunteer.gender:
        raise Refused("gender")
    existing = await live_registration(session, shift.id, volunteer.id)
    if existing is not None:
        raise Refused("duplicate", existing)
    clash = await overlapping(session, volunteer.id, shift)
    if clash is not None:
        raise Refused("overlap", clash)
    for _ in range(SEAT_ATTEMPTS):
        reg = ShiftRegistration(
            shift_id=shift.id,
            volunteer_id=volunteer.id,
            queued_at=now,
            created_at=now,
            updated_at=now,
            details={},
        )
        seat = await free_seat(session, shift)
        left = (await counts(session, [shift.id]))[shift.id].places_left(shift.capacity)
        if seat is None or left == 0:
            if not waitlist_ok:
                raise Refused("full")
            reg.status, reg.seat = WAITLISTED, None
        elif shift.auto_confirm:
            reg.status, reg.seat = CONFIRMED, seat
        else:
            reg.status, reg.seat = PENDING, None
        try:
            async with session.begin_nested():
                session.add(reg)
                await session.flush()
        except IntegrityError:
            # Someone took that seat meanwhile (or this volunteer registered elsewhere):
            # look again with what is committed now.
            existing = await live_registration(session, shift.id, volunteer.id)
            if existing is not None:
                raise Refused("duplicate", existing) from None
            continue
        position = await waitlist_position(session, reg) if reg.status == WAITLISTED else None
        return Outcome(reg, position)
    raise Refused("busy")


async def fill_from_waitlist(
    session: AsyncSession, shift: Shift, now: datetime
) -> list[ShiftRegistration]:
    """Move the first waitlisted volunteers into the places that are free (confirmed, or
    waiting for approval on shifts that need it). Nothing moves once the shift has begun."""
    promoted: list[ShiftRegistration] = []
    if shift.status != ACTIVE or shift.starts_at <= now:
        return promoted
    for _ in range(shift.capacity + SEAT_ATTEMPTS):
        left = (await counts(session, [shift.id]))[shift.id].places_left(shift.capacity)
        seat = await free_seat(session, shift) if shift.auto_confirm else None
        if left == 0 or (shift.auto_confirm and seat is None):
            break
        candidate = (
            await session.execute(
                select(ShiftRegistration)
                .where(
                    ShiftRegistration.shift_id == shift.id,
                    ShiftRegistration.status == WAITLISTED,
                )
                .order_by(ShiftRegistration.queued_at, ShiftRegistration.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if candidate is None:
            break
        status = CONFIRMED if shift.auto_confirm else PENDING
        try:
            async with session.begin_nested():
                result = await session.execute(
                    update(ShiftRegistration)
                    .where(
                        ShiftRegistration.id == candidate.id,
                        ShiftRegistration.status == WAITLISTED,
                    )
                    .values(status=status, seat=seat, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError:
            continue  # the seat went to someone else meanwhile: look again
        if not result.rowcount:  # type: ignore[attr-defined]
            continue  # promoted by a concurrent cancellation
        await session.refresh(candidate)
        promoted.append(candidate)
    return promoted


async def cancel(
    session: AsyncSession, reg: ShiftRegistration, shift: Shift, now: datetime
) -> list[ShiftRegistration]:
    """Cancel a registration; a freed place goes to the waitlist. Returns who was promoted."""
    held_place = reg.status in (CONFIRMED, PENDING)
    reg.status, reg.seat, reg.updated_at = CANCELLED, None, now
    await session.flush()
    if not held_place:
        return []
    return await fill_from_waitlist(session, shift, now)


async def approve(
    session: AsyncSession, reg: ShiftRegistration, shift: Shift, now: datetime
) -> str:
    """Staff approval of a pending request: a seat if one is free, else the waitlist."""
    for _ in range(SEAT_ATTEMPTS):
        seat = await free_seat(session, shift)
        if seat is None:
            reg.status, reg.seat, reg.queued_at = WAITLISTED, None, now
            await session.flush()
            return WAITLISTED
        try:
            async with session.begin_nested():
                reg.status, reg.seat, reg.updated_at = CONFIRMED, seat, now
                await session.flush()
        except IntegrityError:
            await session.refresh(reg)
            continue
        return CONFIRMED
    return reg.status


async def cancel_all(
    session: AsyncSession, regs: Iterable[ShiftRegistration], now: datetime
) -> None:
    """Staff cancelled the shift or the event: nobody is promoted."""
    for reg in regs:
        reg.status, reg.seat, reg.updated_at = CANCELLED, None, now
    await session.flush()
