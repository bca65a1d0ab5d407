"""QR self check-in (issue 15 item 7): each shift has a check-in code that staff show as a QR
code (a Telegram deep link and a WhatsApp link with a prefilled text) or print on a poster; a
volunteer registered for the shift who sends it inside the check-in window is checked in by the
same rule as staff's check-in (`bot.services.attendance.check_in`), everyone else is told why
not. Staff rotate a code: the old one stops working at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.core.text import clean_input
from bot.core.unit import Unit
from bot.services.attendance import check_in
from bot.services.certificates import display_code, new_code, normalize_code
from bot.services.errors import Conflict, NotFound, require_staff
from bot.services.registrations import shift_and_event
from bot.settings import Settings
from storage import checkin as store
from storage import events as event_store
from storage import registrations as reg_store
from storage import repositories as repo
from storage.models_checkin import ShiftCheckinCode
from storage.models_events import CONFIRMED, PENDING, WAITLISTED, Event, Shift

# 31^8 ≈ 8.5e11 codes: unguessable by trying, yet short enough to type from a poster.
CODE_LENGTH = 8
# A Telegram /start payload is at most 64 of A-Z a-z 0-9 _ -: "ci_" and the code fit.
PAYLOAD_PREFIX = "ci_"
ACTIVE, PUBLISHED = "active", "published"
# The check-in rule's refusals (worded for staff) -> the volunteer's words.
OWN_WORDS = {
    "eva.err.too_early": "ci.err.too_early",
    "eva.err.guardian_unconfirmed": "ci.err.guardian",
}


@dataclass(frozen=True)
class ShiftCode:
    """A shift's current code and the links that carry it (None: that channel is not set up)."""

    shift: Shift
    event: Event
    code: str
    telegram_link: str | None
    whatsapp_link: str | None

    @property
    def shown(self) -> str:
        return display_code(self.code)


@dataclass(frozen=True)
class SelfCheckIn:
    """A volunteer checked in (`already`: they were before, nothing changed)."""

    event: Event
    shift: Shift
    at: datetime
    already: bool = False


class Refused(Conflict):
    """Why this person is not checked in at this shift; carries the shift and its event so the
    chat can name them in the reader's language."""

    def __init__(self, msgid: str, event: Event, shift: Shift, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.event = event
        self.shift = shift


def telegram_link(settings: Settings, code: str) -> str | None:
    username = settings.telegram_bot_username
    return f"https://t.me/{username}?start={PAYLOAD_PREFIX}{code}" if username else None


def whatsapp_text(unit: Unit, code: str) -> str:
    """The prefilled message: the check-in word and the code, in the default language (any
    language's word works, and so does typing it: `bot.handlers.checkin`)."""
    tr = unit.catalogs.translator(unit.settings.default_locale)
    return tr.label("ci.wa_text", code=display_code(code))


def whatsapp_link(unit: Unit, code: str) -> str | None:
    number = unit.settings.whatsapp_business_number
    if not number:
        return None
    return f"https://wa.me/{number}?text={quote(whatsapp_text(unit, code), safe='')}"


def code_from_payload(payload: str) -> str | None:
    """The code of a /start payload ("ci_K7M2QX9P"), or None when it is not a check-in one."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    return payload[len(PAYLOAD_PREFIX) :]


async def _fresh_code(unit: Unit) -> str:
    # A clash is all but impossible, but the unique index must never be the one to say so.
    while True:
        code = new_code(CODE_LENGTH)
        if not await store.code_taken(unit.session, code):
            return code


def _code_of(unit: Unit, shift: Shift, event: Event, row: ShiftCheckinCode) -> ShiftCode:
    return ShiftCode(
        shift,
        event,
        row.code,
        telegram_link(unit.settings, row.code),
        whatsapp_link(unit, row.code),
    )


async def shift_code(unit: Unit, shift_id: int) -> ShiftCode:
    """Staff: the shift's check-in code and links; the first look makes the code."""
    require_staff(unit.actor)
    shift, event = await shift_and_event(unit, shift_id)
    row = await store.code_row(unit.session, shift.id)
    if row is None:
        row = ShiftCheckinCode(shift_id=shift.id, code=await _fresh_code(unit), created_at=unit.now)
        unit.session.add(row)
        await unit.session.flush()
    return _code_of(unit, shift, event, row)


async def rotate_code(unit: Unit, shift_id: int) -> ShiftCode:
    """Staff: a new code for the shift (a photo of the old poster was shared, say); the old
    code is replaced, so it checks nobody in any more."""
    require_staff(unit.actor)
    shift, event = await shift_and_event(unit, shift_id)
    row = await store.code_row(unit.session, shift.id)
    code = await _fresh_code(unit)
    if row is None:
        row = ShiftCheckinCode(shift_id=shift.id, code=code)
        unit.session.add(row)
    row.code, row.created_at, row.rotated_by = code, unit.now, unit.actor.user_id
    await unit.session.flush()
    await unit.audit("checkin.rotate_code", f"shift:{shift.id}")
    return _code_of(unit, shift, event, row)


async def self_check_in(unit: Unit, typed_code: str) -> SelfCheckIn:
    """The acting person checks themselves in at the shift whose code they sent (scanned or
    typed, any case, with or without the dash). Raises NotFound for a code that names no shift
    (never was, or rotated away), `Refused` for every other reason, with the shift."""
    # A /command's argument arrives as typed: Arabic-Indic digits read as the code's digits.
    code = normalize_code(clean_input(typed_code))[:16]
    shift = await store.shift_of_code(unit.session, code) if code else None
    if shift is None:
        raise NotFound("ci.err.unknown_code")
    event = await event_store.get_event(unit.session, shift.event_id)
    assert event is not None  # a shift's event is never deleted while the shift is kept
    if shift.status != ACTIVE or event.status != PUBLISHED:
        raise Refused("ci.err.cancelled", event, shift)
    user_id = unit.actor.user_id
    volunteer = await repo.volunteer_for_user(unit.session, user_id) if user_id else None
    if volunteer is None:
        raise Refused("ci.err.not_volunteer", event, shift)
    reg = await reg_store.live_registration(unit.session, shift.id, volunteer.id)
    if reg is None:
        ended = unit.now >= shift.ends_at
        raise Refused(
            "ci.err.ended_unregistered" if ended else "ci.err.not_registered", event, shift
        )
    if reg.status in (PENDING, WAITLISTED):
        raise Refused(f"ci.err.{reg.status}", event, shift)
    assert reg.status == CONFIRMED
    if reg.checked_in_at is not None:
        # Scanned twice (or staff checked them in first): friendly, nothing changes.
        return SelfCheckIn(event, shift, reg.checked_in_at, already=True)
    if unit.now >= shift.ends_at:
        raise Refused("ci.err.ended", event, shift, when=shift.ends_at)
    try:
        done = await check_in(unit, reg, shift, volunteer, via="qr")
    except Conflict as err:
        # The shared rule's refusals are worded for staff; the volunteer reads their own.
        mine = OWN_WORDS.get(err.msgid)
        if mine is None:
            raise
        raise Refused(mine, event, shift, **err.params) from None
    return SelfCheckIn(event, shift, done.at)
