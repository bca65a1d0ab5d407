"""Partner organisations (issue 15 item 1): registration in chat, representatives who ask to
join, staff review (approve, reject with a note, ask for information) and what a confirmed
representative sees of their organisation.

Only a confirmed representative of an approved partner acts for it (`acting_for`). Every staff
decision writes an audit row, and the representatives are told through the outbox in their own
language (the notice's parameters are filled per recipient here; the text at send time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.choice_ids import choice_id
from bot.core.text import to_ascii_digits
from bot.core.unit import Unit
from bot.core.validators import Invalid
from bot.services import staff_notices
from bot.services.errors import Conflict, Forbidden, NotFound, ServiceError, require_staff
from storage import partners as store
from storage.models import User
from storage.models_partners import (
    APPROVED,
    ID_NONE,
    ID_OLD_CR,
    ID_UNIFIED,
    INFO,
    INITIATIVE_CATEGORIES,
    MEMBER_CONFIRMED,
    MEMBER_PENDING,
    MEMBER_REJECTED,
    PARTNER_TYPES,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    Initiative,
    Partner,
    PartnerMember,
)

GOVERNMENT = "government"
OTHER_AREA = "other"
AREAS = (*INITIATIVE_CATEGORIES, OTHER_AREA)
NOTE_MAX = 500
REPLY_MAX = 1000
# Staff may decide a partner in these statuses (an answered question puts it back to SUBMITTED).
CAN_DECIDE = (SUBMITTED, INFO)
INFO_PREFIX = "pi"  # the button of a question notice: pi:<step>:<partner id>
INFO_STEP = "a"


# --- the registration number ----------------------------------------------------------------------
def parse_reg_number(text: str) -> tuple[str, str]:
    """(id kind, ten ASCII digits) of a non-government organisation's number: the unified
    number (leading 7) or an older commercial-register number (any other first digit, kept
    while the unified one is asked for). Arabic-Indic digits, spaces and dashes are accepted;
    the format is all there is to check (no public check digit)."""
    digits = "".join(ch for ch in to_ascii_digits(text) if ch not in " -\u00a0")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise Invalid("ptn.err.number")
    return (ID_UNIFIED if digits.startswith("7") else ID_OLD_CR), digits


@dataclass(frozen=True, slots=True)
class PartnerDraft:
    name_ar: str
    name_en: str | None
    type: str
    reg_number: str | None  # as typed; None for a government body
    department: str | None  # a government body's sending department
    contact_name: str
    contact_mobile: str
    areas: tuple[str, ...]


async def registered_with(unit: Unit, number: str) -> Partner | None:
    """The standing registration that holds a number (the form asks before going on)."""
    return await store.by_number(unit.session, number)


async def register_partner(unit: Unit, draft: PartnerDraft) -> Partner:
    """Register an organisation for review; the person registering becomes its first
    representative (pending until staff approve the organisation)."""
    user_id = unit.actor.user_id
    if user_id is None:
        raise Forbidden()
    if draft.type not in PARTNER_TYPES or not set(draft.areas) <= set(AREAS) or not draft.areas:
        raise ServiceError("err.internal")
    kind, number, department = ID_NONE, None, None
    if draft.type == GOVERNMENT:
        department = (draft.department or "").strip()
        if not department:
            raise ServiceError("ptn.err.department")
    else:
        try:
            kind, number = parse_reg_number(draft.reg_number or "")
        except Invalid as err:
            raise ServiceError(err.msgid) from None
        if await store.by_number(unit.session, number) is not None:
            raise Conflict("ptn.err.duplicate")
    partner = Partner(
        name_ar=draft.name_ar,
        name_en=draft.name_en or None,
        type=draft.type,
        id_kind=kind,
        reg_number=number,
        department=department,
        contact_name=draft.contact_name,
        contact_mobile=draft.contact_mobile,
        areas=list(draft.areas),
        status=SUBMITTED,
        created_at=unit.now,
        updated_at=unit.now,
    )
    if not await store.add_partner(unit.session, partner):
        raise Conflict("ptn.err.duplicate")
    unit.session.add(
        PartnerMember(
            partner_id=partner.id,
            user_id=user_id,
            name=draft.contact_name,
            status=MEMBER_PENDING,
            created_at=unit.now,
        )
    )
    await unit.session.flush()
    await unit.audit("partner.registered", f"partner:{partner.id}", type=draft.type, id_kind=kind)
    await _tell_staff(unit, partner, "ptn.stn.new", "new")
    return partner


# --- joining as a representative ---------------------------------------------------------------
async def joinable_government(unit: Unit) -> Sequence[Partner]:
    """Approved government bodies, picked by name (they have no number to type)."""
    return await store.approved_partners(unit.session, government_only=True)


async def join_partner(unit: Unit, partner_id: int, name: str) -> PartnerMember:
    """Ask to act for a registered organisation; staff confirm or reject the request."""
    user_id = unit.actor.user_id
    if user_id is None:
        raise Forbidden()
    partner = await store.get_partner(unit.session, partner_id)
    if partner is None or partner.status in store.ENDED:
        raise NotFound("ptn.err.gone")
    existing = await store.member(unit.session, partner_id, user_id, lock=True)
    if existing is not None and existing.status != MEMBER_REJECTED:
        raise Conflict("ptn.err.already_member")
    if existing is None:
        existing = PartnerMember(partner_id=partner_id, user_id=user_id, created_at=unit.now)
        unit.session.add(existing)
    existing.name, existing.status = name, MEMBER_PENDING
    existing.decided_by = existing.decided_at = None
    await unit.session.flush()
    await unit.audit("partner.member_requested", f"partner:{partner_id}", member=existing.id)
    await _tell_staff(unit, partner, "ptn.stn.join", f"m{existing.id}:{int(unit.now.timestamp())}")
    return existing


# --- withdrawing a registration ----------------------------------------------------------------
async def can_withdraw(unit: Unit, partner: Partner) -> bool:
    """Whether the actor may withdraw this registration: it still waits for staff, and the
    actor registered it (its first representative; someone who only asked to join may not)."""
    if partner.status not in CAN_DECIDE or unit.actor.user_id is None:
        return False
    rows = await store.members(unit.session, partner.id)
    return bool(rows) and rows[0][0].user_id == unit.actor.user_id


async def withdraw_partner(unit: Unit, partner_id: int) -> Partner:
    """The one who registered an organisation withdraws it while staff have not decided: it
    leaves the review queue and its number is free again."""
    partner = await store.get_partner(unit.session, partner_id, lock=True)
    if partner is None:
        raise NotFound("ptn.err.gone")
    if partner.status not in CAN_DECIDE:
        raise Conflict("ptn.err.not_pending")
    if not await can_withdraw(unit, partner):
        raise Forbidden()
    partner.status, partner.updated_at = WITHDRAWN, unit.now
    await unit.audit("partner.withdrawn", f"partner:{partner_id}")
    return partner


# --- staff review --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PartnerFile:
    partner: Partner
    members: tuple[tuple[PartnerMember, User], ...]
    initiatives: tuple[Initiative, ...]


async def list_partners(
    unit: Unit, status: store.Statuses = None, offset: int = 0, limit: int = 50
) -> Sequence[Partner]:
    require_staff(unit.actor)
    return await store.list_partners(unit.session, status, offset=offset, limit=limit)


async def count_partners(unit: Unit, status: store.Statuses = None) -> int:
    require_staff(unit.actor)
    return await store.count_partners(unit.session, status)


async def partner_file(unit: Unit, partner_id: int) -> PartnerFile:
    require_staff(unit.actor)
    partner = await store.get_partner(unit.session, partner_id)
    if partner is None:
        raise NotFound("ptn.err.gone")
    return PartnerFile(
        partner,
        tuple(await store.members(unit.session, partner_id)),
        tuple(await store.initiatives(unit.session, partner_id)),
    )


async def pending_members(unit: Unit) -> Sequence[tuple[PartnerMember, Partner, User]]:
    require_staff(unit.actor)
    return await store.pending_members(unit.session)


async def _decidable(unit: Unit, partner_id: int) -> Partner:
    """The partner, locked and re-read: another staff member may have decided meanwhile."""
    require_staff(unit.actor)
    partner = await store.get_partner(unit.session, partner_id, lock=True)
    if partner is None:
        raise NotFound("ptn.err.gone")
    if partner.status not in CAN_DECIDE:
        raise Conflict("ptn.err.decided")
    return partner


def _decided(unit: Unit, partner: Partner, status: str) -> None:
    partner.status = status
    partner.reviewed_by = unit.actor.user_id
    partner.reviewed_at = partner.updated_at = unit.now


async def approve_partner(unit: Unit, partner_id: int) -> Partner:
    """Approve the organisation; the representative who registered it is confirmed with it
    (they are its contact; those who asked to join are confirmed one by one)."""
    partner = await _decidable(unit, partner_id)
    _decided(unit, partner, APPROVED)
    rows = await store.members(unit.session, partner.id)
    first = rows[0][0] if rows else None
    if first is not None and first.status == MEMBER_PENDING:
        first.status, first.decided_by, first.decided_at = (
            MEMBER_CONFIRMED,
            unit.actor.user_id,
            unit.now,
        )
    await unit.audit("partner.approved", f"partner:{partner_id}")
    await _tell_members(unit, partner, "ptn.n.approved", "approved")
    return partner


async def reject_partner(unit: Unit, partner_id: int, note: str) -> Partner:
    note = note.strip()[:NOTE_MAX]
    if not note:
        raise ServiceError("err.empty")
    partner = await _decidable(unit, partner_id)
    _decided(unit, partner, REJECTED)
    partner.reject_note = note
    await unit.audit("partner.rejected", f"partner:{partner_id}", note=note)
    await _tell_members(unit, partner, "ptn.n.rejected", "rejected", note=note)
    return partner


async def ask_partner_info(unit: Unit, partner_id: int, question: str) -> Partner:
    question = question.strip()[:NOTE_MAX]
    if not question:
        raise ServiceError("err.empty")
    partner = await _decidable(unit, partner_id)
    _decided(unit, partner, INFO)
    partner.info_request, partner.info_reply = question, None
    await unit.audit("partner.info_requested", f"partner:{partner_id}", question=question)
    stamp = int(unit.now.timestamp())
    await _tell_members(unit, partner, "ptn.n.info", f"info{stamp}", question=question, button=True)
    return partner


async def check_info_needed(unit: Unit, partner_id: int) -> Partner:
    """The partner whose representative is asked a question, while staff wait for it."""
    partner = await store.get_partner(unit.session, partner_id)
    if partner is None or partner.status != INFO:
        raise Conflict("ptn.info.not_needed")
    if await _own_member(unit, partner_id) is None:
        raise Forbidden()
    return partner


async def answer_partner_info(unit: Unit, partner_id: int, answer: str) -> Partner:
    """A representative answers staff's question; the organisation goes back to review."""
    await check_info_needed(unit, partner_id)
    partner = await store.get_partner(unit.session, partner_id, lock=True)
    assert partner is not None
    partner.info_reply = answer.strip()[:REPLY_MAX]
    partner.status, partner.updated_at = SUBMITTED, unit.now
    await unit.audit("partner.info_answered", f"partner:{partner_id}")
    await _tell_staff(unit, partner, "ptn.stn.answer", f"a{int(unit.now.timestamp())}")
    return partner


