"""Staff are told about new work in chat (issue 13 §4): a new stall request, a family's answer
to a question, a registration waiting for approval, a broadcast finished.

Who is told: every staff member and admin (the team is small and shares one queue), except
the person whose own action caused the work. Each notice carries a button that opens the work
in chat (the global choice `PREFIX`, answered in `bot.handlers.staff.notices`) and the link to
its web page. A staff member may choose one daily digest instead (`DIGEST`): then nothing is
queued as it happens, and the digest job lists, at `DIGEST_HOUR` local time, how much is waiting.

A finished broadcast is told to its creator only, in the sender's summary (one message, not
two): `broadcast_link` and `open_broadcast_choice` extend that summary. It is no waiting work,
so it is sent as it happens whatever the preference, and the digest does not count it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, tuple_

from bot.core.unit import Unit
from bot.services.errors import ServiceError, require_staff
from storage import repositories as repo
from storage.models import ChannelIdentity, User
from storage.models_events import PENDING, Shift, ShiftRegistration
from storage.models_families import SUBMITTED, UNDER_REVIEW, StallRequest

__all__ = [
    "DIGEST",
    "DIGEST_HOUR",
    "EACH",
    "PREFERENCES",
    "PREFIX",
    "Waiting",
    "broadcast_link",
    "information_answered",
    "notice_preference",
    "open_broadcast_choice",
    "promoted_pending",
    "registration_pending",
    "request_submitted",
    "send_digests",
    "set_notice_preference",
]

EACH, DIGEST = "each", "digest"
PREFERENCES = (EACH, DIGEST)
DIGEST_HOUR = time(8, 0)  # local time (settings.timezone) of the daily digest

# The notices' buttons: "<PREFIX>:<what>:<id>".
PREFIX = "stn"
OPEN_REQUEST = "rq"  # a stall request: the families review at that request
OPEN_SHIFT = "sh"  # a shift (id): the events panel's registrants of that shift
OPEN_BROADCAST = "bc"  # a broadcast: the staff's broadcasts screen
KEY_PREFIX = "staff:"  # every idempotency key of this module starts so


def _base(unit: Unit) -> str:
    return str(unit.settings.web_base_url).rstrip("/")


def request_link(unit: Unit, request_id: int) -> str:
    return f"{_base(unit)}/requests/{request_id}"


def shift_link(unit: Unit, event_id: int, shift_id: int) -> str:
    return f"{_base(unit)}/events/{event_id}/shifts/{shift_id}"


def broadcast_link(base_url: str, broadcast_id: int) -> str:
    return f"{base_url.rstrip('/')}/broadcasts/{broadcast_id}"


def _choice(what: str, target: int, label: str) -> dict[str, Any]:
    return {"id": f"{PREFIX}:{what}:{target}", "label": label, "params": {}}


def open_broadcast_choice(broadcast_id: int) -> dict[str, Any]:
    return _choice(OPEN_BROADCAST, broadcast_id, "stn.btn.broadcast")


def notice_preference(user: User) -> str:
    return user.staff_notices or EACH


async def staff_members(unit: Unit) -> list[User]:
    """Who handles new work: users with the role staff or admin, and the admins named in the
    settings (`ADMIN_IDS`, "channel:id"), who are admins without a stored role."""
    found = {user.id: user for user in await repo.staff_users(unit.session)}
    named = [entry.split(":", 1) for entry in unit.settings.admin_ids if ":" in entry]
    if named:
        stmt = (
            select(User)
            .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
            .where(tuple_(ChannelIdentity.channel, ChannelIdentity.external_id).in_(named))
        )
        for user in (await unit.session.execute(stmt)).scalars():
            found.setdefault(user.id, user)
    return [found[uid] for uid in sorted(found)]


async def _tell_staff(
    unit: Unit, key: str, idem: str, params: dict[str, Any], choice: dict[str, Any]
) -> int:
    """Queue `key` to every staff member who wants notices as they happen, but the actor.
    Returns how many were queued (a retry queues none: the keys exist)."""
    queued = 0
    for user in await staff_members(unit):
        if user.id == unit.actor.user_id or notice_preference(user) != EACH:
            continue
        queued += await unit.notifier.send(
            user.id,
            key,
            idempotency_key=f"{KEY_PREFIX}{idem}:u{user.id}",
            params=params,
            choices=[choice],
        )
    return queued


async def request_submitted(unit: Unit, request: StallRequest) -> int:
    """A family asked for a stall: the request waits for review."""
    return await _tell_staff(
        unit,
        "stn.request",
        f"sr{request.id}:new",
        {"id": request.id, "link": request_link(unit, request.id)},
        _choice(OPEN_REQUEST, request.id, "stn.btn.review"),
    )


async def information_answered(unit: Unit, request: StallRequest, change_id: int) -> int:
    """A family answered staff's question (`change_id`: the history row of that answer, so a
    second question and answer is a second notice)."""
    return await _tell_staff(
        unit,
        "stn.answer",
        f"sr{request.id}:h{change_id}",
        {"id": request.id, "link": request_link(unit, request.id)},
        _choice(OPEN_REQUEST, request.id, "stn.btn.review"),
    )


async def registration_pending(unit: Unit, reg: ShiftRegistration, shift: Shift) -> int:
    """A volunteer's registration waits for approval."""
    if reg.status != PENDING:
        return 0
    return await _tell_staff(
        unit,
        "stn.registration",
        f"reg{reg.id}:pending",
        {"id": reg.id, "link": shift_link(unit, shift.event_id, shift.id)},
        _choice(OPEN_SHIFT, shift.id, "stn.btn.approve"),
    )


