"""The rate limit every sender shares through Redis (REDIS_URL), against the machine's real Redis
(db 15, a key prefix of the test's own): the overall rate, one chat's rate, a 429's pause seen by
every sender, lanes per bot, keys that expire and hold no chat id.

The limiters are given a `sleep` that records the wait instead of sleeping: the waits are what
the Lua script reserved on Redis's clock, so they are the schedule the senders would keep."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.delivery.ratelimit import SAFETY
from bot.delivery.redis_limiter import Lane, RedisRateLimiter, shared_limiter
from bot.settings import ConfigError, load_settings


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    from redis.asyncio import Redis

    name = f"test-rl-{uuid.uuid4().hex[:12]}"
    yield name
    client = Redis.from_url(redis_url)
    async for key in client.scan_iter(match=f"{name}:*"):
        await client.delete(key)
    await client.aclose()


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


async def slot(limiter: RedisRateLimiter, chat: str) -> float:
    """The slot reserved for a message to `chat`, in seconds on Redis's clock: the lane's next
    overall slot, as the script left it, less one interval (read at once, nobody else asks)."""
    await limiter.acquire(chat)
    lane = limiter.lanes["telegram"]
    following = int(await limiter.redis.get(f"{limiter.prefix}:{lane.name}:g"))
    return (following - round(1_000_000 / (lane.per_second * SAFETY))) / 1_000_000


def limiter(url: str, prefix: str, rec: Recorder, **lanes: Lane) -> RedisRateLimiter:
    """A limiter of its own (its own client), as in another process."""
    from redis.asyncio import Redis

    return RedisRateLimiter(Redis.from_url(url), lanes, prefix=prefix, sleep=rec.sleep)


TELEGRAM = Lane("telegram:1", per_second=20, per_chat_per_second=1)


async def test_the_overall_rate_is_shared_by_two_senders(redis_url: str, prefix: str) -> None:
    one, two = Recorder(), Recorder()
    a = limiter(redis_url, prefix, one, telegram=TELEGRAM)
    b = limiter(redis_url, prefix, two, telegram=TELEGRAM)
    slots: list[float] = []
    try:
        for n in range(20):  # each sends to its own chats; together 40 messages
            slots.append(await slot(a, f"telegram:{n}"))
            slots.append(await slot(b, f"telegram:{1000 + n}"))
    finally:
        await a.close()
        await b.close()
    interval = round(1_000_000 / (20 * SAFETY)) / 1_000_000  # as the script counts (µs)
    # 40 evenly spaced slots, one after the other whichever sender asked: ~39 intervals from
    # the first to the last, not ~19 as with a limit of 20/s each.
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert all(gap >= interval - 1e-5 for gap in gaps), gaps  # slower askers: larger gaps
    assert slots[-1] - slots[0] >= 39 * interval - 1e-5
    # and no second holds more than the rate
    for first in slots:
        assert sum(1 for t in slots if first <= t < first + 1) <= 20


async def test_one_chat_gets_one_message_a_second(redis_url: str, prefix: str) -> None:
    one, two = Recorder(), Recorder()
    lane = Lane("telegram:1", per_second=1000, per_chat_per_second=1)
    a = limiter(redis_url, prefix, one, telegram=lane)
    b = limiter(redis_url, prefix, two, telegram=lane)
    try:
        await a.acquire("telegram:42")
        await b.acquire("telegram:43")  # another chat: at once (the overall rate is high)
        await b.acquire("telegram:42")  # the same chat from another sender: a second later
        await a.acquire("telegram:42")
    finally:
        await a.close()
        await b.close()
    assert one.waits == [pytest.approx(2 / SAFETY, abs=0.1)]
    assert [w for w in two.waits if w > 0.05] == [pytest.approx(1 / SAFETY, abs=0.1)]


async def test_a_429_pauses_every_sender_of_that_bot_only(redis_url: str, prefix: str) -> None:
    one, two = Recorder(), Recorder()
    whatsapp = Lane("whatsapp:77", per_second=80, per_chat_per_second=1)
    a = limiter(redis_url, prefix, one, telegram=TELEGRAM, whatsapp=whatsapp)
    b = limiter(redis_url, prefix, two, telegram=TELEGRAM, whatsapp=whatsapp)
    try:
        await a.pause(3, "telegram:5")  # sender A was answered 429, retry_after=3
        await b.acquire("telegram:6")  # sender B waits for it too
        await b.acquire("whatsapp:966500000001")  # WhatsApp's number is not paused
        await a.pause(1, "telegram:5")  # a shorter pause never shortens a longer one
        await a.acquire("telegram:7")
    finally:
        await a.close()
        await b.close()
    assert two.waits == [pytest.approx(3, abs=0.1)]
    assert one.waits[0] == pytest.approx(3, abs=0.15)


async def test_lanes_of_two_bots_do_not_share(redis_url: str, prefix: str) -> None:
    one = Recorder()
    slow = Lane("telegram:1", per_second=1, per_chat_per_second=1)
    other = Lane("telegram:2", per_second=1, per_chat_per_second=1)
    a = limiter(redis_url, prefix, one, telegram=slow)
    b = limiter(redis_url, prefix, one, telegram=other)
    try:
        await a.acquire("telegram:1")
        await b.acquire("telegram:2")
    finally:
        await a.close()
        await b.close()
    assert one.waits == []


async def test_keys_expire_and_name_no_chat(redis_url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    a = limiter(redis_url, prefix, Recorder(), whatsapp=Lane("whatsapp:77", 80, 1))
    try:
        await a.acquire("whatsapp:966512345678")
        await a.pause(2, "whatsapp:966512345678")
    finally:
        await a.close()
    client = Redis.from_url(redis_url)
    try:
        keys = [key.decode() async for key in client.scan_iter(match=f"{prefix}:*")]
        assert len(keys) == 3
        assert not any("966512345678" in key for key in keys)
        for key in keys:
            assert 0 < await client.pttl(key) <= 3_100
    finally:
        await client.aclose()


def test_redis_url_is_validated_and_builds_the_shared_limiter() -> None:
    with pytest.raises(ConfigError, match="REDIS_URL"):
        load_settings(redis_url="http://127.0.0.1:6379")
    assert load_settings(redis_url="").redis_url is None
    settings = load_settings(redis_url="redis://127.0.0.1:6379/15", bot_token="123456:SECRET")
    shared = shared_limiter(settings, 30, 1)
    assert isinstance(shared, RedisRateLimiter)
    assert shared.lanes["telegram"].name == "telegram:123456"  # the id, never the token
    assert shared_limiter(load_settings(), 30, 1) is None
