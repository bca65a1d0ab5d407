"""`shuraka db backup FILE` and `shuraka db restore FILE`: a SQLite round trip through the
online backup API (files 0600 whatever the umask), a PostgreSQL dump through pg_dump, clear
refusals, and the backup SQLite takes before a migration changes its schema."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from storage.db import open_database
from storage.models import User
from storage.schema import alembic_config, downgrade, upgrade
from tests.conftest import PG_URL


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _users(url: str) -> int:
    async with open_database(url) as db, db.sessions() as session:
        return int((await session.execute(select(func.count(User.id)))).scalar_one())


async def _add_user(url: str) -> None:
    async with open_database(url) as db, db.transaction() as session:
        session.add(User(locale="ar", role="user"))


async def _shuraka(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    """`shuraka ARGS` (its own event loop, in a thread) on the database at `url`."""
    monkeypatch.setenv("DATABASE_URL", url)
    return await asyncio.to_thread(main, list(args))


async def test_sqlite_backup_and_restore_round_trip(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loose_umask: None,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    await _add_user(url)
    await _add_user(url)
    backup = tmp_path / "backups" / "shuraka-1.db"
    backup.parent.mkdir()
    backup.write_bytes(b"an older, world-readable file")  # replaced, and made private
    os.chmod(backup, 0o644)
    assert await _shuraka(monkeypatch, url, "db", "backup", str(backup)) == 0
    assert _mode(backup) == 0o600
    assert not list(backup.parent.glob("*.partial"))
    await _add_user(url)  # written after the backup: gone after the restore
    assert await _users(url) == 3
    assert await _shuraka(monkeypatch, url, "db", "restore", str(backup)) == 0
    assert await _users(url) == 2
    assert _mode(tmp_path / "live.db") == 0o600
    out = capsys.readouterr().out
    assert "backup written to" in out and "restored from" in out


async def test_restore_refuses_a_file_that_is_no_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database " * 100)
    assert await _shuraka(monkeypatch, url, "db", "restore", str(junk)) == 2
    assert "is not a Shuraka SQLite backup" in capsys.readouterr().err
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.commit()
    assert await _shuraka(monkeypatch, url, "db", "restore", str(empty)) == 2
    assert "no schema version" in capsys.readouterr().err
    assert await _shuraka(monkeypatch, url, "db", "restore", str(tmp_path / "missing.db")) == 2
    assert "no backup file" in capsys.readouterr().err


async def test_sqlite_is_backed_up_before_a_migration_changes_it(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "shuraka.db"
    url = f"sqlite+aiosqlite:///{path}"
    await _add_user(url)  # a new database: migrated, nothing to back up
    assert list(tmp_path.glob("*.bak")) == []
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    assert head is not None
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str)
    async with open_database(url, ensure=False) as db:
        await downgrade(db.engine, previous)
    async with open_database(url):  # what every process does at start
        pass
    [saved] = tmp_path.glob(f"shuraka.db.before-{head}-*.bak")
    assert _mode(saved) == 0o600
    version = sqlite3.connect(saved).execute("SELECT version_num FROM alembic_version")
    assert version.fetchone() == (previous,)
    async with open_database(url):  # at head now: no second backup
        pass
    assert len(list(tmp_path.glob("*.bak"))) == 1


@pytest.mark.skipif(
    PG_URL is None or shutil.which("pg_dump") is None, reason="needs PostgreSQL and pg_dump"
)
async def test_postgresql_backup_is_a_private_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None
) -> None:
    assert PG_URL is not None
    target = tmp_path / "shuraka.dump"
    async with _own_database(PG_URL) as url:
        await _add_user(url)
        assert await _shuraka(monkeypatch, url, "db", "backup", str(target)) == 0
    assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert _mode(target) == 0o600


@asynccontextmanager
async def _own_database(url: str) -> AsyncIterator[str]:
    """A database of this test's own (migrated), dropped afterwards: a
    pg_dump of the shared test database fails when another run drops its schemas meanwhile."""
    name = "backup_" + uuid.uuid4().hex[:12]
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        own = make_url(url).set(database=name).render_as_string(hide_password=False)
        async with open_database(own, ensure=False) as db:
            await upgrade(db.engine)
        yield own
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_postgresql_without_pg_dump_or_restore_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://shuraka:secret@127.0.0.1:1/shuraka"
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump anywhere
    assert await _shuraka(monkeypatch, url, "db", "backup", str(tmp_path / "x.dump")) == 2
    err = capsys.readouterr().err
    assert "pg_dump not found: install the PostgreSQL client tools" in err
    assert "secret" not in err
    assert not (tmp_path / "x.dump").exists()
    assert await _shuraka(monkeypatch, url, "db", "restore", str(tmp_path / "x.dump")) == 2
    assert "pg_restore" in capsys.readouterr().err
