"""The broadcast bench with several sender processes (`--senders N`, issue 18 target 3).

PostgreSQL (a fresh database made through `--database-url` or TEST_DATABASE_URL, dropped
afterwards) and the Redis shared limiter (`--redis-url` or REDIS_URL; keys under a prefix of
this run's own): N child processes, each one `OutboxSender` with the `RedisRateLimiter`, drain
the same outbox (claims are `FOR UPDATE SKIP LOCKED`), the fake Bot API in a process of its
own. Each child waits for the word to start, drains until no row of the broadcast is pending
or sending, and reports the rows it handled, its CPU time and the mean of its steps. The
clock runs from the word to the last child seeing the outbox settled; duplicates and losses
are counted from the fake's record and the outbox as in the one-process bench.

    python -m bench.broadcast_bench --paid --senders 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.broadcast_measure import Breakdown, instrument, outcome
from bench.fake_process import fake_in_process
from bench.webhook_workers_bench import cpu_of, fresh_database
from bot.channels.telegram import AiogramClient, create_bot
from bot.channels.telegram_transport import TelegramTransport
from bot.core.i18n import load_catalogs
from bot.delivery.redis_limiter import Lane, RedisRateLimiter, connect
from bot.delivery.sender import DeliveryConfig, OutboxSender, fan_out_due
from storage import broadcasts, outbox
from storage.db import Database, create_database
from storage.models import utcnow
from tests.delivery.support import add_broadcast, seed_recipients

POLL = 0.05  # seconds between drains while other senders hold the last rows


@dataclass
class Child:
    """What one sender process reported."""

    handled: int
    cpu: float  # seconds of CPU while sending
    done_at: float  # time.monotonic() when it saw the outbox settled (one clock on Linux)
    steps: dict[str, tuple[int, float]]  # step: (calls, mean ms)


def cpu_by_name(name: str) -> float:
    """CPU seconds of the processes called `name` (the database server, Redis) we may read."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    total += cpu_of(int(entry.name))
            except OSError:
                continue
    return total


def children_cpu(exclude: set[int]) -> float:
    """CPU seconds of this process's children other than `exclude` (here: the fake)."""
    total, me = 0.0, os.getpid()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in exclude:
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    total += cpu_of(int(entry.name))
            except OSError:
                continue
    return total


async def open_rows(db: Database, broadcast_id: int) -> int:
    async with db.sessions() as session:
        counts = await broadcasts.broadcast_counts(session, broadcast_id)
    return counts.get(outbox.PENDING, 0) + counts.get(outbox.SENDING, 0)


# --- one sender process -----------------------------------------------------------------------
async def child_async(args: argparse.Namespace) -> None:
    db = create_database(args.database_url)
    bot = create_bot(args.token, args.base_url)
    redis = connect(args.redis_url)
    lane = Lane(f"telegram:{args.prefix}", args.rate, 1.0)
    limiter = RedisRateLimiter(redis, {"telegram": lane}, prefix=args.prefix)
    config = DeliveryConfig(
        per_second=args.rate,
        per_chat_per_second=1.0,
        concurrency=args.concurrency,
        batch=args.batch,
        quiet_start=clock_time(0),
        quiet_end=clock_time(0),
    )
    sender = OutboxSender(
        db, load_catalogs(), {"telegram": TelegramTransport(AiogramClient(bot))}, config,
        limiter=limiter,
    )  # fmt: skip
    breakdown = Breakdown()
    instrument(sender, breakdown)
    await open_rows(db, args.broadcast)  # connections open before the clock starts
    await redis.ping()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    cpu0, handled = time.process_time(), 0
    try:
        while True:
            handled += await sender.drain()
            if not await open_rows(db, args.broadcast):
                break
            await asyncio.sleep(POLL)
        done_at, cpu = time.monotonic(), time.process_time() - cpu0
        steps = {k: (t.calls, t.mean_ms) for k, t in breakdown.timers.items()}
        report = {"handled": handled, "cpu": cpu, "done_at": done_at, "steps": steps}
        print(json.dumps(report), flush=True)
        # Connections stay open until the parent has read the database server's CPU time
        # (a backend that ended is no longer in /proc).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    finally:
        await bot.session.close()
        await limiter.close()
        await db.dispose()


