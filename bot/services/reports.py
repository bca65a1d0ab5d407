"""What the staff web workspace's overview and audit log read (issue 13 §3): what waits, the
upcoming shifts with free places, the chart series, and the audit log with its filters.

Reads only: nothing here changes a row. Series are computed over a bounded window (12 weeks,
6 months, 7 days, the last broadcasts), so the overview stays fast on a large database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from bot.core.unit import Unit
from bot.services import staff_notices
from bot.services.broadcasts import OUTCOMES, BroadcastLine, list_broadcasts
from bot.services.errors import require_staff
from storage.models import AuditLog, Broadcast, Volunteer
from storage.models_events import Event, Shift, ShiftRegistration
from storage.models_families import (
    APPROVED,
    CONFIRMED,
    Site,
    StallRequest,
)

WEEKS, MONTHS, DAYS, LAST_BROADCASTS, SHIFTS, SITES = 12, 6, 7, 5, 10, 5


@dataclass(frozen=True)
class Waiting:
    requests: int  # stall requests to review: new, or opened and not decided
    replies: int  # families answered staff's question
    registrations: int  # shift registrations to approve


@dataclass(frozen=True)
class OpenShift:
    shift_id: int
    event_id: int
    title_ar: str
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    free: int


@dataclass(frozen=True)
class Point:
    label: str  # plain text (a date or a name), shown under the bar and in the data table
    value: float


@dataclass(frozen=True)
class Outcome:
    broadcast_id: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Overview:
    waiting: Waiting
    shifts: list[OpenShift]
    sending: list[BroadcastLine]
    signups: list[tuple[date, int]]  # week's first day, volunteers who signed up
    hours: list[tuple[date, float]]  # month's first day, volunteer hours
    occupancy: list[tuple[str, str | None, date, int]]  # site (ar, en), day, % stalls held
    outcomes: list[Outcome]


async def _count(unit: Unit, stmt: Any) -> int:
    return int((await unit.session.execute(stmt)).scalar_one())


async def waiting(unit: Unit) -> Waiting:
    """What waits for staff, counted as the daily digest counts it (one definition:
    `staff_notices.waiting_buckets`)."""
    require_staff(unit.actor)
    to_review, answered, pending = staff_notices.waiting_buckets()
    base = select(func.count(StallRequest.id))
    return Waiting(
        await _count(unit, base.where(*to_review)),
        await _count(unit, base.where(*answered)),
        await _count(unit, select(func.count(ShiftRegistration.id)).where(*pending)),
    )


async def open_shifts(unit: Unit, limit: int = SHIFTS) -> list[OpenShift]:
    """The next shifts that still have free places, soonest first."""
    require_staff(unit.actor)
    taken = (
        select(func.count(ShiftRegistration.id))
        .where(ShiftRegistration.shift_id == Shift.id, ShiftRegistration.status == "confirmed")
        .correlate(Shift)
        .scalar_subquery()
    )
    stmt = (
        select(Shift, Event, Shift.capacity - taken)
        .join(Event, Event.id == Shift.event_id)
        .where(
            Shift.starts_at > unit.now,
            Shift.status == "active",
            Event.status == "published",
            Shift.capacity > taken,
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(limit)
    )
    return [
        OpenShift(s.id, e.id, e.title_ar, e.title_en, s.starts_at, s.ends_at, int(free))
        for s, e, free in (await unit.session.execute(stmt)).all()
    ]


def _local_day(unit: Unit, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(unit.timezone)).date()


async def signups_per_week(unit: Unit, weeks: int = WEEKS) -> list[tuple[date, int]]:
    """Volunteers who signed up in each of the last `weeks` weeks (weeks start on Sunday, as
    the working week does in Saudi Arabia), oldest first."""
    today = _local_day(unit, unit.now)
    this_week = today - timedelta(days=(today.weekday() + 1) % 7)
    first = this_week - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), ZoneInfo(unit.timezone))
    stmt = select(Volunteer.created_at).where(Volunteer.created_at >= since)
    seen: Counter[date] = Counter()
    for (created,) in (await unit.session.execute(stmt)).all():
        day = _local_day(unit, created)
        seen[day - timedelta(days=(day.weekday() + 1) % 7)] += 1
    return [(w, seen[w]) for w in (first + timedelta(weeks=i) for i in range(weeks))]


def _month_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


async def hours_per_month(unit: Unit, months: int = MONTHS) -> list[tuple[date, float]]:
    """Hours volunteers were checked in (in to out), per month of the check-in, oldest first."""
    today = _local_day(unit, unit.now)
    first = _month_back(today, months - 1)
    since = datetime.combine(first, datetime.min.time(), ZoneInfo(unit.timezone))
    stmt = select(ShiftRegistration.checked_in_at, ShiftRegistration.checked_out_at).where(
        ShiftRegistration.checked_in_at >= since, ShiftRegistration.checked_out_at.is_not(None)
    )
    hours: dict[date, float] = {}
    for checked_in, checked_out in (await unit.session.execute(stmt)).all():
        if checked_in is None or checked_out is None:
            continue
        day = _local_day(unit, checked_in)
        month = date(day.year, day.month, 1)
        hours[month] = hours.get(month, 0.0) + (checked_out - checked_in).total_seconds() / 3600
    months_list = [_month_back(today, months - 1 - i) for i in range(months)]
    return [(m, round(hours.get(m, 0.0), 1)) for m in months_list]


async def stall_occupancy(
    unit: Unit, days: int = DAYS, sites: int = SITES
) -> list[tuple[str, str | None, date, int]]:
    """For the open sites running in the next `days` days: the share of their stalls held
    (offered or confirmed) on each day they run."""
    today = _local_day(unit, unit.now)
    last = today + timedelta(days=days - 1)
    site_rows = (
        (
            await unit.session.execute(
                select(Site)
                .where(Site.is_open, Site.start_date <= last, Site.end_date >= today)
                .order_by(Site.start_date, Site.id)
                .limit(sites)
            )
        )
        .scalars()
        .all()
    )
    result: list[tuple[str, str | None, date, int]] = []
    for site in site_rows:
        total = site.food_stalls + site.nonfood_stalls
        held = (
            await unit.session.execute(
                select(StallRequest.start_date, StallRequest.end_date).where(
                    StallRequest.site_id == site.id,
                    StallRequest.status.in_((APPROVED, CONFIRMED)),
                )
            )
        ).all()
        day = max(today, site.start_date)
        while day <= min(last, site.end_date):
            n = sum(1 for start, end in held if start <= day <= end)
            result.append((site.name_ar, site.name_en, day, n * 100 // total if total else 0))
            day += timedelta(days=1)
    return result


async def broadcast_outcomes(unit: Unit, last: int = LAST_BROADCASTS) -> list[Outcome]:
    """How the last broadcasts that went out were delivered, oldest first."""
    lines = await list_broadcasts(unit, 0, last * 2)
    went = [line for line in lines if line.total][:last]
    return [
        Outcome(line.broadcast.id, {k: line.counts.get(k, 0) for k in OUTCOMES})
        for line in reversed(went)
    ]


async def overview(unit: Unit) -> Overview:
    """Everything the overview page shows, read in the request's transaction."""
    from bot.services.broadcasts import sending_broadcasts

    sending = [BroadcastLine(p.broadcast, p.counts) for p in await sending_broadcasts(unit)]
    return Overview(
        await waiting(unit),
        await open_shifts(unit),
        sending,
        await signups_per_week(unit),
        await hours_per_month(unit),
        await stall_occupancy(unit),
        await broadcast_outcomes(unit),
    )


