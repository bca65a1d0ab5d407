"""For the events services' tests: people straight into the database, and a Unit (one
transaction, committed at the end) acting as one of them or as the system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, OutboxMessage, Volunteer
from storage.models_events import Event, Shift, ShiftRegistration


@dataclass
class World:
    """The database, catalogs, settings and clock a service test acts in."""

    db: Database
    catalogs: Catalogs
    settings: Settings
    now: datetime
    _people: int = 0

    async def person(
        self,
        *,
        role: str = "user",
        volunteer: bool = True,
        gender: str = "m",
        locale: str = "ar",
        mobile: str | None = None,
    ) -> int:
        """A person reachable on the console (a volunteer unless told otherwise); their id."""
        self._people += 1
        n = self._people
        async with self.db.transaction() as session:
            _, user = await repo.create_user(
                session, "console", f"p{n}", f"p{n}", locale=locale, role=role
            )
            if volunteer:
                session.add(
                    Volunteer(
                        user_id=user.id,
                        full_name=f"متطوع {n}",
                        national_id=f"10{n:08d}",
                        mobile=mobile or f"05{n:08d}",
                        gender=gender,
                        birth_date=date(1995, 1, 1),
                        birth_calendar="gregorian",
                        district="x",
                        interests=[],
                        availability=[],
                        charter_accepted_at=datetime(2026, 1, 1, tzinfo=UTC),
                    )
                )
            return user.id

    async def staff(self) -> int:
        return await self.person(role="admin", volunteer=False)

    @asynccontextmanager
    async def acting(self, actor: Actor | int, role: str = "user") -> AsyncIterator[Unit]:
        """A unit for `actor` (a person's id, with `role`), committed when the block ends: a
        refusal caught inside the block shows that the service itself wrote nothing."""
        who = actor if isinstance(actor, Actor) else Actor.person(actor, role)
        async with self.db.transaction() as session:
            yield Unit(session, who, self.now, self.catalogs, self.settings)

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.db.sessions() as session:
            stmt = select(model).where(*where).order_by(model.id)
            return list((await session.execute(stmt)).scalars())

    async def audits(self, action: str) -> list[AuditLog]:
        return await self.rows(AuditLog, AuditLog.action == action)

    async def outbox(self, prefix: str) -> list[OutboxMessage]:
        return await self.rows(OutboxMessage, OutboxMessage.idempotency_key.startswith(prefix))

    async def registration(self, reg_id: int) -> ShiftRegistration:
        async with self.db.sessions() as session:
            found = await session.get(ShiftRegistration, reg_id)
        assert found is not None
        return found

    async def shift(self, shift_id: int) -> Shift:
        async with self.db.sessions() as session:
            found = await session.get(Shift, shift_id)
        assert found is not None
        return found

    async def event(self, event_id: int) -> Event:
        async with self.db.sessions() as session:
            found = await session.get(Event, event_id)
        assert found is not None
        return found
