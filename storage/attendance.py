"""Attendance: the hours a registration counts for, and who is due a thank-you."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.events import ACTIVE
from storage.models_events import CONFIRMED, Event, Shift, ShiftRegistration
from storage.registrations import REGISTRANTS, Registrant, load_registrants


def hours_of(reg: ShiftRegistration, shift: Shift, now: datetime) -> float:
    """Actual time from check-in to check-out; without a check-out, the planned length of the
    shift once it is over; nothing for someone who was never checked in. Exact, never rounded
    here: ten minutes count as 0.1667 h (so the shift counts), and screens round to a tenth of
    an hour with at least 0.1 for any attended time (`bot.core.dates.fmt_hours`)."""
    if reg.status != CONFIRMED or reg.checked_in_at is None:
        return 0.0
    if reg.checked_out_at is not None:
        seconds = (reg.checked_out_at - reg.checked_in_at).total_seconds()
    elif now >= shift.ends_at:
        seconds = (shift.ends_at - shift.starts_at).total_seconds()
    else:
        return 0.0
    return max(seconds, 0.0) / 3600


def counted_shifts(
    rows: Iterable[tuple[ShiftRegistration, Shift, Event]], now: datetime
) -> list[tuple[Shift, Event, float]]:
    """The shifts among `volunteer_registrations` rows that count towards the volunteer's
    hours, with their hours."""
    return [
        (shift, event, hours)
        for reg, shift, event in rows
        if (hours := hours_of(reg, shift, now)) > 0
    ]


async def thank_you_due(
    session: AsyncSession, now: datetime, window: timedelta
) -> list[Registrant]:
    """Volunteers who attended a shift that ended within `window` and were not thanked yet."""
    return await load_registrants(
        session,
        REGISTRANTS.where(
            ShiftRegistration.status == CONFIRMED,
            ShiftRegistration.checked_in_at.is_not(None),
            ShiftRegistration.thanked_at.is_(None),
            Shift.status == ACTIVE,
            Shift.ends_at <= now,
            Shift.ends_at > now - window,
        ).order_by(ShiftRegistration.id),
    )
