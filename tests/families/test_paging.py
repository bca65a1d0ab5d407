"""Long staff lists are paged with the one pager (previous / next), the first page as before:
the sites, the review queue and its waiting list, the free stall numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.engine import Engine
from storage.db import Database
from storage.models import User
from storage.models_families import SUBMITTED, WAITLISTED, Family, StallRequest
from tests.families.support import (
    SITE_END,
    SITE_START,
    add_site,
    national_id,
    open_review,
    open_sites_admin,
    staff,
)

CREATED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def add_requests(db: Database, site_id: int, count: int, status: str) -> list[int]:
    """`count` families, each with a request at the site, oldest first."""
    ids = []
    async with db.transaction() as session:
        for n in range(count):
            user = User(locale="ar", role="user", created_at=CREATED)
            session.add(user)
            await session.flush()
            family = Family(
                user_id=user.id,
                family_name=f"أسرة {n + 1}",
                applicant_name="نورة عبدالله",
                applicant_gender="f",
                national_id=national_id(100 + n + (1000 if status == WAITLISTED else 0)),
                mobile="+966512345678",
                district="hawiya",
                categories=["crafts"],
                freelance_doc_number="FL-123456",
                freelance_doc_expiry=date(2027, 12, 31),
                description="حرف يدوية",
                created_at=CREATED,
            )
            session.add(family)
            await session.flush()
            at = CREATED + timedelta(minutes=n)
            request = StallRequest(
                family_id=family.id,
                site_id=site_id,
                stall_type="nonfood",
                start_date=SITE_START,
                end_date=SITE_END,
                status=status,
                waitlisted_at=at if status == WAITLISTED else None,
                created_at=at,
                updated_at=at,
            )
            session.add(request)
            await session.flush()
            ids.append(request.id)
    return ids


async def test_the_sites_list_is_paged(engine: Engine, db: Database) -> None:
    ids = [await add_site(db, name_ar=f"موقع رقم {n}") for n in range(21)]
    boss = await staff(engine)
    await open_sites_admin(boss)
    assert boss.offers(f"s{ids[19]}") and not boss.offers(f"s{ids[20]}")
    assert boss.offers("_nx") and not boss.offers("_pv")
    await boss.press("_nx")
    assert "الصفحة 2 من 2" in boss.text
    assert boss.offers(f"s{ids[20]}") and not boss.offers(f"s{ids[0]}") and boss.offers("_pv")
    await boss.press(f"s{ids[20]}")
    assert "موقع رقم 20" in boss.text


async def test_the_review_queue_and_the_waiting_list_are_paged(
    engine: Engine, db: Database
) -> None:
    site_id = await add_site(db)
    pending = await add_requests(db, site_id, 12, SUBMITTED)
    waiting = await add_requests(db, site_id, 6, WAITLISTED)
    boss = await staff(engine)
    await open_review(boss)
    assert all(boss.offers(f"r{r}") for r in pending[:10] + waiting[:5])
    assert not boss.offers(f"r{pending[10]}") and not boss.offers(f"r{waiting[5]}")
    assert boss.offers("_nx") and "الصفحة 1 من 2" in boss.text
    await boss.press("_nx")
    assert boss.offers(f"r{pending[10]}") and boss.offers(f"r{waiting[5]}")
    assert not boss.offers(f"r{pending[0]}") and not boss.offers("_nx")
    # Back from a request opened on page 2 lands on page 2.
    await boss.press(f"r{pending[11]}")
    await boss.press("back")
    assert "الصفحة 2 من 2" in boss.text and boss.offers(f"r{pending[10]}")


async def test_the_free_stall_numbers_are_paged(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, nonfood_stalls=35)
    (rid,) = await add_requests(db, site_id, 1, SUBMITTED)
    boss = await staff(engine)
    await open_review(boss)
    await boss.press(f"r{rid}")
    await boss.press("ap")
    assert boss.offers("n30") and not boss.offers("n31") and boss.offers("auto")
    await boss.press("_nx")
    assert boss.offers("n31") and boss.offers("n35") and not boss.offers("n1")
    await boss.press("n33")
    async with db.sessions() as session:
        request = await session.get(StallRequest, rid)
        assert request is not None
        assert (request.status, request.stall_number) == ("approved", 33)
