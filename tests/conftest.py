"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), the catalogs, and an engine factory."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.engine import Engine
from bot.core.i18n import Catalogs, load_catalogs
from bot.handlers import build_app
from bot.settings import Settings, load_settings
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database, create_database
from storage.schema import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return load_catalogs()


class DatabaseFactory:
    """Creates isolated databases: a file per SQLite database, a schema per PostgreSQL one."""

    def __init__(self, backend: str, tmp_path: Any) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.url = ""
        self._schema: str | None = None
        self._opened: list[Database] = []

    async def prepare(self) -> None:
        if self.backend == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self.tmp_path / 'shuraka-test.db'}"
            return
        assert PG_URL is not None
        self.url = PG_URL
        self._schema = "t_" + uuid.uuid4().hex[:16]
        admin = create_async_engine(PG_URL)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self._schema}"'))
        await admin.dispose()

    def open(self) -> Database:
        """A new Database object on the same data, as a restarted process would have."""
        kwargs: dict[str, Any] = {}
        if self._schema is not None:
            kwargs["connect_args"] = {"server_settings": {"search_path": self._schema}}
        db = create_database(self.url, **kwargs)
        self._opened.append(db)
        return db

    async def close(self) -> None:
        for db in self._opened:
            await db.dispose()
        if self._schema is not None:
            admin = create_async_engine(self.url)
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{self._schema}" CASCADE'))
            await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def db_factory(
    request: pytest.FixtureRequest, tmp_path: Any
) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(request.param, tmp_path)
    await factory.prepare()
    yield factory
    await factory.close()


@pytest.fixture
async def db(db_factory: DatabaseFactory) -> Database:
    database = db_factory.open()
    await upgrade(database.engine)
    return database


@pytest.fixture
def settings(db_factory: DatabaseFactory) -> Settings:
    return load_settings(database_url=db_factory.url, admin_ids=["console:boss"])


class Clock:
    """A controllable clock: tests move time instead of sleeping.

    It starts on a fixed instant, not on a day derived from today: expected texts (Hijri and
    Gregorian dates, weekdays, month ends) stay the same on every day the suite runs, and code
    that reads the wall clock where it should take this one shows up (the two are days apart
    and drift further) instead of passing while they happen to be close. `.ci/faketime-check`
    runs the suite with the wall clock shifted to show that nothing mixes the two."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_engine(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> Callable[..., Engine]:
    def make(database: Database | None = None, **overrides: Any) -> Engine:
        conf = (
            settings if not overrides else load_settings(**{**settings.model_dump(), **overrides})
        )
        return Engine(build_app(), database or db, catalogs, conf, clock=clock)

    return make


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    """A fake Bot API server on 127.0.0.1 (fakes/telegram_api.py). A module that needs
    known chats overrides it with a fixture of the same name that takes this one."""
    async with FakeTelegramServer() as server:
        yield server


@pytest.fixture(params=["aiogram", "ptb"])
def transport(request: pytest.FixtureRequest) -> str:
    """The Telegram client library a test runs on: every test that takes it runs on both."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _cli_log_filter_stays_in_its_test() -> Any:
    """`shuraka` commands run by a test put the personal-data filter on the root logger's
    handlers, and some of pytest's handlers outlive the test: take it off again."""
    import logging

    from bot.logs import PersonalDataFilter

    yield
    for handler in logging.root.handlers:
        for found in [f for f in handler.filters if isinstance(f, PersonalDataFilter)]:
            handler.removeFilter(found)
