"""Recording an agreement: the service's rules hold whatever door calls it (end on or after
start, targets optional and not negative, a known partner, staff only), with audit rows."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.i18n import Catalogs
from bot.core.unit import Actor
from bot.services import agreements as svc
from bot.services.errors import Forbidden
from bot.services.families import FieldProblem
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog
from storage.models_partners import Agreement
from tests.agreements.support import acting, add_partner
from tests.conftest import Clock
from tests.events.support import World

pytestmark = pytest.mark.timeout(60)


def data(partner: int, **changes: object) -> svc.AgreementData:
    values: dict[str, object] = {
        "partner_id": partner,
        "title": "  اتفاقية التشجير  ",
        "start_date": date(2026, 12, 1),
        "end_date": date(2027, 11, 30),
        "status": "signed",
        "target_volunteers": 40,
        "target_hours": 120.5,
        "note": " ",
    }
    values.update(changes)
    return svc.AgreementData(**values)  # type: ignore[arg-type]


async def test_save_checks_the_rules_and_audits(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    world = World(db, catalogs, settings, clock())
    boss = await world.person(role="staff", volunteer=False)
    staff = Actor.person(boss, "staff")
    partner = await add_partner(db)
    refusals = [
        (data(partner, end_date=date(2026, 11, 30)), "end_date", "agr.err.end_before_start"),
        (data(partner, target_events=-1), "target_events", "agr.err.target"),
        (data(partner, target_hours=-0.5), "target_hours", "agr.err.target"),
        (data(partner, status="lost"), "status", "form.err.choose"),
        (data(partner, title="x"), "title", "fam.err.text_length"),
        (data(partner + 99), "partner_id", "form.err.choose"),
    ]
    for bad, field, msgid in refusals:
        async with acting(db, catalogs, settings, clock(), staff) as unit:
            with pytest.raises(FieldProblem) as refused:
                await svc.save_agreement(unit, None, bad)
        assert (refused.value.field, refused.value.msgid) == (field, msgid)
    async with acting(db, catalogs, settings, clock(), Actor.person(boss, "user")) as unit:
        with pytest.raises(Forbidden):
            await svc.save_agreement(unit, None, data(partner))
    assert await world.rows(Agreement) == []

    # The same day for start and end is allowed; no target is no target, not zero.
    one_day = data(partner, end_date=date(2026, 12, 1), target_hours=None, target_families=0)
    async with acting(db, catalogs, settings, clock(), staff) as unit:
        saved = await svc.save_agreement(unit, None, one_day)
    (row,) = await world.rows(Agreement)
    assert (row.title, row.note, row.target_hours, row.target_families) == (
        "اتفاقية التشجير",
        None,
        None,
        0,
    )
    assert row.created_by == boss
    async with acting(db, catalogs, settings, clock(), staff) as unit:
        await svc.save_agreement(unit, saved.id, one_day)  # nothing changed: no audit row
        await svc.save_agreement(unit, saved.id, data(partner, status="active"))
    audits = await world.rows(AuditLog, AuditLog.action.startswith("agreement."))
    assert [(a.action, a.actor) for a in audits] == [
        ("agreement.create", f"user:{boss}"),
        ("agreement.update", f"user:{boss}"),
    ]
    assert audits[1].details["fields"] == ["end_date", "status", "target_families", "target_hours"]
