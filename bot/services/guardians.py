"""A minor volunteer's guardian (issue 14 item 9): the guardian's mobile is not the minor's,
and the guardian confirms.

When a channel to the guardian's number is known (WhatsApp is configured, with an approved
template for GUARDIAN_KIND: the guardian has never written to us, so only a template reaches
them), a 6-digit code goes to the guardian through the outbox and the minor types it in chat.
The code is kept only as a salted hash, expires after CODE_TTL, is locked after MAX_TRIES
wrong tries, and may be sent MAX_SENDS times. Without a channel, staff confirm (audited).

Until the guardian is confirmed the minor may register for shifts (the place is kept) but is
not checked in: staff confirm at the latest before the first shift, where they meet the minor
and can reach the guardian."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import delete

from bot.core.dates import local_day
from bot.core.text import clean_input
from bot.core.unit import Unit
from bot.core.validators import Invalid, is_minor, parse_mobile
from bot.services.errors import Forbidden, NotFound, ServiceError, require_staff
from storage import repositories as repo
from storage.models import GuardianCode, Volunteer

GUARDIAN_KIND = "guardian_code"  # the outbox kind, and the WhatsApp template's key
WHATSAPP = "whatsapp"
CODE_TTL = timedelta(hours=24)
MAX_TRIES = 5
MAX_SENDS = 3
CODE_DIGITS = 6
_ROUNDS = 100_000  # pbkdf2 iterations: a 6-digit code has few values, so make each costly
BY_CODE, BY_STAFF = "code", "staff"
SAME_MOBILE = "vol.err.guardian_same_mobile"


class CodeCheck(StrEnum):
    """What typing a code did."""

    CONFIRMED = "confirmed"
    WRONG = "wrong"  # tries left: `CodeResult.tries_left`
    LOCKED = "locked"  # too many wrong tries: a new code, or staff
    EXPIRED = "expired"
    NONE = "none"  # no code was sent (or it was already used)


@dataclass(frozen=True)
class CodeResult:
    check: CodeCheck
    tries_left: int = 0


class Confirmation(StrEnum):
    """A volunteer's guardian state, as "my data" and staff screens show it."""

    NOT_NEEDED = "not_needed"  # an adult
    CONFIRMED = "confirmed"
    CODE_SENT = "code_sent"  # waiting for the minor to type the code
    STAFF = "staff"  # waiting for staff


def _normal(mobile: str) -> str:
    try:
        return parse_mobile(mobile)
    except Invalid:  # not a Saudi mobile: compare the digits
        return "".join(ch for ch in clean_input(mobile) if ch.isdigit())


def same_mobile(first: str, second: str) -> bool:
    """The same number however written (05…, +9665…, 009665…, Arabic-Indic digits)."""
    return _normal(first) == _normal(second)


def check_guardian_mobile(minor_mobile: str, guardian_mobile: str) -> None:
    """The guardian confirms at their own number: it may not be the minor's."""
    if same_mobile(minor_mobile, guardian_mobile):
        raise ServiceError(SAME_MOBILE)


def channel_known(unit: Unit) -> bool:
    """Whether a code can reach a guardian's number: WhatsApp Cloud API configured, with a
    template for the code (a number that never wrote to us is outside the 24-hour window)."""
    settings = unit.settings
    return bool(
        settings.whatsapp_token
        and settings.whatsapp_phone_number_id
        and GUARDIAN_KIND in settings.whatsapp_templates
    )


def awaiting_guardian(volunteer: Volunteer, today: date) -> bool:
    """A minor whose guardian has not been confirmed yet."""
    return is_minor(volunteer.birth_date, today) and volunteer.guardian_confirmed_at is None


async def _code_row(unit: Unit, volunteer: Volunteer) -> GuardianCode | None:
    return await unit.session.get(GuardianCode, volunteer.id)


async def state(unit: Unit, volunteer: Volunteer) -> Confirmation:
    if not is_minor(volunteer.birth_date, local_day(unit.now, unit.timezone)):
        return Confirmation.NOT_NEEDED
    if volunteer.guardian_confirmed_at is not None:
        return Confirmation.CONFIRMED
    row = await _code_row(unit, volunteer)
    usable = row is not None and row.expires_at > unit.now and row.tries < MAX_TRIES
    return Confirmation.CODE_SENT if usable else Confirmation.STAFF


def state_msgid(volunteer: Volunteer, found: Confirmation) -> str:
    """How "my data" and the staff profile say the state; a confirmed one says how it was
    confirmed (`guardian_confirmed_by`: the code to the guardian, or staff; the audit trail
    names the staff member)."""
    how = volunteer.guardian_confirmed_by
    if found is Confirmation.CONFIRMED and how in (BY_CODE, BY_STAFF):
        return f"vol.guardian.mydata.confirmed_{how}"
    return f"vol.guardian.mydata.{found.value}"


