"""The broadcast bench's measuring parts: timing the sender's steps (wrappers on one
sender instance, no product code changed), what the fake Bot API saw, and the profile's areas."""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.fake_process import Call
from bot.delivery.sender import OutboxSender
from fakes.telegram_api import FakeTelegramServer
from storage import broadcasts
from storage.db import Database

T = TypeVar("T")


# --- timing of the sender's parts (wrappers on the instances, no product code changed) ------
@dataclass
class Timer:
    calls: int = 0
    seconds: float = 0.0

    @property
    def mean_ms(self) -> float:
        return self.seconds / self.calls * 1000 if self.calls else 0.0


@dataclass
class Breakdown:
    timers: dict[str, Timer] = field(default_factory=dict)

    def wrap(self, name: str, fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        timer = self.timers.setdefault(name, Timer())

        async def timed(*args: Any, **kwargs: Any) -> T:
            t0 = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                timer.calls += 1
                timer.seconds += time.perf_counter() - t0

        return timed


def instrument(sender: OutboxSender, breakdown: Breakdown) -> None:
    s: Any = sender  # instance attributes shadow the methods; the class is untouched
    s.drain = breakdown.wrap("drain", sender.drain)
    s._deliver = breakdown.wrap("deliver (one row, all of it)", sender._deliver)
    s.limiter.acquire = breakdown.wrap("  limiter wait", sender.limiter.acquire)
    for transport in sender.transports.values():
        t: Any = transport
        t.send = breakdown.wrap("  HTTP send", transport.send)
    s._mark_accepted = breakdown.wrap("  mark sent (a batch, one commit)", sender._mark_accepted)
    s._finish = breakdown.wrap("  finish not sent (commit)", sender._finish)
    s.report_progress = breakdown.wrap("report_progress (at most 1/s)", sender.report_progress)


# --- checks ---------------------------------------------------------------------------------
@dataclass
class Outcome:
    statuses: dict[str, int]
    ok_per_chat: Counter[int]
    too_many: int  # 429 answers
    other_errors: Counter[int]  # other non-200 answers, by status
    ok_times: list[float]  # time.monotonic() of every sendMessage answered 200
    early_ms: list[float]  # per 429: how much less than 1 s after the CAP-th last accepted send

    def duplicates(self) -> int:
        return sum(1 for n in self.ok_per_chat.values() if n > 1)

    def missing(self, chats: list[int]) -> int:
        return sum(1 for chat in chats if self.ok_per_chat[chat] == 0)

    def peak_second(self) -> int:
        """The most sends the fake accepted within any 1-second window."""
        times, best = self.ok_times, 0
        for i, t in enumerate(times):
            best = max(best, bisect.bisect_left(times, t + 1.0) - i)
        return best


def calls_of(fake: FakeTelegramServer) -> list[Call]:
    return [(int(c.params["chat_id"]), c.status, c.time) for c in fake.calls("sendMessage")]


async def outcome(db: Database, calls: list[Call], broadcast_id: int, cap: int) -> Outcome:
    async with db.sessions() as session:
        statuses = await broadcasts.broadcast_counts(session, broadcast_id)
    accepted: list[float] = []
    early_ms: list[float] = []
    for _chat, status, at in calls:  # in arrival order
        if status == 200:
            accepted.append(at)
        elif status == 429 and len(accepted) >= cap:
            early_ms.append((1.0 - (at - accepted[-cap])) * 1000)
    return Outcome(
        statuses=statuses,
        ok_per_chat=Counter(chat for chat, status, _ in calls if status == 200),
        too_many=sum(1 for _, status, _ in calls if status == 429),
        other_errors=Counter(status for _, status, _ in calls if status not in (200, 429)),
        ok_times=accepted,
        early_ms=sorted(early_ms),
    )


# --- reporting ------------------------------------------------------------------------------
AREAS = [  # (path fragment, area), first match wins
    ("/fakes/", "fake Bot API server (fakes/)"),
    ("/aiohttp/web", "fake Bot API server (aiohttp server)"),
    ("/aiohttp/", "aiohttp client"),
    ("/aiogram/", "aiogram (request building, response models)"),
    ("/pydantic", "pydantic (aiogram's models)"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/aiosqlite/", "aiosqlite"),
    ("/greenlet/", "SQLAlchemy"),
    ("/bot/", "bot (sender, transport, limiter)"),
    ("/storage/", "storage (outbox queries)"),
    ("/bench/", "bench wrappers"),
    ("/asyncio/", "asyncio event loop"),
]
BUILTIN_AREAS = [  # C functions have no file: by name
    ("select.epoll", "idle (event loop waiting in epoll)"),
    ("greenlet", "SQLAlchemy"),
    ("sqlite3", "sqlite3 (C)"),
    ("socket", "sockets (send/recv)"),
    ("pydantic", "pydantic (aiogram's models)"),
    ("_queue", "thread hand-offs (aiosqlite)"),
    ("_thread", "thread hand-offs (aiosqlite)"),
]
