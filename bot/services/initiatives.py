"""Partner initiatives (issue 15 item 2): a confirmed representative of an approved partner
proposes one; staff review it like a stall request (approve, reject with a note, ask for
information, which the representative answers); an approved initiative gets events and shifts
(`open_event_for_initiative`); an exhibition or national-occasion event can host a market site
(`attach_site`), where families then request stalls by the stall-request rules.

Staff decisions are audited and told to the partner's representatives
(`initiative_notices`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.dates import local_day
from bot.core.unit import Unit
from bot.services import events as event_service
from bot.services.errors import Conflict, Forbidden, NotFound, require_staff
from bot.services.families import FieldProblem
from bot.services.initiative_notices import tell_decision, tell_staff
from storage import initiatives as store
from storage.models_events import Event
from storage.models_families import Site
from storage.models_partners import (
    APPROVED,
    INFO,
    INITIATIVE_CATEGORIES,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    Initiative,
    Partner,
)

TITLE_MIN, TITLE_MAX = 3, 150
PROVIDES_MAX = 1000
NOTE_MAX = 500
REPLY_MAX = 1000
VOLUNTEERS_MAX = 500

# Which staff decision an initiative's status allows.
CAN_APPROVE = (SUBMITTED,)
CAN_REJECT = (SUBMITTED, INFO)
CAN_ASK = (SUBMITTED,)
# While staff have not decided, the partner may withdraw its proposal.
CAN_WITHDRAW = (SUBMITTED, INFO)

# The event type an initiative's events get by default, from its category.
EVENT_TYPE_OF = {
    "beautification": "cleaning",
    "environment": "afforestation",
    "social": "other",
    "health": "awareness",
    "education": "awareness",
    "national": "national",
    "exhibition": "exhibition",
    "disability": "other",
}
# Events that may host a market of productive families.
HOSTS_MARKET = ("exhibition", "national")


class NotRepresentative(Forbidden):
    msgid = "ini.err.not_representative"


class InitiativeConflict(Conflict):
    """The initiative is no longer in a state that allows the action; `status` is where it
    is now."""

    def __init__(self, msgid: str, status: str, **params: object) -> None:
        super().__init__(msgid, **params)
        self.status = status


@dataclass(frozen=True, slots=True)
class InitiativeDraft:
    title: str
    category: str
    district: str
    start: date
    end: date
    volunteers: int
    provides: str


# --- the representative's side --------------------------------------------------------------------
async def require_representative(unit: Unit) -> Partner:
    """The approved partner the acting person confirmedly represents."""
    if unit.actor.user_id is None:
        raise NotRepresentative()
    partner = await store.represented_partner(unit.session, unit.actor.user_id)
    if partner is None:
        raise NotRepresentative()
    return partner


def check_dates(unit: Unit, start: date, end: date) -> None:
    """Not in the past by the unit's clock (in Taif's time), the end not before the start."""
    if start < local_day(unit.now, unit.timezone):
        raise FieldProblem("ini.err.date_past", "start")
    if end < start:
        raise FieldProblem("ini.err.end_before_start", "end")


def check_draft(unit: Unit, draft: InitiativeDraft) -> None:
    if not TITLE_MIN <= len(draft.title.strip()) <= TITLE_MAX:
        raise FieldProblem("ini.err.title", "title", min=TITLE_MIN, max=TITLE_MAX)
    if draft.category not in INITIATIVE_CATEGORIES:
        raise FieldProblem("form.err.choose", "category")
    if not 1 <= draft.volunteers <= VOLUNTEERS_MAX:
        raise FieldProblem("ini.err.volunteers", "volunteers", max=VOLUNTEERS_MAX)
    if not draft.provides.strip() or len(draft.provides) > PROVIDES_MAX:
        raise FieldProblem("err.text.too_long", "provides", limit=PROVIDES_MAX)
    check_dates(unit, draft.start, draft.end)


async def propose_initiative(unit: Unit, draft: InitiativeDraft) -> Initiative:
    """The acting representative proposes an initiative for their partner."""
    partner = await require_representative(unit)
    check_draft(unit, draft)
    initiative = Initiative(
        partner_id=partner.id,
        title=draft.title.strip(),
        category=draft.category,
        district=draft.district,
        start_date=draft.start,
        end_date=draft.end,
        volunteers_wanted=draft.volunteers,
        partner_provides=draft.provides.strip(),
        status=SUBMITTED,
        proposed_by=unit.actor.user_id,
        created_at=unit.now,
        updated_at=unit.now,
    )
    unit.session.add(initiative)
    await unit.session.flush()
    await unit.audit("initiative.proposed", f"initiative:{initiative.id}", partner=partner.id)
    await tell_staff(unit, initiative, answered=False)
    return initiative


async def my_initiatives(unit: Unit) -> list[Initiative]:
    partner = await require_representative(unit)
    return await store.partner_initiatives(unit.session, partner.id)


async def own_initiative(unit: Unit, initiative_id: int, *, lock: bool = False) -> Initiative:
    """An initiative of the acting representative's partner."""
    partner = await require_representative(unit)
    initiative = await store.get_initiative(unit.session, initiative_id, lock=lock)
    if initiative is None or initiative.partner_id != partner.id:
        raise NotFound("ini.err.gone")
    return initiative


async def check_needs_info(unit: Unit, initiative_id: int) -> Initiative:
    initiative = await own_initiative(unit, initiative_id)
    if initiative.status != INFO:
        raise Conflict("ini.info.not_needed")
    return initiative


