"""Productive families at the staff desk (the web workspace, issue 13): the request queue with
its filters, a request's whole file, decisions on many requests at once, the sites and their
confirmed stalls per day. Reads for staff, and bulk decisions that go through the one-request
services of `families` (the rules stay there); nothing here changes a request by itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from bot.core.dates import day_start
from bot.core.unit import Unit
from bot.services import families as svc
from bot.services import reserved_stalls, staff_notices
from bot.services.errors import NotFound, ServiceError, require_staff
from storage import families as fam
from storage.models_families import CONFIRMED, Family, Site, StallRequest, StallRequestChange

HEALTH = "health"
FREELANCE = "freelance"

# The queue's sortable columns (the web table's `sort` values) and what they order by.
QUEUE_SORTS: dict[str, Any] = {
    "id": StallRequest.id,
    "created": StallRequest.created_at,
    "family": Family.family_name,
    "site": Site.name_ar,
    "type": StallRequest.stall_type,
    "status": StallRequest.status,
    "start": StallRequest.start_date,
}


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which requests the queue shows; None: any. `since`/`until` are local days of
    submission, both included."""

    site_id: int | None = None
    status: str | None = None
    stall_type: str | None = None
    since: date | None = None
    until: date | None = None


# Two filters beside the statuses: what the overview counts as waiting (the digest's buckets,
# staff_notices.waiting_buckets), so its links open exactly the requests it counted.
TO_REVIEW, ANSWERED = "to_review", "answered"


@dataclass(frozen=True, slots=True)
class QueueRow:
    request: StallRequest
    family: Family
    site: Site


def _filtered(unit: Unit, stmt: Any, where: QueueFilter) -> Any:
    # `stmt` is a Select of any columns (SQLAlchemy's variadic generics don't unify here).
    stmt = stmt.join(Family, Family.id == StallRequest.family_id).join(
        Site, Site.id == StallRequest.site_id
    )
    if where.site_id is not None:
        stmt = stmt.where(StallRequest.site_id == where.site_id)
    if where.status == TO_REVIEW:
        stmt = stmt.where(*staff_notices.waiting_buckets()[0])
    elif where.status == ANSWERED:
        stmt = stmt.where(*staff_notices.waiting_buckets()[1])
    elif where.status:
        stmt = stmt.where(StallRequest.status == where.status)
    if where.stall_type:
        stmt = stmt.where(StallRequest.stall_type == where.stall_type)
    if where.since is not None:
        stmt = stmt.where(StallRequest.created_at >= day_start(where.since, unit.timezone))
    if where.until is not None:
        next_day = day_start(where.until + timedelta(days=1), unit.timezone)
        stmt = stmt.where(StallRequest.created_at < next_day)
    return stmt


async def count_queue(unit: Unit, where: QueueFilter) -> int:
    require_staff(unit.actor)
    stmt = _filtered(unit, select(func.count(StallRequest.id)), where)
    return int((await unit.session.execute(stmt)).scalar_one())


async def list_queue(
    unit: Unit, where: QueueFilter, sort: str, descending: bool, offset: int, limit: int
) -> list[QueueRow]:
    """One page of the queue; an unknown `sort` orders by submission."""
    require_staff(unit.actor)
    column = QUEUE_SORTS.get(sort, StallRequest.created_at)
    order = (column.desc(), StallRequest.id.desc()) if descending else (column, StallRequest.id)
    stmt = _filtered(unit, select(StallRequest, Family, Site), where)
    stmt = stmt.order_by(*order).offset(offset).limit(limit)
    return [QueueRow(r, f, s) for r, f, s in (await unit.session.execute(stmt)).all()]


# --- one request's file ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # FREELANCE | HEALTH
    number: str
    expiry: date
    expires_early: bool  # before the last day the family asked for


@dataclass(frozen=True, slots=True)
class RequestFile:
    request: StallRequest
    family: Family
    site: Site
    documents: tuple[Document, ...]
    photos: int  # product photos sent in chat (platform file ids: not viewable on the web)
    history: tuple[StallRequestChange, ...]
    free_numbers: tuple[int, ...]  # free stalls of the request's site and type

    @property
    def documents_expire_early(self) -> bool:
        return any(d.expires_early for d in self.documents)


