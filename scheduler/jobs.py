"""The periodic jobs of a running bot. Each has a fixed id; the rows they scan are the truth."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.sender import OutboxSender, fan_out_due
from storage.db import Database

WAKE_SENDER_JOB_ID = "outbox.wake_sender"
FAN_OUT_JOB_ID = "broadcasts.fan_out_due"


async def fan_out_and_wake(db: Database, sender: OutboxSender) -> None:
    if await fan_out_due(db):
        sender.wake()


def add_delivery_jobs(
    scheduler: AsyncIOScheduler,
    db: Database,
    sender: OutboxSender,
    wake_seconds: float = 2.0,
    fan_out_seconds: float = 10.0,
) -> None:
    # Waking is cheap and idempotent; the sender also wakes itself when rows are queued.
    scheduler.add_job(
        sender.wake,
        "interval",
        seconds=wake_seconds,
        id=WAKE_SENDER_JOB_ID,
        replace_existing=True,
    )
    scheduler.add_job(
        fan_out_and_wake,
        "interval",
        seconds=fan_out_seconds,
        args=[db, sender],
        id=FAN_OUT_JOB_ID,
        replace_existing=True,
    )
