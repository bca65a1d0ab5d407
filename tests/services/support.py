"""What the service tests share: units on the test database acting as someone (`Units`, for
broadcasts, people, staff and volunteers), and families' `World` (people, a clock, a service
call in its own transaction, and readers of what it wrote). The events services' `World` is in
tests/events/support.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import families as svc
from bot.services.family_sites import FamilyProfile, save_family
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, OutboxMessage, User
from storage.models_families import StallRequest, StallRequestChange
from tests.families.support import SITE_END, SITE_START, national_id
from tests.support import NOTICE_VERSION

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Units:
    """Units on the test database, each its own committed transaction."""

    def __init__(self, db: Database, catalogs: Catalogs, settings: Settings) -> None:
        self.db, self.catalogs, self.settings = db, catalogs, settings

    @asynccontextmanager
    async def __call__(self, actor: Actor, now: datetime = NOW) -> AsyncIterator[Unit]:
        async with self.db.transaction() as session:
            yield Unit(session, actor, now, self.catalogs, self.settings)


@pytest.fixture
def units(db: Database, catalogs: Catalogs, settings: Settings) -> Units:
    return Units(db, catalogs, settings)


async def add_person(db: Database, external: str, role: str = "user") -> int:
    """Someone who accepted the notice and can be reached on Telegram."""
    async with db.transaction() as session:
        _, user = await repo.create_user(session, "telegram", external, external, role=role)
        user.consent_version, user.consent_at = NOTICE_VERSION, NOW
        return user.id


async def rows(db: Database, model: Any, *where: Any) -> list[Any]:
    async with db.sessions() as session:
        return list((await session.execute(select(model).where(*where))).scalars().all())


async def count(db: Database, model: Any) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


T = TypeVar("T")


class World:
    """People and a clock; `run` calls a service in its own transaction as someone."""

    def __init__(self, db: Database, catalogs: Catalogs, settings: Settings) -> None:
        self.db, self.catalogs, self.settings = db, catalogs, settings
        self.now = NOW

    async def person(self, role: str = "user", locale: str = "ar") -> Actor:
        async with self.db.transaction() as session:
            user = User(locale=locale, role=role, created_at=self.now)
            session.add(user)
            await session.flush()
            external = f"u{user.id}"
            session.add(
                ChannelIdentity(
                    channel="console", external_id=external, chat_id=external, user_id=user.id
                )
            )
            return Actor.person(user.id, role)

    async def run(
        self, actor: Actor, call: Callable[..., Awaitable[T]], *args: Any, **kw: Any
    ) -> T:
        async with self.db.transaction() as session:
            unit = Unit(session, actor, self.now, self.catalogs, self.settings)
            return await call(unit, *args, **kw)

    async def family(self, seed: int, **changes: Any) -> Actor:
        actor = await self.person()
        await self.run(actor, save_family, profile(seed, **changes))
        return actor

    async def request(self, actor: Actor, site_id: int, stall_type: str = "food") -> int:
        request = await self.run(
            actor, svc.submit_request, site_id, stall_type, SITE_START, SITE_END
        )
        return request.id

    async def row(self, request_id: int) -> StallRequest:
        async with self.db.sessions() as session:
            found = await session.get(StallRequest, request_id)
            assert found is not None
            return found

    async def audits(self) -> list[tuple[str, str, str | None, dict[str, Any]]]:
        async with self.db.sessions() as session:
            rows = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars()
            return [(a.actor, a.action, a.target, a.details) for a in rows]

    async def notices(self, actor: Actor) -> list[tuple[str, str]]:
        """(idempotency key, message id) of the notices queued to a person."""
        async with self.db.sessions() as session:
            stmt = (
                select(OutboxMessage)
                .where(OutboxMessage.user_id == actor.user_id)
                .order_by(OutboxMessage.id)
            )
            rows = (await session.execute(stmt)).scalars()
            return [(n.idempotency_key, n.payload["key"]) for n in rows]

    async def history(self, request_id: int) -> list[tuple[str | None, str, str]]:
        async with self.db.sessions() as session:
            stmt = (
                select(StallRequestChange)
                .where(StallRequestChange.request_id == request_id)
                .order_by(StallRequestChange.id)
            )
            rows = (await session.execute(stmt)).scalars()
            return [(c.from_status, c.to_status, c.actor) for c in rows]

    async def count(self, model: Any) -> int:
        async with self.db.sessions() as session:
            found = (await session.execute(select(func.count()).select_from(model))).scalar()
            return int(found or 0)


def profile(seed: int, **changes: Any) -> FamilyProfile:
    values: dict[str, Any] = {
        "family_name": "مطبخ أم محمد",
        "applicant_name": "نورة عبدالله الحارثي",
        "applicant_gender": "f",
        "national_id": national_id(seed),
        "mobile": "+966512345678",
        "district": "hawiya",
        "categories": ("food", "crafts"),
        "other_category": None,
        "freelance_doc_number": "FL-123456",
        "freelance_doc_expiry": date(2027, 12, 31),
        "health_cert_number": "HC998877",
        "health_cert_expiry": date(2027, 6, 30),
        "description": "أكلات طائفية",
        "photos": (),
        "needs": ("electricity",),
        "birth_date": date(1990, 5, 1),
    }
    values.update(changes)
    return FamilyProfile(**values)


@pytest.fixture
async def world(db: Database, catalogs: Catalogs, settings: Settings) -> World:
    return World(db, catalogs, settings)


@pytest.fixture
async def boss(world: World) -> Actor:
    return await world.person("admin")


# --- registration -------------------------------------------------------------------------------
