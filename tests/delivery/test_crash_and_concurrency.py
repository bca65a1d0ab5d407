"""The sender killed with SIGKILL mid-broadcast, two senders at once on PostgreSQL, and a
scheduled broadcast that fell due while the process was down."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.i18n import Catalogs
from bot.delivery.sender import DeliveryConfig, fan_out_due
from fakes.telegram_api import FakeTelegramServer
from scheduler.factory import create_scheduler
from scheduler.jobs import add_delivery_jobs
from storage.db import Database
from storage.models import Broadcast, utcnow
from tests.conftest import DatabaseFactory
from tests.delivery.support import add_broadcast, close, known_recipients, make_sender, statuses

ROOT = Path(__file__).resolve().parents[2]


def sends_per_chat(fake: FakeTelegramServer) -> Counter[int]:
    # A request the fake answered counts, even if the sender died before reading the answer.
    return Counter(int(c.params["chat_id"]) for c in fake.calls("sendMessage") if c.ok)


def cli_env(db_factory: DatabaseFactory, fake: FakeTelegramServer, rate: str) -> dict[str, str]:
    """The environment for `bot.cli` in a subprocess: this database, the fake Bot API, the
    outbox rate, no quiet hours."""
    return {
        **os.environ,
        "DATABASE_URL": db_factory.url,
        "BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE": fake.base_url,
        "OUTBOX_RATE": rate,
        "QUIET_HOURS": "",
    }


async def start_cli(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """`python -m bot.cli ARGS` from the project root, its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def start_sender(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await start_cli(env, "outbox", "run", "--until-empty")


def kill_point(low: int, high: int) -> tuple[int, int]:
    """A random kill point and the seed it came from: KILL_SEED from the environment when
    given (to replay a failure), else a fresh one. The seed is printed, and pytest shows it
    with a failing test's captured output."""
    given = os.environ.get("KILL_SEED")
    seed = int(given) if given else random.SystemRandom().randrange(2**32)
    print(f"KILL_SEED={seed}")
    return random.Random(seed).randint(low, high), seed


@pytest.mark.timeout(300)  # 2000 sends in two processes; slow on a busy 2-core machine
async def test_sigkill_mid_broadcast_then_restart_sends_each_once(
    db_factory: DatabaseFactory, db: Database, fake: FakeTelegramServer
) -> None:
    """The kill point is random. To replay a failure, run with the seed it printed:
    KILL_SEED=<seed> .venv/bin/python -m pytest tests/delivery/test_crash_and_concurrency.py
    -k sigkill"""
    if db_factory.backend != "sqlite":
        pytest.skip("the subprocess gets a plain DATABASE_URL; the SQLite run covers the crash")
    chats = await known_recipients(db, fake, 2000)
    broadcast_id = await add_broadcast(db)
    await fan_out_due(db)
    env = cli_env(db_factory, fake, "1000")
    kill_after, seed = kill_point(100, 1500)
    first = await start_sender(env)
    await fake.wait_for(lambda: len(fake.calls("sendMessage")) >= kill_after, timeout=60)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    before_restart = sum(sends_per_chat(fake).values())
    assert before_restart < len(chats), f"the kill came too late (KILL_SEED={seed})"

    second = await start_sender(env)
    _, err = await asyncio.wait_for(second.communicate(), 120)
    assert second.returncode == 0, err.decode()

    counts = sends_per_chat(fake)
    assert set(counts) == set(chats), "nobody was lost"
    twice = [chat for chat, n in counts.items() if n > 1]
    # Only the messages accepted but not yet marked sent (at most a batch) and the one in
    # flight (the CLI's default concurrency of 1) may repeat.
    bound = DeliveryConfig(concurrency=1).crash_resend_bound
    assert len(twice) <= bound, f"at most {bound} may repeat, got {twice} (KILL_SEED={seed})"
    assert max(counts.values()) <= 2
    assert (await statuses(db, broadcast_id)) == {"sent": 2000}


async def test_two_senders_on_postgresql_split_the_work(
    db_factory: DatabaseFactory, db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    if db_factory.backend != "postgresql":
        pytest.skip("several senders need PostgreSQL (FOR UPDATE SKIP LOCKED)")
    chats = await known_recipients(db, fake, 600)
    broadcast_id = await add_broadcast(db)
    await fan_out_due(db)
    one = make_sender(db_factory.open(), catalogs, fake, clock=utcnow, batch=20)
    two = make_sender(db_factory.open(), catalogs, fake, clock=utcnow, batch=20)
    try:
        handled = await asyncio.gather(one.drain(), two.drain())
    finally:
        await close(one)
        await close(two)
    assert all(n > 0 for n in handled), f"both senders took part: {handled}"
    counts = sends_per_chat(fake)
    assert set(counts) == set(chats)
    assert max(counts.values()) == 1, "no duplicates"
    assert (await statuses(db, broadcast_id)) == {"sent": 600}


async def test_broadcast_due_while_down_is_sent_after_restart(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    await known_recipients(db, fake, 5)
    # Scheduled for an hour ago: the process was down at that time.
    broadcast_id = await add_broadcast(db, at=utcnow() - timedelta(hours=1))
    sender = make_sender(db, catalogs, fake, clock=utcnow)
    scheduler = create_scheduler()
    stop = asyncio.Event()
    runner = asyncio.create_task(sender.run(stop, idle_wait=0.1))
    scheduler.start()
    try:
        add_delivery_jobs(scheduler, db, sender, wake_seconds=0.2, fan_out_seconds=0.2)
        await fake.wait_for(lambda: len(sends_per_chat(fake)) == 5, timeout=15)
    finally:
        scheduler.shutdown(wait=False)
        stop.set()
        await runner
        await close(sender)
    assert max(sends_per_chat(fake).values()) == 1
    assert (await statuses(db, broadcast_id)) == {"sent": 5}


async def test_broadcast_command_sends_a_file_to_a_segment_with_a_progress_bar(
    db_factory: DatabaseFactory, db: Database, fake: FakeTelegramServer, tmp_path: Path
) -> None:
    if db_factory.backend != "sqlite":
        pytest.skip("the subprocess gets a plain DATABASE_URL")
    chats = await known_recipients(db, fake, 40)
    message = tmp_path / "announcement.txt"
    message.write_text("حملة نظافة حي الفيصلية\nالسبت 7 صباحًا", encoding="utf-8")
    env = cli_env(db_factory, fake, "500")
    proc = await start_cli(env, "broadcast", str(message), "--audience", "all")
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    progress = err.decode()
    assert "100% 40/40" in progress and "sent: 40" in progress
    counts = sends_per_chat(fake)
    assert set(counts) == set(chats) and max(counts.values()) == 1


async def test_broadcast_command_refuses_an_announcement_to_nobody(
    db_factory: DatabaseFactory, db: Database, fake: FakeTelegramServer, tmp_path: Path
) -> None:
    if db_factory.backend != "sqlite":
        pytest.skip("the subprocess gets a plain DATABASE_URL")
    await known_recipients(db, fake, 2, locale="en")
    message = tmp_path / "announcement.txt"
    message.write_text("حملة نظافة", encoding="utf-8")
    env = cli_env(db_factory, fake, "500")
    # Nobody lives in this district: the service refuses, the operator reads why.
    proc = await start_cli(env, "broadcast", str(message), "--audience", "district:hada")
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 2, err.decode()
    assert "would reach nobody" in err.decode()
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Broadcast))).scalar() == 0
