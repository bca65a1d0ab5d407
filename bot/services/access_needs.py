"""A volunteer's own access needs (issue 15 §4): health data under the PDPL.

Asked only after a separate, explicit consent (what the needs are for, who sees them, that they
can be deleted any time); kept with that consent's time and version; withdrawing the consent
deletes the needs. Staff see them only beside the volunteer's name on the registrants of a
shift the volunteer joined: never in the directory, a profile, an export, a broadcast, a log or
the audit trail (which records that consent was given or withdrawn, never the words).
"""

from __future__ import annotations

from bot.core.text import clean_input
from bot.core.unit import Unit
from bot.services.errors import ServiceError, require_staff
from storage import registrations as reg_store
from storage import repositories as repo
from storage.models import Volunteer

CONSENT_VERSION = "access-1"  # bumped when the consent notice's wording changes
NEEDS_MAX = 300


def clean_needs(typed: str | None) -> str | None:
    """The needs as typed, cleaned; None when nothing is left."""
    if typed is None:
        return None
    text = clean_input(typed)
    if len(text) > NEEDS_MAX:
        raise ServiceError("err.text.too_long", limit=NEEDS_MAX)
    if text and not any(ch.isalpha() for ch in text):  # emoji or digits alone say no need
        raise ServiceError("vol.err.access_needs")
    return text or None


async def apply_consent(
    unit: Unit, volunteer: Volunteer, consent: bool | None, needs: str | None
) -> None:
    """Keep the needs with the consent (None: the question was not asked; nothing changes).
    A "no" deletes whatever was kept."""
    if consent is None:
        return
    had = volunteer.access_consent_at is not None
    if not consent:
        volunteer.access_needs = None
        volunteer.access_consent_at = None
        volunteer.access_consent_version = None
        if had:
            await unit.audit("volunteer.access_consent_withdrawn", f"user:{volunteer.user_id}")
        return
    if not had or volunteer.access_consent_version != CONSENT_VERSION:
        volunteer.access_consent_at = unit.now
        volunteer.access_consent_version = CONSENT_VERSION
        await unit.audit("volunteer.access_consent_given", f"user:{volunteer.user_id}")
    volunteer.access_needs = clean_needs(needs)


async def withdraw_consent(unit: Unit, user_id: int) -> bool:
    """The volunteer withdraws the consent: the needs are deleted. False: nothing was kept."""
    volunteer = await repo.volunteer_for_user(unit.session, user_id)
    if volunteer is None or volunteer.access_consent_at is None:
        return False
    await apply_consent(unit, volunteer, False, None)
    return True


async def needs_on_shift(unit: Unit, shift_id: int) -> dict[int, str]:
    """Staff: the access needs of the volunteers holding or waiting for a place on this shift
    (volunteer id → needs), only of those who consented."""
    require_staff(unit.actor)
    people = await reg_store.registrants(unit.session, shift_id=shift_id)
    return {
        p.volunteer.id: p.volunteer.access_needs
        for p in people
        if p.volunteer.access_consent_at is not None and p.volunteer.access_needs
    }
