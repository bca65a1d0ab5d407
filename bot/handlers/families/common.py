"""Productive families, the shared part: options, parsers, display helpers, the notices a
request's changes send to its family, and the operations both the chat and the periodic job
use (offer a freed stall to the waiting list, expire an offer)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import fmt_date, fmt_datetime
from bot.core.flow import JobEnv, choice_id
from bot.core.forms import Option
from bot.core.i18n import Catalogs, Translator
from bot.core.text import clean_input
from bot.core.unit import Actor, Unit
from bot.core.validators import Invalid
from storage import families as fam
from storage.models import User
from storage.models_families import (
    APPROVED,
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
OFFER_PREFIX = "so"  # global choices in offer notices: so:ok:<id>, so:no:<id>, so:dx:<id>
INFO_PREFIX = "si"  # global choice in "needs information" notices: si:a:<id>
EXPIRY_JOB_ID = "families.expire_offers"

CATEGORY_CODES = ("food", "sweets", "coffee", "honey", "perfume", "crafts", "sewing", "other")
FOOD_CATEGORIES = frozenset({"food", "sweets", "coffee", "honey"})
CATEGORIES = (
    Option("food", "fam.cat.food"),
    Option("sweets", "fam.cat.sweets"),
    Option("coffee", "fam.cat.coffee"),
    Option("honey", "fam.cat.honey"),
    Option("perfume", "fam.cat.perfume"),
    Option("crafts", "fam.cat.crafts"),
    Option("sewing", "fam.cat.sewing"),
    Option("other", "fam.cat.other"),
)
NEEDS = (Option("electricity", "fam.need.electricity"), Option("water", "fam.need.water"))
STALL_OPTIONS = (Option("food", "fam.stall.food"), Option("nonfood", "fam.stall.nonfood"))
REJECT_REASONS = (
    Option("incomplete", "fam.reason.incomplete"),
    Option("documents", "fam.reason.documents"),
    Option("eligibility", "fam.reason.eligibility"),
    Option("capacity", "fam.reason.capacity"),
    Option("category", "fam.reason.category"),
    Option("duplicate", "fam.reason.duplicate"),
    Option("other", "fam.reason.other"),
)
FEES = (
    Option("free", "fam.fee.free"),
    Option("symbolic", "fam.fee.symbolic"),
    Option("rent", "fam.fee.rent"),
)
YES_NO = (Option("yes", "fam.yes"), Option("no", "fam.no"))

STATUS_ICONS = {
    "submitted": "\U0001f4e8",
    "under_review": "\U0001f50e",
    "needs_info": "\u2753",
    "waitlisted": "\u23f3",
    "approved": "\U0001f381",
    "confirmed": "\u2705",
    "rejected": "\u274c",
    "cancelled": "\u2716\ufe0f",
    "expired": "\u231b",
}

SHORT_TEXT_MIN = 2
_TEXT_PUNCT = frozenset("-'\u2019&.,()/+#")
_DOC_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,31}")


# --- parsers -------------------------------------------------------------------------------------
def parse_short_text(text: str, limit: int) -> str:
    """A name of a brand, a site or a category: letters of any script, digits, spaces and a
    little punctuation; markup-like characters are refused rather than stored."""
    value = clean_input(text)
    if not SHORT_TEXT_MIN <= len(value) <= limit:
        raise Invalid("fam.err.text_length", min=SHORT_TEXT_MIN, max=limit)
    for ch in value:
        if not (ch == " " or ch.isalnum() or ch in _TEXT_PUNCT or _is_mark(ch)):
            raise Invalid("fam.err.text_chars")
    if not any(ch.isalpha() for ch in value):
        raise Invalid("fam.err.text_chars")
    return value


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc")


def parse_doc_number(text: str) -> str:
    value = re.sub(r"\s+", "", clean_input(text)).upper()
    if not _DOC_NUMBER.fullmatch(value):
        raise Invalid("fam.err.doc_number")
    return value


# --- display -------------------------------------------------------------------------------------
def site_name(site: Site, locale: str) -> str:
    return site.name_en if locale == "en" and site.name_en else site.name_ar


def status_label(tr: Translator, status: str) -> str:
    return f"{STATUS_ICONS.get(status, '')} {tr.label(f'fam.status.{status}')}".strip()


def stall_label(tr: Translator, stall_type: str) -> str:
    return tr.label(f"fam.stall.{stall_type}")


def needs_food_certificate(categories: list[str]) -> bool:
    return any(c in FOOD_CATEGORIES for c in categories)


def offer_hours(settings: Settings) -> float:
    return float(getattr(settings, "stall_offer_hours", OFFER_HOURS))


# --- notices to the family -----------------------------------------------------------------------
@dataclass
class Notice:
    user_id: int
    key: str  # message id, rendered at send time in the recipient's language
    idempotency_key: str
    params: dict[str, Any]
    choices: list[dict[str, Any]] = field(default_factory=list)
    expires_at: datetime | None = None

    def payload(self) -> dict[str, Any]:
        """The outbox payload, the same shape `Context.notify` writes."""
        payload: dict[str, Any] = {"key": self.key, "params": self.params}
        if self.expires_at is not None:
            payload["expires_at"] = self.expires_at.isoformat()
        if self.choices:
            payload["choices"] = self.choices
        return payload


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
    """What the family is told about a change staff or the system made (their own changes are
    answered directly in the chat)."""
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
        )
        notice.choices = [
            _button(OFFER_PREFIX, "ok", request.id, "fam.offer.confirm"),
            _button(OFFER_PREFIX, "no", request.id, "fam.offer.decline"),
        ]
        notice.expires_at = request.offer_expires_at
    elif status == WAITLISTED:
        notice.key = "fam.n.waitlisted"
    elif status == REJECTED:
        params["reason"] = tr.label(f"fam.reason.{request.reject_reason or 'other'}")
        if request.reject_note:
            notice.key = "fam.n.rejected_note"
            params["note"] = request.reject_note
        else:
            notice.key = "fam.n.rejected"
    elif status == NEEDS_INFO:
        notice.key = "fam.n.needs_info"
        params["question"] = request.info_request or ""
        notice.choices = [_button(INFO_PREFIX, "a", request.id, "fam.info.answer")]
    elif status == EXPIRED:
        notice.key = "fam.n.expired"
    else:
        return None
    return notice


class Notifier:
    """Sends the notices of request changes, in the unit's transaction, due when the change
    happened (a chat update's clock or a job's)."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.session = unit.session
        self.catalogs = unit.catalogs
        self.settings = unit.settings

    @property
    def queued(self) -> int:
        return self.unit.notifier.queued

    async def changed(self, request: StallRequest, site: Site, change: StallRequestChange) -> None:
        notice = await build_notice(
            self.session, self.catalogs, self.settings.timezone, request, site, change
        )
        if notice is None:
            return
        await self.unit.notifier.send(
            notice.user_id,
            notice.key,
            idempotency_key=notice.idempotency_key,
            params=notice.params,
            choices=notice.choices or None,
            expires_at=notice.expires_at,
            due_at=change.created_at,  # when the change happened, on the caller's clock
        )


