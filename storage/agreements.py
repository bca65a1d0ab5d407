"""Agreements with partners: the reading queries, the agreements a daily job reminds staff of or
expires, and the one query of what a partner achieved (issue 15 item 3).

A partner's events are those opened for one of its initiatives (`events.initiative_id`); what
it achieved is counted from them: the events themselves, the volunteers who attended their
shifts and those shifts' hours (`storage.attendance.hours_of`, the one definition of hours),
and the families holding a stall on a market that belongs to one of those events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attendance import hours_of
from storage.events import EVENT_CANCELLED
from storage.models_events import CONFIRMED, Event, Shift, ShiftRegistration
from storage.models_families import HOLDS_STALL, Site, StallRequest
from storage.models_partners import APPROVED, Agreement, Initiative, Partner

DRAFT, SIGNED, ACTIVE, EXPIRED = "draft", "signed", "active", "expired"
# An agreement in force: staff are reminded before it ends, and it expires after its end.
IN_FORCE = (SIGNED, ACTIVE)


async def get_agreement(
    session: AsyncSession, agreement_id: int, *, lock: bool = False
) -> Agreement | None:
    return await session.get(Agreement, agreement_id, with_for_update=lock)


async def get_partner(session: AsyncSession, partner_id: int) -> Partner | None:
    return await session.get(Partner, partner_id)


async def list_agreements(
    session: AsyncSession, *, status: str | None = None, partner_id: int | None = None
) -> list[tuple[Agreement, Partner]]:
    """Agreements with their partner, those ending soonest first."""
    stmt = select(Agreement, Partner).join(Partner, Partner.id == Agreement.partner_id)
    if status:
        stmt = stmt.where(Agreement.status == status)
    if partner_id is not None:
        stmt = stmt.where(Agreement.partner_id == partner_id)
    stmt = stmt.order_by(Agreement.end_date, Agreement.id)
    return [(a, p) for a, p in (await session.execute(stmt)).all()]


async def partners_to_choose(session: AsyncSession, keep: int | None = None) -> list[Partner]:
    """The partners an agreement can be made with: approved ones (and `keep`, the partner of
    the agreement being edited, whatever its standing now), by Arabic name."""
    stmt = select(Partner).where(Partner.status == APPROVED)
    if keep is not None:
        stmt = select(Partner).where((Partner.status == APPROVED) | (Partner.id == keep))
    return list((await session.execute(stmt.order_by(Partner.name_ar, Partner.id))).scalars())


async def partners_with_agreements(session: AsyncSession) -> list[Partner]:
    """The list page's partner filter: the partners that have an agreement."""
    stmt = (
        select(Partner)
        .where(Partner.id.in_(select(Agreement.partner_id)))
        .order_by(Partner.name_ar, Partner.id)
    )
    return list((await session.execute(stmt)).scalars())


async def in_force_ending(session: AsyncSession, first: date, last: date) -> list[Agreement]:
    """Agreements in force whose end day is in [first, last]: the ones to remind staff of."""
    stmt = (
        select(Agreement)
        .where(Agreement.status.in_(IN_FORCE), Agreement.end_date.between(first, last))
        .order_by(Agreement.end_date, Agreement.id)
    )
    return list((await session.execute(stmt)).scalars())


async def in_force_ended(session: AsyncSession, today: date) -> list[Agreement]:
    """Agreements still in force whose last day is before `today`, locked to expire them."""
    stmt = (
        select(Agreement)
        .where(Agreement.status.in_(IN_FORCE), Agreement.end_date < today)
        .order_by(Agreement.id)
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())


# --- what a partner achieved ----------------------------------------------------------------------
@dataclass(frozen=True)
class Achieved:
    volunteers: int  # distinct volunteers who attended a shift of the partner's events
    hours: float  # those shifts' attendance hours (exact; screens round)
    events: int  # the partner's events (not cancelled)
    families: int  # distinct families holding a stall on a market of those events


async def achieved(
    session: AsyncSession,
    partner_id: int,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Achieved:
    """What a partner achieved, all told or within [since, until) (UTC instants; an
    agreement's days from the first one's local midnight to the day after the last one's).
    An event counts when it starts in the period, a shift's attendance when the shift does,
    and a family when the event of its market does."""
    initiatives = select(Initiative.id).where(Initiative.partner_id == partner_id)
    events_where = [Event.initiative_id.in_(initiatives), Event.status != EVENT_CANCELLED]
    if since is not None:
        events_where.append(Event.starts_at >= since)
    if until is not None:
        events_where.append(Event.starts_at < until)
    events = select(Event.id).where(*events_where)
    event_count = (
        await session.execute(select(func.count()).select_from(Event).where(*events_where))
    ).scalar_one()

    shifts_where = [
        Event.initiative_id.in_(initiatives),
        ShiftRegistration.status == CONFIRMED,
        ShiftRegistration.checked_in_at.is_not(None),
    ]
    if since is not None:
        shifts_where.append(Shift.starts_at >= since)
    if until is not None:
        shifts_where.append(Shift.starts_at < until)
    attended = (
        select(ShiftRegistration, Shift)
        .join(Shift, Shift.id == ShiftRegistration.shift_id)
        .join(Event, Event.id == Shift.event_id)
        .where(*shifts_where)
    )
    volunteers: set[int] = set()
    hours = 0.0
    for reg, shift in (await session.execute(attended)).all():
        counted = hours_of(reg, shift, now)
        if counted > 0:
            volunteers.add(reg.volunteer_id)
            hours += counted

    families = (
        select(func.count(func.distinct(StallRequest.family_id)))
        .join(Site, Site.id == StallRequest.site_id)
        .where(Site.event_id.in_(events), StallRequest.status.in_(HOLDS_STALL))
    )
    return Achieved(
        volunteers=len(volunteers),
        hours=hours,
        events=int(event_count),
        families=int((await session.execute(families)).scalar_one()),
    )
