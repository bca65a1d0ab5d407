"""PDPL and demo data: "my data" lists a representative's memberships, deleting one's data
removes the membership (the organisation stays, with its other representatives); the demo
loads approved partners, each with a confirmed representative who sees "my organisation"."""

from __future__ import annotations

from bot.core.engine import Engine
from bot.demo import load_demo_data
from storage.db import Database
from tests.conftest import Clock
from tests.partners.support import approved, members, partners
from tests.support import Chat


async def test_my_data_shows_the_membership_and_delete_removes_it(
    engine: Engine, db: Database
) -> None:
    await approved(engine, db, "rep")
    rep = Chat(engine, user="rep")
    await rep.send("/mydata")
    assert "عضويتك في الجهات الشريكة" in rep.text and "جمعية البر بالطائف" in rep.text
    await rep.press("del")
    await rep.press("yes")
    assert await members(db) == []
    assert len(await partners(db)) == 1


async def test_demo_partners_are_approved_with_a_confirmed_representative(
    engine: Engine, db: Database, clock: Clock
) -> None:
    await load_demo_data(db, now=clock.now)
    await load_demo_data(db, now=clock.now)  # idempotent
    found = await partners(db)
    assert [p.type for p in found] == ["government", "nonprofit", "company"]
    assert all(p.status == "approved" and p.name_en for p in found)
    assert [m.status for m in await members(db)] == ["confirmed"] * 3
    rep = Chat(engine, user="partner2")
    await rep.send("/start")
    if rep.offers("yes"):  # the demo's consent is not the current notice's version
        await rep.press("yes")
    await rep.press("pto")
    assert "جمعية البر الخيرية بالطائف" in rep.text and "هند الثبيتي" in rep.text