async def _own_member(unit: Unit, partner_id: int) -> PartnerMember | None:
    if unit.actor.user_id is None:
        return None
    found = await store.member(unit.session, partner_id, unit.actor.user_id)
    return found if found is not None and found.status != MEMBER_REJECTED else None


async def decide_member(unit: Unit, member_id: int, confirm: bool) -> PartnerMember:
    """Staff confirm or reject one representative; the person is told."""
    require_staff(unit.actor)
    member = await store.get_member(unit.session, member_id, lock=True)
    partner = await store.get_partner(unit.session, member.partner_id) if member else None
    if member is None or partner is None:
        raise NotFound("ptn.err.gone")
    if member.status != MEMBER_PENDING:
        raise Conflict("ptn.err.decided")
    member.status = MEMBER_CONFIRMED if confirm else MEMBER_REJECTED
    member.decided_by, member.decided_at = unit.actor.user_id, unit.now
    action = "member_confirmed" if confirm else "member_rejected"
    await unit.audit(f"partner.{action}", f"partner:{partner.id}", member=member.id)
    key = "ptn.n.member_confirmed" if confirm else "ptn.n.member_rejected"
    await _tell(unit, member.user_id, partner, key, f"m{member.id}:{member.status}")
    return member


# --- notices -------------------------------------------------------------------------------
def partner_name(partner: Partner, locale: str | None) -> str:
    return partner.name_en if locale == "en" and partner.name_en else partner.name_ar


