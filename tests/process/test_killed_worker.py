"""A webhook worker killed (SIGKILL) after it saved an update's state and while its reply was
on the wire: Telegram re-delivers the update to a worker that is up, which does not handle it a
second time but sends the reply the first one saved (bot/core/replay.py). Before, the person
got nothing: the re-delivery was a duplicate, dropped.

Real processes (`shuraka telegram --webhook`), a real SQLite file shared by both, the fake Bot
API holding the first worker's sendMessage so that the kill lands between commit and send."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from fakes.telegram_api import FakeTelegramServer
from tests.process.support import closed_port, healthy, shuraka

SECRET = "killed-worker-secret-0123456789abcdef"
USER = 4242


async def saved_replies_cleared(path: Path, timeout: float = 30) -> None:
    """Wait for the worker's mark that the replies went out (written in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        with closing(sqlite3.connect(path)) as conn:
            left = conn.execute(
                "SELECT count(*) FROM conversations WHERE pending_replies IS NOT NULL"
            ).fetchone()[0]
        if left == 0:
            return
        assert time.monotonic() < deadline, "the sent replies were never marked"
        await asyncio.sleep(0.1)


def worker_env(fake: FakeTelegramServer, tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE": fake.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
    }
    for key in ("METRICS_PORT", "ADMIN_IDS", "REDIS_URL"):
        env.pop(key, None)
    return env


async def post(port: int, body: object) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/telegram/webhook",
            json=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        return response.status


@pytest.mark.timeout(480)
async def test_an_update_whose_worker_died_before_replying_is_answered_once_on_redelivery(
    tmp_path: Path,
) -> None:
    async with FakeTelegramServer() as fake:
        first_port, second_port = closed_port(), closed_port()
        body = fake.update(fake.user_command(USER, "start"))
        fake.hold_next("sendMessage", chat_id=USER)
        async with shuraka(
            tmp_path, worker_env(fake, tmp_path, first_port), "telegram", "--webhook"
        ) as first:
            await healthy(first_port)
            posting = asyncio.create_task(post(first_port, body))
            await fake.wait_for(lambda: fake.calls("sendMessage"), timeout=60)
            first.kill()  # handled and committed; the reply never reached Telegram
            await first.wait()
            with pytest.raises(aiohttp.ClientError):
                await posting
        assert fake.messages_to(USER) == []
        async with shuraka(
            tmp_path, worker_env(fake, tmp_path, second_port), "telegram", "--webhook"
        ):
            await healthy(second_port)
            assert await post(second_port, body) == 200  # Telegram's re-delivery
            await fake.wait_for_message(USER, timeout=30)
            await saved_replies_cleared(tmp_path / "bot.db")
            assert await post(second_port, body) == 200  # a later retry: already answered
        [reply] = fake.messages_to(USER)
        assert "اختر لغتك" in reply["text"]
