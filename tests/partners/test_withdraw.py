"""The one who registered an organisation withdraws the registration while staff have not
decided it: asked to confirm, audited, gone from the staff's review queue, its number free
again. Nobody else may, and a decided registration cannot be withdrawn."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import partners as svc
from bot.services.errors import Conflict, Forbidden
from bot.settings import Settings
from storage.db import Database
from tests.conftest import Clock
from tests.families.support import staff
from tests.partners.support import (
    approved,
    audit_actions,
    open_review,
    partners,
    register,
    user_id,
)
from tests.support import Chat, assert_clean


async def test_the_registrant_withdraws_a_pending_registration(
    engine: Engine, db: Database
) -> None:
    boss = await staff(engine)
    rep = await register(engine, "rep")
    [partner] = await partners(db)
    await rep.send("/start")
    await rep.press("ptn")
    await rep.press(f"w{partner.id}")
    assert "هل تريد سحب تسجيل «جمعية البر بالطائف»" in rep.text
    await rep.send("ربما")  # neither button: asked again, nothing done
    assert "هل تريد سحب تسجيل" in rep.text and rep.offers("y")
    await rep.press("n")  # kept
    assert (await partners(db))[0].status == "submitted"
    await rep.press(f"w{partner.id}")
    await rep.press("y")
    assert "سُحب تسجيل «جمعية البر بالطائف»" in rep.text
    assert_clean(rep.last)
    assert (await partners(db))[0].status == "withdrawn"
    assert "partner.withdrawn" in await audit_actions(db)
    assert not rep.offers(f"w{partner.id}")  # nothing left to withdraw

    await open_review(boss)
    assert "جمعية البر بالطائف" not in boss.text and not boss.offers(f"p{partner.id}")
    # The number is free again: the organisation registers anew (by another of its people).
    await register(engine, "colleague")
    assert [p.status for p in await partners(db)] == ["withdrawn", "submitted"]


async def test_only_the_registrant_and_only_while_pending(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    await register(engine, "rep")
    [pending] = await partners(db)
    joiner = Chat(engine, user="joiner")
    await joiner.onboard()
    joiner_id = await user_id(db, "joiner")
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(joiner_id), clock.now, catalogs, settings)
        await svc.join_partner(unit, pending.id, "نورة")
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(joiner_id), clock.now, catalogs, settings)
        with pytest.raises(Forbidden):
            await svc.withdraw_partner(unit, pending.id)
    await joiner.send("/start")
    await joiner.press("ptn")
    assert not joiner.offers(f"w{pending.id}")

    decided = await approved(engine, db, "other", number="7009876543")
    other = Chat(engine, user="other")
    await other.send("/start")
    await other.press("ptn")
    assert not other.offers(f"w{decided}")
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(await user_id(db, "other")), clock.now, catalogs, settings)
        with pytest.raises(Conflict):
            await svc.withdraw_partner(unit, decided)
    assert [p.status for p in await partners(db)] == ["submitted", "approved"]
