"""Queries and state changes for productive families, sites and stall requests (issue 5).

Capacity is the database's job: an allocated request (approved or confirmed) holds a stall
number in 1..capacity and the partial unique index `uq_stall_allocated` lets each number be
held once per site and type. `allocate` picks a number that looks free and, should a concurrent
transaction take it first, catches the unique violation inside a savepoint and tries the next
one, so the surrounding update is never lost and capacity is never exceeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.db import flushed_connection
from storage.models_families import (
    ACTIVE_STATUSES,
    APPROVED,
    CONFIRMED,
    HOLDS_STALL,
    SUBMITTED,
    UNDER_REVIEW,
    WAITLISTED,
    Family,
    Site,
    StallRequest,
    StallRequestChange,
)

STALL_TYPES = ("food", "nonfood")
PENDING_REVIEW = (SUBMITTED, UNDER_REVIEW)


# --- families ------------------------------------------------------------------------------------
async def family_for_user(session: AsyncSession, user_id: int) -> Family | None:
    stmt = select(Family).where(Family.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def family_nid_taken(
    db: AsyncSession | AsyncConnection, national_id: str, except_user_id: int | None = None
) -> bool:
    """Asked as the national ID is typed: a statement on the update's connection, no session
    needed (storage/lazy_session.py); what a session holds is flushed first."""
    stmt = select(Family.id).where(Family.national_id == national_id)
    if except_user_id is not None:
        stmt = stmt.where(Family.user_id != except_user_id)
    conn = await flushed_connection(db)
    return (await conn.execute(stmt.limit(1))).first() is not None


async def count_families(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(Family.id)))).scalar_one())


# --- sites ---------------------------------------------------------------------------------------
async def get_site(session: AsyncSession, site_id: int) -> Site | None:
    return await session.get(Site, site_id)


async def list_sites(session: AsyncSession) -> Sequence[Site]:
    """Every site, open ones first, then by start date."""
    stmt = select(Site).order_by(Site.is_open.desc(), Site.start_date, Site.id)
    return (await session.execute(stmt)).scalars().all()


async def open_sites(session: AsyncSession, now: datetime, today: date) -> Sequence[Site]:
    """Sites a family can apply to now: open, deadline not passed, not over."""
    stmt = (
        select(Site)
        .where(Site.is_open.is_(True), Site.deadline >= now, Site.end_date >= today)
        .order_by(Site.deadline, Site.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def held_numbers(session: AsyncSession, site_id: int, stall_type: str) -> set[int]:
    stmt = select(StallRequest.stall_number).where(
        StallRequest.site_id == site_id,
        StallRequest.stall_type == stall_type,
        StallRequest.status.in_(HOLDS_STALL),
        StallRequest.stall_number.is_not(None),
    )
    return {n for n in (await session.execute(stmt)).scalars() if n is not None}


def reserved_numbers(site: Site, stall_type: str) -> range:
    """The stall numbers kept for families in which a person with a disability works: the
    highest `reserved_stalls` numbers of the type (never more than it has)."""
    capacity = site.capacity(stall_type)
    kept = min(site.reserved_stalls or 0, capacity)
    return range(capacity - kept + 1, capacity + 1)


def may_take_reserved(request: StallRequest) -> bool:
    """A reserved stall goes only to a request that stated the proof (with its consent) and
    that staff verified."""
    return (
        request.disability_consent_at is not None
        and bool(request.disability_proof)
        and request.disability_verified_at is not None
    )


async def free_numbers(
    session: AsyncSession, site: Site, stall_type: str, reserved_ok: bool | None = None
) -> list[int]:
    """The free stall numbers; the one place the capacity rule lives. `reserved_ok` None:
    every free number (what is left to show); False: the reserved ones left out; True: the
    reserved ones first, so a family that may take one leaves the others to everyone."""
    held = await held_numbers(session, site.id, stall_type)
    free = [n for n in range(1, site.capacity(stall_type) + 1) if n not in held]
    if reserved_ok is None:
        return free
    kept = set(reserved_numbers(site, stall_type))
    general = [n for n in free if n not in kept]
    return [n for n in free if n in kept] + general if reserved_ok else general


async def highest_held(session: AsyncSession, site_id: int, stall_type: str) -> int:
    """The highest stall number in use (a site's capacity cannot go below it)."""
    return max(await held_numbers(session, site_id, stall_type), default=0)


# --- requests ------------------------------------------------------------------------------------
async def get_request(
    session: AsyncSession, request_id: int, *, lock: bool = False
) -> StallRequest | None:
    """With `lock`, the row is locked for this transaction (PostgreSQL `FOR UPDATE`; SQLite
    has one writer anyway) and re-read, so a decision is taken on the latest status."""
    stmt = select(StallRequest).where(StallRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_request(
    session: AsyncSession, family_id: int, site_id: int
) -> StallRequest | None:
    stmt = select(StallRequest).where(
        StallRequest.family_id == family_id,
        StallRequest.site_id == site_id,
        StallRequest.status.in_(ACTIVE_STATUSES),
    )
    return (await session.execute(stmt)).scalars().first()


async def family_requests(session: AsyncSession, family_id: int) -> list[tuple[StallRequest, Site]]:
    stmt = (
        select(StallRequest, Site)
        .join(Site, Site.id == StallRequest.site_id)
        .where(StallRequest.family_id == family_id)
        .order_by(StallRequest.created_at.desc(), StallRequest.id.desc())
    )
    return [(r, s) for r, s in (await session.execute(stmt)).all()]


async def _requests_with_family_and_site(
    session: AsyncSession,
    statuses: Sequence[str],
    since: InstrumentedAttribute[Any],
    limit: int,
    offset: int = 0,
) -> list[tuple[StallRequest, Family, Site]]:
    stmt = (
        select(StallRequest, Family, Site)
        .join(Family, Family.id == StallRequest.family_id)
        .join(Site, Site.id == StallRequest.site_id)
        .where(StallRequest.status.in_(statuses))
        .order_by(since, StallRequest.id)
        .offset(offset)
        .limit(limit)
    )
    return [(r, f, s) for r, f, s in (await session.execute(stmt)).all()]


async def review_queue(
    session: AsyncSession, limit: int = 10, offset: int = 0
) -> list[tuple[StallRequest, Family, Site]]:
    """Requests waiting for staff, oldest first."""
    return await _requests_with_family_and_site(
        session, PENDING_REVIEW, StallRequest.created_at, limit, offset
    )


async def waitlist(
    session: AsyncSession, limit: int = 10, offset: int = 0
) -> list[tuple[StallRequest, Family, Site]]:
    """Families waiting for a stall to free up, longest waiting first."""
    return await _requests_with_family_and_site(
        session, (WAITLISTED,), StallRequest.waitlisted_at, limit, offset
    )


async def status_counts(session: AsyncSession, site_id: int | None = None) -> dict[str, int]:
    stmt = select(StallRequest.status, func.count(StallRequest.id)).group_by(StallRequest.status)
    if site_id is not None:
        stmt = stmt.where(StallRequest.site_id == site_id)
    return {status: int(n) for status, n in (await session.execute(stmt)).all()}


async def site_requests(session: AsyncSession, site_id: int) -> list[tuple[StallRequest, Family]]:
    stmt = (
        select(StallRequest, Family)
        .join(Family, Family.id == StallRequest.family_id)
        .where(StallRequest.site_id == site_id)
        .order_by(StallRequest.created_at, StallRequest.id)
    )
    return [(r, f) for r, f in (await session.execute(stmt)).all()]


async def history(session: AsyncSession, request_id: int) -> Sequence[StallRequestChange]:
    stmt = (
        select(StallRequestChange)
        .where(StallRequestChange.request_id == request_id)
        .order_by(StallRequestChange.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def record_change(
    session: AsyncSession,
    request: StallRequest,
    from_status: str | None,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> StallRequestChange:
    change = StallRequestChange(
        request_id=request.id,
        from_status=from_status,
        to_status=request.status,
        actor=actor,
        note=note[:500] if note else None,
        created_at=now,
    )
    session.add(change)
    await session.flush()
    return change


async def set_status(
    session: AsyncSession,
    request: StallRequest,
    status: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> StallRequestChange:
    """A status change that holds no stall, written to the history."""
    before = request.status
    request.status = status
    if status not in HOLDS_STALL:
        request.stall_number = None
        request.offer_expires_at = None
    if status == WAITLISTED:
        request.waitlisted_at = now
    request.updated_at = now
    return await record_change(session, request, before, actor, now, note)


async def allocate(
    session: AsyncSession,
    request: StallRequest,
    site: Site,
    *,
    status: str,
    actor: str,
    now: datetime,
    offer_hours: float,
    preferred: int | None = None,
) -> StallRequestChange | None:
    """Give `request` a free stall number of its site and type and move it to `status`
    (approved: an offer held until `offer_hours` from now; confirmed: taken). Returns the
    history row, or None when no stall is left. `preferred` is tried first if still free."""
    assert status in HOLDS_STALL
    before = request.status
    tried: set[int] = set()
    for _ in range(site.capacity(request.stall_type) + 1):
        reserved_ok = may_take_reserved(request)
        offered = await free_numbers(session, site, request.stall_type, reserved_ok)
        free = [n for n in offered if n not in tried]
        if not free:
            return None
        number = preferred if preferred in free else free[0]
        preferred = None
        tried.add(number)
        try:
            # A savepoint: losing the race for this number must not undo the whole update.
            async with session.begin_nested():
                request.status = status
                request.stall_number = number
                request.offer_expires_at = (
                    now + timedelta(hours=offer_hours) if status == APPROVED else None
                )
                request.updated_at = now
                await session.flush()
        except IntegrityError:
            # Someone else holds that number now: re-read the request and try the next one.
            await session.refresh(request)
            continue
        return await record_change(session, request, before, actor, now, f"stall {number}")
    return None


async def confirm_offer(
    session: AsyncSession, request: StallRequest, actor: str, now: datetime
) -> StallRequestChange:
    """An offer accepted in time keeps its stall number."""
    assert request.status == APPROVED
    request.status = CONFIRMED
    request.offer_expires_at = None
    request.updated_at = now
    return await record_change(
        session, request, APPROVED, actor, now, f"stall {request.stall_number}"
    )


async def oldest_waitlisted(
    session: AsyncSession, site_id: int, stall_type: str, *, reserved_ok: bool = False
) -> StallRequest | None:
    """The first in the waiting line; with `reserved_ok`, the first of those that may take a
    reserved stall (`may_take_reserved`, as SQL)."""
    stmt = (
        select(StallRequest)
        .where(
            StallRequest.site_id == site_id,
            StallRequest.stall_type == stall_type,
            StallRequest.status == WAITLISTED,
        )
        .order_by(StallRequest.waitlisted_at, StallRequest.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if reserved_ok:
        stmt = stmt.where(
            StallRequest.disability_consent_at.is_not(None),
            StallRequest.disability_proof.is_not(None),
            StallRequest.disability_proof != "",
            StallRequest.disability_verified_at.is_not(None),
        )
    return (await session.execute(stmt)).scalar_one_or_none()


async def has_waitlist(session: AsyncSession, site_id: int, stall_type: str) -> bool:
    stmt = select(StallRequest.id).where(
        StallRequest.site_id == site_id,
        StallRequest.stall_type == stall_type,
        StallRequest.status == WAITLISTED,
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def due_offers(session: AsyncSession, now: datetime, limit: int = 200) -> list[StallRequest]:
    """Offers not confirmed in time; rows another worker is handling are skipped."""
    stmt = (
        select(StallRequest)
        .where(StallRequest.status == APPROVED, StallRequest.offer_expires_at <= now)
        .order_by(StallRequest.offer_expires_at, StallRequest.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars().all())
