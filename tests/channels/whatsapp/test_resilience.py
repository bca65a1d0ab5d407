"""Background work survives the database going away: bodies that cannot be stored are
answered 503 (Meta delivers them again), the worker and the sender log, back off and come
back, and every stored message is processed and answered once the database is back.

PostgreSQL is cut for real: the service talks to it through a TCP proxy written here, which
is closed (live connections dropped) and opened again. SQLite has no connection to cut: another
connection holds the write lock beyond the busy timeout, then lets go.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.core.engine import Engine
from bot.supervise import Backoff, supervise
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import db as storage_db
from storage import outbox
from storage import repositories as repo
from storage.db import Database, open_database
from storage.models import ProcessedUpdate
from storage.models_channels import InboundWork
from tests.channels.whatsapp.support import make_service, serve
from tests.conftest import Clock, DatabaseFactory
from tests.support import NOTICE_VERSION

PEOPLE = [f"9665000001{n:02d}" for n in range(6)]
NOTIFIED = "966500000199"
LANGUAGE_PROMPT = "اختر لغتك"


class TcpProxy:
    """127.0.0.1:<port> → PostgreSQL. `cut` stops listening and drops every live connection;
    `restore` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target = host, port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        for task in self._pipes:
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self._server.wait_closed()
        self._writers.clear()
        self._pipes.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.transport.abort()


class SqliteLock:
    """Another connection holding the write lock: every write here fails after the busy
    timeout, as when another process keeps the database busy."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    async def cut(self) -> None:
        self._conn = sqlite3.connect(self.path, isolation_level=None)
        self._conn.execute("BEGIN EXCLUSIVE")

    async def restore(self) -> None:
        assert self._conn is not None
        self._conn.execute("ROLLBACK")
        self._conn.close()


@pytest.fixture
async def outage(
    db_factory: DatabaseFactory, db: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Any, Database]]:
    """(something that cuts and restores the database, the service's own Database on it)."""
    url = make_url(db_factory.url)
    if db_factory.backend == "sqlite":
        # Connections opened from here on give up on a lock after 0.2 s instead of 5.
        monkeypatch.setattr(storage_db, "SQLITE_BUSY_TIMEOUT_MS", 200)
        assert url.database is not None
        async with open_database(db_factory.url, ensure=False) as database:
            yield SqliteLock(url.database), database
        return
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.restore()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    schema = db_factory._schema
    try:
        async with open_database(
            through,
            ensure=False,
            connect_args={"server_settings": {"search_path": schema}},
            pool_timeout=5,
        ) as database:
            yield proxy, database
    finally:
        with contextlib.suppress(AssertionError):
            await proxy.cut()


def _asked_language(fake: FakeWhatsAppServer, wa_id: str) -> bool:
    return any(LANGUAGE_PROMPT in (m.text or "") for m in fake.messages_to(wa_id))


async def _wait(check: Callable[[], bool], timeout: float = 40.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def test_every_stored_message_is_answered_after_the_database_comes_back(
    fake: FakeWhatsAppServer,
    make_engine: Callable[..., Engine],
    db: Database,
    outage: tuple[Any, Database],
    clock: Clock,
) -> None:
    cutter, database = outage
    # A notification waiting for the sender, to someone who wrote recently.
    async with db.transaction() as session:
        identity, user = await repo.create_user(
            session, "whatsapp", NOTIFIED, NOTIFIED, locale="ar"
        )
        # On the engine's clock, which the service's sender runs on too.
        user.consent_version, user.consent_at = NOTICE_VERSION, clock.now
        identity.last_seen_at = clock.now
        await outbox.enqueue(
            session,
            user.id,
            kind="notice",
            key="n:1",
            payload={"key": "wa.choose", "params": {}},
            due_at=clock.now,
        )
    service = make_service(fake, make_engine, database)
    async with serve(service) as url:
        for wa_id in PEOPLE[:3]:  # stored, not processed yet
            assert await fake.post_webhook(url, fake.user_text(wa_id, "مرحبا")) == 200
        await cutter.cut()
        # Started while the database is away: the sender's start-up fails and is restarted,
        # the worker fails on what it reads and backs off.
        await service.start()
        try:
            for wa_id in PEOPLE[3:]:
                body = fake.user_text(wa_id, "مرحبا")
                # Not stored: not acknowledged, so Meta delivers it again later.
                assert await fake.post_webhook(url, body) == 503
            await asyncio.sleep(1.5)
            await cutter.restore()
            for delivery in fake.deliveries[-3:]:
                assert await fake.post_webhook(url, delivery.body) == 200  # Meta's retry
            for wa_id in PEOPLE:
                await _wait(functools.partial(_asked_language, fake, wa_id))
            await _wait(lambda: bool(fake.messages_to(NOTIFIED)))
        finally:
            await service.stop()
    async with db.sessions() as session:
        assert (await session.execute(select(func.count(InboundWork.id)))).scalar_one() == 0
        handled = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert len(handled) == len(PEOPLE)


async def test_supervise_restarts_a_crashed_task_with_growing_delays_until_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[float] = []
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    secret = "966512345678"

    async def task() -> None:
        runs.append(loop.time())
        if len(runs) <= 3:
            raise ConnectionError(f"lost while storing {secret}")  # text with personal data
        # the fourth run ends normally, as a task does after its stop event

    async with asyncio.timeout(10):
        await supervise("demo", task, stop, backoff=Backoff(first=0.05, cap=0.1))
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    assert len(runs) == 4
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.1  # doubled, then capped
    crashes = [r.getMessage() for r in caplog.records if "demo crashed" in r.getMessage()]
    assert len(crashes) == 3 and all("ConnectionError" in c for c in crashes)
    assert not any(secret in r.getMessage() for r in caplog.records)


async def test_supervise_stops_restarting_once_asked_to_stop() -> None:
    stop = asyncio.Event()
    runs = 0

    async def task() -> None:
        nonlocal runs
        runs += 1
        stop.set()
        raise ConnectionError

    async with asyncio.timeout(5):
        await supervise("demo", task, stop, backoff=Backoff(first=30, cap=30))
    assert runs == 1
