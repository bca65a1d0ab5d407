"""The shifts' check-in codes: find a shift by its code, read or replace a shift's code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_checkin import ShiftCheckinCode
from storage.models_events import Shift


async def code_row(session: AsyncSession, shift_id: int) -> ShiftCheckinCode | None:
    stmt = select(ShiftCheckinCode).where(ShiftCheckinCode.shift_id == shift_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def shift_of_code(session: AsyncSession, code: str) -> Shift | None:
    """The shift whose current code this is (a rotated-away code names none)."""
    stmt = (
        select(Shift)
        .join(ShiftCheckinCode, ShiftCheckinCode.shift_id == Shift.id)
        .where(ShiftCheckinCode.code == code)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def code_taken(session: AsyncSession, code: str) -> bool:
    stmt = select(ShiftCheckinCode.id).where(ShiftCheckinCode.code == code)
    return (await session.execute(stmt)).first() is not None
