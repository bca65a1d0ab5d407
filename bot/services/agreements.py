"""Agreements staff record with partners (issue 15 item 3): saving one (every rule here, for
any door), and the daily job that reminds staff before an agreement in force ends and expires
it after its last day.

Reminders go to every staff member (`staff_notices.staff_members`), 60 and then 30 days before
the end, each once: its idempotency key holds the agreement, the stage and the end day (moving
the end day makes new reminders due). The job runs more often than daily so that a restart
does not delay it; the keys keep it to once. A day is a local day (settings.timezone).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from bot.core.dates import fmt_date, local_day
from bot.core.unit import Unit
from bot.services.errors import NotFound, require_staff
from bot.services.families import FieldProblem
from bot.services.staff_notices import staff_members
from storage import agreements as store
from storage.models_partners import AGREEMENT_STATUSES, Agreement, Partner

__all__ = [
    "REMINDER_DAYS",
    "TARGETS",
    "AgreementData",
    "get_agreement",
    "list_agreements",
    "partner_choices",
    "partner_name",
    "partners_with_agreements",
    "remind_and_expire",
    "save_agreement",
]

TITLE_MIN, TITLE_MAX, NOTE_MAX = 2, 200, 1000
TARGET_MAX = 1_000_000  # far above any partner's year; a typo of extra digits is refused
TARGETS = ("target_volunteers", "target_hours", "target_events", "target_families")
REMINDER_DAYS = (60, 30)  # days before the end; the nearer stage is the one that is due
KEY_PREFIX = "agr:"


@dataclass(frozen=True)
class AgreementData:
    """An agreement as a form states it; targets None: no target of that kind."""

    partner_id: int
    title: str
    start_date: date
    end_date: date
    status: str
    target_volunteers: int | None = None
    target_hours: float | None = None
    target_events: int | None = None
    target_families: int | None = None
    note: str | None = None


def partner_name(partner: Partner, locale: str) -> str:
    return partner.name_en if locale == "en" and partner.name_en else partner.name_ar


async def get_agreement(unit: Unit, agreement_id: int) -> tuple[Agreement, Partner]:
    require_staff(unit.actor)
    agreement = await store.get_agreement(unit.session, agreement_id)
    partner = await store.get_partner(unit.session, agreement.partner_id) if agreement else None
    if agreement is None or partner is None:
        raise NotFound("agr.err.gone")
    return agreement, partner


async def list_agreements(
    unit: Unit, *, status: str | None = None, partner_id: int | None = None
) -> list[tuple[Agreement, Partner]]:
    require_staff(unit.actor)
    if status and status not in AGREEMENT_STATUSES:
        status = None
    return await store.list_agreements(unit.session, status=status, partner_id=partner_id)


async def partner_choices(unit: Unit, keep: int | None = None) -> list[Partner]:
    """The partners the form offers: approved ones, and `keep` (the edited agreement's)."""
    require_staff(unit.actor)
    return await store.partners_to_choose(unit.session, keep)


async def partners_with_agreements(unit: Unit) -> list[Partner]:
    require_staff(unit.actor)
    return await store.partners_with_agreements(unit.session)


def _check(data: AgreementData) -> None:
    """The rules of an agreement's fields; the first one broken is raised."""
    title = data.title.strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise FieldProblem("fam.err.text_length", "title", min=TITLE_MIN, max=TITLE_MAX)
    if data.end_date < data.start_date:
        raise FieldProblem("agr.err.end_before_start", "end_date", start=data.start_date)
    if data.status not in AGREEMENT_STATUSES:
        raise FieldProblem("form.err.choose", "status")
    for name in TARGETS:
        value = getattr(data, name)
        if value is not None and not 0 <= value <= TARGET_MAX:
            raise FieldProblem("agr.err.target", name, max=TARGET_MAX)
    if data.note and len(data.note) > NOTE_MAX:
        raise FieldProblem("fam.err.text_length", "note", min=0, max=NOTE_MAX)


async def save_agreement(unit: Unit, agreement_id: int | None, data: AgreementData) -> Agreement:
    """Create an agreement (`agreement_id` None) or change one; an audit row names what
    changed. Raises FieldProblem naming the field whose rule is broken."""
    require_staff(unit.actor)
    _check(data)
    partner = await store.get_partner(unit.session, data.partner_id)
    if partner is None:
        raise FieldProblem("form.err.choose", "partner_id")
    values: dict[str, Any] = {f.name: getattr(data, f.name) for f in fields(data)}
    values["title"] = data.title.strip()
    values["note"] = (data.note or "").strip() or None
    if agreement_id is None:
        agreement = Agreement(**values, created_by=unit.actor.user_id, created_at=unit.now)
        unit.session.add(agreement)
        await unit.session.flush()
        await unit.audit(
            "agreement.create", f"agreement:{agreement.id}", partner=partner.id, status=data.status
        )
        return agreement
    found = await store.get_agreement(unit.session, agreement_id, lock=True)
    if found is None:
        raise NotFound("agr.err.gone")
    if found.partner_id != data.partner_id and data.partner_id not in {
        p.id for p in await store.partners_to_choose(unit.session, found.partner_id)
    }:
        raise FieldProblem("form.err.choose", "partner_id")
    changed = sorted(k for k, v in values.items() if getattr(found, k) != v)
    for key in changed:
        setattr(found, key, values[key])
    if changed:
        found.updated_at = unit.now
        await unit.audit(
            "agreement.update", f"agreement:{found.id}", fields=changed, status=found.status
        )
    return found


# --- the daily job --------------------------------------------------------------------------------
def due_stage(days_left: int) -> int | None:
    """The reminder due with `days_left` days to the end (60 or 30), or None: the nearest
    stage not yet passed, so a job that missed the exact day still reminds once."""
    due = [d for d in REMINDER_DAYS if 0 <= days_left <= d]
    return min(due) if due else None


async def remind_and_expire(unit: Unit) -> int:
    """Expire agreements in force whose last day has passed (an audit row each, by the
    system), then remind every staff member of those ending within 60 and within 30 days, in
    their language, once per stage. Returns how many reminders were queued."""
    today = local_day(unit.now, unit.timezone)
    for agreement in await store.in_force_ended(unit.session, today):
        before, agreement.status = agreement.status, store.EXPIRED
        agreement.updated_at = unit.now
        await unit.audit(
            "agreement.expired",
            f"agreement:{agreement.id}",
            was=before,
            end=str(agreement.end_date),
        )
    ending = await store.in_force_ending(
        unit.session, today, date.fromordinal(today.toordinal() + max(REMINDER_DAYS))
    )
    if not ending:
        return 0
    staff = await staff_members(unit)
    queued = 0
    for agreement in ending:
        days_left = agreement.end_date.toordinal() - today.toordinal()
        stage = due_stage(days_left)
        partner = await store.get_partner(unit.session, agreement.partner_id)
        if stage is None or partner is None:
            continue
        for user in staff:
            # Rendered now in the reader's language: the end day in their calendar words.
            tr = unit.catalogs.translator(user.locale)
            queued += await unit.notifier.send(
                user.id,
                "agr.n.ending",
                idempotency_key=(
                    f"{KEY_PREFIX}a{agreement.id}:d{stage}:{agreement.end_date}:u{user.id}"
                ),
                params={
                    "title": agreement.title,
                    "partner": partner_name(partner, tr.locale),
                    "end": fmt_date(tr, agreement.end_date),
                    "link": f"{str(unit.settings.web_base_url).rstrip('/')}/agreements/"
                    f"{agreement.id}/edit",
                },
                count=days_left,
            )
    return queued
