"""Events and shifts straight into the database, and small readers for the tests; for the
events services' tests, people straight into the database and a Unit (one transaction,
committed at the end) acting as one of them or as the system (`World`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services.volunteers import skills_and_key
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, OutboxMessage, Volunteer
from storage.models_events import Event, Shift, ShiftRegistration
from tests.support import Chat

PIN = (21.2703, 40.4158)


@dataclass
class Seeded:
    event_id: int
    shift_ids: list[int]


async def seed_event(
    db: Database,
    now: datetime,
    *,
    shifts: list[dict[str, Any]] | None = None,
    title: str = "حملة تشجير الردف",
    title_en: str | None = "Al-Rudaf tree planting",
    event_type: str = "afforestation",
    days_ahead: int = 3,
    pin: tuple[float, float] | None = PIN,
    place: str = "منتزه الردف",
) -> Seeded:
    """An event `days_ahead` days from `now` with shifts given as dicts of
    start (hours after the event start), hours, capacity, gender, auto."""
    start = now + timedelta(days=days_ahead)
    specs = shifts or [{"start": 0, "hours": 3, "capacity": 2}]
    async with db.transaction() as session:
        event = Event(
            title_ar=title,
            title_en=title_en,
            description_ar="نزرع الأشجار معًا <ونحتفل> & نتعلم",
            description_en="We plant trees together",
            type=event_type,
            place_name=place,
            latitude=pin[0] if pin else None,
            longitude=pin[1] if pin else None,
            starts_at=start,
            ends_at=start + timedelta(hours=max(s["start"] + s["hours"] for s in specs)),
            status="published",
            created_at=now,
        )
        session.add(event)
        await session.flush()
        ids = []
        for spec in specs:
            shift_start = start + timedelta(hours=spec["start"])
            shift = Shift(
                event_id=event.id,
                starts_at=shift_start,
                ends_at=shift_start + timedelta(hours=spec["hours"]),
                capacity=spec.get("capacity", 2),
                gender=spec.get("gender"),
                skills=spec.get("skills", []),
                auto_confirm=spec.get("auto", True),
                status="active",
                revision=0,
            )
            session.add(shift)
            await session.flush()
            ids.append(shift.id)
        return Seeded(event.id, ids)


async def volunteers(engine: Engine, *names: str, locale: str = "ar") -> list[Chat]:
    chats = []
    for name in names:
        chat = Chat(engine, user=name)
        await chat.signup_with_id(name)
        chats.append(chat)
    return chats


async def open_event(chat: Chat, event_id: int) -> None:
    await chat.send("/events")
    await chat.press(f"e{event_id}")


async def register(chat: Chat, event_id: int, shift_id: int) -> None:
    await open_event(chat, event_id)
    await chat.press(f"s{shift_id}")


async def register_or_wait(chat: Chat, event_id: int, shift_id: int) -> None:
    """Register for the shift, or join its waiting list when it is full."""
    await register(chat, event_id, shift_id)
    if chat.offers(f"w{shift_id}"):
        await chat.press(f"w{shift_id}")


async def one_registered_one_waiting(
    engine: Engine, db: Database, now: datetime, first: str, second: str
) -> tuple[Seeded, Chat, Chat]:
    """An event with one one-place shift: volunteer `first` holds the place, `second` joined
    the waiting list. Returns the event and the two chats."""
    seeded = await seed_event(db, now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    holder, waiting = await volunteers(engine, first, second)
    await register(holder, seeded.event_id, shift_id)
    await register(waiting, seeded.event_id, shift_id)
    await waiting.press(f"w{shift_id}")
    return seeded, holder, waiting


async def open_my_registration(chat: Chat) -> None:
    """ "My shifts", then the first registration listed."""
    await chat.send("/myshifts")
    await chat.press_id(next(cid for cid, _ in chat.choices if ":r" in cid))


async def cancel_my_registration(chat: Chat) -> None:
    """Cancel the first registration in "my shifts", confirming it."""
    await open_my_registration(chat)
    await chat.press("x")
    await chat.press("y")


async def staff(engine: Engine) -> Chat:
    boss = Chat(engine, user="boss")
    await boss.onboard()
    return boss


async def open_event_admin(boss: Chat, event_id: int) -> None:
    """The staff page of the event: /staff, events, the event."""
    await boss.send("/staff")
    await boss.press("eva")
    await boss.press(f"e{event_id}")


async def outbox_rows(db: Database, prefix: str = "") -> list[OutboxMessage]:
    async with db.sessions() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if prefix:
            stmt = stmt.where(OutboxMessage.idempotency_key.startswith(prefix))
        return list((await session.execute(stmt)).scalars())


async def registrations(db: Database, shift_id: int | None = None) -> list[ShiftRegistration]:
    async with db.sessions() as session:
        stmt = select(ShiftRegistration).order_by(ShiftRegistration.id)
        if shift_id is not None:
            stmt = stmt.where(ShiftRegistration.shift_id == shift_id)
        return list((await session.execute(stmt)).scalars())


async def status_of(db: Database, user: str) -> dict[int, str]:
    """shift id -> live status of the volunteer whose console user id is `user`."""
    from storage.models import ChannelIdentity

    async with db.sessions() as session:
        rows = await session.execute(
            select(ShiftRegistration.shift_id, ShiftRegistration.status)
            .join(Volunteer, Volunteer.id == ShiftRegistration.volunteer_id)
            .join(ChannelIdentity, ChannelIdentity.user_id == Volunteer.user_id)
            .where(ChannelIdentity.external_id == user, ShiftRegistration.status != "cancelled")
        )
        return {shift_id: status for shift_id, status in rows.all()}


async def user_id(db: Database, user: str) -> int:
    from storage.models import ChannelIdentity

    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    select(ChannelIdentity.user_id).where(ChannelIdentity.external_id == user)
                )
            ).scalar_one()
        )


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
        skills: str | None = None,
    ) -> int:
        """A person reachable on the console (a volunteer unless told otherwise); their id."""
        self._people += 1
        n = self._people
        async with self.db.transaction() as session:
            _, user = await repo.create_user(
                session, "console", f"p{n}", f"p{n}", locale=locale, role=role
            )
            if volunteer:
                typed, key = skills_and_key(skills)
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
                        skills=typed,
                        skills_key=key,
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
