"""An exhibition or national-occasion event of an initiative hosts a market site: staff attach
the site, and a family opening the event is offered "request a stall here", which leads into
the families' own stall request form for that site."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import initiatives as svc
from bot.services.errors import Conflict
from bot.settings import Settings
from storage.db import Database
from storage.models_families import Site
from storage.models_partners import APPROVED, Initiative
from tests.conftest import Clock
from tests.families.support import add_site, register_family, requests, user_id
from tests.initiatives.support import add_partner
from tests.support import Chat


async def approved_initiative(db: Database, category: str = "exhibition") -> int:
    partner_id = await add_partner(db)
    async with db.transaction() as session:
        initiative = Initiative(
            partner_id=partner_id,
            title="معرض الطائف للأسر المنتجة",
            category=category,
            district="hawiya",
            start_date=date(2026, 12, 10),
            end_date=date(2026, 12, 20),
            volunteers_wanted=10,
            partner_provides="أجنحة العرض",
            status=APPROVED,
        )
        session.add(initiative)
        await session.flush()
        return initiative.id


async def test_a_family_requests_a_stall_from_an_exhibition_event(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    initiative_id = await approved_initiative(db)
    site_id = await add_site(db)
    boss = Chat(engine, user="boss")
    await boss.onboard()
    async with db.transaction() as session:
        unit = Unit(
            session,
            Actor.person(await user_id(db, "boss"), "admin"),
            clock.now,
            catalogs,
            settings,
        )
        start = clock.now + timedelta(days=16)
        event = await svc.open_event_for_initiative(
            unit,
            initiative_id,
            place="سوق عكاظ",
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            capacity=3,
        )
        assert event.type == "exhibition"
        event_id = event.id
        await svc.attach_site(unit, site_id, event_id)
    async with db.sessions() as session:
        site = await session.get(Site, site_id)
        assert site is not None and site.event_id == event_id

    family = await register_family(engine, "f1")
    await family.send("/events")
    await family.press(f"e{event_id}")
    assert "جمعية الطائف الخضراء" in family.text
    assert family.offers(f"st{site_id}")
    await family.press(f"st{site_id}")
    assert "طلب بسطة في سوق عكاظ التراثي" in family.text  # the families' own form
    await family.press("nonfood")
    await family.send("١٢/١٢/٢٠٢٦")
    await family.press("last")
    await family.press("_ok")
    [request] = await requests(db)
    assert request.site_id == site_id and request.status == "submitted"

    # A volunteer who has no family is not offered a stall.
    other = Chat(engine, user="o1")
    await other.onboard()
    await other.send("/events")
    await other.press(f"e{event_id}")
    assert not other.offers(f"st{site_id}")


async def test_only_an_exhibition_or_national_event_hosts_a_market(
    db: Database, clock: Clock, catalogs: Catalogs, settings: Settings, engine: Engine
) -> None:
    initiative_id = await approved_initiative(db, category="health")
    site_id = await add_site(db)
    boss = Chat(engine, user="boss")
    await boss.onboard()
    async with db.transaction() as session:
        unit = Unit(
            session,
            Actor.person(await user_id(db, "boss"), "admin"),
            clock.now,
            catalogs,
            settings,
        )
        start = clock.now + timedelta(days=16)
        event = await svc.open_event_for_initiative(
            unit,
            initiative_id,
            place="مركز صحي",
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            capacity=3,
        )
        with pytest.raises(Conflict):
            await svc.attach_site(unit, site_id, event.id)