def child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast_senders")
    for name in ("database-url", "redis-url", "base-url", "token", "prefix"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--broadcast", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    asyncio.run(child_async(parser.parse_args(argv)))


# --- the parent: database, fake, N children, checks -------------------------------------------
async def run_senders(args: argparse.Namespace) -> int:
    """Prints the figures; the exit status (1: duplicates or losses, or with --strict a
    share under target)."""
    n, cap, senders = args.recipients, args.cap, args.senders
    admin_url = args.database_url or os.environ.get("TEST_DATABASE_URL")
    redis_url = args.redis_url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not admin_url or not admin_url.startswith("postgresql"):
        print("--senders needs PostgreSQL: --database-url or TEST_DATABASE_URL")
        return 2
    print(
        f"broadcast bench: {n:,} recipients, cap {cap}/s, {senders} sender process(es), "
        f"concurrency {args.concurrency} each, batch {args.batch}; PostgreSQL, Redis limiter "
        f"({redis_url}); ideal {n / cap:,.1f} s; load average {os.getloadavg()[0]:.2f}"
    )
    async with fresh_database(admin_url) as url:
        db = create_database(url)
        try:
            chats = await seed_recipients(db, n)
            broadcast_id = await add_broadcast(db, at=utcnow())
            await fan_out_due(db)
            async with db.engine.connect() as conn:
                # What autovacuum does within a minute of a bulk load: without statistics the
                # claim's per-row look-up of the chat's last message scanned every identity
                # (a bitmap AND with the channel index, 20,000 entries a row, ~25 ms a claim).
                await conn.execute(text("ANALYZE"))
                await conn.commit()
            async with fake_in_process(cap, chats) as (base_url, token, recorded):
                children = await spawn(args, url, redis_url, base_url, token, broadcast_id)
                senders_pids = {c.pid for c in children}
                pg0, redis0 = cpu_by_name("postgres"), cpu_by_name("redis-server")
                fake0 = children_cpu(senders_pids)  # the one other child: the fake
                started = time.monotonic()
                for child in children:
                    assert child.stdin is not None
                    child.stdin.write(b"go\n")
                    await child.stdin.drain()
                reports = [await reported(child) for child in children]
                pg = cpu_by_name("postgres") - pg0
                rds = cpu_by_name("redis-server") - redis0
                fake = children_cpu(senders_pids) - fake0
                for child in children:
                    await ended(child)
                result = await outcome(db, await recorded(), broadcast_id, cap)
        finally:
            await db.dispose()
    seconds = max(r.done_at for r in reports) - started
    sent = result.statuses.get(outbox.SENT, 0)
    rate = sent / seconds
    span = result.ok_times[-1] - result.ok_times[0] if len(result.ok_times) > 1 else 0.0
    print(
        f"sending   {sent:,} sent in {seconds:,.1f} s = {rate:,.1f} msg/s = {rate / cap:.1%} "
        f"of the cap with {senders} sender(s); at the fake: first to last accepted send "
        f"{span:,.1f} s, started {result.ok_times[0] - started:.2f} s after the word, busiest "
        f"second {result.peak_second()}; 429 answers {result.too_many}"
    )
    for i, r in enumerate(reports, 1):
        per = r.cpu / r.handled * 1000 if r.handled else 0.0
        steps = ", ".join(
            f"{k.strip()} {ms:.2f} ms"
            for k, (calls, ms) in r.steps.items()
            if calls and k != "drain"
        )
        print(f"  sender {i}: {r.handled:,} rows, CPU {r.cpu:.1f} s = {per:.2f} ms/msg; {steps}")
    print(
        f"  CPU elsewhere: PostgreSQL {pg:.1f} s ({pg / max(sent, 1) * 1000:.2f} ms/msg), "
        f"Redis {rds:.1f} s, fake Bot API {fake:.1f} s; machine: 2 CPUs x {seconds:.1f} s = "
        f"{2 * seconds:.1f} CPU s; load average now {os.getloadavg()[0]:.2f}"
    )
    duplicates = result.duplicates()
    not_sent = sum(v for k, v in result.statuses.items() if k != outbox.SENT)
    losses = max(result.missing(chats), not_sent)
    ok_share = rate / cap >= 0.90
    checks = [
        ("share of cap >= 90%", ok_share, f"{rate / cap:.1%}"),
        ("duplicates = 0", not duplicates, str(duplicates)),
        ("losses = 0", not losses, str(losses)),
    ]
    for label, ok, value in checks:
        print(f"target    {label:<22} {'PASS' if ok else 'FAIL'}  ({value})")
    return 1 if duplicates or losses or (args.strict and not ok_share) else 0


async def spawn(
    args: argparse.Namespace,
    url: str,
    redis_url: str,
    base_url: str,
    token: str,
    broadcast_id: int,
) -> list[asyncio.subprocess.Process]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"  # this run's limiter keys, nobody else's
    children = []
    for _ in range(args.senders):
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.broadcast_senders",
            "--database-url", url, "--redis-url", redis_url, "--base-url", base_url,
            "--token", token, "--prefix", prefix, "--broadcast", str(broadcast_id),
            "--rate", str(args.sender_rate), "--concurrency", str(args.concurrency),
            "--batch", str(args.batch),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        children.append(child)
    for child in children:
        assert child.stdout is not None
        line = (await child.stdout.readline()).decode().strip()
        if line != "ready":
            raise RuntimeError(f"a sender process did not start: {line!r}")
    return children


async def reported(child: asyncio.subprocess.Process) -> Child:
    """The child's report, once it has seen the outbox settled."""
    assert child.stdout is not None
    line = (await child.stdout.readline()).decode().strip()
    if not line:
        raise RuntimeError(f"a sender process failed (exit {await child.wait()})")
    data: dict[str, Any] = json.loads(line)
    steps = {k: (int(v[0]), float(v[1])) for k, v in data["steps"].items()}
    return Child(int(data["handled"]), float(data["cpu"]), float(data["done_at"]), steps)


async def ended(child: asyncio.subprocess.Process) -> None:
    assert child.stdin is not None
    child.stdin.write(b"exit\n")
    await child.stdin.drain()
    if await child.wait() != 0:
        raise RuntimeError(f"a sender process failed (exit {child.returncode})")


if __name__ == "__main__":
    child_main(sys.argv[1:])
