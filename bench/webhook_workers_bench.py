"""Telegram webhook workers on PostgreSQL: updates per second through one and through two
worker processes, the ratio, and where the time goes.

    python -m bench.webhook_workers_bench                      # 200 users x 8 messages
    python -m bench.webhook_workers_bench --quick              # 60 users x 4 messages
    python -m bench.webhook_workers_bench --profile            # + cProfile of worker 1
    python -m bench.webhook_workers_bench --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Each run gets a fresh PostgreSQL database (created through --database-url, migrated, dropped
afterwards) and a fake Bot API (fakes/telegram_api.py) in this process. The workers are real
`shuraka telegram --webhook --role worker` processes, each on its own port; this process is
the load generator and the load balancer: U users each send M messages, a user's next one
when the previous is answered (the webhook answers once the update is handled and its
replies sent), and every request goes to the next worker in turn, so one person's messages
land on different workers and the per-person lock (storage/person_lock.py) is exercised.
The messages are those of bench/telegram_bench.py (/start, language and privacy notice by
number, then main-menu inputs).

Printed per run: updates/s, p50/p99 latency of a webhook request, CPU seconds per update of
each worker, of this process (load generator + fake Bot API) and of PostgreSQL (all its
processes, from /proc), and the machine's idle share. Then the ratio two/one, and the cost of
the person lock (a transaction with it vs. without it, on the same database).
Exit status 1 when a run is wrong (an update not answered 200, or a user not on the menu).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import platform
import pstats
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import own_time_by_area
from bench.telegram_runs import FIRST_USER_ID, push
from bench.telegram_workload import discover, script
from bot.process.telegram import SECRET_HEADER
from fakes.telegram_api import FakeTelegramServer
from storage.db import open_database
from storage.models import Conversation
from storage.person_lock import lock_person
from storage.schema import upgrade

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-webhook-secret-0123456789abcdef"
FIRST_PORT = 18_470
START_TIMEOUT = 180.0
WARM_UP_USERS = 8  # per run, before the clock starts: first-use work (model builds, caches)
AS_WORKER = "--as-worker"  # this module started as a worker process: `shuraka ARGS`
PROFILED = "--profiled"  # ... profiled between SIGUSR1 and SIGUSR2 (the timed window)
AREAS = (
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/aiogram/", "aiogram"),
    ("/pydantic", "pydantic"),
    ("/aiohttp/", "aiohttp"),
    ("/asyncio/", "asyncio"),
    ("/bot/core/", "bot.core (engine)"),
    ("/bot/handlers/", "bot.handlers"),
    ("/bot/channels/", "bot.channels"),
    ("/storage/", "storage"),
)


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every process named postgres (the server and its backends) that we may
    read; backends that ended during the run are missed (the workers keep theirs open)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_of(int(entry.name))
        except OSError:
            continue
    return total


def machine_times() -> tuple[float, float]:
    """(busy, idle) jiffies of the whole machine."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return float(sum(parts) - idle), float(idle)


@asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    name = "bench_ww_" + uuid.uuid4().hex[:10]
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        async with open_database(url, ensure=False) as db:
            await upgrade(db.engine)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@dataclass
class Run:
    workers: int
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    worker_cpu: list[float] = field(default_factory=list)
    own_cpu: float = 0.0
    pg_cpu: float = 0.0
    idle_share: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        ordered = sorted(self.latencies) or [0.0]
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        per = [f"{cpu / self.updates * 1000:.2f}" for cpu in self.worker_cpu]
        return [
            f"{self.workers} worker(s)  {self.updates:,} updates in {self.seconds:.1f} s = "
            f"{self.rate:,.0f} updates/s   p50 {p50:.1f} ms  p99 {p99:.1f} ms",
            f"          CPU ms per update: workers {' + '.join(per)}, load generator + fake "
            f"{self.own_cpu / self.updates * 1000:.2f}, PostgreSQL "
            f"{self.pg_cpu / self.updates * 1000:.2f}; machine idle {self.idle_share:.0%}",
        ]


def start_worker(
    index: int, url: str, fake: FakeTelegramServer, workdir: Path, profile: bool
) -> subprocess.Popen[bytes]:
    port = FIRST_PORT + index
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE": fake.base_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "bench.webhook_workers_bench"]
    if profile:
        command += [PROFILED, str(workdir / f"worker{index}.prof")]
    command += [AS_WORKER, "telegram", "--webhook", "--role", "worker"]
    log = (workdir / f"worker{index}.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(session: aiohttp.ClientSession, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:  # no secret: 403 once the webhook is up
            async with session.post(f"http://127.0.0.1:{port}/telegram/webhook", json={}) as r:
                if r.status == 403:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"worker on port {port} did not start (see its log in the work dir)")


