"""Scale-out trial (issue 16): several real `shuraka telegram` processes on one PostgreSQL
database and one Redis, one of each killed with SIGKILL and restarted midway.

    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        python -m bench.scale_trial                 # 5,000 updates from 500 users, 5,000 recipients
    python -m bench.scale_trial --quick             # 600 / 60 / 600 (what the test runs)

Processes: three webhook workers (`--webhook --role worker`), two senders (`--role sender`), one
scheduler (`--role scheduler`), REDIS_URL set (the shared rate limit), a fresh database of their
own. The fake Bot API (fakes/telegram_api.py) answers 429 when a second holds more than CAP
sends to the broadcast's recipients (a sliding second, Telegram's 30/s). A load generator posts
/start updates to the workers round-robin, each user's one after the other (Telegram waits for
a chat's update to be answered before the next), a failed post going to the next worker (as
Telegram re-delivers); a broadcast to every recipient is due at start. When a third of the
updates are posted and the broadcast is under way, one worker and one sender are killed with
SIGKILL and started again a second later.

Checks (`Trial.problems`): every update answered, exactly once except an update in flight at
the killed worker when it died, which may be answered twice (its reply sent, the worker killed
before it told the poster "done"; an update whose handling committed but whose reply had not
gone out gets its saved reply when re-posted: bot/core/replay.py); every recipient reached;
at most one recipient reached twice per killed sender; the fake never answered 429 for the
broadcast more than a few times and no second saw more than CAP accepted; the scheduler's jobs
ran in one process, never twice within a period.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from fakes.telegram_api import FakeTelegramServer
from storage.db import create_database
from tests.delivery.support import add_broadcast, seed_recipients
from tests.process.support import healthy

CAP = 30
SECRET = "scale-trial-secret-0123456789abcdefghij"
FIRST_USER = 7_000_000
FIRST_RECIPIENT = 5_000_000
FAN_OUT_PERIOD = 10.0  # seconds (scheduler.jobs.add_delivery_jobs)
# A few 429s at a window's edge (jitter between processes: slots are spaced on Redis's clock,
# counted on arrival at the fake), at most one in 500 sends; a storm (limits not shared, each
# sender at the full rate) is thousands.
MAX_429 = 5
MAX_429_SHARE = 1 / 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int
    handle: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self, cwd: Path) -> None:
        self.starts += 1
        out = open(self.log.with_suffix(f".{self.starts}.log"), "wb")  # noqa: SIM115
        self.handle = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *self.args,
            env=self.env,
            cwd=cwd,
            stdout=out,
            stderr=out,
        )
        out.close()

    def kill(self) -> None:
        assert self.handle is not None
        self.handle.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.handle is not None and self.handle.returncode is None:
            self.handle.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.handle.wait(), 30)
            except TimeoutError:
                self.handle.kill()
                await self.handle.wait()

    def logs(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        for path in sorted(self.log.parent.glob(f"{self.log.stem}.*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    try:
                        lines.append(json.loads(line))
                    except ValueError:
                        continue
        return lines


@dataclass
class Trial:
    updates: int
    users: int
    recipients: int
    seconds: float = 0.0
    broadcast_seconds: float = 0.0
    posted: int = 0
    failed_posts: int = 0  # posts a worker did not answer 200 (killed): posted again
    replies: Counter[int] = field(default_factory=Counter)  # user -> replies
    sent_to: Counter[int] = field(default_factory=Counter)  # user -> updates posted
    at_kill: Counter[int] = field(default_factory=Counter)  # in flight at the kill
    replayed: int = 0  # re-posted updates answered with their saved replies (workers' logs)
    reached: Counter[int] = field(default_factory=Counter)  # recipient -> accepted sends
    refused_429: int = 0
    busiest_second: int = 0
    job_runs: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    killed_senders: int = 1
    notes: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found: list[str] = []
        for user, posted in self.sent_to.items():
            got = self.replies[user]
            if got < posted or got > posted + self.at_kill[user]:
                found.append(f"user {user}: {posted} updates, {got} replies")
        missing = [r for r in range(self.recipients) if not self.reached[FIRST_RECIPIENT + r]]
        if missing:
            found.append(f"{len(missing)} recipients not reached")
        twice = sum(1 for n in self.reached.values() if n > 1)
        if twice > self.killed_senders:
            found.append(f"{twice} recipients reached twice (killed senders: 1)")
        if self.refused_429 > max(MAX_429, self.recipients * MAX_429_SHARE):
            found.append(f"{self.refused_429} answers 429 (a storm)")
        if self.busiest_second > CAP:
            found.append(f"a second with {self.busiest_second} accepted sends (cap {CAP})")
        for job, runs in self.job_runs.items():
            processes = {name for name, _ in runs}
            if len(processes) > 1:
                found.append(f"job {job} ran in {sorted(processes)}")
            times = sorted(at for _, at in runs)
            gaps = [b - a for a, b in itertools.pairwise(times)]
            if job == "broadcasts.fan_out_due" and any(g < FAN_OUT_PERIOD * 0.8 for g in gaps):
                found.append(f"job {job} ran twice within its period: {gaps}")
            if any(g < 0.5 for g in gaps):
                found.append(f"job {job} ran twice at once")
        return found

    def figures(self) -> str:
        twice = sum(1 for n in self.reached.values() if n > 1)
        answered = sum(self.replies.values())
        rate = self.recipients / max(self.broadcast_seconds, 0.001)
        return (
            f"updates {self.posted} from {self.users} users, answered {answered} "
            f"(in flight at the kill: {sum(self.at_kill.values())}, answered from saved "
            f"replies: {self.replayed}), posts re-sent {self.failed_posts}; "
            f"broadcast {self.recipients} recipients, "
            f"reached {sum(1 for n in self.reached.values() if n)}, twice {twice}, "
            f"in {self.broadcast_seconds:.1f} s ({rate:.1f}/s, "
            f"cap {CAP}); 429 answers {self.refused_429}; busiest second {self.busiest_second}; "
            f"job runs {', '.join(f'{j}: {len(r)}' for j, r in sorted(self.job_runs.items()))}; "
            f"total {self.seconds:.1f} s"
        )


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _run(args: list[str], env: dict[str, str], cwd: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"shuraka {' '.join(args)}: {err.decode()[-2000:]}")


async def run_trial(
    pg_url: str, redis_url: str, workdir: Path, *, updates: int, users: int, recipients: int
) -> Trial:
    trial = Trial(updates, users, recipients)
    name = "shuraka_scale_" + uuid.uuid4().hex[:10]
    await _admin(pg_url, f'CREATE DATABASE "{name}"')
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    procs: list[Proc] = []
    # A bot id of its own: the Redis keys of this run (its lane) are nobody else's.
    token = f"{uuid.uuid4().int % 10**9 + 10**9}:TRIAL"
    try:
        async with FakeTelegramServer(token=token) as fake:
            targets = range(FIRST_RECIPIENT, FIRST_RECIPIENT + recipients)
            fake.emulate_limits(global_per_sec=CAP, per_chat_per_sec=1, chats=targets)
            for chat in targets:
                fake.known_chat(chat)
            base = {
                **os.environ,
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "BOT_TOKEN": token,
                "TELEGRAM_API_BASE": fake.base_url,
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_HOST": "127.0.0.1",
                "QUIET_HOURS": "",
                "OUTBOX_RATE": str(CAP),
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",
                "LEADER_RETRY_SECONDS": "1",
                "OUTBOX_LEASE_SECONDS": "5",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])
                ),
            }
            for key in ("WEBHOOK_URL", "METRICS_PORT", "ADMIN_IDS"):
                base.pop(key, None)
            await _run(["db", "upgrade"], base, workdir)
            db = create_database(url)
            try:
                for start in range(0, recipients, 1000):
                    await seed_recipients(
                        db, min(1000, recipients - start), first=FIRST_RECIPIENT + start
                    )
            finally:
                await db.dispose()
            for n in range(3):
                port = free_port()
                env = {
                    **base,
                    "WEBHOOK_PORT": str(port),
                    "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                }
                procs.append(
                    Proc(
                        f"worker{n}",
                        ["telegram", "--webhook", "--role", "worker"],
                        env,
                        workdir / f"worker{n}",
                        port,
                    )
                )
            for n, role in enumerate(["sender", "sender", "scheduler"]):
                port = free_port()
                procs.append(
                    Proc(
                        f"{role}{n}",
                        ["telegram", "--role", role],
                        {**base, "METRICS_PORT": str(port)},
                        workdir / f"{role}{n}",
                        port,
                    )
                )
            workers, senders = procs[:3], procs[3:5]
            await asyncio.gather(*(p.start(workdir) for p in procs))
            await asyncio.gather(*(healthy(p.port) for p in procs))
            started = time.monotonic()
            db = create_database(url)
            try:
                await add_broadcast(db)
            finally:
                await db.dispose()
            await _load(trial, fake, workers, senders, workdir, started)
            broadcast_texts = "إعلان"
            deadline = time.monotonic() + max(60.0, recipients / CAP * 3)
            while time.monotonic() < deadline:
                reached = {
                    c.params.get("chat_id")
                    for c in fake.calls("sendMessage")
                    if c.ok and broadcast_texts in str(c.params.get("text"))
                }
                if len(reached) >= recipients:
                    break
                await asyncio.sleep(0.5)
            trial.seconds = time.monotonic() - started
            await asyncio.sleep(2)  # let the last replies and marks land
            _account(trial, fake, broadcast_texts)
            await asyncio.gather(*(p.stop() for p in procs))
            for proc in procs:
                for line in proc.logs():
                    trial.replayed += line.get("outcome") == "replayed"
                    job = line.get("job")
                    if job and line.get("outcome") == "done":
                        stamp = line.get("time") or line.get("timestamp") or ""
                        trial.job_runs.setdefault(str(job), []).append(
                            (proc.name, _seconds(str(stamp)))
                        )
    finally:
        for proc in procs:
            if proc.handle is not None and proc.handle.returncode is None:
                proc.handle.kill()
                await proc.handle.wait()
        await _admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return trial


def _seconds(stamp: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


async def _load(
    trial: Trial,
    fake: FakeTelegramServer,
    workers: list[Proc],
    senders: list[Proc],
    workdir: Path,
    started: float,
) -> None:
    per_user = max(1, trial.updates // trial.users)
    turn = itertools.count()
    posted = 0
    in_flight: dict[int, set[int]] = defaultdict(set)  # worker index -> users in flight

    async def post(session: aiohttp.ClientSession, user: int) -> None:
        update_id = fake.user_command(user, "start")
        body = fake.update(update_id)
        while True:
            index = next(turn) % len(workers)
            worker = workers[index]
            url = worker.env["WEBHOOK_URL"]
            in_flight[index].add(user)
            try:
                async with session.post(
                    url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                ) as response:
                    ok = response.status == 200
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            finally:
                in_flight[index].discard(user)
            if ok:
                return
            trial.failed_posts += 1
            await asyncio.sleep(0.2)

    async def conversation(session: aiohttp.ClientSession, user: int) -> None:
        nonlocal posted
        for _ in range(per_user):
            await post(session, user)
            trial.sent_to[user] += 1
            posted += 1

    async def killer() -> None:
        while posted < trial.updates // 3:
            await asyncio.sleep(0.05)
        index = 0
        # Every user whose update the worker holds as it dies: that update may be answered
        # twice (its reply may have gone out just before the kill).
        for user in in_flight[index]:
            trial.at_kill[user] += 1
        workers[index].kill()
        senders[0].kill()
        for proc in (workers[index], senders[0]):
            assert proc.handle is not None
            await proc.handle.wait()
        trial.notes.append(f"killed at {time.monotonic() - started:.1f} s")
        await asyncio.sleep(1)
        await asyncio.gather(workers[index].start(workdir), senders[0].start(workdir))

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        users = [FIRST_USER + n for n in range(trial.users)]
        kill = asyncio.create_task(killer())
        await asyncio.gather(*(conversation(session, u) for u in users))
        await kill
    trial.posted = posted


def _account(trial: Trial, fake: FakeTelegramServer, broadcast_text: str) -> None:
    per_second: Counter[int] = Counter()
    first: float | None = None
    last = 0.0
    for call in fake.calls("sendMessage"):
        chat = int(call.params.get("chat_id", 0))
        is_broadcast = FIRST_RECIPIENT <= chat < FIRST_RECIPIENT + trial.recipients and (
            broadcast_text in str(call.params.get("text"))
        )
        if is_broadcast and call.status == 429:
            trial.refused_429 += 1
        if not call.ok:
            continue
        if is_broadcast:
            trial.reached[chat] += 1
            per_second[int(call.time)] += 1
            first = call.time if first is None else first
            last = call.time
        elif chat >= FIRST_USER:
            trial.replies[chat] += 1
    trial.busiest_second = max(per_second.values(), default=0)
    trial.broadcast_seconds = last - first if first is not None else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="600 updates, 60 users, 600 recipients"
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args(argv)
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        print("set TEST_DATABASE_URL (a PostgreSQL the trial may create a database on)")
        return 2
    size = (600, 60, 600) if args.quick else (5000, 500, 5000)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.logs or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        trial = asyncio.run(
            run_trial(pg, args.redis, folder, updates=size[0], users=size[1], recipients=size[2])
        )
    print(trial.figures())
    for note in trial.notes:
        print(note)
    problems = trial.problems()
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
