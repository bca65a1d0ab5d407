"""APScheduler is the clock, the database is the truth (DESIGN.md §4).

Jobs get fixed ids (re-adding one replaces it instead of duplicating it) and a misfire grace
time; anything that must not be lost is a row that a job scans, never a job by itself.
"""

from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage import repositories as repo
from storage.db import Database
from storage.models import utcnow

MISFIRE_GRACE_SECONDS = 300
PROCESSED_UPDATES_KEPT = timedelta(days=7)  # Telegram re-delivers for 24 h, Meta for 7 days
PRUNE_JOB_ID = "housekeeping.prune_processed_updates"


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
    """Forget update ids old enough that no platform will deliver them again."""
    async with db.transaction() as session:
        return await repo.prune_processed(session, utcnow() - keep)


def add_housekeeping(scheduler: AsyncIOScheduler, db: Database) -> None:
    scheduler.add_job(
        prune_processed_updates,
        "interval",
        hours=1,
        args=[db],
        id=PRUNE_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow() + timedelta(minutes=1),
    )
