"""Agreements' tests: partners, initiatives, agreements and a partner's events straight into
the database (the partners' own registration is another feature), and a unit to act in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Event
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