async def forget(unit: Unit, volunteer: Volunteer) -> None:
    """The guardian changed (or the volunteer came of age): the confirmation and any code go."""
    volunteer.guardian_confirmed_at = None
    volunteer.guardian_confirmed_by = None
    await unit.session.execute(
        delete(GuardianCode).where(GuardianCode.volunteer_id == volunteer.id)
    )


def _hash(code: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", code.encode(), salt, _ROUNDS).hex()


async def _own_minor(unit: Unit) -> Volunteer:
    if unit.actor.user_id is None:
        raise Forbidden()
    volunteer = await repo.volunteer_for_user(unit.session, unit.actor.user_id)
    if volunteer is None:
        raise NotFound()
    return volunteer


async def sends_left(unit: Unit) -> int:
    """How many more codes the acting minor may have sent to their guardian."""
    row = await _code_row(unit, await _own_minor(unit))
    return MAX_SENDS - (row.sends if row else 0)


async def send_code(unit: Unit) -> bool:
    """Send a new code to the acting minor's guardian. False: no channel to the guardian (or
    nothing to confirm), so staff confirm. Refused after MAX_SENDS codes."""
    volunteer = await _own_minor(unit)
    today = local_day(unit.now, unit.timezone)
    if not awaiting_guardian(volunteer, today) or not channel_known(unit):
        return False
    if not volunteer.guardian_mobile:
        return False
    row = await _code_row(unit, volunteer)
    if row is None:
        row = GuardianCode(volunteer_id=volunteer.id, sends=0)
        unit.session.add(row)
    if row.sends >= MAX_SENDS:
        raise ServiceError("vol.guardian.err.no_more_codes")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_bytes(16)
    row.salt, row.code_hash = salt.hex(), _hash(code, salt)
    row.expires_at, row.tries, row.sends = unit.now + CODE_TTL, 0, row.sends + 1
    # WhatsApp ids are the number's digits without "+".
    address = (WHATSAPP, _normal(volunteer.guardian_mobile).lstrip("+"))
    await unit.notifier.send(
        volunteer.user_id,
        "vol.guardian.code_message",
        params={"code": code, "name": volunteer.full_name},
        idempotency_key=f"guardian:{volunteer.id}:{row.salt}",
        kind=GUARDIAN_KIND,
        expires_at=row.expires_at,
        address=address,
        secret=("code",),
    )
    await unit.audit("guardian.code_sent", f"volunteer:{volunteer.id}", sends=row.sends)
    return True


async def confirm_code(unit: Unit, typed: str) -> CodeResult:
    """The acting minor types the code their guardian received. Wrong tries are counted (the
    caller commits them: they are a result, not an error)."""
    volunteer = await _own_minor(unit)
    row = await _code_row(unit, volunteer)
    if row is None or volunteer.guardian_confirmed_at is not None:
        return CodeResult(CodeCheck.NONE)
    if row.tries >= MAX_TRIES:
        return CodeResult(CodeCheck.LOCKED)
    if row.expires_at <= unit.now:
        return CodeResult(CodeCheck.EXPIRED)
    digits = "".join(ch for ch in clean_input(typed) if ch.isdigit())
    # Compared in constant time, so the time an answer takes tells nothing about the code.
    if not hmac.compare_digest(_hash(digits, bytes.fromhex(row.salt)), row.code_hash):
        row.tries += 1
        left = MAX_TRIES - row.tries
        return CodeResult(CodeCheck.WRONG if left else CodeCheck.LOCKED, left)
    await _confirm(unit, volunteer, BY_CODE)
    return CodeResult(CodeCheck.CONFIRMED)


async def confirm_by_staff(unit: Unit, volunteer_id: int) -> Volunteer:
    """Staff confirm a minor's guardian (they spoke with the guardian); audited."""
    require_staff(unit.actor)
    volunteer = await unit.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("web.vol.not_found")
    if volunteer.guardian_confirmed_at is None:
        await _confirm(unit, volunteer, BY_STAFF)
    return volunteer


async def _confirm(unit: Unit, volunteer: Volunteer, by: str) -> None:
    await forget(unit, volunteer)
    volunteer.guardian_confirmed_at, volunteer.guardian_confirmed_by = unit.now, by
    action = "guardian.confirmed_by_code" if by == BY_CODE else "guardian.confirmed_by_staff"
    await unit.audit(action, f"volunteer:{volunteer.id}")
