"""Stored webhook bodies waiting to be processed (see storage/models_channels.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_channels import InboundWork

MAX_ATTEMPTS = 3


async def store(session: AsyncSession, channel: str, payload: dict[str, Any]) -> int:
    work = InboundWork(channel=channel, payload=payload, status="pending", attempts=0)
    session.add(work)
    await session.flush()
    return work.id


async def pending(session: AsyncSession, channel: str, limit: int = 50) -> Sequence[InboundWork]:
    return (
        (
            await session.execute(
                select(InboundWork)
                .where(InboundWork.channel == channel, InboundWork.status == "pending")
                .order_by(InboundWork.id)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )


async def done(session: AsyncSession, work_id: int) -> None:
    await session.execute(
        update(InboundWork).where(InboundWork.id == work_id).values(status="done")
    )


async def failed_attempt(session: AsyncSession, work_id: int, attempts: int, error: str) -> None:
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    await session.execute(
        update(InboundWork)
        .where(InboundWork.id == work_id)
        .values(status=status, attempts=attempts, last_error=error[:300])
    )