async def request_file(unit: Unit, request_id: int) -> RequestFile:
    """Everything staff need to decide on a request. Reading changes nothing (the chat's
    opening of a new request starts its review; a web page's GET does not)."""
    require_staff(unit.actor)
    request = await fam.get_request(unit.session, request_id)
    site = await fam.get_site(unit.session, request.site_id) if request else None
    family = await unit.session.get(Family, request.family_id) if request else None
    if request is None or site is None or family is None:
        raise NotFound("fam.rev.gone")
    end = request.end_date
    documents = [
        Document(
            FREELANCE,
            family.freelance_doc_number,
            family.freelance_doc_expiry,
            family.freelance_doc_expiry < end,
        )
    ]
    if family.health_cert_number and family.health_cert_expiry:
        # Only a food stall needs the certificate; the warning follows the submit rule.
        early = request.stall_type == svc.FOOD and family.health_cert_expiry < end
        documents.append(
            Document(HEALTH, family.health_cert_number, family.health_cert_expiry, early)
        )
    free = await reserved_stalls.free_for(unit, site, request)
    return RequestFile(
        request,
        family,
        site,
        tuple(documents),
        len(family.photos or []),
        tuple(await fam.history(unit.session, request.id)),
        tuple(free),
    )


# --- many requests at once ------------------------------------------------------------------------
class BulkAction(StrEnum):
    REJECT = "reject"
    WAITLIST = "waitlist"


@dataclass(frozen=True, slots=True)
class Refusal:
    request_id: int
    error: ServiceError


@dataclass(frozen=True, slots=True)
class BulkResult:
    done: tuple[int, ...]
    refused: tuple[Refusal, ...]


async def bulk_decide(
    unit: Unit,
    request_ids: Sequence[int],
    action: BulkAction,
    reason: str | None = None,
    note: str | None = None,
) -> BulkResult:
    """Reject or waitlist each request through its one-request service, each in its own
    savepoint: a request the rule refuses is reported and leaves no trace, the others
    stand."""
    require_staff(unit.actor)
    done: list[int] = []
    refused: list[Refusal] = []
    for request_id in dict.fromkeys(request_ids):  # once each, in the order given
        try:
            async with unit.session.begin_nested():
                if action is BulkAction.REJECT:
                    await svc.reject_request(unit, request_id, reason, note)
                else:
                    await svc.waitlist_request(unit, request_id)
        except ServiceError as err:
            refused.append(Refusal(request_id, err))
        else:
            done.append(request_id)
    return BulkResult(tuple(done), tuple(refused))


# --- sites ----------------------------------------------------------------------------------------
async def list_sites(unit: Unit) -> Sequence[Site]:
    require_staff(unit.actor)
    return await fam.list_sites(unit.session)


async def get_site(unit: Unit, site_id: int) -> Site:
    require_staff(unit.actor)
    site = await fam.get_site(unit.session, site_id)
    if site is None:
        raise NotFound("fam.err.site_gone")
    return site


@dataclass(frozen=True, slots=True)
class ConfirmedStall:
    day: date
    stall_type: str
    number: int
    request_id: int
    family_name: str


async def confirmed_stalls(
    unit: Unit, site_id: int, day: date | None = None
) -> list[ConfirmedStall]:
    """The confirmed stalls of a site on each day of its period (or on `day`), by day, type
    and number: who stands where."""
    site = await get_site(unit, site_id)
    stmt = (
        select(StallRequest, Family)
        .join(Family, Family.id == StallRequest.family_id)
        .where(StallRequest.site_id == site.id, StallRequest.status == CONFIRMED)
    )
    held = [(r, f) for r, f in (await unit.session.execute(stmt)).all()]
    found: list[ConfirmedStall] = []
    current = site.start_date if day is None else day
    last = site.end_date if day is None else day
    while current <= last:
        for request, family in held:
            if request.start_date <= current <= request.end_date and request.stall_number:
                found.append(
                    ConfirmedStall(
                        current,
                        request.stall_type,
                        request.stall_number,
                        request.id,
                        family.family_name,
                    )
                )
        current += timedelta(days=1)
    found.sort(key=lambda s: (s.day, s.stall_type, s.number))
    return found
