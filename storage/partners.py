"""Partner organisations and their representatives: the queries the partner services use."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User
from storage.models_partners import (
    APPROVED,
    MEMBER_CONFIRMED,
    MEMBER_PENDING,
    REJECTED,
    WITHDRAWN,
    Initiative,
    Partner,
    PartnerMember,
)

# A registration that still stands: a number held by one of these cannot be registered again.
ENDED = (REJECTED, WITHDRAWN)


async def get_partner(
    session: AsyncSession, partner_id: int, *, lock: bool = False
) -> Partner | None:
    stmt = select(Partner).where(Partner.id == partner_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_number(session: AsyncSession, number: str) -> Partner | None:
    """The registration that holds a number (rejected or withdrawn ones do not)."""
    stmt = (
        select(Partner)
        .where(Partner.reg_number == number, Partner.status.not_in(ENDED))
        .order_by(Partner.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_partner(session: AsyncSession, partner: Partner) -> bool:
    """Insert a registration; False when its number is already held by a standing one (the
    unique index decides, so two people registering the same number at once cannot both
    succeed). A savepoint: losing that race leaves the rest of the transaction intact."""
    try:
        async with session.begin_nested():
            session.add(partner)
            await session.flush()
    except IntegrityError:
        return False
    return True


# One status, several (the review queue: new and waiting for an answer), or any (None).
Statuses = str | tuple[str, ...] | None


def _in_status(status: Statuses) -> Sequence[ColumnElement[bool]]:
    if not status:
        return ()
    return (Partner.status.in_((status,) if isinstance(status, str) else status),)


async def list_partners(
    session: AsyncSession, status: Statuses = None, *, offset: int = 0, limit: int = 50
) -> Sequence[Partner]:
    stmt = select(Partner).where(*_in_status(status))
    stmt = stmt.order_by(Partner.created_at.desc(), Partner.id.desc()).offset(offset).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def count_partners(session: AsyncSession, status: Statuses = None) -> int:
    stmt = select(func.count(Partner.id)).where(*_in_status(status))
    return int((await session.execute(stmt)).scalar_one())


async def approved_partners(
    session: AsyncSession, government_only: bool = False
) -> Sequence[Partner]:
    stmt = select(Partner).where(Partner.status == APPROVED)
    if government_only:
        stmt = stmt.where(Partner.type == "government")
    return (await session.execute(stmt.order_by(Partner.name_ar, Partner.id))).scalars().all()


async def member(
    session: AsyncSession, partner_id: int, user_id: int, *, lock: bool = False
) -> PartnerMember | None:
    stmt = select(PartnerMember).where(
        PartnerMember.partner_id == partner_id, PartnerMember.user_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_member(
    session: AsyncSession, member_id: int, *, lock: bool = False
) -> PartnerMember | None:
    stmt = select(PartnerMember).where(PartnerMember.id == member_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def members(session: AsyncSession, partner_id: int) -> Sequence[tuple[PartnerMember, User]]:
    stmt = (
        select(PartnerMember, User)
        .join(User, User.id == PartnerMember.user_id)
        .where(PartnerMember.partner_id == partner_id)
        .order_by(PartnerMember.id)
    )
    return [(m, u) for m, u in (await session.execute(stmt)).all()]


async def memberships(
    session: AsyncSession, user_id: int
) -> Sequence[tuple[PartnerMember, Partner]]:
    """A person's standing with each organisation they registered or asked to join."""
    stmt = (
        select(PartnerMember, Partner)
        .join(Partner, Partner.id == PartnerMember.partner_id)
        .where(PartnerMember.user_id == user_id)
        .order_by(PartnerMember.id)
    )
    return [(m, p) for m, p in (await session.execute(stmt)).all()]


def acts_for(user_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """The one definition of who may act for a partner (initiatives use it too): a confirmed
    representative of an approved partner; a condition on `partners` joined to their
    membership."""
    return and_(
        PartnerMember.partner_id == Partner.id,
        PartnerMember.user_id == user_id,
        PartnerMember.status == MEMBER_CONFIRMED,
        Partner.status == APPROVED,
    )


async def acting_for(session: AsyncSession, user_id: int) -> Sequence[Partner]:
    """The approved partners a person is a confirmed representative of: those they act for."""
    stmt = (
        select(Partner)
        .join(PartnerMember, acts_for(user_id))
        .order_by(PartnerMember.id)  # in the order they became representatives
    )
    return (await session.execute(stmt)).scalars().all()


async def pending_members(session: AsyncSession) -> Sequence[tuple[PartnerMember, Partner, User]]:
    """Representatives waiting for staff, of approved partners (the one who registered a
    partner is decided with it; others who asked meanwhile are listed once it is approved)."""
    stmt = (
        select(PartnerMember, Partner, User)
        .join(Partner, Partner.id == PartnerMember.partner_id)
        .join(User, User.id == PartnerMember.user_id)
        .where(PartnerMember.status == MEMBER_PENDING, Partner.status == APPROVED)
        .order_by(PartnerMember.id)
    )
    return [(m, p, u) for m, p, u in (await session.execute(stmt)).all()]


async def initiatives(session: AsyncSession, partner_id: int) -> Sequence[Initiative]:
    stmt = (
        select(Initiative)
        .where(Initiative.partner_id == partner_id)
        .order_by(Initiative.start_date.desc(), Initiative.id.desc())
    )
    return (await session.execute(stmt)).scalars().all()
