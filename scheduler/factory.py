"""APScheduler is the clock, the database is the truth (DESIGN.md §4).

Jobs get fixed ids (re-adding one replaces it instead of duplicating it) and a misfire grace
time; anything that must not be lost is a row that a job scans, never a job by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.supervise import guarded
from storage import inbound
from storage import repositories as repo
from storage.db import Database
from storage.models import utcnow

Wrap = Callable[[Callable[..., Awaitable[object]]], Callable[..., Awaitable[None]]]
MISFIRE_GRACE_SECONDS = 300
PROCESSED_UPDATES_KEPT = timedelta(days=7)  # Telegram re-delivers for 24 h, Meta for 7 days
PRUNE_JOB_ID = "housekeeping.prune_processed_updates"
INBOUND_PURGE_JOB_ID = "housekeeping.purge_inbound_work"
INBOUND_PENDING_KEPT = timedelta(days=7)  # Meta stops retrying a webhook after 7 days

log = logging.getLogger(__name__)


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone="UTC",
        job_defaults={
            "coalesce": True,  # after downtime, run a periodic job once, not once per miss
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )


async def prune_processed_updates(db: Database, keep: timedelta = PROCESSED_UPDATES_KEPT) -> int:
    """Forget update ids old enough that no platform will deliver them again, and replies
    saved for a re-delivery (bot/core/replay.py) that are too old to be sent any more: they
    may name other people, and nothing reads them after PENDING_REPLIES_KEPT."""
    now = utcnow()
    async with db.transaction() as session:
        await repo.clear_pending_replies(session, before=now - repo.PENDING_REPLIES_KEPT)
        return await repo.prune_processed(session, now - keep)


async def purge_inbound_work(db: Database, failed_kept: timedelta) -> int:
    """Raw webhook bodies are personal data: processed ones are deleted at once by the worker;
    this removes failed ones after their retention and any left behind. Counts, never
    contents, are logged."""
    now = utcnow()
    async with db.transaction() as session:
        removed = await inbound.purge_old(session, now - failed_kept, now - INBOUND_PENDING_KEPT)
    log.info(
        "inbound bodies purged: %d (failed ones kept %d h)",
        removed,
        failed_kept.total_seconds() // 3600,
    )
    return removed


def add_inbound_purge(
    scheduler: AsyncIOScheduler, db: Database, failed_kept: timedelta, wrap: Wrap | None = None
) -> None:
    """Daily, and a few minutes after start (a process down for days catches up at once)."""
    scheduler.add_job(
        (wrap or _guard)(purge_inbound_work),
        "interval",
        days=1,
        args=[db, failed_kept],
        id=INBOUND_PURGE_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow() + timedelta(minutes=2),
    )


def _guard(job: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[None]]:
    return guarded(getattr(job, "__name__", "job"), job)


def add_housekeeping(scheduler: AsyncIOScheduler, db: Database, wrap: Wrap | None = None) -> None:
    scheduler.add_job(
        (wrap or _guard)(prune_processed_updates),
        "interval",
        hours=1,
        args=[db],
        id=PRUNE_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow() + timedelta(minutes=1),
    )
