"""Productive families, the rules of a stall request's life (issue 5): a family applies to a
site, staff review it (offer a stall, waitlist, reject, ask for information), the family answers,
confirms or declines an offer, offers not confirmed in time expire, and every freed stall goes to
the oldest waiting family of its site and type. Registration and sites are in `family_sites`.

Every change of a request is written to its history (`storage.families`); what staff or the
system decide is also told to the family (`notify_change`) and staff decisions are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from bot.core.dates import local_day
from bot.core.unit import SYSTEM, Unit
from bot.services import reserved_stalls, staff_notices
from bot.services.errors import Conflict, NotFound, ServiceError, require_staff
from bot.services.family_notices import (
    notify_change,
    offer_hours,
    released_note,
    tell_staff_stall_freed,
)
from storage import families as fam
from storage.db import add_unique
from storage.models_families import (
    ACTIVE_STATUSES,
    APPROVED,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HOLDS_STALL,
    NEEDS_INFO,
    REJECTED,
    SUBMITTED,
    UNDER_REVIEW,
    WAITLISTED,
    Family,
    Site,
    StallRequest,
)

FOOD = "food"
FOOD_CATEGORIES = frozenset({"food", "sweets", "coffee", "honey"})

# Which staff decision a request's status allows.
CAN_APPROVE = (SUBMITTED, UNDER_REVIEW, WAITLISTED)
CAN_REJECT = (SUBMITTED, UNDER_REVIEW, NEEDS_INFO, WAITLISTED)
CAN_ASK = (SUBMITTED, UNDER_REVIEW)
CAN_WAITLIST = (SUBMITTED, UNDER_REVIEW)
CAN_RELEASE = HOLDS_STALL  # an offered or confirmed stall staff take back
RELEASE_REASON_MAX = 300
DEFAULT_REASON = "other"


# --- errors a door shows next to a field, or with a status ------------------------------------
class FieldProblem(ServiceError):
    """A value the person gave breaks a rule; `field` names it (the service's parameter or
    the attribute of its input, which a form maps to the question to ask again; None: the
    form cannot go on). Parameters that are dates are `date`s, rendered by the door
    in the person's language."""

    def __init__(self, msgid: str, field: str | None = None, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.field = field


class StatusConflict(Conflict):
    """The request is no longer in a state that allows the action; `status` is where it is
    now (the door shows it with its label)."""

    def __init__(self, msgid: str, status: str, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.status = status


class NotRegistered(NotFound):
    msgid = "fam.err.register_first"


def needs_food_certificate(categories: list[str]) -> bool:
    return any(c in FOOD_CATEGORIES for c in categories)


# --- applying -------------------------------------------------------------------------------------
def eligibility_problem(unit: Unit, site: Site, family: Family) -> str | None:
    """Why this family cannot apply to this site now (a message id), or None."""
    if not site.is_open or site.end_date < local_day(unit.now, unit.timezone):
        return "fam.err.site_closed"
    if site.deadline < unit.now:
        return "fam.err.deadline_passed"
    if site.saudi_only and not family.national_id.startswith("1"):
        return "fam.err.saudi_only"
    if site.women_only and family.applicant_gender != "f":
        return "fam.err.women_only"
    if site.nonfood_stalls <= 0 and not family.health_cert_number:
        return "fam.err.food_only_site"  # its only stalls need a health certificate
    return None


async def check_can_apply(unit: Unit, site_id: int) -> Site:
    """The site, when the acting person's family may request a stall there now."""
    assert unit.actor.user_id is not None
    family = await fam.family_for_user(unit.session, unit.actor.user_id)
    if family is None:
        raise NotRegistered()
    site = await fam.get_site(unit.session, site_id)
    problem = "fam.err.site_closed" if site is None else eligibility_problem(unit, site, family)
    if (
        problem is None
        and site is not None
        and await fam.active_request(unit.session, family.id, site.id) is not None
    ):
        problem = "fam.err.already_requested"
    if problem is not None or site is None:
        raise Conflict(problem)
    return site


async def submit_request(
    unit: Unit, site_id: int, stall_type: str, start: date, end: date
) -> StallRequest:
    """The acting person's family asks for a stall of `stall_type` at a site, from `start` to
    `end`: within the site's dates, covered by the family's documents, one active request per
    family and site."""
    assert unit.actor.user_id is not None
    site = await fam.get_site(unit.session, site_id)
    family = await fam.family_for_user(unit.session, unit.actor.user_id)
    if site is None or family is None:
        raise FieldProblem("fam.err.site_gone")
    problem = eligibility_problem(unit, site, family)
    if problem is not None:
        raise FieldProblem(problem)
    if site.capacity(stall_type) <= 0:
        raise FieldProblem("form.err.choose", "stall_type")
    first, last = site.start_date, site.end_date
    if not (first <= start <= last and first <= end <= last):
        raise FieldProblem("fam.err.date_range", "start", start=first, end=last)
    if end < start:
        raise FieldProblem("fam.err.end_before_start", "end")
    if family.freelance_doc_expiry < end:
        raise FieldProblem("fam.err.freelance_expires", "end", date=family.freelance_doc_expiry)
    if stall_type == FOOD:
        expiry = family.health_cert_expiry
        if not family.health_cert_number or expiry is None:
            raise FieldProblem("fam.err.health_missing", "stall_type")
        if expiry < end:
            raise FieldProblem("fam.err.health_expires", "end", date=expiry)
    request = StallRequest(
        family_id=family.id,
        site_id=site.id,
        stall_type=stall_type,
        start_date=start,
        end_date=end,
        status=SUBMITTED,
        created_at=unit.now,
        updated_at=unit.now,
    )
    # The partial unique index keeps one active request per family and site.
    if not await add_unique(unit.session, request):
        raise FieldProblem("fam.err.already_requested")
    await fam.record_change(unit.session, request, None, unit.actor.label, unit.now)
    await staff_notices.request_submitted(unit, request)
    return request


# --- the family's own requests -------------------------------------------------------------------
async def own_request(unit: Unit, request_id: int) -> tuple[StallRequest, Site] | None:
    """The request, locked, if it belongs to the acting person's family."""
    if unit.actor.user_id is None:
        return None
    family = await fam.family_for_user(unit.session, unit.actor.user_id)
    request = await fam.get_request(unit.session, request_id, lock=True)
    if family is None or request is None or request.family_id != family.id:
        return None
    site = await fam.get_site(unit.session, request.site_id)
    return None if site is None else (request, site)


async def cancel_request(unit: Unit, request_id: int) -> StallRequest:
    """The family withdraws an active request; a stall it held goes to the waiting list."""
    found = await own_request(unit, request_id)
    if found is None or found[0].status not in ACTIVE_STATUSES:
        raise Conflict("fam.my.cannot_cancel", id=request_id)
    request, site = found
    held = request.status in HOLDS_STALL
    await fam.set_status(unit.session, request, CANCELLED, unit.actor.label, unit.now)
    if held:
        await pass_on(unit, site, request.stall_type)
    return request


class OfferOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # confirmed before: nothing changed
    TOO_LATE = "too_late"  # expired, and the stall went (or goes now) to someone else


@dataclass(frozen=True, slots=True)
class OfferAnswer:
    outcome: OfferOutcome
    request: StallRequest
    site: Site


async def offered_request(unit: Unit, request_id: int) -> tuple[StallRequest, Site]:
    """The family's own request an offer's button names."""
    found = await own_request(unit, request_id)
    if found is None:
        raise NotFound("fam.offer.unknown")
    return found


async def confirm_offer(unit: Unit, request_id: int) -> OfferAnswer:
    """Confirmed in time: the stall is the family's. Late: honoured only while nobody is
    waiting for that type of stall and one is free (the stall may have gone already)."""
    request, site = await offered_request(unit, request_id)
    if request.status == CONFIRMED:
        return OfferAnswer(OfferOutcome.ALREADY, request, site)
    if request.status not in (APPROVED, EXPIRED):
        raise StatusConflict("fam.offer.closed", request.status)
    late = OfferAnswer(OfferOutcome.TOO_LATE, request, site)
    waiting = await fam.has_waitlist(unit.session, site.id, request.stall_type)
    in_time = request.offer_expires_at is not None and unit.now <= request.offer_expires_at
    if request.status == APPROVED and (in_time or not waiting):
        await fam.confirm_offer(unit.session, request, unit.actor.label, unit.now)
    elif request.status == APPROVED:
        await expire_offer(unit, request, site)  # what the periodic job would do
        return late
    else:  # expired: take a free stall if there is still one
        other = await fam.active_request(unit.session, request.family_id, site.id)
        if waiting or other is not None or site.end_date < local_day(unit.now, unit.timezone):
            return late
        change = await fam.allocate(
            unit.session,
            request,
            site,
            status=CONFIRMED,
            actor=unit.actor.label,
            now=unit.now,
            offer_hours=0,
        )
        if change is None:
            return late
    return OfferAnswer(OfferOutcome.CONFIRMED, request, site)


async def decline_offer(unit: Unit, request_id: int) -> StallRequest:
    """The family gives an offered (or confirmed) stall back; it goes to the waiting list."""
    request, site = await offered_request(unit, request_id)
    if request.status not in HOLDS_STALL:
        raise StatusConflict("fam.offer.closed", request.status)
    number = request.stall_number
    await fam.set_status(
        unit.session, request, CANCELLED, unit.actor.label, unit.now, f"declined stall {number}"
    )
    await pass_on(unit, site, request.stall_type)
    return request


async def check_needs_info(unit: Unit, request_id: int) -> StallRequest:
    """The family's own request, when staff are waiting for its answer."""
    found = await own_request(unit, request_id)
    if found is None or found[0].status != NEEDS_INFO:
        raise Conflict("fam.info.not_needed")
    return found[0]


async def answer_information(unit: Unit, request_id: int, answer: str) -> StallRequest:
    """The family answers staff's question; the request goes back to review."""
    request = await check_needs_info(unit, request_id)
    request.info_reply = answer
    change = await fam.set_status(unit.session, request, UNDER_REVIEW, unit.actor.label, unit.now)
    await staff_notices.information_answered(unit, request, change.id)
    return request


# --- staff review --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reviewed:
    request: StallRequest
    family: Family
    site: Site


async def start_review(unit: Unit, request_id: int) -> Reviewed:
    """Staff open a request; opening a new one is the start of its review (the family is
    told, the audit log says who)."""
    require_staff(unit.actor)
    request = await fam.get_request(unit.session, request_id, lock=True)
    if request is None:
        raise NotFound("fam.rev.gone")
    site = await fam.get_site(unit.session, request.site_id)
    family = await unit.session.get(Family, request.family_id)
    assert site is not None and family is not None
    if request.status == SUBMITTED:
        change = await fam.set_status(
            unit.session, request, UNDER_REVIEW, unit.actor.label, unit.now
        )
        await notify_change(unit, request, site, change)
        await unit.audit("stall_request.review", f"stall_request:{request_id}")
    return Reviewed(request, family, site)


async def _decidable(
    unit: Unit, request_id: int, allowed: tuple[str, ...]
) -> tuple[StallRequest, Site]:
    """The request, locked and re-read: another staff member may have decided meanwhile."""
    require_staff(unit.actor)
    request = await fam.get_request(unit.session, request_id, lock=True)
    site = await fam.get_site(unit.session, request.site_id) if request else None
    if request is None or site is None:
        raise NotFound("fam.rev.gone")
    if request.status not in allowed:
        raise StatusConflict("fam.rev.changed", request.status, id=request_id)
    return request, site


@dataclass(frozen=True, slots=True)
class Offer:
    request: StallRequest
    site: Site
    wanted: int | None  # the number staff asked for, if any

    @property
    def number_taken(self) -> bool:
        """Staff wanted a number that was gone; the request got another one."""
        return self.wanted is not None and self.request.stall_number != self.wanted


async def approve_request(unit: Unit, request_id: int, stall: int | None = None) -> Offer:
    """Offer the family a stall (number `stall` if still free, else the lowest free one),
    held for them until the offer expires."""
    request, site = await _decidable(unit, request_id, CAN_APPROVE)
    await reserved_stalls.verify_on_decision(unit, request)  # may then take a reserved stall
    change = await fam.allocate(
        unit.session,
        request,
        site,
        status=APPROVED,
        actor=unit.actor.label,
        now=unit.now,
        offer_hours=offer_hours(unit.settings),
        preferred=stall,
    )
    if change is None:
        raise Conflict("fam.rev.no_stall")
    await notify_change(unit, request, site, change)
    await unit.audit(
        "stall_request.approved", f"stall_request:{request_id}", stall=request.stall_number
    )
    return Offer(request, site, stall)


async def _decide(
    unit: Unit,
    request_id: int,
    status: str,
    allowed: tuple[str, ...],
    *,
    reason: str | None = None,
    note: str | None = None,
) -> StallRequest:
    request, site = await _decidable(unit, request_id, allowed)
    if status == WAITLISTED:
        await reserved_stalls.verify_on_decision(unit, request)
    if status == REJECTED:
        request.reject_reason = reason or DEFAULT_REASON
        request.reject_note = note
    elif status == NEEDS_INFO:
        request.info_request = note
        request.info_reply = None
    change = await fam.set_status(
        unit.session,
        request,
        status,
        unit.actor.label,
        unit.now,
        reason if status == REJECTED else None,
    )
    await notify_change(unit, request, site, change)
    details: dict[str, Any] = {"reason": reason} if status == REJECTED else {}
    await unit.audit(f"stall_request.{status}", f"stall_request:{request_id}", **details)
    return request


async def waitlist_request(unit: Unit, request_id: int) -> StallRequest:
    """No stall now: the family waits for one to free up (first come, first offered)."""
    return await _decide(unit, request_id, WAITLISTED, CAN_WAITLIST)


async def reject_request(
    unit: Unit, request_id: int, reason: str | None, note: str | None = None
) -> StallRequest:
    return await _decide(unit, request_id, REJECTED, CAN_REJECT, reason=reason, note=note)


async def ask_information(unit: Unit, request_id: int, question: str) -> StallRequest:
    return await _decide(unit, request_id, NEEDS_INFO, CAN_ASK, note=question)


async def release_stall(unit: Unit, request_id: int, reason: str) -> StallRequest:
    """Staff take back a stall a family holds (offered or confirmed), with a reason the
    family is told; the stall goes to the next waiting family by the waitlist rule."""
    reason = reason.strip()[:RELEASE_REASON_MAX]
    if not reason:
        raise FieldProblem("err.empty", "reason")
    request, site = await _decidable(unit, request_id, CAN_RELEASE)
    number = request.stall_number
    change = await fam.set_status(
        unit.session, request, CANCELLED, unit.actor.label, unit.now, released_note(number, reason)
    )
    await notify_change(unit, request, site, change)
    await unit.audit(
        "stall_request.released", f"stall_request:{request_id}", stall=number, reason=reason
    )
    await pass_on(unit, site, request.stall_type)
    return request


# --- freed stalls and expired offers -------------------------------------------------------------
async def pass_on(unit: Unit, site: Site, stall_type: str, actor: str = SYSTEM) -> int:
    """Offer free stalls of a site and type to the waiting list, oldest first; returns how
    many offers were made. The history names the system as the one offering (a freed stall
    moves on by the rule, whoever freed it) unless staff added the stalls (`actor`)."""
    offered = 0
    while True:
        waiting = await reserved_stalls.next_in_line(unit, site, stall_type)
        if waiting is None:
            return offered
        change = await fam.allocate(
            unit.session,
            waiting,
            site,
            status=APPROVED,
            actor=actor,
            now=unit.now,
            offer_hours=offer_hours(unit.settings),
        )
        if change is None:
            return offered
        await notify_change(unit, waiting, site, change)
        offered += 1


async def expire_offer(unit: Unit, request: StallRequest, site: Site) -> None:
    """An offer not confirmed in time: the family is told and the stall goes to the next
    waiting family of that site and type (the system acts, whoever noticed)."""
    number = request.stall_number
    change = await fam.set_status(
        unit.session, request, EXPIRED, SYSTEM, unit.now, f"stall {number}"
    )
    await notify_change(unit, request, site, change)
    await pass_on(unit, site, request.stall_type)


async def expire_due_offers(unit: Unit) -> int:
    """The periodic job's work: expire unconfirmed offers, pass their stalls on; returns how
    many notices the unit has queued."""
    for request in await fam.due_offers(unit.session, unit.now):
        site = await fam.get_site(unit.session, request.site_id)
        assert site is not None
        await expire_offer(unit, request, site)
    return unit.notifier.queued


async def release_person(unit: Unit, user_id: int) -> None:
    """Before a person's data is deleted: the stalls their family holds go to the waiting
    list and the staff are told (the rows themselves go with the deletion's cascade)."""
    family = await fam.family_for_user(unit.session, user_id)
    if family is None:
        return
    for request, site in await fam.family_requests(unit.session, family.id):
        if request.status in HOLDS_STALL:
            number = request.stall_number  # the cancellation lets go of it
            await fam.set_status(
                unit.session, request, CANCELLED, unit.actor.label, unit.now, "data deleted"
            )
            offered = await pass_on(unit, site, request.stall_type)
            await tell_staff_stall_freed(unit, request, site, number, offered_next=offered > 0)
