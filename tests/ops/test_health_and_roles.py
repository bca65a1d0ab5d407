"""/readyz's checks over the real process owner (what is not running, an outdated schema, a
database that does not answer) and `--role`: which parts of a process each role starts."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory

from bot.channels.telegram import AiogramClient, create_bot
from bot.channels.telegram_transport import TelegramTransport
from bot.cli import _parser
from bot.core.engine import Engine
from bot.metrics import create_metrics
from bot.process.health import Health
from bot.process.owner import ROLES, Door, ProcessOwner
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database, create_database
from storage.schema import alembic_config, downgrade
from tests.channels.telegram.support import runtime_for
from tests.process.support import closed_port

OK = {"database": "ok", "schema": "ok", "tasks": "ok"}


def _owner(engine: Engine, fake: FakeTelegramServer, role: str = "all") -> ProcessOwner:
    owner = ProcessOwner(runtime_for(engine), role=role)
    owner.sender_for(TelegramTransport(AiogramClient(create_bot(fake.token, fake.base_url))))
    return owner


def _door(served: list[str]) -> Door:
    halted = asyncio.Event()

    async def serve() -> None:
        served.append("door")
        await halted.wait()

    async def halt() -> None:
        halted.set()

    return Door("test door", serve=serve, halt=halt)


async def test_readyz_names_the_parts_that_are_not_running(
    engine: Engine, fake: FakeTelegramServer
) -> None:
    owner = _owner(engine, fake)
    owner.add_door(_door([]))
    give_up = asyncio.Event()

    async def worker(stop: asyncio.Event) -> None:
        await give_up.wait()  # a background task that ends while the process runs on

    owner.add_background("queue worker", worker)
    health = owner.health
    before = await health.readiness()
    assert before["tasks"] == "not running: process"  # not started yet
    await owner.start()
    try:
        assert await health.readiness() == OK
        give_up.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert await health.readiness() == {**OK, "tasks": "not running: queue worker"}
    finally:
        await owner.shutdown()
    assert "process" in (await health.readiness())["tasks"]


async def test_readyz_refuses_a_schema_behind_the_code(db: Database) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    script = ScriptDirectory.from_config(alembic_config()).get_revision(head)
    previous = script.down_revision
    assert isinstance(previous, str)
    await downgrade(db.engine, previous)
    checks = await Health(db, create_metrics(), list).readiness()
    assert checks["schema"] == f"at {previous}, the code needs {head}"
    assert checks["database"] == "ok"


async def test_readyz_says_the_database_is_unreachable() -> None:
    db = create_database(f"postgresql+asyncpg://nobody@127.0.0.1:{closed_port()}/none")
    try:
        checks = await Health(db, create_metrics(), list).readiness()
    finally:
        await db.dispose()
    assert checks["database"].startswith("unreachable (")
    assert checks["schema"] == "unknown"


@pytest.mark.parametrize(
    ("role", "door", "sender", "scheduler"),
    [
        ("all", True, True, True),
        ("worker", True, False, False),
        ("sender", False, True, False),
        ("scheduler", False, False, True),
    ],
)
async def test_each_role_starts_only_its_parts(
    engine: Engine, fake: FakeTelegramServer, role: str, door: bool, sender: bool, scheduler: bool
) -> None:
    owner = _owner(engine, fake, role)
    served: list[str] = []
    owner.add_door(_door(served))
    await owner.start()
    try:
        await asyncio.sleep(0.05)
        assert (served == ["door"]) is door
        assert (owner._sender_task is not None) is sender
        assert owner.scheduler.running is scheduler
        assert await owner.health.readiness() == OK  # only its own parts are asked for
    finally:
        await owner.shutdown()


def test_the_long_running_commands_take_every_role() -> None:
    for command in (["telegram"], ["telegram", "--webhook"], ["whatsapp"]):
        for role in ROLES:
            assert _parser().parse_args([*command, "--role", role]).role == role
        assert _parser().parse_args(command).role == "all"
    with pytest.raises(SystemExit):
        _parser().parse_args(["telegram", "--role", "everything"])
    with pytest.raises(ValueError, match="unknown role"):
        ProcessOwner.__init__(object.__new__(ProcessOwner), None, role="boss")  # type: ignore[arg-type]
