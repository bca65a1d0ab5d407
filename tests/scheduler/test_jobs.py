"""The real APScheduler runs the housekeeping job against the real database."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from sqlalchemy import select

from bot.channels.telegram import AiogramClient, create_bot
from bot.channels.telegram_transport import TelegramTransport
from bot.core.engine import Engine
from bot.core.flow import JobEnv, PeriodicJob
from bot.core.i18n import Catalogs
from bot.process.owner import ProcessOwner
from bot.supervise import Backoff, guarded
from fakes.telegram_api import FakeTelegramServer
from scheduler.factory import (
    INBOUND_PURGE_JOB_ID,
    PRUNE_JOB_ID,
    add_housekeeping,
    add_inbound_purge,
    create_scheduler,
)
from scheduler.jobs import fan_out_and_wake, run_periodic
from storage import repositories as repo
from storage.db import Database
from storage.models import Broadcast, ProcessedUpdate, utcnow
from storage.models_channels import InboundWork
from tests.channels.telegram.support import runtime_for
from tests.conftest import Clock
from tests.delivery.support import add_broadcast


async def test_housekeeping_prunes_old_update_ids_once_scheduled(db: Database) -> None:
    async with db.transaction() as session:
        assert await repo.mark_processed(session, "telegram", "old")
        assert await repo.mark_processed(session, "telegram", "new")
        old = await session.get(ProcessedUpdate, ("telegram", repo.dedupe_key("old")))
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
    assert left == [repo.dedupe_key("new")]


async def test_the_daily_purge_removes_raw_bodies_past_their_retention(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"entry": [{"changes": [{"value": {"messages": [{"from": "966512345678"}]}}]}]}
    now = utcnow()
    ages = {
        "failed-old": ("failed", timedelta(hours=25)),
        "failed-new": ("failed", timedelta(hours=23)),
        "done-new": ("done", timedelta(minutes=1)),  # left by an older version
        "pending-new": ("pending", timedelta(hours=30)),  # still owed an answer
        "pending-stale": ("pending", timedelta(days=8)),  # Meta gave up long ago
    }
    async with db.transaction() as session:
        for label, (status, age) in ages.items():
            session.add(
                InboundWork(
                    channel="whatsapp",
                    payload=body,
                    status=status,
                    attempts=0,
                    last_error=label,
                    received_at=now - age,
                )
            )

    scheduler = create_scheduler()
    add_inbound_purge(scheduler, db, timedelta(hours=24))
    done = asyncio.Event()
    scheduler.add_listener(lambda event: done.set(), mask=EVENT_JOB_EXECUTED)
    caplog.set_level(logging.INFO, logger="scheduler.factory")
    scheduler.start()
    try:
        job = scheduler.get_job(INBOUND_PURGE_JOB_ID)
        assert job is not None and job.trigger.interval == timedelta(days=1)
        scheduler.modify_job(INBOUND_PURGE_JOB_ID, next_run_time=utcnow())
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)

    async with db.sessions() as session:
        left = (await session.execute(select(InboundWork.last_error))).scalars().all()
    assert sorted(left, key=str) == ["failed-new", "pending-new"]  # last_error is nullable
    [line] = [r.getMessage() for r in caplog.records if "inbound bodies purged" in r.message]
    assert "purged: 3" in line and "24 h" in line and "966" not in line


async def test_a_failing_job_is_logged_paused_and_tried_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    phone = "966512345678"

    async def flaky() -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError(f"not stored for {phone}")  # its text holds personal data

    job = guarded("flaky", flaky, Backoff(first=0.05, cap=0.1))
    await job()  # fails: paused 0.05 s
    await job()  # skipped while paused
    assert len(calls) == 1
    await asyncio.sleep(0.06)
    await job()  # fails again: paused 0.1 s
    await asyncio.sleep(0.11)
    await job()  # succeeds
    await job()  # and the next run is not paused
    assert len(calls) == 4
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all("RuntimeError" in r.getMessage() for r in errors)
    assert not any(phone in r.getMessage() for r in caplog.records)


async def test_the_channels_sender_and_its_jobs_run_on_the_engines_clock(
    engine: Engine, db: Database, catalogs: Catalogs, clock: Clock, fake: FakeTelegramServer
) -> None:
    """One "now" per process: the engine's. The wall clock is days after the clock fixture's
    instant, so anything that read it here would see a different time."""
    transport = TelegramTransport(AiogramClient(create_bot(fake.token, fake.base_url)))
    sender = ProcessOwner(runtime_for(engine)).sender_for(transport)
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
        await transport.close()
