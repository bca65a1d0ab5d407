"""Reply latency under load through the Telegram webhook (issue 18 target 5).

    python -m bench.latency_bench                   # 200 updates/s for 20 s
    python -m bench.latency_bench --rate 100 --seconds 10 --users 300

The bot's webhook server (`TelegramService.webhook_app`, as `shuraka telegram --webhook` serves
it: aiohttp, the secret checked, aiogram's dispatch, the engine, SQLite in a temporary file) in
this process; the fake Bot API (bench/fake_process.py) in a process of its own, recording when
each call arrived (time.monotonic(), one clock for both processes on Linux). Updates are posted
at a steady `--rate` (an open loop: each at its planned time, whether or not the earlier ones
were answered), from `--users` users in turn: each user's first update is /start, the next ones
a text ("hello", which the main menu answers).

Latency of an update = arrival at the fake of the first Bot API call to that chat after the
update was posted - the moment it was posted. Printed: p50, p99, max, and the update rate
achieved. Target: p99 < 50 ms at 200 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.fake_process import fake_in_process
from bot.process.telegram import SECRET_HEADER, TelegramService
from bot.runtime import create_runtime
from bot.settings import load_settings

FIRST_CHAT = 700_000
SECRET = "bench-" + "s" * 34
TARGET_P99_MS = 50.0


def update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "User", "language_code": "ar"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "from": user,
        "chat": {"id": chat, "type": "private", "first_name": "User"},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


def percentile(data: list[float], q: float) -> float:
    return data[min(len(data) - 1, round(q * (len(data) - 1)))] if data else float("nan")


async def run(rate: float, seconds: float, users: int) -> int:
    logging.disable(logging.INFO)
    total = int(rate * seconds)
    chats = list(range(FIRST_CHAT, FIRST_CHAT + users))
    posted: list[tuple[int, float]] = []  # (chat, monotonic time posted)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="shuraka-bench-") as tmp:
        async with fake_in_process(0, chats, methods="all") as (base_url, token, recorded):
            settings = load_settings(
                database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'latency.db'}",
                admin_ids=[],
                bot_token=token,
                telegram_api_base=base_url,
                webhook_url="https://bot.example.invalid/tg/hook",
                webhook_secret=SECRET,
            )
            runtime = await create_runtime(settings)
            service = TelegramService(runtime)
            runner = web.AppRunner(service.webhook_app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            url = f"http://127.0.0.1:{port}{service.webhook_path()}"
            try:
                async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:

                    async def post(body: dict[str, Any]) -> None:
                        nonlocal failures
                        async with http.post(url, json=body) as answer:
                            if answer.status != 200:
                                failures += 1

                    tasks = []
                    seen: set[int] = set()
                    start = time.monotonic()
                    for i in range(total):
                        delay = start + i / rate - time.monotonic()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        chat = chats[i % users]
                        text = "hello" if chat in seen else "/start"
                        seen.add(chat)
                        posted.append((chat, time.monotonic()))
                        tasks.append(asyncio.create_task(post(update(i + 1, chat, text))))
                    await asyncio.gather(*tasks)
                    elapsed = time.monotonic() - start
            finally:
                await runner.cleanup()
                await service.client.close()
                await runtime.close()
            calls = await recorded()
    arrivals: dict[int, list[float]] = defaultdict(list)
    for chat, _status, at in calls:
        arrivals[chat].append(at)
    for times in arrivals.values():
        times.sort()
    latencies: list[float] = []
    unanswered = 0
    for chat, at in posted:
        times = arrivals.get(chat, [])
        k = bisect.bisect_left(times, at)
        if k == len(times):
            unanswered += 1
        else:
            latencies.append((times[k] - at) * 1000)
    latencies.sort()
    p99 = percentile(latencies, 0.99)
    print(
        f"posted    {total:,} updates in {elapsed:.1f} s = {total / elapsed:,.1f}/s "
        f"(planned {rate:g}/s); {failures} not answered 200; {unanswered} without a reply call"
    )
    print(
        f"latency   post -> first Bot API call for the chat: p50 {percentile(latencies, 0.5):.1f} "
        f"ms  p99 {p99:.1f} ms  max {latencies[-1] if latencies else float('nan'):.1f} ms"
    )
    ok = p99 < TARGET_P99_MS and not failures and not unanswered
    print(f"target    p99 < {TARGET_P99_MS:.0f} ms at {rate:g}/s: {'PASS' if ok else 'FAIL'}")
    return 1 if failures or unanswered else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_bench")
    parser.add_argument("--rate", type=float, default=200.0, metavar="PER_SEC")
    parser.add_argument("--seconds", type=float, default=20.0, metavar="S")
    parser.add_argument("--users", type=int, default=500, metavar="N")
    args = parser.parse_args(argv)
    print(
        f"latency bench: {args.rate:g} updates/s for {args.seconds:g} s from {args.users:,} "
        f"users through the webhook; SQLite; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    return asyncio.run(run(args.rate, args.seconds, args.users))


if __name__ == "__main__":
    sys.exit(main())
