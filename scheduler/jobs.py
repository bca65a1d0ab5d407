"""The periodic jobs of a running bot. Each has a fixed id; the rows they scan are the truth.

A job that fails is logged and paused with a capped backoff (`bot.supervise.guarded`), never
allowed to take the scheduler or the process down; its next run picks up where it left off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.flow import JobEnv, PeriodicJob
from bot.delivery.sender import OutboxSender, fan_out_due
from bot.supervise import guarded
from storage.db import Database

WAKE_SENDER_JOB_ID = "outbox.wake_sender"
FAN_OUT_JOB_ID = "broadcasts.fan_out_due"


class JobTracker:
    """Remembers running jobs so a shutdown can let them finish instead of cancelling them
    mid-transaction (APScheduler's asyncio executor cancels what is still running)."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def wrap(self, job: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[None]]:
        safe = guarded(getattr(job, "__name__", "job"), job)

        async def tracked(*args: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await safe(*args)
            finally:
                if task is not None:
                    self._running.discard(task)

        tracked.__name__ = getattr(job, "__name__", "job")
        return tracked

    async def stop(self, scheduler: AsyncIOScheduler) -> None:
        """No new runs, the running ones finish, then the scheduler stops."""
        if not scheduler.running:
            return
        scheduler.pause()
        current = asyncio.current_task()
        pending = [t for t in self._running if t is not current]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        scheduler.shutdown(wait=False)


def _guard(job: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    return guarded(getattr(job, "__name__", "job"), job)


async def fan_out_and_wake(db: Database, sender: OutboxSender) -> None:
    if await fan_out_due(db, sender.clock(), catalogs=sender.catalogs):
        sender.wake()


async def wake_sender(sender: OutboxSender) -> None:
    # A coroutine on purpose: APScheduler runs plain functions in a thread pool, and an
    # asyncio.Event must only be set from the loop's own thread.
    sender.wake()


def add_delivery_jobs(
    scheduler: AsyncIOScheduler,
    db: Database,
    sender: OutboxSender,
    wake_seconds: float = 2.0,
    fan_out_seconds: float = 10.0,
    tracker: JobTracker | None = None,
) -> None:
    track = tracker.wrap if tracker is not None else _guard
    scheduler.add_job(
        track(wake_sender),
        "interval",
        seconds=wake_seconds,
        args=[sender],
        id=WAKE_SENDER_JOB_ID,
        replace_existing=True,
    )
    scheduler.add_job(
        track(fan_out_and_wake),
        "interval",
        seconds=fan_out_seconds,
        args=[db, sender],
        id=FAN_OUT_JOB_ID,
        replace_existing=True,
    )


async def run_periodic(job: PeriodicJob, env: JobEnv, sender: OutboxSender) -> None:
    # The sender's clock is the process's (the engine's): one "now" for all of it.
    if await job.run(env, sender.clock()):
        sender.wake()


def add_feature_jobs(
    scheduler: AsyncIOScheduler,
    jobs: list[PeriodicJob],
    env: JobEnv,
    sender: OutboxSender,
    tracker: JobTracker | None = None,
) -> None:
    """The periodic jobs features registered (`BotApp.add_periodic`), under their fixed ids."""
    track = tracker.wrap if tracker is not None else _guard
    for job in jobs:
        scheduler.add_job(
            track(run_periodic),
            "interval",
            seconds=job.seconds,
            args=[job, env, sender],
            id=job.id,
            replace_existing=True,
        )
