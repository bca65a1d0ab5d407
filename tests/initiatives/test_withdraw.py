"""A representative withdraws a proposed initiative while staff have not decided it (waiting,
or waiting for the answer to staff's question): asked to confirm, audited, gone from the staff's
review queue and no longer decidable. A decided one cannot be withdrawn."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import initiatives as svc
from bot.services.errors import Conflict
from bot.settings import Settings
from storage.db import Database
from storage.models_partners import INFO, SUBMITTED, WITHDRAWN
from tests.conftest import Clock
from tests.families.support import staff, user_id
from tests.initiatives.support import audit_actions, initiatives, propose, representative
from tests.support import assert_clean


async def test_a_pending_initiative_is_withdrawn_and_leaves_the_queue(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    boss = await staff(engine)
    rep = await representative(engine, db)
    await propose(rep)
    [initiative] = await initiatives(db)
    # Staff ask a question first: waiting for the answer is still pending.
    await boss.send("/staff")
    await boss.press("irv")
    await boss.press(f"i{initiative.id}")
    await boss.press("in")
    await boss.send("كم عدد الشتلات؟")
    assert (await initiatives(db))[0].status == INFO

    await rep.send("/start")
    await rep.press("inm")
    await rep.press(f"w{initiative.id}")
    assert "هل تريد سحب المبادرة رقم" in rep.text and "حملة تشجير حي الشهداء" in rep.text
    await rep.press("n")
    assert (await initiatives(db))[0].status == INFO
    await rep.press(f"w{initiative.id}")
    await rep.press("y")
    assert "سُحبت المبادرة رقم" in rep.text and "مسحوبة" in rep.text
    assert_clean(rep.last)
    assert not rep.offers(f"w{initiative.id}")
    assert (await initiatives(db))[0].status == WITHDRAWN
    assert "initiative.withdrawn" in await audit_actions(db)

    # Staff: not in the queue; opened by its number, nothing to decide.
    await boss.send("/staff")
    await boss.press("irv")
    assert "حملة تشجير حي الشهداء" not in boss.text and not boss.offers(f"i{initiative.id}")
    boss_id = await user_id(db, "boss")
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(boss_id, "admin"), clock.now, catalogs, settings)
        with pytest.raises(Conflict):
            await svc.approve_initiative(unit, initiative.id)


async def test_a_decided_initiative_cannot_be_withdrawn(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    boss = await staff(engine)
    rep = await representative(engine, db)
    await propose(rep)
    [initiative] = await initiatives(db)
    assert initiative.status == SUBMITTED
    await boss.send("/staff")
    await boss.press("irv")
    await boss.press(f"i{initiative.id}")
    await boss.press("ap")
    await rep.send("/start")
    await rep.press("inm")
    assert not rep.offers(f"w{initiative.id}")
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(await user_id(db, "rep")), clock.now, catalogs, settings)
        with pytest.raises(Conflict):
            await svc.withdraw_initiative(unit, initiative.id)
    assert (await initiatives(db))[0].status == "approved"
