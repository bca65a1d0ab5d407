"""Builds the running pieces from settings: database, catalogs, the feature app and the engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.engine import Engine
from bot.core.i18n import Catalogs, load_catalogs
from bot.handlers import build_app
from bot.settings import Settings
from storage.db import Database, create_database
from storage.schema import ensure_schema


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalogs: Catalogs
    engine: Engine

    async def close(self) -> None:
        await self.db.dispose()


async def create_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    db = create_database(settings.database_url)
    try:
        if migrate:
            await ensure_schema(db.engine)
    except BaseException:
        await db.dispose()
        raise
    catalogs = load_catalogs(default=settings.default_locale)
    engine = Engine(build_app(), db, catalogs, settings)
    return Runtime(settings=settings, db=db, catalogs=catalogs, engine=engine)