# --- the audit log -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit log; empty ones are left out. `until` is inclusive (a day)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None


def _audit_where(unit: Unit, f: AuditFilter) -> ColumnElement[bool]:
    tz = ZoneInfo(unit.timezone)
    conditions: list[ColumnElement[bool]] = []
    if f.actor:
        conditions.append(AuditLog.actor == f.actor)
    if f.action:
        # An action or a family of them ("broadcast" finds broadcast.created, .stopped …).
        conditions.append(AuditLog.action.like(f"{_escape(f.action)}%", escape="\\"))
    if f.target:
        conditions.append(cast(AuditLog.target, String).like(f"{_escape(f.target)}%", escape="\\"))
    if f.since:
        conditions.append(AuditLog.created_at >= datetime.combine(f.since, datetime.min.time(), tz))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), datetime.min.time(), tz)
        conditions.append(AuditLog.created_at < end)
    return and_(*conditions) if conditions else and_(AuditLog.id.is_not(None))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def count_audit(unit: Unit, f: AuditFilter) -> int:
    require_staff(unit.actor)
    return await _count(unit, select(func.count(AuditLog.id)).where(_audit_where(unit, f)))


async def list_audit(
    unit: Unit, f: AuditFilter, offset: int, size: int, *, oldest_first: bool = False
) -> list[AuditLog]:
    """Audit rows as they are stored (actor, action, target, details), newest first."""
    require_staff(unit.actor)
    order = AuditLog.id.asc() if oldest_first else AuditLog.id.desc()
    stmt = select(AuditLog).where(_audit_where(unit, f)).order_by(order).offset(offset).limit(size)
    return list((await unit.session.execute(stmt)).scalars().all())


__all__ = [
    "AuditFilter",
    "Broadcast",
    "OpenShift",
    "Outcome",
    "Overview",
    "Waiting",
    "broadcast_outcomes",
    "count_audit",
    "hours_per_month",
    "list_audit",
    "open_shifts",
    "overview",
    "signups_per_week",
    "stall_occupancy",
    "waiting",
]
