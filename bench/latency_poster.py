"""The Telegram side of the latency bench: posts updates to a webhook at a steady rate, from a
process of its own (the platform is not the bot's CPU budget: posting 200 requests a second
with aiohttp costs a share of a core that an in-process poster would charge to the bot).

    python -m bench.latency_poster URL SECRET --rate 200 --total 4000 --users 500 --out posted.json

Open loop: each update is posted at its planned time whether or not the earlier ones were
answered. Writes ``{"posted": [[chat, monotonic time posted], ...], "failures": N,
"elapsed": seconds}`` (time.monotonic() is one clock for every process on Linux, so the parent
compares it with the fake Bot API's arrival times).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.process.telegram import SECRET_HEADER

FIRST_CHAT = 700_000


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


async def post_all(
    url: str, secret: str, rate: float, total: int, users: int
) -> tuple[list[tuple[int, float]], int, float]:
    """(chat, time posted) of every update, how many were not answered 200, seconds taken.
    Each user's first update is /start, the next ones "hello" (the main menu answers)."""
    chats = list(range(FIRST_CHAT, FIRST_CHAT + users))
    posted: list[tuple[int, float]] = []
    failures = 0
    async with aiohttp.ClientSession(headers={SECRET_HEADER: secret}) as http:

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
    return posted, failures, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency_poster")
    parser.add_argument("url")
    parser.add_argument("secret")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    posted, failures, elapsed = asyncio.run(
        post_all(args.url, args.secret, args.rate, args.total, args.users)
    )
    out = {"posted": posted, "failures": failures, "elapsed": elapsed}
    Path(args.out).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
