"""Queries of partner initiatives (issue 15 item 2): who may propose one (a confirmed
representative of an approved partner), an initiative and its partner, the review queue, the
events opened for an initiative and the market sites such an event hosts.

Partner registration and membership are written elsewhere (`storage.partners`); here they are
only read."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import partners
from storage.models import User
from storage.models_events import CONFIRMED, Event, Shift, ShiftRegistration
from storage.models_families import Site
from storage.models_partners import (
    MEMBER_CONFIRMED,
    Initiative,
    Partner,
    PartnerMember,
)


async def represented_partner(session: AsyncSession, user_id: int) -> Partner | None:
    """The approved partner this person is a confirmed representative of (the oldest such
    membership, should there be several), or None: only they may propose initiatives."""
    found = await partners.acting_for(session, user_id)
    return found[0] if found else None


async def representatives(session: AsyncSession, partner_id: int) -> list[User]:
    """The confirmed representatives of a partner (whoever they are now: notices go to the
    organisation, not only to the one who proposed)."""
    stmt = (
        select(User)
        .join(PartnerMember, PartnerMember.user_id == User.id)
        .where(PartnerMember.partner_id == partner_id, PartnerMember.status == MEMBER_CONFIRMED)
        .order_by(User.id)
    )
    return list((await session.execute(stmt)).scalars())


async def get_initiative(
    session: AsyncSession, initiative_id: int, *, lock: bool = False
) -> Initiative | None:
    """With `lock`, locked and re-read, so a decision is taken on the latest status."""
    stmt = select(Initiative).where(Initiative.id == initiative_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def partner_initiatives(
    session: AsyncSession, partner_id: int, limit: int = 20
) -> list[Initiative]:
    stmt = (
        select(Initiative)
        .where(Initiative.partner_id == partner_id)
        .order_by(Initiative.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def count_initiatives(session: AsyncSession, status: str | None) -> int:
    stmt = select(func.count()).select_from(Initiative)
    if status:
        stmt = stmt.where(Initiative.status == status)
    return int((await session.execute(stmt)).scalar_one())


async def list_initiatives(
    session: AsyncSession, status: str | None, offset: int, limit: int
) -> list[tuple[Initiative, Partner]]:
    """The queue, oldest first (first come, first reviewed), with each one's partner."""
    stmt = select(Initiative, Partner).join(Partner, Partner.id == Initiative.partner_id)
    if status:
        stmt = stmt.where(Initiative.status == status)
    stmt = stmt.order_by(Initiative.created_at, Initiative.id).offset(offset).limit(limit)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def events_of(session: AsyncSession, initiative_id: int) -> list[Event]:
    stmt = select(Event).where(Event.initiative_id == initiative_id).order_by(Event.starts_at)
    return list((await session.execute(stmt)).scalars())


async def partner_of_event(session: AsyncSession, event: Event) -> Partner | None:
    """The partner whose initiative the event was opened for, if any."""
    if event.initiative_id is None:
        return None
    stmt = (
        select(Partner)
        .join(Initiative, Initiative.partner_id == Partner.id)
        .where(Initiative.id == event.initiative_id)
    )
    return (await session.execute(stmt)).scalars().first()


async def confirmed_volunteers(session: AsyncSession, event_id: int) -> int:
    """How many volunteers hold a confirmed place in the event's shifts (each counted once)."""
    stmt = (
        select(func.count(func.distinct(ShiftRegistration.volunteer_id)))
        .join(Shift, Shift.id == ShiftRegistration.shift_id)
        .where(Shift.event_id == event_id, ShiftRegistration.status == CONFIRMED)
    )
    return int((await session.execute(stmt)).scalar_one())


async def sites_of_event(session: AsyncSession, event_id: int) -> list[Site]:
    stmt = select(Site).where(Site.event_id == event_id).order_by(Site.id)
    return list((await session.execute(stmt)).scalars())


async def open_sites(session: AsyncSession) -> list[Site]:
    """Sites staff may attach to an event (open ones, not yet attached elsewhere)."""
    stmt = select(Site).where(Site.is_open.is_(True), Site.event_id.is_(None)).order_by(Site.id)
    return list((await session.execute(stmt)).scalars())