async def answer_information(unit: Unit, initiative_id: int, answer: str) -> Initiative:
    """The representative answers staff's question; the initiative goes back to review."""
    initiative = await own_initiative(unit, initiative_id, lock=True)
    if initiative.status != INFO:
        raise Conflict("ini.info.not_needed")
    initiative.info_reply = answer.strip()[:REPLY_MAX]
    initiative.status = SUBMITTED
    initiative.updated_at = unit.now
    await unit.audit("initiative.answered", f"initiative:{initiative.id}")
    await tell_staff(unit, initiative, answered=True)
    return initiative


async def withdraw_initiative(unit: Unit, initiative_id: int) -> Initiative:
    """A representative withdraws their partner's proposal while it waits for staff: it
    leaves the review queue and staff can no longer decide it."""
    initiative = await own_initiative(unit, initiative_id, lock=True)
    if initiative.status not in CAN_WITHDRAW:
        raise InitiativeConflict("ini.rev.changed", initiative.status, id=initiative_id)
    initiative.status, initiative.updated_at = WITHDRAWN, unit.now
    await unit.audit("initiative.withdrawn", f"initiative:{initiative.id}")
    return initiative


# --- staff review -------------------------------------------------------------------------------
async def initiative_for_staff(unit: Unit, initiative_id: int) -> tuple[Initiative, Partner]:
    require_staff(unit.actor)
    initiative = await store.get_initiative(unit.session, initiative_id)
    partner = await unit.session.get(Partner, initiative.partner_id) if initiative else None
    if initiative is None or partner is None:
        raise NotFound("ini.err.gone")
    return initiative, partner


async def review_queue(
    unit: Unit, status: str | None, offset: int, limit: int
) -> tuple[int, list[tuple[Initiative, Partner]]]:
    """How many initiatives have `status` (None: any) and one page of them, oldest first."""
    require_staff(unit.actor)
    total = await store.count_initiatives(unit.session, status)
    return total, await store.list_initiatives(unit.session, status, offset, limit)


async def _decidable(unit: Unit, initiative_id: int, allowed: tuple[str, ...]) -> Initiative:
    """Locked and re-read: another staff member may have decided meanwhile."""
    require_staff(unit.actor)
    initiative = await store.get_initiative(unit.session, initiative_id, lock=True)
    if initiative is None:
        raise NotFound("ini.err.gone")
    if initiative.status not in allowed:
        raise InitiativeConflict("ini.rev.changed", initiative.status, id=initiative_id)
    return initiative


async def _decide(unit: Unit, initiative: Initiative, status: str) -> Initiative:
    initiative.status = status
    initiative.reviewed_by = unit.actor.user_id
    initiative.reviewed_at = unit.now
    initiative.updated_at = unit.now
    await unit.session.flush()
    await tell_decision(unit, initiative)
    await unit.audit(f"initiative.{status}", f"initiative:{initiative.id}")
    return initiative


async def approve_initiative(unit: Unit, initiative_id: int) -> Initiative:
    initiative = await _decidable(unit, initiative_id, CAN_APPROVE)
    return await _decide(unit, initiative, APPROVED)


async def reject_initiative(unit: Unit, initiative_id: int, note: str) -> Initiative:
    note = note.strip()[:NOTE_MAX]
    if not note:
        raise FieldProblem("err.empty", "note")
    initiative = await _decidable(unit, initiative_id, CAN_REJECT)
    initiative.reject_note = note
    return await _decide(unit, initiative, REJECTED)


async def ask_information(unit: Unit, initiative_id: int, question: str) -> Initiative:
    question = question.strip()[:NOTE_MAX]
    if not question:
        raise FieldProblem("err.empty", "question")
    initiative = await _decidable(unit, initiative_id, CAN_ASK)
    initiative.info_request = question
    initiative.info_reply = None
    return await _decide(unit, initiative, INFO)


# --- events of an initiative, and the markets they host -----------------------------------------
async def open_event_for_initiative(
    unit: Unit,
    initiative_id: int,
    *,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    event_type: str | None = None,
) -> Event:
    """Staff open an event of an approved initiative, with one shift covering it of
    `capacity` volunteers; the event carries the initiative (volunteers see the partner)."""
    initiative = await _decidable(unit, initiative_id, (APPROVED,))
    partner = await unit.session.get(Partner, initiative.partner_id)
    assert partner is not None
    draft = event_service.EventDraft(
        title_ar=initiative.title,
        description_ar=initiative.partner_provides,
        type=event_type or EVENT_TYPE_OF.get(initiative.category, "other"),
        place=place.strip()[:150] or initiative.district,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    event = await event_service.create_event(unit, draft)
    event.initiative_id = initiative.id
    await event_service.create_shift(
        unit, event.id, event_service.ShiftDraft(starts_at, ends_at, capacity)
    )
    await unit.audit("initiative.event_opened", f"initiative:{initiative.id}", event=event.id)
    return event


def hosts_market(event: Event) -> bool:
    return event.type in HOSTS_MARKET


async def attach_site(unit: Unit, site_id: int, event_id: int) -> Site:
    """Staff make a market site part of an exhibition or national-occasion event: families
    who open the event are offered a stall there."""
    require_staff(unit.actor)
    event = await unit.session.get(Event, event_id)
    site = await unit.session.get(Site, site_id)
    if event is None or site is None:
        raise NotFound("ini.err.gone")
    if not hosts_market(event):
        raise Conflict("ini.err.no_market")
    site.event_id = event.id
    await unit.audit("site.attached", f"site:{site.id}", event=event.id)
    return site
