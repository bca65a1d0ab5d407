"""Who leads a part (the scheduler's jobs; the sender when there is no shared rate limit) when
the same command runs on several machines: the holder of a PostgreSQL advisory lock.

The lock is session-level, taken with `pg_try_advisory_lock` on a connection of its own that the
leader keeps open (autocommit, so it is never "idle in transaction"). A leader that dies — killed,
its machine gone — loses its connection, and PostgreSQL releases the lock with it; a follower
tries again every `retry` seconds (15 by default), so another process takes over within a
minute. The leader checks its connection every `heartbeat` seconds: a leader whose connection
broke (a database restart) steps down at once, since the lock went with the connection.

The lock's key is a hash of the database, the schema and the part's name, so deployments (and
tests) in other schemas of one database do not share a leader.

On SQLite there is one process: it always leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.failures import describe
from bot.metrics import Metrics
from storage.db import Database

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]

_KEY = "hashtextextended(current_database() || ':' || current_schema() || ':' || :name, 0)"
TRY_LOCK = text(f"SELECT pg_try_advisory_lock({_KEY})")
UNLOCK = text(f"SELECT pg_advisory_unlock({_KEY})")
HEARTBEAT = text("SELECT 1")


async def _nothing() -> None:
    return None


class Leadership:
    """Runs `on_gain` when this process becomes the leader of `part` and `on_loss` when it
    stops being it (`run` until `stop` is set; leaving, it hands the lead back)."""

    def __init__(
        self,
        db: Database,
        part: str,
        *,
        retry: float = 15.0,
        heartbeat: float | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.part = part
        self.retry = retry
        self.heartbeat = heartbeat if heartbeat is not None else min(5.0, retry)
        self.metrics = metrics
        self.is_leader = False
        self.changed = asyncio.Event()  # set at every gain and loss (tests wait on it)
        self.on_gain: Hook = _nothing
        self.on_loss: Hook = _nothing
        self._conn: AsyncConnection | None = None
        self._started = False

    async def start(self) -> None:
        """The first try, at once: a process alone leads as soon as this returns."""
        self._started = True
        if self.db.is_sqlite:
            await self._set(True)
        else:
            await self._step()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            if not self._started:
                await self.start()
            while not stop.is_set():
                wait = self.heartbeat if self.is_leader else self.retry
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                if not stop.is_set() and not self.db.is_sqlite:
                    await self._step()
        finally:
            await self._resign()

    async def _step(self) -> None:
        try:
            if self._conn is None:
                conn = await self.db.engine.connect()
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.is_leader:
                await self._conn.execute(HEARTBEAT)
                return
            got = (await self._conn.execute(TRY_LOCK, {"name": self.part})).scalar()
            if got:
                await self._set(True)
        except Exception as exc:  # the database is away: whoever leads steps down
            log.warning("leadership of %s: connection lost: %s", self.part, describe(exc))
            await self._drop_connection()
            await self._set(False)

    async def _set(self, leader: bool) -> None:
        if leader == self.is_leader:
            return
        self.is_leader = leader
        if self.metrics is not None:
            self.metrics.leader.labels(part=self.part).set(1 if leader else 0)
        log.info("%s the %s", "leading" if leader else "no longer leading", self.part)
        self.changed.set()
        self.changed = asyncio.Event()
        await (self.on_gain if leader else self.on_loss)()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):
                await conn.invalidate()
            with suppress(Exception):
                await conn.close()

    async def _resign(self) -> None:
        """Leaving: stop leading first (the part stops), then release the lock, so the next
        leader can start at once instead of waiting for this connection to close."""
        await self._set(False)
        conn = self._conn
        if conn is not None and not self.db.is_sqlite:
            with suppress(Exception):
                await conn.execute(UNLOCK, {"name": self.part})
        self._conn = None
        if conn is not None:
            with suppress(Exception):
                await conn.close()
