"""Builds the running pieces from settings: database, catalogs, the feature app and the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.engine import Engine
from bot.core.flow import JobEnv
from bot.core.i18n import Catalogs, load_catalogs
from bot.delivery.sender import OutboxSender, config_from_settings
from bot.delivery.transport import Transport
from bot.handlers import build_app
from bot.settings import Settings
from scheduler.factory import add_housekeeping
from scheduler.jobs import JobTracker, add_delivery_jobs, add_feature_jobs
from storage.db import Database, open_database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalogs: Catalogs
    engine: Engine
    # What `create_runtime` opened (the database): closed by `close()`. Empty for a runtime
    # built around a database someone else owns (tests).
    _owned: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    def outbox_sender(self, *transports: Transport) -> OutboxSender:
        """The notification sender of a channel's process, woken by the engine after every
        commit that queued notifications."""
        sender = OutboxSender(
            self.db,
            self.catalogs,
            {transport.channel: transport for transport in transports},
            config_from_settings(self.settings),
            # The engine's clock: offers and reminders it dates are judged by the same time.
            clock=self.engine.clock,
        )
        self.engine.on_notified.append(sender.wake)
        return sender

    def start_jobs(
        self, scheduler: AsyncIOScheduler, sender: OutboxSender, tracker: JobTracker
    ) -> None:
        """Housekeeping, the sender's wake-up and broadcast fan-out, the features' jobs."""
        add_housekeeping(scheduler, self.db)
        add_delivery_jobs(scheduler, self.db, sender, tracker=tracker)
        env = JobEnv(self.db, self.catalogs, self.settings)
        add_feature_jobs(scheduler, self.engine.app.periodic, env, sender, tracker=tracker)
        scheduler.start()

    async def close(self) -> None:
        await self._owned.aclose()


async def create_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """The running pieces; `close()` disposes of the database. Prefer `open_runtime`."""
    owned = AsyncExitStack()
    try:
        db = await owned.enter_async_context(open_database(settings, ensure=migrate))
        catalogs = load_catalogs(default=settings.default_locale)
        engine = Engine(build_app(), db, catalogs, settings)
    except BaseException:
        await owned.aclose()
        raise
    return Runtime(settings=settings, db=db, catalogs=catalogs, engine=engine, _owned=owned)


@asynccontextmanager
async def open_runtime(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Runtime]:
    """The runtime of one process; the database is disposed of last, on the way out."""
    runtime = await create_runtime(settings, migrate=migrate)
    try:
        yield runtime
    finally:
        await runtime.close()
