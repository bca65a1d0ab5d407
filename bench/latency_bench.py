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
import gc
import json
import logging
import os
import platform
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from aiohttp import web

from bench.fake_process import fake_in_process
from bench.latency_poster import FIRST_CHAT, post_all
from bot.process.telegram import TelegramService
from bot.runtime import create_runtime
from bot.settings import load_settings

SECRET = "bench-" + "s" * 34
TARGET_P99_MS = 50.0


def percentile(data: list[float], q: float) -> float:
    return data[min(len(data) - 1, round(q * (len(data) - 1)))] if data else float("nan")


async def post_from_process(
    url: str, rate: float, total: int, users: int, out: Path
) -> tuple[list[tuple[int, float]], int, float]:
    """bench/latency_poster.py in a child process: the platform's CPU is not the bot's."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.latency_poster",
        url,
        SECRET,
        f"--rate={rate}",
        f"--total={total}",
        f"--users={users}",
        f"--out={out}",
    )
    if await child.wait() != 0:
        raise RuntimeError("the poster process failed")
    found = json.loads(out.read_text())
    posted = [(int(chat), float(at)) for chat, at in found["posted"]]
    return posted, int(found["failures"]), float(found["elapsed"])


async def run(
    rate: float, seconds: float, users: int, poster_here: bool = False, warmup: float = 0.0
) -> int:
    logging.disable(logging.INFO)
    total = int(rate * seconds)
    chats = list(range(FIRST_CHAT, FIRST_CHAT + users))
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
            gc.collect()  # as `shuraka telegram` does once started (bot/cli.py)
            gc.freeze()
            port = runner.addresses[0][1]
            url = f"http://127.0.0.1:{port}{service.webhook_path()}"
            try:
                if poster_here:
                    posted, failures, elapsed = await post_all(url, SECRET, rate, total, users)
                else:
                    posted, failures, elapsed = await post_from_process(
                        url, rate, total, users, Path(tmp) / "posted.json"
                    )
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
    counted_from = int(warmup * rate)
    for index, (chat, at) in enumerate(posted):
        times = arrivals.get(chat, [])
        k = bisect.bisect_left(times, at)
        if k == len(times):
            unanswered += 1
        elif index >= counted_from:
            latencies.append((times[k] - at) * 1000)
    latencies.sort()
    p99 = percentile(latencies, 0.99)
    print(
        f"posted    {total:,} updates in {elapsed:.1f} s = {total / elapsed:,.1f}/s "
        f"(planned {rate:g}/s); {failures} not answered 200; {unanswered} without a reply call"
    )
    print(
        f"latency   of the {len(latencies):,} after the first {warmup:g} s (warm-up), post -> "
        f"first Bot API call for the chat: p50 {percentile(latencies, 0.5):.1f} "
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
    parser.add_argument(
        "--poster-here",
        action="store_true",
        help="post from this process (as before session 10): the poster's CPU counts as the bot's",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        metavar="S",
        help="updates posted in the first S seconds are answered and checked but not in the "
        "percentiles (a process just started compiles its statements; default 2)",
    )
    args = parser.parse_args(argv)
    print(
        f"latency bench: {args.rate:g} updates/s for {args.seconds:g} s from {args.users:,} "
        f"users through the webhook; SQLite; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    where = "this process" if args.poster_here else "a process of its own"
    print(f"poster    {where}; the fake Bot API in a process of its own")
    return asyncio.run(run(args.rate, args.seconds, args.users, args.poster_here, args.warmup))


if __name__ == "__main__":
    sys.exit(main())
