"""The staff's chat review queue of initiatives is paged with the shared pager: staff reach
every initiative waiting, not only the first page."""

from __future__ import annotations

from bot.core.engine import Engine
from storage.db import Database
from tests.families.support import staff
from tests.initiatives.support import add_initiative, add_partner


async def test_staff_page_through_every_initiative_waiting(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    partner_id = await add_partner(db)
    ids = [await add_initiative(db, partner_id, f"مبادرة رقم {n}") for n in range(1, 13)]
    await boss.send("/staff")
    await boss.press("irv")
    assert "12" in boss.text and "الصفحة 1 من 2" in boss.text
    first = {i for i in ids if boss.offers(f"i{i}")}
    assert len(first) == 10 and boss.offers("_nx")
    await boss.press("_nx")
    second = {i for i in ids if boss.offers(f"i{i}")}
    assert first | second == set(ids) and len(second) == 2 and not boss.offers("_nx")
    await boss.press(f"i{ids[-1]}")
    assert "مبادرة رقم 12" in boss.text and boss.offers("ap")
