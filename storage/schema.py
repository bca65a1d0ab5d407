"""Alembic from inside the app: upgrade, and the start-up check for an outdated schema."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import is_sqlite

log = logging.getLogger(__name__)


class SchemaOutdatedError(RuntimeError):
    pass


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "storage:migrations")
    return cfg


def _upgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    # env.py uses this connection instead of opening its own (alembic cookbook pattern).
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def _downgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


def _revisions(conn: Connection) -> tuple[str | None, str | None]:
    current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return current, head


async def check_current(engine: AsyncEngine) -> tuple[str | None, str | None]:
    async with engine.connect() as conn:
        return await conn.run_sync(_revisions)


async def migrate(engine: AsyncEngine) -> Path | None:
    """Upgrade to head; on SQLite, a database whose schema is about to change is backed up
    first (`storage.backup.backup_before_migration`). Returns the backup's path, if any."""
    from storage.backup import backup_before_migration

    url = engine.url.render_as_string(hide_password=False)
    saved = None
    if is_sqlite(url):
        current, head = await check_current(engine)
        saved = await asyncio.to_thread(backup_before_migration, url, current, head)
        if saved is not None:
            log.warning("schema %s -> %s: database backed up first to %s", current, head, saved)
    await upgrade(engine)
    return saved


async def ensure_schema(engine: AsyncEngine) -> None:
    """On the embedded default, migrate; elsewhere refuse to run on an old schema."""
    if is_sqlite(str(engine.url)):
        await migrate(engine)
        return
    current, head = await check_current(engine)
    if current != head:
        raise SchemaOutdatedError(
            f"database schema is at {current or 'nothing'}, the code needs {head}: "
            "run 'shuraka db upgrade'"
        )
