"""The machine's real Redis for the tests of the shared rate limit and the scale-out trial."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # no Redis on this machine
        await client.aclose()
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    await client.aclose()
    yield REDIS_URL
