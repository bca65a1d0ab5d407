"""What a family is told when staff or the system change one of its stall requests: the notice
(its message id, its parameters rendered in the family's language, the buttons of an offer or a
question) and its queueing in the change's transaction. The family's own changes are answered
directly in the chat, not here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import map_url
from bot.core.choice_ids import choice_id
from bot.core.dates import fmt_date, fmt_datetime
from bot.core.i18n import Catalogs, Html, Translator
from bot.core.unit import Unit
from bot.services import staff_notices
from storage.models import User
from storage.models_families import (
    APPROVED,
    CANCELLED,
    EXPIRED,
    NEEDS_INFO,
    REJECTED,
    UNDER_REVIEW,
    WAITLISTED,
    Family,
    Site,
    StallRequest,
    StallRequestChange,
)

if TYPE_CHECKING:
    from bot.settings import Settings

OFFER_HOURS = 48  # default; `stall_offer_hours` in the settings overrides it
# The global choices of notices, pressed whatever step the family is on:
OFFER_PREFIX = "so"  # so:<OfferStep>:<request id>
INFO_PREFIX = "si"  # si:<INFO_ANSWER_STEP>:<request id>
OFFER_CONFIRM = "ok"
OFFER_DECLINE = "no"
OFFER_DECLINE_SURE = "dx"
OFFER_KEEP = "keep"
INFO_ANSWER_STEP = "a"


def offer_hours(settings: Settings) -> float:
    return float(getattr(settings, "stall_offer_hours", OFFER_HOURS))


def site_name(site: Site, locale: str) -> str:
    return site.name_en if locale == "en" and site.name_en else site.name_ar


def map_link(site: Site) -> str | None:
    """A map link to the site's pin, when staff set one (it works in every messenger)."""
    if site.latitude is None or site.longitude is None:
        return None
    return map_url(site.latitude, site.longitude)


def offer_facts(tr: Translator, site: Site) -> dict[str, str]:
    """What a family needs to know about a stall it is offered, as plain text parameters: the
    fee and how it is paid, where the stall is, and when to set up. What staff did not write
    down is said plainly ("the team will tell you") rather than left out."""
    fee = tr.label(f"fam.fee.{site.fee}")
    if site.fee_note:
        fee = tr.label("fam.offer.fee_with_note", fee=fee, note=site.fee_note)
    elif site.fee != "free":
        fee = tr.label("fam.offer.fee_ask_team", fee=fee)
    where = tr.label(
        "fam.offer.where",
        site=site_name(site, tr.locale),
        district=tr.label(f"district.{site.district}"),
    )
    link = map_link(site)
    if link:
        where = tr.label("fam.offer.where_map", where=where, link=link)
    setup = site.setup_note or tr.label("fam.offer.setup_ask_team")
    return {"fee": fee, "where": where, "setup": setup}


def stall_label(tr: Translator, stall_type: str) -> str:
    return tr.label(f"fam.stall.{stall_type}")


def reason_label(tr: Translator, reason: str | None) -> str:
    return tr.label(f"fam.reason.{reason or 'other'}")


RELEASED = "released stall "  # the history note of a stall staff took back: + "<n>: <reason>"


def released_note(number: int | None, reason: str) -> str:
    return f"{RELEASED}{number}: {reason}"


def released(change: StallRequestChange) -> tuple[str, str] | None:
    """The stall number and the reason, if `change` is staff taking a stall back."""
    note = change.note or ""
    if change.to_status != CANCELLED or not note.startswith(RELEASED):
        return None
    stall, _, reason = note.removeprefix(RELEASED).partition(": ")
    return stall, reason


STALL_IN_NOTE = re.compile(r"stall (\d+)")


def staff_wording(tr: Translator, change: StallRequestChange) -> Html:
    """A history row as staff read it ("we offered stall 4"), not as the family was told, on
    the chat's staff screen and the web's request page alike (HTML already: a typed reason in
    it is escaped once)."""
    status, note = change.to_status, change.note or ""
    stall_match = STALL_IN_NOTE.search(note)
    stall = stall_match.group(1) if stall_match else "—"
    if (taken_back := released(change)) is not None:
        return Html(tr.t("fam.rev.h.released", stall=taken_back[0], reason=taken_back[1]))
    if status == UNDER_REVIEW and change.from_status == NEEDS_INFO:
        kind = "answered"
    elif status == CANCELLED and note.startswith("declined"):
        kind = "declined"
    elif status == CANCELLED and note == "data deleted":
        kind = "deleted"
    else:
        kind = status
    if kind == REJECTED:
        return Html(tr.t("fam.rev.h.rejected", reason=reason_label(tr, note or None)))
    return Html(tr.t(f"fam.rev.h.{kind}", stall=stall))


