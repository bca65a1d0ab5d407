"""The real APScheduler runs the housekeeping job against the real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from apscheduler.events import EVENT_JOB_EXECUTED
from sqlalchemy import select

from scheduler.factory import PRUNE_JOB_ID, add_housekeeping, create_scheduler
from storage import repositories as repo
from storage.db import Database
from storage.models import ProcessedUpdate, utcnow


async def test_housekeeping_prunes_old_update_ids_once_scheduled(db: Database) -> None:
    async with db.transaction() as session:
        assert await repo.mark_processed(session, "telegram", "old")
        assert await repo.mark_processed(session, "telegram", "new")
        old = await session.get(ProcessedUpdate, ("telegram", "old"))
        assert old is not None
        old.processed_at = utcnow() - timedelta(days=8)

    scheduler = create_scheduler()
    add_housekeeping(scheduler, db)
    done = asyncio.Event()
    scheduler.add_listener(lambda event: done.set(), mask=EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        add_housekeeping(scheduler, db)  # a fixed id: adding again replaces, never duplicates
        assert [job.id for job in scheduler.get_jobs()] == [PRUNE_JOB_ID]
        scheduler.modify_job(PRUNE_JOB_ID, next_run_time=utcnow())
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)

    async with db.sessions() as session:
        left = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert left == ["new"]
