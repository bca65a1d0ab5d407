"""Spacing of sends: a global rate and a per-chat rate, plus a shared pause after a 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

# Sends are timed on our clock but counted on the platform's: a little under the cap keeps
# jitter from making the 31st message land inside Telegram's second (each 429 costs a pause).
SAFETY = 0.98


class Limiter(Protocol):
    """What the sender asks of a limiter: this process's (`RateLimiter`) or one shared by every
    sender through Redis (`bot.delivery.redis_limiter.RedisRateLimiter`)."""

    async def acquire(self, chat: str) -> None:
        """Wait for the slot of `chat` ("channel:id"): the overall rate and the chat's own."""

    async def pause(self, seconds: float, chat: str | None = None) -> None:
        """Nobody sends for `seconds` (the platform answered 429 to a message to `chat`)."""


class RateLimiter:
    """Evenly spaced slots (no bursts: Telegram answers bursts with 429 even under the average).

    `acquire(chat)` waits until both the global slot and that chat's slot are free.
    """

    def __init__(
        self,
        per_second: float,
        per_chat_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / (per_second * SAFETY)
        self.chat_interval = 1.0 / (per_chat_per_second * SAFETY)
        self.clock = clock
        self.sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def pause(self, seconds: float, chat: str | None = None) -> None:
        """Everyone waits (a 429 is about the bot as a whole, not one chat)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def acquire(self, chat: str) -> None:
        async with self._lock:
            now = self.clock()
            start = max(now, self._next_global, self._paused_until, self._next_chat.get(chat, 0))
            self._next_global = start + self.interval
            self._next_chat[chat] = start + self.chat_interval
            if len(self._next_chat) > 50_000:  # forget chats whose slot has long passed
                self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        delay = start - self.clock()
        if delay > 0:
            await self.sleep(delay)
