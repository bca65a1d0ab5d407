"""The real `shuraka telegram` process: polls the fake Bot API and exits cleanly on SIGTERM; an
unreachable Bot API or a rejected token at start is one line on stderr, not a traceback."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from fakes.telegram_api import FakeTelegramServer
from tests.process.support import closed_port, shuraka, stops_cleanly


# A cold start (imports, migrations) on a busy 2-CPU machine was seen to take over 30 s.
@pytest.mark.timeout(240)
async def test_shuraka_telegram_polls_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with FakeTelegramServer() as fake:
        env = {
            **os.environ,
            "BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE": fake.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        }
        env.pop("WEBHOOK_URL", None)
        async with shuraka(tmp_path, env, "telegram") as proc:
            await fake.wait_for(lambda: fake.calls("getUpdates"), timeout=120)
            fake.user_command(3001, "start")
            await fake.wait_for_message(3001, timeout=15)
            await stops_cleanly(proc)
        assert "اختر لغتك" in fake.messages_to(3001)[-1]["text"]


# --- an unreachable Bot API at start: one line, no traceback ----------------------------------


async def run_shuraka_telegram(
    tmp_path: Path, token: str, api_base: str, command: list[str] | None = None
) -> tuple[int, str]:
    env = {
        **os.environ,
        "BOT_TOKEN": token,
        "TELEGRAM_API_BASE": api_base,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    }
    env.pop("WEBHOOK_URL", None)
    env.pop("WEBHOOK_SECRET", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *(command or ["-m", "bot.cli", "telegram"]),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, stderr.decode()


async def test_refused_connection_at_start_is_one_line(tmp_path: Path) -> None:
    port = closed_port()
    code, stderr = await run_shuraka_telegram(
        tmp_path, "123456:SECRET-TOKEN", f"http://127.0.0.1:{port}"
    )
    assert code != 0
    assert stderr.count("\n") == 1, stderr
    assert f"cannot reach the Telegram Bot API at http://127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr
    assert "SECRET-TOKEN" not in stderr


async def test_a_rejected_token_at_start_is_one_line(tmp_path: Path) -> None:
    async with FakeTelegramServer(token="123456:TEST") as fake:
        code, stderr = await run_shuraka_telegram(tmp_path, "654321:WRONG-TOKEN", fake.base_url)
        assert not fake.calls("setMyCommands")  # nothing started
    assert code == 2
    assert stderr.count("\n") == 1, stderr
    assert "BOT_TOKEN" in stderr and "rejected" in stderr
    assert "Traceback" not in stderr and "WRONG-TOKEN" not in stderr


async def test_a_bot_api_that_does_not_answer_at_start_is_one_line(tmp_path: Path) -> None:
    """A server that takes the connection and never answers: the start-up check times out."""
    # The same `shuraka telegram`, with the start-up check's time-out shortened for the test.
    quick = (
        "from bot.process.telegram import TelegramService as S; "
        "S.startup_timeout = 1; S.startup_attempts = 2; "
        "from bot.cli import main; raise SystemExit(main(['telegram']))"
    )
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes connections; nobody ever reads them
        port = silent.getsockname()[1]
        code, stderr = await run_shuraka_telegram(
            tmp_path, "123456:SECRET-TOKEN", f"http://127.0.0.1:{port}", ["-c", quick]
        )
    assert code == 1
    assert stderr.count("\n") == 1, stderr
    assert f"cannot reach the Telegram Bot API at http://127.0.0.1:{port}" in stderr
    assert "timeout" in stderr.lower() and "(2 tries)" in stderr
    assert "Traceback" not in stderr and "SECRET-TOKEN" not in stderr
