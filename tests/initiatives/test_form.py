"""The "propose an initiative" form's bad answers: each is refused with a clear message and
asked again, the earlier answers kept; and the service refuses what a form would not send."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import initiatives as svc
from bot.services.families import FieldProblem
from bot.settings import Settings
from storage.db import Database
from tests.conftest import Clock
from tests.families.support import register_family, user_id
from tests.initiatives.support import add_partner, initiatives, representative


async def test_bad_dates_and_numbers_are_asked_again_keeping_answers(
    engine: Engine, db: Database
) -> None:
    rep = await representative(engine, db)
    await rep.send("/start")
    await rep.press("ini")
    await rep.send("ح")  # too short a name
    assert "بين 3 و150" in rep.text
    await rep.send("معرض الأسر المنتجة")
    await rep.press("exhibition")
    await rep.send("الشهداء الشمالية")  # typed district
    await rep.send("1/11/2026")  # before the clock's today (25 Nov 2026)
    assert "هذا التاريخ مضى" in rep.text and "متى تبدأ المبادرة" in rep.text
    await rep.send("غير تاريخ")
    assert "متى تبدأ المبادرة" in rep.text
    await rep.send("٢٠/١٢/٢٠٢٦")
    await rep.send("2026-12-15")  # before the start
    assert "تاريخ النهاية قبل تاريخ البداية" in rep.text and "ومتى تنتهي" in rep.text
    await rep.send("٢٢/١٢/٢٠٢٦")
    for bad in ("عشرون", "0", "100000"):
        await rep.send(bad)
        assert "من 1 إلى 500" in rep.text
    await rep.send("٤٠")
    await rep.send("x" * 1001)
    assert "1000" in rep.text and "ماذا تقدّم جهتك" in rep.text
    await rep.send("أجنحة العرض والكهرباء")
    # Every earlier answer is in the summary.
    summary = rep.text
    for kept in ("معرض الأسر المنتجة", "معرض", "الشهداء الشمالية", "40", "أجنحة العرض"):
        assert kept in summary, kept
    await rep.press("_ok")
    [initiative] = await initiatives(db)
    assert (initiative.start_date, initiative.end_date) == (date(2026, 12, 20), date(2026, 12, 22))
    assert initiative.volunteers_wanted == 40 and initiative.category == "exhibition"


async def test_the_service_checks_dates_on_the_units_clock(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    await representative(engine, db)
    uid = await user_id(db, "rep")
    draft = svc.InitiativeDraft(
        "حملة نظافة", "environment", "hawiya", date(2026, 11, 24), date(2026, 11, 30), 5, "أكياس"
    )
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(uid), clock.now, catalogs, settings)
        with pytest.raises(FieldProblem) as past:
            await svc.propose_initiative(unit, draft)
        assert past.value.field == "start"
        backwards = svc.InitiativeDraft(
            "حملة نظافة", "environment", "hawiya", date(2026, 12, 5), date(2026, 12, 1), 5, "أكياس"
        )
        with pytest.raises(FieldProblem) as before:
            await svc.propose_initiative(unit, backwards)
        assert before.value.field == "end"
    assert await initiatives(db) == []


async def test_a_non_representative_is_refused_by_the_service(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    await representative(engine, db, "p1", member_status="pending")
    uid = await user_id(db, "p1")
    draft = svc.InitiativeDraft(
        "حملة نظافة", "environment", "hawiya", date(2026, 12, 5), date(2026, 12, 6), 5, "أكياس"
    )
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(uid), clock.now, catalogs, settings)
        with pytest.raises(svc.NotRepresentative):
            await svc.propose_initiative(unit, draft)


async def test_a_woman_representative_is_addressed_as_one(engine: Engine, db: Database) -> None:
    # Her family registration says she is a woman (the form's applicant gender).
    chat = await register_family(engine, "rf")
    await add_partner(db, member_user=await user_id(db, "rf"))
    await chat.send("/start")
    await chat.press("ini")
    assert "تراجعين الملخص" in chat.text
    await chat.send("حملة توعية صحية")
    await chat.press("health")
    await chat.press("hawiya")
    assert "اكتبي التاريخ" in chat.text
