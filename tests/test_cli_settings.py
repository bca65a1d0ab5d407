"""Settings from the environment and the `shuraka` command line, run as an operator would.

`bot.cli.main` calls `asyncio.run`, so these are plain (sync) tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.process.whatsapp import WhatsAppService
from bot.settings import ConfigError, load_settings
from storage.schema import alembic_config

ENV_VARS = (
    "DATABASE_URL",
    "DEFAULT_LOCALE",
    "TIMEZONE",
    "ADMIN_IDS",
    "PRIVACY_NOTICE_VERSION",
    "BOT_TOKEN",
    "TELEGRAM_API_BASE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WHATSAPP_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WEB_HOST",
    "WEB_PORT",
    "WEB_BASE_URL",
    "WEB_SESSION_SECRET",
)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the caller's environment or a .env in the working directory."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/shuraka"),
        ("DATABASE_URL", "sqlite:///shuraka.db"),  # sync driver: not usable by the app
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("TIMEZONE", "../../etc/passwd"),
    ],
)
def test_bad_setting_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert name in message
    assert "\n" not in message
    assert message.strip() == message and message


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite://")
    assert settings.timezone == "Asia/Riyadh"
    assert settings.default_locale == "ar"
    assert settings.admin_ids == []
    # the staff web workspace listens on this machine only unless told otherwise
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8090)


def test_admin_ids_are_parsed_and_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "123, console:x")
    assert load_settings().admin_ids == ["telegram:123", "console:x"]
    monkeypatch.setenv("ADMIN_IDS", " , 7 ,")
    assert load_settings().admin_ids == ["telegram:7"]


def test_bot_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "123456:AAE-very-secret-token"
    monkeypatch.setenv("BOT_TOKEN", token)
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == token
    for shown in (repr(settings), str(settings), repr(settings.bot_token), str(settings.bot_token)):
        assert token not in shown
        assert "very-secret" not in shown


def test_config_error_text_does_not_echo_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # a bad URL may carry a password: the one-line error names the setting, not the value
    monkeypatch.setenv("DATABASE_URL", "mysql://user:hunter2pass@db/shuraka")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "hunter2pass" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "empty"),
        (" " * 40, "empty"),
        ("a" * 31, "at least 32"),
        ("a" * 257, "at most 256"),
        ("b" * 31 + " ", "A-Z a-z 0-9 _ -"),
        ("c" * 40 + "!", "A-Z a-z 0-9 _ -"),
        ("d" * 40 + "=", "A-Z a-z 0-9 _ -"),
        ("سر" * 20, "A-Z a-z 0-9 _ -"),
        ("e" * 40 + "\n", "A-Z a-z 0-9 _ -"),
    ],
)
def test_a_bad_webhook_secret_stops_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str, problem: str
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "WEBHOOK_SECRET" in message and problem in message
    assert "\n" not in message
    if value.strip():
        assert value.strip() not in message
    # and so does the command line, whatever the command
    assert main(["telegram", "--webhook"]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1 and "WEBHOOK_SECRET" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("value", ["a" * 32, "Z-_9" * 64, "0123456789_abcdefABCDEF-xyzXYZ_0-"])
def test_a_good_webhook_secret_is_kept_secret(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", value)
    settings = load_settings()
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == value
    assert value not in repr(settings) and value not in str(settings)


@pytest.mark.parametrize("name", ["WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"])
@pytest.mark.parametrize("value", ["", " ", " \t "])
def test_a_blank_whatsapp_secret_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


@pytest.mark.parametrize("field", ["whatsapp_app_secret", "whatsapp_verify_token"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_the_whatsapp_service_refuses_a_blank_secret(field: str, value: str | None) -> None:
    """The check at the point of use, for settings that skipped validation."""
    good = load_settings(
        whatsapp_token="token",
        whatsapp_phone_number_id="12345",
        whatsapp_app_secret="app-secret",
        whatsapp_verify_token="verify-token",
    )
    settings = good.model_copy(update={field: None if value is None else SecretStr(value)})
    with pytest.raises(ConfigError, match=field.upper()):
        WhatsAppService(SimpleNamespace(settings=settings))  # type: ignore[arg-type]


# --- db upgrade ------------------------------------------------------------------------------


def test_db_upgrade_prints_the_revision(db_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert f"schema: {HEAD} (newest: {HEAD})" in out
    assert query(db_file, "SELECT version_num FROM alembic_version") == [(HEAD,)]


def test_db_current_before_and_after(db_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current"]) == 0
    assert f"(newest: {HEAD})" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert f"schema: {HEAD} (newest: {HEAD})" in capsys.readouterr().out


# --- staff -------------------------------------------------------------------------------------


def test_staff_add_then_list(db_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff", "add", "telegram:42"]) == 0
    assert "telegram:42 is now staff" in capsys.readouterr().out

    assert main(["staff", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "staff\ttelegram:42" in lines

    rows = query(db_file, "SELECT actor, action, target, details FROM audit_log")
    assert len(rows) == 1
    actor, action, target, details = rows[0]
    assert (actor, action, target) == ("cli", "staff.add", "telegram:42")
    assert json.loads(str(details)) == {"role": "staff"}
    assert query(db_file, "SELECT role FROM users") == [("staff",)]


def test_staff_add_admin_bare_number_and_remove(
    db_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_IDS", "console:boss")
    assert main(["staff", "add", "77", "--admin"]) == 0
    assert "telegram:77 is now admin" in capsys.readouterr().out
    assert main(["staff", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "admin\ttelegram:77" in lines
    assert "admin\tconsole:boss\t(ADMIN_IDS)" in lines

    assert main(["staff", "remove", "telegram:77"]) == 0
    assert "telegram:77 is now user" in capsys.readouterr().out
    assert main(["staff", "list"]) == 0
    assert "telegram:77" not in capsys.readouterr().out
    actions = [r[0] for r in query(db_file, "SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["staff.add", "staff.remove"]


# --- demo data ---------------------------------------------------------------------------------


def test_demo_data_is_idempotent(db_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-data"]) == 0
    assert "demo data: 3 volunteers added" in capsys.readouterr().out
    assert main(["demo-data"]) == 0
    assert "demo data: 0 volunteers added" in capsys.readouterr().out
    assert query(db_file, "SELECT count(*) FROM volunteers") == [(3,)]


# --- failures: exit code 2 and one line ------------------------------------------------------


def test_bad_database_url_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/shuraka")
    assert main(["staff", "list"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "DATABASE_URL" in lines[0]
    assert captured.out == ""


PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def empty_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (asyncpg takes no `options=-csearch_path` in the URL,
    so a fresh schema cannot be selected through DATABASE_URL alone)."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = "shuraka_cli_" + uuid.uuid4().hex[:12]

    async def admin(sql: str) -> None:
        engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # e.g. no CREATEDB privilege
        pytest.skip(f"cannot create a database: {exc}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_outdated_postgresql_schema_stops_with_one_line(
    empty_pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_pg_database)
    assert main(["staff", "list"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "shuraka db upgrade" in lines[0]
    assert captured.out == ""
    # and the documented fix works
    assert main(["db", "upgrade"]) == 0
    assert main(["staff", "list"]) == 0
