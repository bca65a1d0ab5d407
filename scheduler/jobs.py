"""The periodic jobs of a running bot. Each has a fixed id; the rows they scan are the truth.

A job that fails is logged and paused with a capped backoff (`bot.supervise.guarded`), never
allowed to take the scheduler or the process down; its next run picks up where it left off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.flow import JobEnv, PeriodicJob
from bot.delivery.sender import OutboxSender, fan_out_due
from bot.metrics import Metrics, create_metrics
from bot.supervise import guarded
from storage.db import Database

WAKE_SENDER_JOB_ID = "outbox.wake_sender"
FAN_OUT_JOB_ID = "broadcasts.fan_out_due"

log = logging.getLogger(__name__)


# Jobs that run every few seconds and do nearly nothing: counted, not logged at INFO.
QUIET_JOBS = frozenset({WAKE_SENDER_JOB_ID})


def named(job: Callable[..., Awaitable[object]], name: str) -> Callable[..., Awaitable[None]]:
    """`job` under the name its metrics and log lines carry (its scheduler id)."""

    async def run(*args: Any) -> None:
        await job(*args)

    run.__name__ = name
    return run


class JobTracker:
    """Remembers running jobs so a shutdown can let them finish instead of cancelling them
    mid-transaction (APScheduler's asyncio executor cancels what is still running), and
    counts each run and failure in the process's metrics."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._running: set[asyncio.Task[Any]] = set()
        self.metrics = metrics or create_metrics()

    def _counted(self, job: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[None]]:
        name = getattr(job, "__name__", "job")

        async def counted(*args: Any) -> None:
            started = time.perf_counter()
            ok = False
            try:
                await job(*args)
                ok = True
            finally:
                self.metrics.job_ran(name, ok)
            if name not in QUIET_JOBS:
                elapsed = round((time.perf_counter() - started) * 1000, 1)
                extra = {"job": name, "outcome": "done", "duration_ms": elapsed}
                log.info("job %s done", name, extra=extra)

        counted.__name__ = name
        return counted

    def wrap(self, job: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[None]]:
        safe = guarded(getattr(job, "__name__", "job"), self._counted(job))

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
        track(named(wake_sender, WAKE_SENDER_JOB_ID)),
        "interval",
        seconds=wake_seconds,
        args=[sender],
        id=WAKE_SENDER_JOB_ID,
        replace_existing=True,
    )
    scheduler.add_job(
        track(named(fan_out_and_wake, FAN_OUT_JOB_ID)),
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
            track(named(run_periodic, job.id)),
            "interval",
            seconds=job.seconds,
            args=[job, env, sender],
            id=job.id,
            replace_existing=True,
        )
