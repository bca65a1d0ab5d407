"""Resident memory against the number of people who wrote to the bot (issue 18 target 4).

    python -m bench.memory_bench                    # 1,000 then 100,000 users
    python -m bench.memory_bench --small 1000 --large 20000

The bot's runtime (`bot.runtime.create_runtime`, as `shuraka` builds it) on a fresh temporary
SQLite file. Registered users are bulk-inserted in storage (consented users, each with a
Telegram identity: `tests/delivery/support.seed_recipients`), because the bench needs their
rows, not their sign-up. Then every one of them sends one message through the real engine
(`Engine.handle`: deduplication, load, the main menu rendered, the state saved, in its own
transaction), one after the other. RSS (from /proc/self/statm, current, not the peak) is read
after a full garbage collection when `--small` users have written, and again when `--large`
have; the difference is what the process keeps per user who wrote.

The Telegram and WhatsApp adapters' per-chat memory (last menu shown, its page) is not in this
run: it is kept in `bot.channels.lru` caches bounded at RECENT_CHATS chats.

Target (issue 18): RSS after `--large` within 50 MB of RSS after `--small`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bot.core.messages import Inbound, InboundKind
from bot.runtime import create_runtime
from bot.settings import load_settings
from tests.delivery.support import seed_recipients

TARGET_MB = 50.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


async def run(small: int, large: int) -> int:
    logging.disable(logging.INFO)  # an INFO line per update is not what is measured
    with tempfile.TemporaryDirectory(prefix="shuraka-bench-") as tmp:
        path = Path(tmp) / "memory.db"
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{path}", admin_ids=[])
        runtime = await create_runtime(settings)
        try:
            t0 = time.perf_counter()
            chats = await seed_recipients(runtime.db, large)
            print(f"seeded    {large:,} registered users in {time.perf_counter() - t0:.1f} s")
            engine = runtime.engine
            marks: dict[int, float] = {}
            t0 = time.perf_counter()
            for index, chat in enumerate(chats, 1):
                replies = await engine.handle(
                    Inbound(
                        channel="telegram",
                        external_user_id=str(chat),
                        chat_id=str(chat),
                        update_id=f"m{chat}",
                        kind=InboundKind.TEXT,
                        text="hello",
                    )
                )
                if not replies:
                    print(f"FAILED: no reply to user {index}")
                    return 1
                if index in (small, large):
                    marks[index] = rss_mb()
                    rate = index / (time.perf_counter() - t0)
                    print(
                        f"after     {index:>7,} users wrote: RSS {marks[index]:7.1f} MB "
                        f"({rate:,.0f} updates/s so far)"
                    )
        finally:
            await runtime.close()
    grown = marks[large] - marks[small]
    per_user = grown * 1e6 / max(large - small, 1)
    ok = grown <= TARGET_MB
    print(
        f"growth    {grown:+.1f} MB from {small:,} to {large:,} users "
        f"({per_user:,.0f} bytes per user)"
    )
    print(f"target    within {TARGET_MB:.0f} MB: {'PASS' if ok else 'FAIL'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_bench")
    parser.add_argument("--small", type=int, default=1_000, metavar="N")
    parser.add_argument("--large", type=int, default=100_000, metavar="N")
    args = parser.parse_args(argv)
    if not 0 < args.small < args.large:
        parser.error("need 0 < --small < --large")
    print(
        f"memory bench: RSS after {args.small:,} and {args.large:,} users each sent one "
        f"message; SQLite; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    return asyncio.run(run(args.small, args.large))


if __name__ == "__main__":
    sys.exit(main())
