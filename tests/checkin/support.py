"""QR check-in tests: a shift starting some time from the clock's now with a known check-in
code, a volunteer's confirmed place on it, and what the database says about it afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import checkin
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog
from storage.models_checkin import ShiftCheckinCode
from storage.models_events import CONFIRMED, ShiftRegistration
from tests.events.support import Seeded, seed_event

CODE = "K7M2QX9P"  # digits in it, so Arabic-Indic digits can be typed
SHOWN = "K7M2-QX9P"


async def shift_in(
    db: Database,
    catalogs: Catalogs,
    settings: Settings,
    now: datetime,
    starts_in: timedelta,
    hours: float = 3,
    code: str = CODE,
) -> Seeded:
    """An event with one shift starting `starts_in` from `now` (negative: it has started), its
    check-in code made by staff and then set to `code` (a known one)."""
    seeded = await seed_event(
        db, now + starts_in, days_ahead=0, shifts=[{"start": 0, "hours": hours, "capacity": 5}]
    )
    shift_id = seeded.shift_ids[0]
    async with db.transaction() as session:
        unit = Unit(session, Actor.system(), now, catalogs, settings)
        await checkin.shift_code(unit, shift_id)
        await session.execute(
            update(ShiftCheckinCode).where(ShiftCheckinCode.shift_id == shift_id).values(code=code)
        )
    return seeded


async def place(db: Database, shift_id: int, volunteer_id: int, status: str = CONFIRMED) -> int:
    async with db.transaction() as session:
        reg = ShiftRegistration(
            shift_id=shift_id,
            volunteer_id=volunteer_id,
            status=status,
            seat=1 if status == CONFIRMED else None,
        )
        session.add(reg)
        await session.flush()
        return reg.id


async def checked_in_at(db: Database, reg_id: int) -> datetime | None:
    async with db.sessions() as session:
        reg = await session.get(ShiftRegistration, reg_id)
        assert reg is not None
        return reg.checked_in_at


async def audits(db: Database, action: str) -> list[AuditLog]:
    async with db.sessions() as session:
        stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return list((await session.execute(stmt)).scalars())


async def current_code(db: Database, shift_id: int) -> str:
    async with db.sessions() as session:
        stmt = select(ShiftCheckinCode.code).where(ShiftCheckinCode.shift_id == shift_id)
        return str((await session.execute(stmt)).scalar_one())
