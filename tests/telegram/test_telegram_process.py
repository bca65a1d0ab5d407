"""The real `shuraka telegram` process: polls the fake Bot API and exits cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegramServer


async def test_shuraka_telegram_polls_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with FakeTelegramServer() as fake:
        env = {
            **os.environ,
            "BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE": fake.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        }
        env.pop("WEBHOOK_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "telegram",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.wait_for(lambda: fake.calls("getUpdates"), timeout=30)
            fake.user_command(3001, "start")
            await fake.wait_for_message(3001, timeout=15)
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        _, stderr = await proc.communicate()
        assert code == 0, stderr.decode()
        assert "Traceback" not in stderr.decode()
        assert "اختر لغتك" in fake.messages_to(3001)[-1]["text"]
