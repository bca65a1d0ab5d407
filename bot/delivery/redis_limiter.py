"""One rate limit shared by every sender process, kept in Redis (REDIS_URL).

Each `acquire` is one atomic Lua script: it reads Redis's own clock (TIME, so processes on
different machines agree without synchronised clocks), takes the later of the lane's next
overall slot, the chat's next slot and the lane's pause, reserves that slot for this message
and returns how long to wait for it. The slots are spaced evenly, as in the in-process
`RateLimiter` (Telegram answers bursts with 429 even under the average).

A lane is one platform account: a Telegram bot (its id) or a WhatsApp business number (its
phone number id), so two bots or numbers sharing one Redis do not share a limit. Keys are
`<prefix>:<lane>:g` (next overall slot), `<prefix>:<lane>:p` (paused until) and
`<prefix>:<lane>:c:<chat>` (the chat's next slot); each expires soon after its time has passed,
so Redis holds only the chats of the last seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.delivery.ratelimit import SAFETY

# KEYS: the lane's next overall slot, the chat's next slot, the lane's pause.
# ARGV: the overall spacing and the chat's spacing (microseconds).
# Returns the wait in microseconds until the slot reserved for this message.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local start = now
for i = 1, 3 do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  if v > start then start = v end
end
local g = start + tonumber(ARGV[1])
local c = start + tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%d', g), 'PX', math.floor((g - now) / 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%d', c), 'PX', math.floor((c - now) / 1000) + 1000)
return start - now
"""

# KEYS: the lane's pause. ARGV: its length (microseconds). Only ever lengthens a pause.
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local u = now + tonumber(ARGV[1])
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v > u then u = v end
redis.call('SET', KEYS[1], string.format('%d', u), 'PX', math.floor((u - now) / 1000) + 1000)
return u - now
"""

MICRO = 1_000_000


@dataclass(frozen=True)
class Lane:
    """The limits of one platform account (a bot, a business number)."""

    name: str  # e.g. "telegram:123456" (the bot's id, never its token)
    per_second: float
    per_chat_per_second: float


class RedisRateLimiter:
    """The `Limiter` of every sender: `lanes` maps a channel ("telegram", "whatsapp") to its
    account's limits. A 429 (`pause`) pauses the lane of the channel that answered it."""

    def __init__(
        self,
        redis: Any,  # redis.asyncio.Redis: typed loosely, its stubs vary between versions
        lanes: Mapping[str, Lane],
        prefix: str = "shuraka:rl",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.lanes = dict(lanes)
        self.prefix = prefix
        self.sleep = sleep
        self._acquire = redis.register_script(ACQUIRE)
        self._pause = redis.register_script(PAUSE)

    def _lane(self, channel: str) -> Lane:
        lane = self.lanes.get(channel)
        if lane is None:
            raise KeyError(f"no rate limit for channel {channel!r}")
        return lane

    async def acquire(self, chat: str) -> None:
        channel, _, chat_id = chat.partition(":")
        lane = self._lane(channel)
        base = f"{self.prefix}:{lane.name}"
        # The chat's key holds a hash, not the id (a WhatsApp id is a phone number).
        chat_key = hashlib.blake2b(chat_id.encode(), digest_size=8).hexdigest()
        wait = await self._acquire(
            keys=[f"{base}:g", f"{base}:c:{chat_key}", f"{base}:p"],
            args=[
                round(MICRO / (lane.per_second * SAFETY)),
                round(MICRO / (lane.per_chat_per_second * SAFETY)),
            ],
        )
        if int(wait) > 0:
            await self.sleep(int(wait) / MICRO)

    async def pause(self, seconds: float, chat: str | None = None) -> None:
        """Every sender of the lane of `chat`'s channel waits `seconds` (a 429 is about the
        account as a whole); without a chat, every lane."""
        channels = [chat.partition(":")[0]] if chat else list(self.lanes)
        for channel in channels:
            await self._pause(
                keys=[f"{self.prefix}:{self._lane(channel).name}:p"],
                args=[round(seconds * MICRO)],
            )

    async def close(self) -> None:
        await self.redis.aclose()


def connect(url: str) -> Any:
    """A Redis client for REDIS_URL (connections open on first use)."""
    from redis.asyncio import Redis

    return Redis.from_url(url)


def shared_limiter(settings: Any, per_second: float, per_chat_per_second: float) -> Any:
    """The shared limiter when REDIS_URL is set, else None. Telegram's lane is the bot's id
    (the token's public half), WhatsApp's the business number's id: WhatsApp counts the rate per
    number, Telegram per bot."""
    if not settings.redis_url:
        return None
    token = settings.bot_token.get_secret_value() if settings.bot_token is not None else ""
    bot_id = token.partition(":")[0] or "bot"
    number = settings.whatsapp_phone_number_id or "number"
    lanes = {
        "telegram": Lane(f"telegram:{bot_id}", per_second, per_chat_per_second),
        "whatsapp": Lane(f"whatsapp:{number}", per_second, per_chat_per_second),
    }
    return RedisRateLimiter(connect(settings.redis_url), lanes)
