"""Agreements' tests: partners, initiatives, agreements and a partner's events straight into
the database (the partners' own registration is another feature), and a unit to act in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models_events import Event
from storage.models_families import HOLDS_STALL, Family, StallRequest
from storage.models_partners import APPROVED, Agreement, Initiative, Partner
from tests.events.support import seed_event


async def add_partner(
    db: Database, name: str = "جمعية البر بالطائف", name_en: str | None = "Al-Birr Society"
) -> int:
    async with db.transaction() as session:
        partner = Partner(
            name_ar=name,
            name_en=name_en,
            type="nonprofit",
            contact_name="أحمد",
            contact_mobile="+966500000001",
            areas=[],
            status=APPROVED,
        )
        session.add(partner)
        await session.flush()
        return partner.id


async def add_initiative(db: Database, partner_id: int) -> int:
    async with db.transaction() as session:
        initiative = Initiative(
            partner_id=partner_id,
            title="مبادرة تشجير",
            category="environment",
            district="x",
            start_date=date(2026, 1, 1),
            end_date=date(2027, 12, 31),
            partner_provides="شتلات",
            status=APPROVED,
        )
        session.add(initiative)
        await session.flush()
        return initiative.id


async def add_agreement(
    db: Database,
    partner_id: int,
    start: date,
    end: date,
    status: str = "active",
    title: str = "اتفاقية التشجير",
    **targets: Any,
) -> int:
    async with db.transaction() as session:
        agreement = Agreement(
            partner_id=partner_id,
            title=title,
            start_date=start,
            end_date=end,
            status=status,
            **targets,
        )
        session.add(agreement)
        await session.flush()
        return agreement.id


async def partner_event(
    db: Database, initiative_id: int | None, start: datetime, hours: float = 4, **kw: Any
) -> tuple[int, int]:
    """A one-shift event at `start` opened for an initiative: (event id, shift id)."""
    seeded = await seed_event(
        db, start, days_ahead=0, shifts=[{"start": 0, "hours": hours, "capacity": 9}], **kw
    )
    async with db.transaction() as session:
        event = await session.get(Event, seeded.event_id)
        assert event is not None
        event.initiative_id = initiative_id
    return seeded.event_id, seeded.shift_ids[0]


@asynccontextmanager
async def acting(
    db: Database, catalogs: Catalogs, settings: Settings, now: datetime, actor: Actor
) -> AsyncIterator[Unit]:
    async with db.transaction() as session:
        yield Unit(session, actor, now, catalogs, settings)


def days(n: int) -> timedelta:
    return timedelta(days=n)


async def family_holding(db: Database, n: int, site_id: int, status: str, number: int) -> int:
    """A family (the n-th) with a stall request on a site in `status`: the family's id."""
    async with db.transaction() as session:
        _, user = await repo.create_user(session, "console", f"f{n}", f"f{n}")
        family = Family(
            user_id=user.id,
            family_name=f"أسرة {n}",
            applicant_name=f"مقدمة {n}",
            applicant_gender="f",
            national_id=f"11{n:08d}",
            mobile=f"+9665{n:08d}",
            district="x",
            categories=["food"],
            freelance_doc_number=f"FL{n}",
            freelance_doc_expiry=date(2027, 12, 31),
            description="منتجات منزلية",
        )
        session.add(family)
        await session.flush()
        await add_request(session, family.id, site_id, status, number)
        return family.id


async def add_request(
    session: AsyncSession, family_id: int, site_id: int, status: str, number: int
) -> None:
    session.add(
        StallRequest(
            family_id=family_id,
            site_id=site_id,
            stall_type="food",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 10, 2),
            status=status,
            stall_number=number if status in HOLDS_STALL else None,
        )
    )