async def _tell(
    unit: Unit,
    user_id: int,
    partner: Partner,
    key: str,
    tag: str,
    *,
    button: bool = False,
    **params: str,
) -> None:
    user = await unit.session.get(User, user_id)
    if user is None:
        return
    choices = None
    if button:
        choices = [
            {
                "id": choice_id(INFO_PREFIX, INFO_STEP, str(partner.id)),
                "label": "ptn.info.answer",
                "params": {},
            }
        ]
    await unit.notifier.send(
        user_id,
        key,
        idempotency_key=f"ptn{partner.id}:{tag}:u{user_id}",
        params={"name": partner_name(partner, user.locale), "id": partner.id, **params},
        choices=choices,
    )


async def _tell_members(
    unit: Unit, partner: Partner, key: str, tag: str, *, button: bool = False, **params: str
) -> None:
    for member, _user in await store.members(unit.session, partner.id):
        if member.status != MEMBER_REJECTED:
            await _tell(unit, member.user_id, partner, key, tag, button=button, **params)


async def _tell_staff(unit: Unit, partner: Partner, key: str, tag: str) -> int:
    """New work for staff (an organisation to review, an answer, a representative to
    confirm), to each one who wants notices as they happen, with the link to its web page;
    the others see it in their digest's queue and the chat's review list."""
    link = f"{str(unit.settings.web_base_url).rstrip('/')}/partners/{partner.id}"
    queued = 0
    for user in await staff_notices.staff_members(unit):
        if (
            user.id == unit.actor.user_id
            or staff_notices.notice_preference(user) != staff_notices.EACH
        ):
            continue
        queued += await unit.notifier.send(
            user.id,
            key,
            idempotency_key=f"{staff_notices.KEY_PREFIX}ptn{partner.id}:{tag}:u{user.id}",
            params={"id": partner.id, "name": partner_name(partner, user.locale), "link": link},
        )
    return queued


# --- "my organisation" -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Organisation:
    partner: Partner
    representatives: tuple[str, ...]  # names of the confirmed ones
    initiatives: tuple[Initiative, ...]


async def acting_for(unit: Unit) -> Sequence[Partner]:
    """The organisations the actor acts for: approved, and the actor confirmed for each."""
    if unit.actor.user_id is None:
        return ()
    return await store.acting_for(unit.session, unit.actor.user_id)


async def my_organisations(unit: Unit) -> list[Organisation]:
    found = []
    for partner in await acting_for(unit):
        names = tuple(
            m.name or partner.contact_name
            for m, _u in await store.members(unit.session, partner.id)
            if m.status == MEMBER_CONFIRMED
        )
        found.append(
            Organisation(partner, names, tuple(await store.initiatives(unit.session, partner.id)))
        )
    return found


async def my_memberships(unit: Unit) -> Sequence[tuple[PartnerMember, Partner]]:
    """Every organisation the actor registered or asked to join, with their standing."""
    if unit.actor.user_id is None:
        return ()
    return await store.memberships(unit.session, unit.actor.user_id)
