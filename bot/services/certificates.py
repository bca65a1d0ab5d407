"""Certificates of volunteer hours (issue 15 item 6): a volunteer asks for one, anyone can
verify its code, staff can revoke it.

Only counted hours are certified (`attendance.volunteer_hours`: confirmed, checked-in shifts);
the hours are copied into the certificate when it is issued, so what a verifier sees is what
the paper says. A volunteer's data deleted (PDPL) takes their certificates with it (FK cascade),
and their codes then verify as "not found".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.core.dates import local_day
from bot.core.text import mask_name
from bot.core.throttle import Throttle
from bot.core.unit import Unit
from bot.services.attendance import volunteer_hours
from bot.services.errors import Conflict, NotFound, TooMany, require_staff
from storage import repositories as repo
from storage.models import Volunteer
from storage.models_certificates import Certificate

# No 0/O, 1/I/L: a code read aloud or copied from paper is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
REASON_MAX = 300
VALID = "valid"
REVOKED = "revoked"
# Verifying is public: a person (chat) or an address (web) may check this many codes in the
# window, plenty for a real check, too slow for guessing codes.
VERIFY_TRIES = 10
VERIFY_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class EventHours:
    """One event's certified hours, with its titles (readers pick their language)."""

    title_ar: str
    title_en: str | None
    hours: float


@dataclass(frozen=True)
class Issued:
    certificate: Certificate
    volunteer_name: str
    verify_url: str


@dataclass(frozen=True)
class Verification:
    """What anyone holding a code may learn: a masked name, the hours and the period."""

    code: str
    status: str  # VALID | REVOKED
    masked_name: str
    total_hours: float
    period_from: date
    period_to: date
    issued_at: datetime


def new_code(length: int = CODE_LENGTH) -> str:
    """A random code of CODE_ALPHABET (also the shifts' check-in codes, `bot.services.checkin`)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(typed: str) -> str:
    """A code as typed or scanned: any case, with or without the dash and spaces."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def display_code(code: str) -> str:
    """ "ABCDE-FGHJK": two halves are easier to read out and copy."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def verify_url(unit: Unit, code: str) -> str:
    return f"{unit.settings.web_base_url.rstrip('/')}/verify/{code}"


def event_hours(certificate: Certificate) -> list[EventHours]:
    return [
        EventHours(str(e["title_ar"]), e.get("title_en"), float(e["hours"]))
        for e in certificate.events
    ]


async def issue_certificate(unit: Unit, period: tuple[date, date] | None = None) -> Issued:
    """The acting volunteer's certificate of all their hours (`period` None) or of the shifts
    held between two local days. Refuses when there are no counted hours to certify."""
    user_id = unit.actor.user_id
    volunteer = await repo.volunteer_for_user(unit.session, user_id) if user_id else None
    if volunteer is None:
        raise NotFound("cert.err.no_profile")
    tz = unit.settings.timezone
    by_event: dict[int, dict[str, object]] = {}
    days: list[date] = []
    for shift, event, hours in (await volunteer_hours(unit, volunteer.id)).shifts:
        day = local_day(shift.starts_at, tz)
        if period is not None and not period[0] <= day <= period[1]:
            continue
        days.append(day)
        line = by_event.setdefault(
            event.id,
            {"event_id": event.id, "title_ar": event.title_ar, "title_en": event.title_en},
        )
        line["hours"] = round(float(str(line.get("hours", 0.0))) + hours, 2)
    if not days:
        raise Conflict("cert.err.no_hours")
    first, last = period if period is not None else (min(days), max(days))
    certificate = Certificate(
        volunteer_id=volunteer.id,
        code=await _unused_code(unit),
        period_from=first,
        period_to=last,
        events=list(by_event.values()),
        total_hours=round(sum(float(str(e["hours"])) for e in by_event.values()), 2),
        issued_at=unit.now,
    )
    unit.session.add(certificate)
    await unit.session.flush()
    await unit.audit("certificate.issued", f"certificate:{certificate.id}")
    return Issued(certificate, volunteer.full_name, verify_url(unit, certificate.code))


async def _unused_code(unit: Unit) -> str:
    # 31^10 codes: a clash is all but impossible, but the unique index must never be the
    # thing that refuses a volunteer's request.
    while True:
        code = new_code()
        if await _by_code(unit, code) is None:
            return code


async def _by_code(unit: Unit, code: str) -> Certificate | None:
    stmt = select(Certificate).where(Certificate.code == code)
    return (await unit.session.execute(stmt)).scalar_one_or_none()


async def verify_certificate(unit: Unit, typed_code: str) -> Verification:
    """Anyone may verify a code: a masked name, hours and period, or that it was revoked.
    An unknown code (or one whose volunteer deleted their data) is NotFound."""
    code = normalize_code(typed_code)
    certificate = await _by_code(unit, code) if code else None
    if certificate is None:
        raise NotFound("cert.err.unknown")
    volunteer = await unit.session.get(Volunteer, certificate.volunteer_id)
    return Verification(
        code=code,
        status=REVOKED if certificate.revoked_at is not None else VALID,
        masked_name=mask_name(volunteer.full_name if volunteer else ""),
        total_hours=certificate.total_hours,
        period_from=certificate.period_from,
        period_to=certificate.period_to,
        issued_at=certificate.issued_at,
    )


def verify_throttle() -> Throttle:
    """The count of verifications per client, one per door (chat, web) and process."""
    return Throttle(VERIFY_TRIES, VERIFY_WINDOW)


async def verify_limited(
    unit: Unit, throttle: Throttle, client: str, typed_code: str
) -> Verification:
    """`verify_certificate`, refused with TooMany when `client` checked too many codes lately
    (counted whether the code exists or not: guessing is what the limit slows)."""
    if not throttle.allow(client, unit.now):
        raise TooMany()
    return await verify_certificate(unit, typed_code)


async def revoke_certificate(
    unit: Unit, typed_code: str, reason: str = "", volunteer_id: int | None = None
) -> Certificate:
    """Staff withdraw a certificate (issued by mistake, attendance corrected): it then verifies
    as revoked. Revoking twice is refused. With `volunteer_id` (the web page it was pressed
    on) a code of somebody else is unknown, so a stale or edited form cannot revoke it."""
    require_staff(unit.actor)
    certificate = await _by_code(unit, normalize_code(typed_code))
    if certificate is None or volunteer_id not in (None, certificate.volunteer_id):
        raise NotFound("cert.err.unknown")
    if certificate.revoked_at is not None:
        raise Conflict("cert.err.already_revoked")
    certificate.revoked_at = unit.now
    certificate.revoked_by = unit.actor.user_id
    certificate.revoke_reason = reason.strip()[:REASON_MAX] or None
    await unit.audit("certificate.revoked", f"certificate:{certificate.id}")
    return certificate


async def volunteer_certificates(unit: Unit, volunteer_id: int) -> list[Certificate]:
    """A volunteer's certificates, newest first (for staff)."""
    require_staff(unit.actor)
    return await _certificates_of(unit, volunteer_id)


async def own_certificates(unit: Unit) -> list[Certificate]:
    """The acting person's own certificates, newest first ("my data" lists them)."""
    user_id = unit.actor.user_id
    volunteer = await repo.volunteer_for_user(unit.session, user_id) if user_id else None
    return await _certificates_of(unit, volunteer.id) if volunteer else []


async def _certificates_of(unit: Unit, volunteer_id: int) -> list[Certificate]:
    stmt = (
        select(Certificate)
        .where(Certificate.volunteer_id == volunteer_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return list((await unit.session.execute(stmt)).scalars())