# --- operations shared by the chat and the periodic job ------------------------------------------
async def pass_on(
    notifier: Notifier, site: Site, stall_type: str, now: datetime, actor: str = "system"
) -> int:
    """Offer free stalls of a site and type to the waiting list, oldest first."""
    session = notifier.session
    offered = 0
    while True:
        waiting = await fam.oldest_waitlisted(session, site.id, stall_type)
        if waiting is None:
            return offered
        change = await fam.allocate(
            session,
            waiting,
            site,
            status=APPROVED,
            actor=actor,
            now=now,
            offer_hours=offer_hours(notifier.settings),
        )
        if change is None:
            return offered
        await notifier.changed(waiting, site, change)
        offered += 1


async def expire_offer(
    notifier: Notifier, request: StallRequest, site: Site, now: datetime
) -> None:
    """An offer not confirmed in time: the family is told and the stall goes to the next
    waiting family of that site and type."""
    number = request.stall_number
    change = await fam.set_status(
        notifier.session, request, EXPIRED, "system", now, f"stall {number}"
    )
    await notifier.changed(request, site, change)
    await pass_on(notifier, site, request.stall_type, now)


async def expire_offers(env: JobEnv, now: datetime) -> int:
    """The periodic job: expire unconfirmed offers, pass their stalls on; returns how many
    notifications it queued."""
    async with env.db.transaction() as session:
        notifier = Notifier(Unit(session, Actor.system(), now, env.catalogs, env.settings))
        for request in await fam.due_offers(session, now):
            site = await fam.get_site(session, request.site_id)
            assert site is not None
            await expire_offer(notifier, request, site, now)
        return notifier.queued
