"""Logs hold no personal data: the masking filter the CLI installs, SQL parameters hidden by
every engine, no WhatsApp verify token in the webhook's access log, and the JSON lines of
LOG_FORMAT=json (update reference, job id, channel, outcome; masked like the text)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import insert

from bot.core.engine import Engine
from bot.logs import (
    JsonFormatter,
    PersonalDataFilter,
    configure_logging,
    install_filter,
    level_for,
    mask_personal_data,
)
from bot.metrics import create_metrics
from bot.process.whatsapp import WEBHOOK_PATH, WhatsAppService
from bot.settings import ConfigError, Settings, load_settings
from fakes.whatsapp_api import FakeWhatsAppServer
from scheduler.jobs import JobTracker, named
from storage.db import Database, create_engine, open_database
from storage.models import ChannelIdentity
from tests.channels.telegram.support import runtime_for
from tests.conftest import DatabaseFactory
from tests.support import Chat

PHONE = "0551234567"
NATIONAL_ID = "1000000008"
NAME = "Nourah-Alharthi"


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """The `shuraka` logging set-up, on pytest's handlers too (caplog's among them)."""
    configure_logging(verbose=False)
    yield
    for handler in logging.root.handlers:
        for found in [f for f in handler.filters if isinstance(f, PersonalDataFilter)]:
            handler.removeFilter(found)


def rendered(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records) + caplog.text


# --- the filter --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("0551234567", "+9665•••••567"),
        ("551234567", "+9665•••••567"),
        ("966551234567", "+9665•••••567"),
        ("+966551234567", "+9665•••••567"),
        ("00966551234567", "+9665•••••567"),
        ("+966 55 123 4567", "+9665•••••567"),
        ("055-123-4567", "+9665•••••567"),
        ("+966 0551234567", "+9665•••••567"),
        ("\u0660\u0665\u0665\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "+9665•••••567"),
        ("\u06f0\u06f5\u06f5\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7", "+9665•••••567"),
        ("1000000008", "1•••••••08"),  # national ID
        ("2000000006", "2•••••••06"),  # iqama
        ("\u0661\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0668", "1•••••••08"),
        ("447700900123", "•••••••••123"),  # a WhatsApp id (any country)
        ("+44 7700 900123", "•••••••••123"),
        ("123456789", "••••••789"),  # a Telegram user id
    ],
)
def test_every_number_form_is_masked_keeping_the_last_digits(raw: str, masked: str) -> None:
    assert mask_personal_data(f"user {raw} failed") == f"user {masked} failed"
    assert mask_personal_data(f"({raw})") == f"({masked})"


@pytest.mark.parametrize(
    "harmless",
    ["update 42 failed", "2026-12-01 18:30", "05-12-2026 18:30:00", "row 12345678", "v3.12.14"],
)
def test_short_numbers_and_dates_stay_readable(harmless: str) -> None:
    assert mask_personal_data(harmless) == harmless


def test_the_filter_masks_arguments_exception_text_and_stack() -> None:
    try:
        raise ValueError(f"bad mobile {PHONE} for {NATIONAL_ID}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "sending to %s", (PHONE,), sys.exc_info()
        )
    record.stack_info = f"Stack: called with {NATIONAL_ID}"
    assert PersonalDataFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "ValueError: bad mobile +9665•••••567 for 1•••••••08" in line
    assert "sending to +9665•••••567" in line
    assert PHONE not in line and NATIONAL_ID not in line


# --- a failing update through the engine -------------------------------------------------------


async def _insert_the_text(self: Engine, ctx: Any) -> None:
    # A write that fails in the database with the user's text among its parameters.
    await ctx.session.execute(
        insert(ChannelIdentity).values(
            channel="console", external_id=ctx.inbound.text, user_id=987654
        )
    )


async def _raise_with_the_text(self: Engine, ctx: Any) -> None:
    raise ValueError(f"cannot handle {ctx.inbound.text!r}")


@pytest.mark.parametrize("failure", [_insert_the_text, _raise_with_the_text])
async def test_failing_update_logs_no_phone_or_id(
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    cli_logging: None,
    monkeypatch: pytest.MonkeyPatch,
    failure: Any,
) -> None:
    chat = Chat(engine)
    await chat.onboard()
    monkeypatch.setattr(Engine, "_route", failure)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        replies = await chat.send(f"{NAME} {PHONE} {NATIONAL_ID}")
    assert replies  # the user still gets the "something went wrong" reply
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The failure is logged with its type and stack (where to look), not its message.
    assert errors and all('File "' in r.getMessage() for r in errors)
    text = rendered(caplog)
    assert PHONE not in text and "551234567" not in text
    assert NATIONAL_ID not in text
    # Neither the database error's parameters nor an exception quoting the text reach the log.
    assert NAME not in text and "cannot handle '" not in text
    kind = "IntegrityError" if failure is _insert_the_text else "ValueError"
    assert kind in text


async def test_every_engine_hides_sql_parameters(db: Database, db_factory: DatabaseFactory) -> None:
    assert db.engine.sync_engine.hide_parameters
    # What the Alembic environment and the CLI build, even when asked otherwise.
    other = create_engine(db_factory.url, hide_parameters=False)
    try:
        assert other.sync_engine.hide_parameters
    finally:
        await other.dispose()


async def test_sqlite_in_memory_engine_hides_parameters_too() -> None:
    async with open_database("sqlite+aiosqlite:///:memory:", ensure=False) as db:
        assert db.engine.sync_engine.hide_parameters


# --- the WhatsApp webhook's access log ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_verify_request_leaves_no_token_in_the_access_log(
    make_engine: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()
    async with FakeWhatsAppServer() as fake:
        engine: Engine = make_engine(
            whatsapp_token=fake.token,
            whatsapp_phone_number_id=fake.phone_number_id,
            whatsapp_app_secret=fake.app_secret,
            whatsapp_verify_token=fake.verify_token,
            whatsapp_api_base=fake.graph_url,
            whatsapp_host="127.0.0.1",
            whatsapp_port=port,
        )
        service = WhatsAppService(runtime_for(engine))
        caplog.set_level(logging.INFO, logger="aiohttp.access")
        running = asyncio.create_task(service.run(handle_signals=False))
        try:
            url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            status = await _verify_when_listening(fake, url)
            assert status == 200
            lines = await _access_lines(caplog)
        finally:
            running.cancel()
            await asyncio.wait([running], timeout=10)
    assert any(f"GET {WEBHOOK_PATH}?" in line and " 200 " in line for line in lines), lines
    for line in lines:
        assert fake.verify_token not in line
        assert "verify_token" not in line


async def _verify_when_listening(fake: FakeWhatsAppServer, url: str) -> int:
    for _ in range(100):
        try:
            status, _ = await fake.verify_webhook(url, timeout=5)
            return status
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    raise AssertionError("the webhook never started listening")


async def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    # aiohttp writes the access line right after the response: wait for it, briefly.
    for _ in range(100):
        lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
        if lines:
            return lines
        await asyncio.sleep(0.02)
    raise AssertionError("no access log line")


# --- LOG_FORMAT=json and LOG_LEVEL ---------------------------------------------------------------

WHATSAPP_USER = "966551234567"  # a WhatsApp id spells the sender's number


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger at INFO into a JSON handler set up as `shuraka` sets up its own."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    install_filter([handler])
    old_level = logging.root.level
    logging.root.addHandler(handler)
    logging.root.setLevel(logging.INFO)
    yield stream
    logging.root.removeHandler(handler)
    logging.root.setLevel(old_level)


async def test_json_lines_carry_update_job_channel_and_outcome_and_no_personal_data(
    engine: Engine, json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(engine, user=WHATSAPP_USER, channel="whatsapp")
    await chat.onboard()
    monkeypatch.setattr(Engine, "_route", _raise_with_the_text)
    await chat.send(f"{NAME} {PHONE} {NATIONAL_ID}")
    tracker = JobTracker(create_metrics())

    async def works() -> None:
        return None

    await tracker.wrap(named(works, "families.offers"))()
    text = json_log.getvalue()
    entries = [json.loads(line) for line in text.splitlines()]  # one object a line
    updates = [e for e in entries if e.get("logger") == "bot.core.engine" and "outcome" in e]
    assert {e["outcome"] for e in updates} == {"handled", "failed"}
    for entry in updates:
        assert entry["channel"] == "whatsapp"
        assert re.fullmatch(r"[0-9a-f]{12}", entry["update"])  # a reference, not the id
        assert entry["level"] == "INFO" and isinstance(entry["duration_ms"], float)
    [job] = [e for e in entries if e.get("job") == "families.offers"]
    assert job["outcome"] == "done"
    for secret in (WHATSAPP_USER, "551234567", PHONE, NATIONAL_ID, NAME):
        assert secret not in text


def test_the_json_formatter_masks_fields_message_and_traceback() -> None:
    try:
        raise ValueError(f"bad mobile {PHONE}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "to %s", (PHONE,), sys.exc_info()
        )
    record.__dict__["channel"] = f"whatsapp {WHATSAPP_USER}"  # a field never meant for numbers
    assert PersonalDataFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "to +9665•••••567"
    assert "ValueError: bad mobile +9665•••••567" in entry["error"]
    assert WHATSAPP_USER not in entry["channel"]


def test_log_level_defaults_to_info_for_services_and_warning_for_commands() -> None:
    assert level_for(None, service=True) == logging.INFO
    assert level_for(None, service=False) == logging.WARNING
    assert level_for("ERROR", service=True) == logging.ERROR
    assert level_for("ERROR", service=True, verbose=True) == logging.DEBUG
    assert load_settings(log_level="info", log_format="JSON").log_level == "INFO"
    assert load_settings(log_format="JSON").log_format == "json"
    assert load_settings(log_level="").log_level is None
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings(log_level="loud")
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings(log_format="xml")
