"""Leadership of the scheduler and of the sender across processes (bot.process.leader): one
leader at a time on PostgreSQL (an advisory lock on a connection of its own), taken over by a
follower when the leader's connection dies (what a killed process's does), handed back at a
clean stop; on SQLite the one process leads. Two Database objects are two processes' pools."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from sqlalchemy import text

from bot.channels.telegram import AiogramClient, create_bot
from bot.channels.telegram_transport import TelegramTransport
from bot.core.engine import Engine
from bot.metrics import create_metrics
from bot.process.leader import Leadership
from bot.process.owner import ProcessOwner
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from tests.channels.telegram.support import runtime_for
from tests.conftest import DatabaseFactory

RETRY = 0.2  # seconds between a follower's tries (15 in production)


@asynccontextmanager
async def leading(leadership: Leadership) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(leadership.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await task


async def until(predicate: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_one_leader_and_a_take_over_when_its_connection_dies(
    db: Database, db_factory: DatabaseFactory
) -> None:
    if db.is_sqlite:
        pytest.skip("leadership is a PostgreSQL lock")
    other = db_factory.open()
    metrics = create_metrics()
    first = Leadership(db, "scheduler", retry=RETRY, metrics=metrics)
    second = Leadership(other, "scheduler", retry=RETRY)
    gained: list[str] = []

    async def gain_second() -> None:
        gained.append("second")

    second.on_gain = gain_second
    async with leading(first):
        await until(lambda: first.is_leader)
        async with leading(second):
            await asyncio.sleep(5 * RETRY)
            assert first.is_leader and not second.is_leader  # one leader at a time
            assert b'shuraka_leader{part="scheduler"} 1.0' in metrics.exposition()
            # The leader's process dies: its connection is closed by the server.
            async with db_factory.open().engine.begin() as conn:
                pids = await conn.execute(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended("
                        "current_database() || ':' || current_schema() || '\\:scheduler', 0)"
                    )
                )
                for (pid,) in pids:
                    await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            await until(lambda: second.is_leader, timeout=10 * RETRY + 5)
            assert gained == ["second"]
            await until(lambda: not first.is_leader)  # its heartbeat found the connection gone
            assert b'shuraka_leader{part="scheduler"} 0.0' in metrics.exposition()
            await asyncio.sleep(5 * RETRY)
            assert not first.is_leader  # and it does not lead again while the other does


async def test_a_clean_stop_hands_the_lead_over(db: Database, db_factory: DatabaseFactory) -> None:
    if db.is_sqlite:
        pytest.skip("leadership is a PostgreSQL lock")
    first = Leadership(db, "sender", retry=RETRY)
    second = Leadership(db_factory.open(), "sender", retry=RETRY)
    other_part = Leadership(db_factory.open(), "scheduler", retry=RETRY)
    lost: list[str] = []

    async def lose() -> None:
        lost.append("first")

    first.on_loss = lose
    async with leading(second), leading(other_part):
        async with leading(first):
            await until(lambda: first.is_leader or second.is_leader)
            await until(lambda: other_part.is_leader)  # another part, another lock
            if second.is_leader:
                return  # the second one won the race; nothing to hand over
        assert lost == ["first"]
        await until(lambda: second.is_leader, timeout=10 * RETRY + 2)


async def test_on_sqlite_the_one_process_leads(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    leadership = Leadership(db, "scheduler", retry=RETRY)
    async with leading(leadership):
        await until(lambda: leadership.is_leader)
    assert not leadership.is_leader


async def test_two_processes_one_runs_the_jobs_and_one_sends(
    engine: Engine, db_factory: DatabaseFactory, fake: FakeTelegramServer
) -> None:
    """Two `shuraka telegram` owners on one PostgreSQL database, no REDIS_URL: one scheduler
    runs, the other's stays paused; one sender sends. The leader stops: the other takes both."""
    if engine.db.is_sqlite:
        pytest.skip("several processes need PostgreSQL")
    settings = engine.settings.model_copy(update={"leader_retry_seconds": RETRY})
    owners = []
    for database in (engine.db, db_factory.open()):
        runtime = replace(runtime_for(engine), settings=settings, db=database)
        owner = ProcessOwner(runtime, role="all")
        owner.sender_for(TelegramTransport(AiogramClient(create_bot(fake.token, fake.base_url))))
        owners.append(owner)
    first, second = owners
    await first.start()
    try:
        await until(lambda: first.leaders["scheduler"].is_leader)
        await until(lambda: first.leaders["sender"].is_leader)
        await second.start()
        await asyncio.sleep(5 * RETRY)
        assert not second.leaders["scheduler"].is_leader
        assert not second.leaders["sender"].is_leader
        assert first.scheduler.state == 1 and second.scheduler.state == 2  # running / paused
        assert first._sender_task is not None and second._sender_task is None
        assert await second.health.readiness() == {
            "database": "ok",
            "schema": "ok",
            "tasks": "ok",
        }  # a follower is ready: it waits its turn
        await first.shutdown()
        await until(lambda: second.leaders["scheduler"].is_leader, timeout=5)
        await until(lambda: second.leaders["sender"].is_leader, timeout=5)
        assert second.scheduler.state == 1 and second._sender_task is not None
    finally:
        await first.shutdown()
        await second.shutdown()
