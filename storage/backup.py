"""Backing the database up and restoring it (`shuraka db backup FILE`, `shuraka db restore FILE`).

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot page by
page while the bot keeps running (WAL readers never block it), first into FILE.partial, then
renamed, so FILE is either the old backup or a whole new one. PostgreSQL: `pg_dump` in its
custom format (restored with `pg_restore`), when the client tools are installed.

A backup holds every person's data: its file is created readable by its owner only (0600),
whatever the umask, also when it replaces an older file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import PRIVATE_FILE_MODE, is_sqlite


class BackupError(Exception):
    """Why a backup or restore could not be done; one line meant for the operator."""


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def _private_empty(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # the umask may have taken bits from os.open's mode
    finally:
        os.close(fd)


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    partial = target.with_name(target.name + ".partial")
    _private_empty(partial)  # SQLite takes an empty file as an empty database
    try:
        _copy(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _check_backup(path: Path) -> None:
    """A restorable file: a sound SQLite database that Alembic has migrated."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            sound = conn.execute("PRAGMA quick_check").fetchone()
            version = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if version is not None:
                version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a Shuraka SQLite backup") from None
    if sound is None or sound[0] != "ok":
        raise BackupError(f"{path} is damaged (SQLite quick_check failed)")
    if version is None:
        raise BackupError(f"{path} has no schema version: not a Shuraka backup")


def restore_sqlite(backup: Path, target: Path) -> None:
    """Copy `backup` over the database at `target` through the backup API (the file keeps its
    0600 and its WAL; a process still connected sees the restored rows, but stop them first:
    what they write meanwhile is lost)."""
    _check_backup(backup)
    if not target.exists():
        _private_empty(target)
    _copy(backup, target)


def backup_before_migration(url: str, revision: str | None, head: str | None) -> Path | None:
    """On SQLite, a copy of the database before Alembic changes its schema (none for a new,
    empty database or one at head): `shuraka.db.before-HEAD-YYYYMMDDTHHMMSSZ.bak`."""
    path = sqlite_file(url) if is_sqlite(url) else None
    if path is None or revision is None or revision == head or not path.is_file():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.before-{head}-{stamp}.bak")
    backup_sqlite(path, target)
    return target


def pg_dump_command(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments and environment for a postgresql+asyncpg URL: the password goes
    in PGPASSWORD, not on the command line (where `ps` shows it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    libpq = parsed.set(drivername="postgresql", password=None)
    uri = libpq.render_as_string(hide_password=False)
    return ["pg_dump", "--format=custom", "--no-owner", f"--dbname={uri}"], env


async def backup_postgresql(url: str, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "pg_dump not found: install the PostgreSQL client tools (the server's major "
            "version), or run pg_dump --format=custom on the database server"
        )
    argv, env = pg_dump_command(url)
    partial = target.with_name(target.name + ".partial")
    _private_empty(partial)
    try:
        fd = os.open(partial, os.O_WRONLY)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=fd, stderr=asyncio.subprocess.PIPE, env=env
            )
            _, err = await proc.communicate()
        finally:
            os.close(fd)
        if proc.returncode != 0:
            first = (err.decode(errors="replace").strip().splitlines() or ["failed"])[0]
            raise BackupError(f"pg_dump: {first}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


async def backup(url: str, target: Path) -> None:
    """A backup of the database at `url` in `target` (0600)."""
    if is_sqlite(url):
        source = sqlite_file(url)
        if source is None:
            raise BackupError("an in-memory database cannot be backed up")
        await asyncio.to_thread(backup_sqlite, source, target)
        return
    await backup_postgresql(url, target)


async def restore(url: str, source: Path) -> None:
    if not is_sqlite(url):
        raise BackupError(
            "restore is for SQLite; on PostgreSQL use pg_restore --clean --no-owner "
            "--dbname=DATABASE FILE (see the README, 'Backups')"
        )
    target = sqlite_file(url)
    if target is None:
        raise BackupError("an in-memory database cannot be restored")
    await asyncio.to_thread(restore_sqlite, source, target)
