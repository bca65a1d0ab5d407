"""The real APScheduler runs the housekeeping job against the real database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_EXECUTED
from sqlalchemy import select

from bot.channels.telegram import create_bot
from bot.channels.telegram_transport import TelegramTransport
from bot.core.engine import Engine
from bot.core.flow import JobEnv, PeriodicJob
from bot.core.i18n import Catalogs
from scheduler.factory import PRUNE_JOB_ID, add_housekeeping, create_scheduler
from scheduler.jobs import fan_out_and_wake, run_periodic
from storage import repositories as repo
from storage.db import Database
from storage.models import Broadcast, ProcessedUpdate, utcnow
from tests.conftest import Clock
from tests.delivery.seed import add_broadcast
from tests.fakes.telegram_api import FakeTelegramServer
from tests.telegram.harness import runtime_for


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


async def test_the_channels_sender_and_its_jobs_run_on_the_engines_clock(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    """One "now" per process: the engine's. The wall clock is days after the clock fixture's
    instant, so anything that read it here would see a different time."""
    transport = TelegramTransport(create_bot(fake.token, fake.base_url))
    sender = runtime_for(engine).outbox_sender(transport)
    try:
        seen: list[datetime] = []

        async def record(env: JobEnv, now: datetime) -> int:
            seen.append(now)
            return 0

        job = PeriodicJob("test.clock", 60, record)
        await run_periodic(job, JobEnv(db, catalogs, engine.settings), sender)
        assert seen == [clock.now]

        # Due an hour after the engine's now (long past on the wall clock): not yet.
        broadcast_id = await add_broadcast(db, at=clock.now + timedelta(hours=1))
        await fan_out_and_wake(db, sender)
        async with db.sessions() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None and broadcast.status == "scheduled"
        clock.now += timedelta(hours=1)
        await fan_out_and_wake(db, sender)
        async with db.sessions() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None and broadcast.status == "sending"
    finally:
        await transport.bot.session.close()
