"""Operating the bot safely: ADMIN_IDS checked at start, files with personal data readable by
their owner only, demo data kept out of a database with real users, CLI logs masked."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.logs import PersonalDataFilter
from bot.settings import ConfigError, load_settings
from storage import repositories as repo
from storage.db import open_database
from storage.schema import upgrade
from tests.families.support import add_site

ENV_VARS = ("DATABASE_URL", "ADMIN_IDS", "TIMEZONE", "DEFAULT_LOCALE", "PRIVACY_NOTICE_VERSION")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "ops.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=[0o000, 0o277], ids=["umask-000", "umask-277"])
def any_umask(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Modes must not depend on the operator's umask: the most permissive one, and one that
    even takes the owner's write bit (folders are made before it applies)."""
    for folder in ("new", "data"):
        (tmp_path / folder).mkdir(mode=0o700)
    old = os.umask(request.param)
    try:
        yield
    finally:
        os.umask(old)


async def new_site(db_file: Path) -> int:
    async with open_database(f"sqlite+aiosqlite:///{db_file}", ensure=False) as db:
        return await add_site(db)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


# --- ADMIN_IDS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("telegram:1,sms:5", "sms:5"),  # unknown channel
        ("whatsapp:+966512345678", "whatsapp:+966512345678"),  # WhatsApp ids have no "+"
        ("whatsapp:9665-1234", "whatsapp:9665-1234"),
        ("telegram:abc", "telegram:abc"),
        ("telegram:-100123", "telegram:-100123"),  # a group, not a user
        ("12x", "telegram:12x"),  # a bare entry means Telegram
        ("console:two words", "console:two words"),
        ("console:", "console:"),
    ],
)
def test_bad_admin_ids_entry_is_a_one_line_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str, bad: str
) -> None:
    monkeypatch.setenv("ADMIN_IDS", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "ADMIN_IDS" in message and repr(bad) in message and "\n" not in message
    assert main(["staff", "list"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and repr(bad) in lines[0]


def test_good_admin_ids_on_every_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "telegram:123, whatsapp:966512345678,console:staff_1,42")
    assert load_settings().admin_ids == [
        "telegram:123",
        "whatsapp:966512345678",
        "console:staff_1",
        "telegram:42",
    ]


# --- file modes ----------------------------------------------------------------------------------


async def test_sqlite_database_and_its_wal_files_are_owner_only(
    tmp_path: Path, any_umask: None
) -> None:
    path = tmp_path / "new" / "bot.db"
    async with open_database(f"sqlite+aiosqlite:///{path}", ensure=False) as db:
        assert mode(path) == 0o600  # before a connection, so before any data
        await upgrade(db.engine)
        async with db.transaction() as session:
            await repo.add_audit(session, "test", "written", "x", {})
        async with db.sessions() as session:  # a connection holds the -wal and -shm files open
            await session.execute(text("SELECT 1"))
            wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)


def test_cli_export_file_is_owner_only(db_file: Path, tmp_path: Path, any_umask: None) -> None:
    assert main(["db", "upgrade"]) == 0
    assert mode(db_file) == 0o600
    site_id = asyncio.run(new_site(db_file))
    fresh = tmp_path / "fresh.xlsx"
    assert main(["export", "requests", "--site", str(site_id), "--out", str(fresh)]) == 0
    assert mode(fresh) == 0o600
    older = tmp_path / "older.csv"
    older.write_text("old")
    older.chmod(0o644)  # an earlier file others could read is narrowed before it is rewritten
    args = ["export", "requests", "--site", str(site_id), "--format", "csv", "--out", str(older)]
    assert main(args) == 0
    assert mode(older) == 0o600 and older.read_bytes().startswith("\ufeff".encode())


# --- demo data -----------------------------------------------------------------------------------


def test_demo_data_refused_in_a_database_with_real_users(
    db_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "telegram:42"]) == 0  # a real person, reached over Telegram
    capsys.readouterr()
    assert main(["demo-data"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "--force-demo" in lines[0] and "real users" in lines[0]
    assert count(db_file, "volunteers") == 0
    assert main(["demo-data", "--force-demo"]) == 0
    assert count(db_file, "volunteers") == 3


def test_chat_refuses_demo_data_next_to_real_users(
    db_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["staff", "add", "whatsapp:966512345678"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["chat"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "--force-demo" in lines[0] and "--no-demo" in lines[0]
    assert count(db_file, "volunteers") == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["chat", "--no-demo"]) == 0
    assert count(db_file, "volunteers") == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["chat", "--force-demo"]) == 0
    assert count(db_file, "volunteers") == 3


def test_chat_keeps_adding_demo_data_to_a_console_only_database(
    db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Console people (the demo ones, whoever typed in this terminal) are not "real users".
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.StringIO("/start\n"))
        assert main(["chat"]) == 0
    assert count(db_file, "volunteers") == 3


# --- the CLI's logs ------------------------------------------------------------------------------


def test_cli_masks_personal_data_in_its_logs_and_error_line(
    db_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert all(
        any(isinstance(f, PersonalDataFilter) for f in handler.filters)
        for handler in logging.root.handlers
    )
    site_id = asyncio.run(new_site(db_file))
    # An operator's own file name, in a folder that does not exist: the OSError quotes it.
    out = tmp_path / "missing" / "0512345678-1000000008.xlsx"
    with caplog.at_level(logging.DEBUG):
        assert main(["-v", "export", "requests", "--site", str(site_id), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "FileNotFoundError" in err and "+9665•••••678-1•••••••08.xlsx" in err
    assert "Traceback" in caplog.text  # -v: the traceback is logged, masked as well
    for shown in (err, caplog.text):
        assert "0512345678" not in shown and "1000000008" not in shown