@dataclass
class Notice:
    user_id: int
    key: str  # message id, rendered at send time in the recipient's language
    idempotency_key: str
    params: dict[str, Any]
    choices: list[dict[str, Any]] = field(default_factory=list)
    expires_at: datetime | None = None


def _button(prefix: str, step: str, request_id: int, label: str) -> dict[str, Any]:
    return {"id": choice_id(prefix, step, str(request_id)), "label": label, "params": {}}


async def build_notice(
    session: AsyncSession,
    catalogs: Catalogs,
    tz: str,
    request: StallRequest,
    site: Site,
    change: StallRequestChange,
) -> Notice | None:
    """What the family is told about a change staff or the system made, or None when the
    change is not one a family is told about."""
    family = await session.get(Family, request.family_id)
    if family is None:
        return None
    user = await session.get(User, family.user_id)
    tr = catalogs.translator(user.locale if user else None)
    params: dict[str, Any] = {"id": request.id, "site": site_name(site, tr.locale)}
    notice = Notice(family.user_id, "", f"sr{request.id}:h{change.id}", params)
    status = change.to_status
    if status == UNDER_REVIEW:
        notice.key = "fam.n.review"
    elif status == APPROVED:
        assert request.offer_expires_at is not None
        notice.key = "fam.n.offer"
        params.update(
            stall=request.stall_number,
            type=stall_label(tr, request.stall_type),
            start=fmt_date(tr, request.start_date),
            end=fmt_date(tr, request.end_date),
            until=fmt_datetime(tr, request.offer_expires_at, tz),
            **offer_facts(tr, site),
        )
        notice.choices = [
            _button(OFFER_PREFIX, OFFER_CONFIRM, request.id, "fam.offer.confirm"),
            _button(OFFER_PREFIX, OFFER_DECLINE, request.id, "fam.offer.decline"),
        ]
        notice.expires_at = request.offer_expires_at
    elif status == WAITLISTED:
        notice.key = "fam.n.waitlisted"
    elif status == REJECTED:
        params["reason"] = reason_label(tr, request.reject_reason)
        if request.reject_note:
            notice.key = "fam.n.rejected_note"
            params["note"] = request.reject_note
        else:
            notice.key = "fam.n.rejected"
    elif status == NEEDS_INFO:
        notice.key = "fam.n.needs_info"
        params["question"] = request.info_request or ""
        notice.choices = [_button(INFO_PREFIX, INFO_ANSWER_STEP, request.id, "fam.info.answer")]
    elif status == EXPIRED:
        notice.key = "fam.n.expired"
    elif (taken_back := released(change)) is not None:
        notice.key = "fam.n.released"
        params.update(stall=taken_back[0], reason=taken_back[1])
    else:
        return None
    return notice


async def notify_change(
    unit: Unit, request: StallRequest, site: Site, change: StallRequestChange
) -> bool:
    """Queue the family's notice of `change`, due when the change happened (on the unit's
    clock); returns whether one was queued."""
    notice = await build_notice(unit.session, unit.catalogs, unit.timezone, request, site, change)
    if notice is None:
        return False
    return await unit.notifier.send(
        notice.user_id,
        notice.key,
        idempotency_key=notice.idempotency_key,
        params=notice.params,
        choices=notice.choices or None,
        expires_at=notice.expires_at,
        due_at=change.created_at,
    )


async def tell_staff_stall_freed(
    unit: Unit, request: StallRequest, site: Site, stall: int | None, *, offered_next: bool
) -> int:
    """A family's data was deleted while it held a stall: the staff learn that the stall is
    free and whether it went to the next waiting family. Sent as it happens whatever a staff
    member's notice preference (it is news, not work the digest counts), to all but the one
    who deleted; it names the site and stall, never the family (its data is gone). Returns
    how many were queued."""
    key = "stn.stall_freed_offered" if offered_next else "stn.stall_freed_free"
    link = f"{str(unit.settings.web_base_url).rstrip('/')}/sites/{site.id}/stalls"
    queued = 0
    for user in await staff_notices.staff_members(unit):
        if user.id == unit.actor.user_id:
            continue
        tr = unit.catalogs.translator(user.locale)
        queued += await unit.notifier.send(
            user.id,
            key,
            idempotency_key=f"{staff_notices.KEY_PREFIX}sr{request.id}:freed:u{user.id}",
            params={
                "stall": stall,
                "type": stall_label(tr, request.stall_type),
                "site": site_name(site, tr.locale),
                "link": link,
            },
        )
    return queued