async def one_run(
    workers: int, users: int, texts: list[str], admin_url: str, workdir: Path, profile: bool
) -> Run:
    run = Run(workers)
    async with fresh_database(admin_url) as url, FakeTelegramServer() as fake:
        procs = [start_worker(i, url, fake, workdir, profile and i == 0) for i in range(workers)]
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                for i in range(workers):
                    try:
                        await wait_ready(session, FIRST_PORT + i)
                    except RuntimeError:
                        print((workdir / f"worker{i}.log").read_text()[-3000:], file=sys.stderr)
                        raise
                turn = itertools.count()

                async def send(user_id: int, message: str) -> None:
                    update_id = push(fake, user_id, message)
                    update = fake._history[update_id]
                    port = FIRST_PORT + next(turn) % workers
                    started = time.perf_counter()
                    async with session.post(
                        f"http://127.0.0.1:{port}/telegram/webhook",
                        json=update,
                        headers={SECRET_HEADER: SECRET},
                    ) as response:
                        await response.read()
                        if response.status != 200:
                            run.problems.append(f"update answered {response.status}")
                    run.latencies.append(time.perf_counter() - started)

                async def one_user(user_id: int) -> None:
                    for message in texts:
                        await send(user_id, message)

                warm = [one_user(FIRST_USER_ID - 1 - n) for n in range(WARM_UP_USERS)]
                await asyncio.gather(*warm)
                run.latencies.clear()
                run.problems.clear()
                if profile:
                    procs[0].send_signal(signal.SIGUSR1)

                cpu0 = [cpu_of(p.pid) for p in procs]
                own0, pg0, (busy0, idle0) = time.process_time(), postgres_cpu(), machine_times()
                started = time.perf_counter()
                await asyncio.gather(*(one_user(FIRST_USER_ID + n) for n in range(users)))
                run.seconds = time.perf_counter() - started
                if profile:
                    procs[0].send_signal(signal.SIGUSR2)
                run.worker_cpu = [cpu_of(p.pid) - c for p, c in zip(procs, cpu0, strict=True)]
                run.own_cpu = time.process_time() - own0
                run.pg_cpu = postgres_cpu() - pg0
                busy1, idle1 = machine_times()
                run.idle_share = (idle1 - idle0) / max(1.0, busy1 - busy0 + idle1 - idle0)
                run.updates = users * len(texts)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        on_menu = select(func.count()).where(Conversation.flow == "menu")
        async with open_database(url) as db, db.sessions() as reading:
            found = (await reading.execute(on_menu)).scalar_one()
        if found != users + WARM_UP_USERS:
            run.problems.append(f"{found} of {users + WARM_UP_USERS} users on the main menu")
    return run


async def person_lock_cost(admin_url: str, rounds: int = 500) -> tuple[float, float]:
    """Microseconds of a one-statement transaction without and with the person lock."""
    async with fresh_database(admin_url) as url, open_database(url) as db:
        timings = []
        for locked in (False, True, False, True):
            started = time.perf_counter()
            for n in range(rounds):
                async with db.transaction() as session:
                    if locked:
                        await lock_person(session, "telegram", str(n))
                    await session.execute(text("SELECT 1"))
            timings.append((time.perf_counter() - started) / rounds * 1e6)
        return min(timings[0], timings[2]), min(timings[1], timings[3])


def print_profile(workdir: Path, updates: int) -> None:
    path = workdir / "worker0.prof"
    if not path.exists():
        print("profile   (worker 1 wrote no profile)")
        return
    stats = pstats.Stats(str(path))
    areas = own_time_by_area(stats, AREAS, (("poll", "waiting for I/O (epoll)"),))
    total = sum(seconds for _, seconds in areas)
    print(f"profile   worker 1 (one-worker run), own time by area, {total:.1f} s in all:")
    for area, seconds in areas[:10]:
        print(f"          {area:<22} {seconds:6.2f} s  {seconds / total:5.1%}")


async def main_async(args: argparse.Namespace) -> int:
    users, messages = (60, 4) if args.quick else (args.users, args.messages)
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp:
        workdir = Path(tmp)
        texts = script(messages, await discover(workdir))
        print(
            f"webhook workers bench: {users} users x {messages} messages = {users * messages:,} "
            f"updates; PostgreSQL; Python {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        runs = []
        for workers in (1, 2):
            profile = args.profile and workers == 1  # a profiled worker is slower: one run only
            run = await one_run(workers, users, texts, args.database_url, workdir, profile)
            runs.append(run)
            print("\n".join(run.lines()))
            if args.profile and workers == 1:
                print_profile(workdir, run.updates)
        print(f"ratio     two workers / one = {runs[1].rate / max(runs[0].rate, 1e-9):.2f}")
        without, with_lock = await person_lock_cost(args.database_url)
        print(
            f"lock      a transaction: {without:.0f} µs, with the person lock {with_lock:.0f} µs "
            f"(+{with_lock - without:.0f} µs per update)"
        )
        problems = [p for run in runs for p in run.problems]
        print("check     " + ("OK" if not problems else "; ".join(sorted(set(problems))[:5])))
        return 1 if problems else 0


def worker(argv: list[str]) -> int:
    """A worker process: `shuraka ARGS`, optionally with cProfile running while the load
    generator says (SIGUSR1 .. SIGUSR2, then the stats are written), so start-up and the warm-up
    stay out of the profile."""
    from bot.cli import main as shuraka

    if argv[0] == PROFILED:
        path, argv = argv[1], argv[2:]
        profiler = cProfile.Profile()

        def begin(*_: object) -> None:
            profiler.enable()

        def end(*_: object) -> None:
            profiler.disable()
            profiler.dump_stats(path)

        signal.signal(signal.SIGUSR1, begin)
        signal.signal(signal.SIGUSR2, end)
    assert argv[0] == AS_WORKER
    return shuraka(argv[1:])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] in (AS_WORKER, PROFILED):
        return worker(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile worker 1")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_URL))
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
