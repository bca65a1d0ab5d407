"""Background work that must outlive faults: a capped exponential backoff, and a supervisor that
restarts a crashed coroutine.

Errors are logged by type and traceback frames only: an exception's text may quote personal
data (a database error repeats the values it was given), and logs must not hold any.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from bot.core.failures import describe

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 30.0


class Backoff:
    """Delays after consecutive failures: first, 2×first, 4×first … up to `cap`."""

    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0

    def failed(self) -> float:
        """Record a failure; the delay to wait before trying again."""
        self.failures += 1
        return min(self.cap, self.first * 2.0 ** (self.failures - 1))

    def succeeded(self) -> None:
        self.failures = 0


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less when `stop` is set meanwhile."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def supervise(
    name: str,
    factory: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    backoff: Backoff | None = None,
    healthy_after: float = 60.0,
) -> None:
    """Run `factory()` until it returns (its own end, e.g. after `stop`); when it raises, log
    it and start it again after a backoff. A run that lasted `healthy_after` seconds resets
    the backoff, so an occasional crash restarts at once and a crash loop slows down."""
    backoff = backoff or Backoff()
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        try:
            await factory()
            return
        except Exception as exc:
            if loop.time() - started >= healthy_after:
                backoff.succeeded()
            delay = backoff.failed()
            log.error("%s crashed; restarting in %.1f s: %s", name, delay, describe(exc))
        if stop.is_set():
            return
        await wait_or_stop(stop, delay)
        if stop.is_set():
            return


def guarded(
    name: str,
    job: Callable[..., Awaitable[object]],
    backoff: Backoff | None = None,
) -> Callable[..., Awaitable[None]]:
    """A periodic job that never raises: a failure is logged and the following runs are
    skipped for a growing, capped while (a database that is down is not hammered every few
    seconds); a success resets the backoff."""
    backoff = backoff or Backoff(first=5.0, cap=300.0)
    resume_at = 0.0

    async def run(*args: object) -> None:
        nonlocal resume_at
        now = asyncio.get_running_loop().time()
        if now < resume_at:
            return
        try:
            await job(*args)
        except Exception as exc:
            delay = backoff.failed()
            resume_at = now + delay
            log.error(
                "job %s failed; paused for %.1f s: %s",
                name,
                delay,
                describe(exc),
                extra={"job": name, "outcome": "failed"},
            )
            return
        backoff.succeeded()

    run.__name__ = getattr(job, "__name__", name)
    return run
