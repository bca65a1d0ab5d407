"""Builds the running pieces from settings: database, catalogs, the feature app and the engine.
What runs around them (sender, jobs, doors, shutdown) is bot.process.owner's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from bot.core.engine import Engine
from bot.core.i18n import Catalogs, load_catalogs
from bot.handlers import build_app
from bot.metrics import Metrics
from bot.settings import Settings
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

    @property
    def metrics(self) -> Metrics:
        """The process's metrics (one registry a runtime), counted by the engine first."""
        return self.engine.metrics

    async def close(self) -> None:
        try:
            await self.engine.close()
        finally:
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
