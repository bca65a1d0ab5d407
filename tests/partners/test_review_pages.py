"""The staff's chat review queue of organisations is paged with the shared pager: staff reach
every organisation waiting, not only the first page, and come back to the page they were on."""

from __future__ import annotations

from bot.core.engine import Engine
from storage.db import Database
from storage.models_partners import INFO, SUBMITTED, Partner
from tests.families.support import staff
from tests.partners.support import open_review


async def test_staff_page_through_every_organisation_waiting(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    async with db.transaction() as s:
        rows = [
            Partner(
                name_ar=f"جهة رقم {n}",
                type="nonprofit",
                id_kind="unified",
                reg_number=f"70000000{n:02d}",
                contact_name="هند",
                contact_mobile="+966551234567",
                areas=["social"],
                status=INFO if n % 5 == 0 else SUBMITTED,
            )
            for n in range(1, 24)
        ]
        s.add_all(rows)
        await s.flush()
        ids = [p.id for p in rows]
    await open_review(boss)
    assert "23" in boss.text and "الصفحة 1 من 3" in boss.text
    first = {i for i in ids if boss.offers(f"p{i}")}
    assert len(first) == 10 and boss.offers("_nx") and not boss.offers("_pv")
    await boss.press("_nx")
    second = {i for i in ids if boss.offers(f"p{i}")}
    await boss.press("_nx")
    third = {i for i in ids if boss.offers(f"p{i}")}
    assert not boss.offers("_nx") and boss.offers("_pv")
    assert first | second | third == set(ids) and len(third) == 3
    # Opening one on the last page and going back keeps that page.
    last = next(iter(third))
    await boss.press(f"p{last}")
    assert f"جهة رقم {ids.index(last) + 1}" in boss.text
    await boss.press("back")
    assert boss.offers(f"p{last}")
