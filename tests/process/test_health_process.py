"""/healthz, /readyz and /metrics on real `shuraka` processes: on the server's own port (web
workspace, Telegram webhook worker, WhatsApp webhook), and on METRICS_PORT for the processes
without one (the sender-only `outbox run`, a scheduler-only Telegram process). Each exits
cleanly on SIGTERM afterwards; the web process writes its log as JSON lines (LOG_FORMAT)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from bot.process.telegram import SECRET_HEADER
from fakes.telegram_api import FakeTelegramServer
from fakes.whatsapp_api import FakeWhatsAppServer
from tests.process.support import closed_port, shuraka, stops_cleanly

METRIC_NAMES = (
    "shuraka_updates_total",
    "shuraka_update_handling_seconds",
    "shuraka_sends_total",
    "shuraka_rate_limit_wait_seconds_total",
    "shuraka_scheduler_job_runs_total",
    "shuraka_scheduler_job_failures_total",
    "shuraka_outbox_rows",
    "shuraka_whatsapp_inbound_backlog",
    "shuraka_broadcast_messages",
)


async def _get(url: str, deadline: float) -> tuple[int, str]:
    """GET `url`, retrying while the server is still starting (until `deadline`)."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    return response.status, await response.text()
            except aiohttp.ClientConnectionError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def _assert_healthy(base: str, *, scheduler: bool = False) -> None:
    deadline = asyncio.get_running_loop().time() + 40
    status, body = await _get(f"{base}/healthz", deadline)
    assert status == 200 and json.loads(body) == {"status": "alive"}
    status, body = await _get(f"{base}/readyz", deadline)
    ready = json.loads(body)
    assert status == 200, ready
    assert ready == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "tasks": "ok"},
    }
    status, text = await _get(f"{base}/metrics", deadline)
    assert status == 200
    for name in METRIC_NAMES:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    if scheduler:
        assert 'shuraka_scheduler_job_runs_total{job="outbox.wake_sender"}' in text


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}",
        **values,
    }
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "METRICS_PORT", "LOG_FORMAT", "LOG_LEVEL"):
        if name not in values:
            env.pop(name, None)
    return env


@pytest.mark.timeout(90)
async def test_web_answers_health_and_metrics_and_logs_json_lines(tmp_path: Path) -> None:
    port = closed_port()
    env = _env(
        tmp_path,
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        WEB_SESSION_SECRET="s" * 32,
        LOG_FORMAT="json",
    )
    async with shuraka(tmp_path, env, "web") as proc:
        await _assert_healthy(f"http://127.0.0.1:{port}")
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, stderr.decode()
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert lines, "a service logs at INFO by default"
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= entry.keys()
    assert any("listening" in json.loads(line)["message"] for line in lines)


@pytest.mark.timeout(90)
async def test_sender_only_process_answers_on_metrics_port(tmp_path: Path) -> None:
    metrics_port = closed_port()
    async with FakeTelegramServer() as fake:
        env = _env(
            tmp_path,
            BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE=fake.base_url,
            METRICS_PORT=str(metrics_port),
        )
        async with shuraka(tmp_path, env, "outbox", "run") as proc:
            await _assert_healthy(f"http://127.0.0.1:{metrics_port}")
            await stops_cleanly(proc)


@pytest.mark.timeout(90)
async def test_scheduler_only_telegram_process_runs_jobs_and_takes_no_updates(
    tmp_path: Path,
) -> None:
    metrics_port = closed_port()
    async with FakeTelegramServer() as fake:
        env = _env(
            tmp_path,
            BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE=fake.base_url,
            METRICS_PORT=str(metrics_port),
        )
        async with shuraka(tmp_path, env, "telegram", "--role", "scheduler") as proc:
            base = f"http://127.0.0.1:{metrics_port}"
            await _get(f"{base}/healthz", asyncio.get_running_loop().time() + 40)
            await asyncio.sleep(2.5)  # the sender's wake-up job runs every 2 s
            await _assert_healthy(base, scheduler=True)
            assert not fake.calls("getUpdates"), "a scheduler does not poll"
            await stops_cleanly(proc)


@pytest.mark.timeout(90)
async def test_telegram_webhook_worker_answers_health_and_counts_updates(tmp_path: Path) -> None:
    port = closed_port()
    async with FakeTelegramServer() as fake:
        env = _env(
            tmp_path,
            BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE=fake.base_url,
            WEBHOOK_URL="https://bot.example.org/telegram/webhook",
            WEBHOOK_SECRET="w" * 32,
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        async with shuraka(tmp_path, env, "telegram", "--webhook", "--role", "worker") as proc:
            base = f"http://127.0.0.1:{port}"
            await _assert_healthy(base)
            # An update through the webhook: answered, and counted in this worker's metrics.
            update = fake.update(fake.user_command(3101, "start"))
            headers = {SECRET_HEADER: "w" * 32}
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"{base}/telegram/webhook", json=update, headers=headers) as answer,
            ):
                assert answer.status == 200
            await fake.wait_for_message(3101, timeout=15)
            _, text = await _get(f"{base}/metrics", asyncio.get_running_loop().time() + 10)
            assert 'shuraka_updates_total{channel="telegram",outcome="handled"} 1.0' in text
            assert 'shuraka_update_handling_seconds_count{channel="telegram"} 1.0' in text
            await stops_cleanly(proc)


@pytest.mark.timeout(90)
async def test_whatsapp_webhook_answers_health_on_its_port(tmp_path: Path) -> None:
    port = closed_port()
    async with FakeWhatsAppServer() as fake:
        env = _env(
            tmp_path,
            WHATSAPP_TOKEN=fake.token,
            WHATSAPP_PHONE_NUMBER_ID=fake.phone_number_id,
            WHATSAPP_APP_SECRET=fake.app_secret,
            WHATSAPP_VERIFY_TOKEN=fake.verify_token,
            WHATSAPP_API_BASE=fake.graph_url,
            WHATSAPP_HOST="127.0.0.1",
            WHATSAPP_PORT=str(port),
        )
        async with shuraka(tmp_path, env, "whatsapp") as proc:
            await _assert_healthy(f"http://127.0.0.1:{port}")
            await stops_cleanly(proc)
