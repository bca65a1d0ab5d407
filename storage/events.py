"""Events and their shifts: the reading queries, and whether a shift is open.

Registrations (seats, waitlists, promotions) are in `storage.registrations`, attendance and
hours in `storage.attendance`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, and_, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from storage.models_events import Event, Shift

PUBLISHED = "published"
ACTIVE = "active"
EVENT_CANCELLED = "cancelled"
SHIFT_CANCELLED = "cancelled"


async def get_event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def get_shift(session: AsyncSession, shift_id: int) -> Shift | None:
    return await session.get(Shift, shift_id)


async def shifts_of(
    session: AsyncSession, event_id: int, *, include_cancelled: bool = False
) -> list[Shift]:
    stmt = select(Shift).where(Shift.event_id == event_id)
    if not include_cancelled:
        stmt = stmt.where(Shift.status == ACTIVE)
    stmt = stmt.order_by(Shift.starts_at, Shift.id)
    return list((await session.execute(stmt)).scalars())


async def list_events(
    session: AsyncSession,
    *,
    now: datetime,
    event_type: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    offset: int = 0,
    limit: int = 5,
    staff_days_back: int | None = None,
    access: tuple[str, ...] = (),
) -> tuple[list[Event], int]:
    """Events not over yet (published only), optionally of one type and overlapping the
    [date_from, date_to) range; `staff_days_back` lists recent and cancelled ones too;
    `access`: only events (or one of their shifts, with the event's features) offering all of
    these accessibility features."""
    conditions = []
    if staff_days_back is None:
        conditions += [Event.status == PUBLISHED, Event.ends_at > now]
    else:
        conditions.append(Event.ends_at > now - timedelta(days=staff_days_back))
    if event_type:
        conditions.append(Event.type == event_type)
    if date_from is not None:
        conditions.append(Event.ends_at > date_from)
    if date_to is not None:
        conditions.append(Event.starts_at < date_to)
    if access:
        conditions.append(offers_all_sql(access))
    total = int(
        (await session.execute(select(func.count(Event.id)).where(*conditions))).scalar_one()
    )
    rows = await session.execute(
        select(Event)
        .where(*conditions)
        .order_by(Event.starts_at, Event.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), total


def _has(column: InstrumentedAttribute[list[str] | None], feature: str) -> ColumnElement[bool]:
    """The JSON list holds `feature` (the list's text has it quoted; `_` is escaped)."""
    quoted = '"' + feature.replace("_", "\\_") + '"'
    return cast(column, String).like(f"%{quoted}%", escape="\\")


def offers_all_sql(features: tuple[str, ...]) -> ColumnElement[bool]:
    """The event offers every feature, or one of its live shifts does with the event's."""
    on_event = and_(*[_has(Event.access, f) for f in features])
    on_shift = exists(
        select(Shift.id).where(
            Shift.event_id == Event.id,
            Shift.status == ACTIVE,
            *[or_(_has(Event.access, f), _has(Shift.access, f)) for f in features],
        )
    )
    return or_(on_event, on_shift)


def is_open(event: Event, shift: Shift, now: datetime) -> bool:
    """Volunteers may register (or be promoted) only before the start of a live shift."""
    return event.status == PUBLISHED and shift.status == ACTIVE and shift.starts_at > now