async def promoted_pending(unit: Unit, promoted: list[ShiftRegistration], shift: Shift) -> int:
    """Registrations that moved up from the waitlist into a shift that needs approval."""
    return sum([await registration_pending(unit, reg, shift) for reg in promoted])


# --- the preference -------------------------------------------------------------------------------
async def set_notice_preference(unit: Unit, choice: str) -> str:
    """The acting staff member's choice: each notice as it happens, or one daily digest."""
    require_staff(unit.actor)
    if choice not in PREFERENCES:
        raise ServiceError("form.err.choose")
    assert unit.actor.user_id is not None
    user = await unit.session.get(User, unit.actor.user_id, with_for_update=True)
    if user is None:
        raise ServiceError("err.internal")
    if notice_preference(user) != choice:
        user.staff_notices = choice
        await unit.audit("staff.notice_preference", f"user:{user.id}", choice=choice)
    return choice


# --- the digest -----------------------------------------------------------------------------------
DIGEST_LINKS = 5  # links listed per kind of work; the count says how many there are


@dataclass(frozen=True)
class Waiting:
    """How much work waits for staff, as the digest counts it, with the links of the oldest."""

    requests: int
    answers: int
    registrations: int
    links: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.requests + self.answers + self.registrations


def waiting_buckets() -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """What waits for staff, in three buckets that never share an item (the one definition:
    the digest and the web overview, `reports.waiting`, count by it):
    - a request to review: new, or opened by staff and not decided yet (an opened request
      still waits; it is no answer, as no question was answered);
    - a family's answer: back in review with the answer on it, until staff decide (a request
      that goes on — offered, waitlisted, rejected, asked again — leaves the bucket);
    - a registration waiting for approval (a cancelled shift's registrations are cancelled
      with it, so none of them is counted)."""
    answered = StallRequest.info_reply.is_not(None)
    to_review = or_(
        StallRequest.status == SUBMITTED,
        and_(StallRequest.status == UNDER_REVIEW, StallRequest.info_reply.is_(None)),
    )
    answers = (StallRequest.status == UNDER_REVIEW, answered)
    pending = (ShiftRegistration.status == PENDING,)
    return (to_review,), answers, pending


async def waiting_work(unit: Unit) -> Waiting:
    session = unit.session

    async def count(model: Any, *where: Any) -> int:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(stmt)).scalar_one())

    new, answered, pending = waiting_buckets()

    async def request_links(*where: Any) -> list[str]:
        stmt = select(StallRequest.id).where(*where).order_by(StallRequest.id).limit(DIGEST_LINKS)
        return [request_link(unit, rid) for rid in (await session.execute(stmt)).scalars()]

    shifts = (
        select(Shift.event_id, Shift.id)
        .join(ShiftRegistration, ShiftRegistration.shift_id == Shift.id)
        .where(*pending)
        .group_by(Shift.event_id, Shift.id)
        .order_by(Shift.id)
        .limit(DIGEST_LINKS)
    )
    return Waiting(
        await count(StallRequest, *new),
        await count(StallRequest, *answered),
        await count(ShiftRegistration, *pending),
        {
            "stn.digest.requests": await request_links(*new),
            "stn.digest.answers": await request_links(*answered),
            "stn.digest.registrations": [
                shift_link(unit, event_id, shift_id)
                for event_id, shift_id in (await session.execute(shifts)).all()
            ],
        },
    )


def digest_day(unit: Unit) -> str | None:
    """The local day whose digest is due now ("2026-12-03"), or None before the hour."""
    local = unit.now.astimezone(ZoneInfo(unit.timezone))
    return local.date().isoformat() if local.time() >= DIGEST_HOUR else None


async def send_digests(unit: Unit) -> int:
    """The daily digest for each staff member who chose it: once a day (the key holds the
    local day), from `DIGEST_HOUR` on; nothing when nothing waits. Returns how many queued."""
    day = digest_day(unit)
    if day is None:
        return 0
    waiting = await waiting_work(unit)
    if waiting.total == 0:
        return 0
    counts = {
        "stn.digest.requests": waiting.requests,
        "stn.digest.answers": waiting.answers,
        "stn.digest.registrations": waiting.registrations,
    }
    queued = 0
    for user in await staff_members(unit):
        if notice_preference(user) != DIGEST:
            continue
        # Rendered here in the reader's language: one message holds several plural forms.
        tr = unit.catalogs.translator(user.locale)
        lines: list[str] = []
        for key, n in counts.items():
            if n:
                lines.append(tr.tn(key, n))
                lines.extend(f"  {link}" for link in waiting.links[key])
        queued += await unit.notifier.send(
            user.id,
            "stn.digest",
            idempotency_key=f"{KEY_PREFIX}digest:{day}:u{user.id}",
            params={"lines": "\n".join(lines)},
        )
    return queued
