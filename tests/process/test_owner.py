"""The process owner with the real parts: start-up (jobs and sender before the first update is
taken) and the shutdown order (stop taking updates → finish in flight → stop the scheduler →
stop the sender → close the client → dispose of the database), for `telegram`, `outbox run`
and a background task (the hook a web server will use); and `open_database` itself."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.core.engine import Engine
from bot.core.messages import Inbound, Outbound
from bot.process.outbox_runner import sender_process
from bot.process.owner import Door, ProcessOwner, http_door
from bot.runtime import open_runtime
from bot.settings import load_settings
from fakes.telegram_api import FakeTelegramServer
from storage import outbox
from storage import repositories as repo
from storage.db import open_database
from storage.models import AuditLog, OutboxMessage
from tests.channels.telegram.support import make_service, runtime_for
from tests.delivery.support import known_recipients, user_id_for_chat

USER = 4100
DOCUMENTED = [
    "stop taking updates",
    "finish updates in flight",
    "stop the scheduler",
    "stop the sender",
    "close the clients",
]


def spy(events: list[str], owner: Any, name: str, label: str, *, after: bool = True) -> None:
    """Record `label` when the real method `name` of `owner` returns (or is entered)."""
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        if not after:
            events.append(label)
        try:
            return await original(*args, **kwargs)
        finally:
            if after:
                events.append(label)

    setattr(owner, name, recorded)


async def test_telegram_starts_its_jobs_and_sender_first_and_stops_in_order(
    engine: Engine, fake: FakeTelegramServer
) -> None:
    service = make_service(runtime_for(engine), fake)
    owner = service.owner
    events: list[str] = []
    release = asyncio.Event()
    handled = asyncio.Event()
    original_handle = service.channel.handle

    async def slow_handle(inbound: Inbound) -> list[Outbound]:
        handled.set()
        await release.wait()  # the update is in flight while the shutdown begins
        replies = await original_handle(inbound)
        events.append("update handled")
        return replies

    service.channel.handle = slow_handle
    spy(events, service.feed, "halt", "polling stopped")
    spy(events, owner.jobs, "stop", "scheduler stopped")
    spy(events, service.sender, "run", "sender stopped")
    # (aiogram closes a stale aiohttp session by itself when it opens one: spy the door's close)
    spy(events, service, "_close", "client closed")

    task = asyncio.create_task(service.run_polling(handle_signals=False))
    await fake.wait_for(lambda: fake.calls("getUpdates"))
    # Started before any update is taken: the commands, the jobs, the sender.
    assert fake.calls("setMyCommands") and fake.calls("deleteWebhook")
    assert owner.scheduler.running and owner.scheduler.get_jobs()
    assert owner._sender_task is not None and not owner._sender_task.done()

    fake.user_command(USER, "start")
    await asyncio.wait_for(handled.wait(), 10)
    await service.stop()
    await asyncio.sleep(0.2)
    assert not task.done()  # waiting for the update in hand
    release.set()
    await asyncio.wait_for(task, 20)
    assert events == [
        "polling stopped",
        "update handled",
        "scheduler stopped",
        "sender stopped",
        "client closed",
    ]
    assert owner.steps == DOCUMENTED
    assert not owner.scheduler.running
    assert fake.messages_to(USER), "the update in flight was answered before the exit"


async def test_outbox_run_sends_what_is_queued_then_closes_and_disposes_last(
    tmp_path: Path, fake: FakeTelegramServer
) -> None:
    # A database of its own, opened as `shuraka outbox run` opens it (the test's PostgreSQL
    # schema is reachable only through the fixture's search_path).
    conf = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}",
        bot_token=fake.token,
        telegram_api_base=fake.base_url,
    )
    events: list[str] = []
    async with open_runtime(conf) as runtime:
        await known_recipients(runtime.db, fake, 1, first=USER)
        user_id = await user_id_for_chat(runtime.db, USER)
        async with runtime.db.transaction() as session:
            await outbox.enqueue(
                session,
                user_id,
                kind="notice",
                key="n:owner",
                payload={"key": "wa.choose", "params": {}},
                due_at=runtime.engine.clock(),
            )
        owner = sender_process(runtime, until_empty=True)
        assert owner.sender is not None
        client = owner.sender.transports["telegram"].client  # type: ignore[attr-defined]
        spy(events, client, "close", "client closed")
        spy(events, runtime.db, "dispose", "database disposed")
        await asyncio.wait_for(owner.run(handle_signals=False), 20)
        assert owner.steps == DOCUMENTED
        assert events == ["client closed"]
        async with runtime.db.sessions() as session:
            stmt = select(func.count()).where(OutboxMessage.status == outbox.SENT)
            assert (await session.execute(stmt)).scalar_one() == 1
    assert events == ["client closed", "database disposed"]
    assert fake.messages_to(USER)


async def test_a_background_task_is_stopped_after_the_doors_and_before_the_scheduler(
    engine: Engine,
) -> None:
    """The hook for a web server: its work gets the stop event at step 2 and is restarted
    when it crashes."""
    owner = ProcessOwner(runtime_for(engine), scheduled=False)
    events: list[str] = []
    runs = 0
    halted = asyncio.Event()

    async def background(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("first run crashes")
        await stop.wait()
        events.append("background stopped")

    async def serve() -> None:
        await halted.wait()
        events.append("door halted")

    async def halt() -> None:
        halted.set()

    owner.add_background("web", background)
    owner.add_door(Door("http", serve=serve, halt=halt))
    spy(events, owner.jobs, "stop", "scheduler stopped")
    task = asyncio.create_task(owner.run(handle_signals=False))
    for _ in range(100):
        if runs >= 2:
            break
        await asyncio.sleep(0.05)
    assert runs == 2  # restarted by the supervisor after its crash
    owner.stop()
    await asyncio.wait_for(task, 10)
    assert events == ["door halted", "background stopped", "scheduler stopped"]


async def test_sigterm_begins_the_shutdown_and_the_handlers_are_removed(engine: Engine) -> None:
    owner = ProcessOwner(runtime_for(engine), scheduled=False)
    served = asyncio.Event()
    halted = asyncio.Event()

    async def serve() -> None:
        served.set()
        await halted.wait()

    async def halt() -> None:
        halted.set()

    owner.add_door(Door("door", serve=serve, halt=halt))
    task = asyncio.create_task(owner.run(handle_signals=True))
    await asyncio.wait_for(served.wait(), 5)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 10)
    assert owner.steps == DOCUMENTED
    loop = asyncio.get_running_loop()
    assert not loop.remove_signal_handler(signal.SIGTERM)  # nothing left installed


async def test_a_failing_door_stops_the_rest_and_is_raised(engine: Engine) -> None:
    owner = ProcessOwner(runtime_for(engine), scheduled=False)

    async def serve() -> None:
        raise ConnectionError("polling refused")

    async def halt() -> None:
        return None

    owner.add_door(Door("door", serve=serve, halt=halt))
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(owner.run(handle_signals=False), 10)
    assert owner.steps == DOCUMENTED


async def test_open_database_brings_the_schema_up_and_disposes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    async with open_database(url) as db:
        async with db.transaction() as session:
            await repo.add_audit(session, "test", "opened", "x", {})
        disposed: list[bool] = []
        original = db.dispose

        async def dispose() -> None:
            disposed.append(True)
            await original()

        db.dispose = dispose  # type: ignore[method-assign]
    assert disposed == [True]
    async with open_database(url, ensure=False) as again, again.sessions() as session:
        assert (await session.execute(select(func.count(AuditLog.id)))).scalar_one() == 1


async def test_open_database_disposes_when_the_schema_check_fails(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x' / 'bad.db'}"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "bad.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error
        async with open_database(url):
            raise AssertionError("not reached")


async def test_an_interrupted_run_cancels_a_door_waiting_for_input_and_still_stops(
    engine: Engine,
) -> None:
    """Ctrl-C in `shuraka chat`: the console waits for a line and has no polite halt."""
    owner = ProcessOwner(runtime_for(engine), scheduled=False)
    waiting = asyncio.Event()

    async def read_forever() -> None:
        waiting.set()
        await asyncio.Event().wait()

    async def cannot_halt() -> None:
        return None

    owner.add_door(Door("console", serve=read_forever, halt=cannot_halt))
    task = asyncio.create_task(owner.run(handle_signals=False))
    await asyncio.wait_for(waiting.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert owner.steps == DOCUMENTED


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_http_door_serves_until_the_shutdown_begins(engine: Engine) -> None:
    """What the coming `shuraka web` plugs in: an aiohttp app on host:port, `ready` once it
    listens, no connection accepted after the first shutdown step."""
    owner = ProcessOwner(runtime_for(engine), scheduled=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hello"
    answered: list[int] = []

    async def hello(request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/hello", hello)

    async def ready() -> None:
        async with aiohttp.ClientSession() as client, client.get(url) as response:
            answered.append(response.status)
        owner.stop()

    owner.add_door(http_door("web", app, "127.0.0.1", port, ready=ready))
    await asyncio.wait_for(owner.run(handle_signals=False), 10)
    assert answered == [200]
    assert owner.steps == DOCUMENTED
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as client, client.get(url):
            pass
