"""The fake Bot API (fakes/telegram_api.py) in a process of its own, for benchmarks whose
client must not share a CPU budget with the server (two cores: one each).

    python -m bench.fake_process --cap 1000 --chats 100001:20000 --record calls.json

Prints one line, ``BASE_URL TOKEN``, once it listens; runs until its standard input closes,
then writes every sendMessage it answered to ``--record`` as JSON: a list of
``[chat_id, status, time]`` (``time`` is time.monotonic(), the same clock in every process on
Linux) and exits (``--methods all``: every call that names a chat, e.g. for reply latency).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fakes.telegram_api import FakeTelegramServer

Call = tuple[int, int, float]  # sendMessage as the fake answered it: chat id, status, time
Recorder = Callable[[], Awaitable[list[Call]]]


async def serve(args: argparse.Namespace) -> None:
    async with FakeTelegramServer() as fake:
        if args.cap:
            fake.emulate_limits(global_per_sec=args.cap, per_chat_per_sec=1)
        first, count = (int(part) for part in args.chats.split(":"))
        for chat in range(first, first + count):
            fake.known_chat(chat)
        print(f"{fake.base_url} {fake.token}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
        wanted = None if args.methods == "all" else set(args.methods.split(","))
        calls = [
            [int(c.params["chat_id"]), c.status, c.time]
            for c in fake.sent
            if (wanted is None or c.method in wanted) and "chat_id" in c.params
        ]
        Path(args.record).write_text(json.dumps(calls))


@contextlib.asynccontextmanager
async def fake_in_process(
    cap: int, chats: list[int], methods: str = "sendMessage"
) -> AsyncIterator[tuple[str, str, Recorder]]:
    """The fake Bot API in a child process (bench/fake_process.py): (base url, token, a
    function that returns its record of sendMessage calls once it has stopped)."""
    with tempfile.TemporaryDirectory(prefix="shuraka-fake-") as tmp:
        record = Path(tmp) / "calls.json"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_process",
            "--cap",
            str(cap),
            "--chats",
            f"{chats[0]}:{len(chats)}",
            "--record",
            str(record),
            "--methods",
            methods,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert proc.stdin is not None and proc.stdout is not None
        base_url, token = (await proc.stdout.readline()).decode().split()
        stopped = False

        async def recorded() -> list[Call]:
            nonlocal stopped
            if not stopped:
                assert proc.stdin is not None
                proc.stdin.close()
                await proc.wait()
                stopped = True
            return [(int(a), int(b), float(c)) for a, b, c in json.loads(record.read_text())]

        try:
            yield base_url, token, recorded
        finally:
            if not stopped:
                proc.kill()
                await proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_process")
    parser.add_argument("--cap", type=int, default=0, help="emulated global limit per second")
    parser.add_argument("--chats", required=True, metavar="FIRST:COUNT", help="known chats")
    parser.add_argument("--record", required=True, metavar="PATH")
    parser.add_argument(
        "--methods", default="sendMessage", help="comma-separated methods to record, or 'all'"
    )
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
