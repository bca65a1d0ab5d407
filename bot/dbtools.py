"""`shuraka db …`: the schema (upgrade, current) and backups (backup FILE, restore FILE)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import ConfigError, Settings
from storage.backup import BackupError, backup, restore
from storage.db import open_database
from storage.schema import check_current, migrate


async def run_db(settings: Settings, action: str, file: str | None = None) -> None:
    url = settings.database_url
    try:
        if action == "backup":
            assert file is not None
            await backup(url, Path(file))
            print(f"backup written to {file} (readable by its owner only)")
            return
        if action == "restore":
            assert file is not None
            await restore(url, Path(file))
            print(f"restored from {file}; start the services again (they migrate if needed)")
            return
    except BackupError as err:
        raise ConfigError(str(err)) from None
    # Not brought up to date on opening: `db current` reports, `db upgrade` migrates (on
    # SQLite after a backup of a database it is about to change).
    async with open_database(settings, ensure=False) as db:
        if action == "upgrade":
            saved = await migrate(db.engine)
            if saved is not None:
                print(f"backup before the migration: {saved}")
        current, head = await check_current(db.engine)
        print(f"schema: {current} (newest: {head})")
