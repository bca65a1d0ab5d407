"""The outbox sender: drains due rows at Telegram's pace, loses nothing, sends nothing twice.

A row is marked sent only after the platform accepted it. Accepted rows are marked in small
batches (one transaction for up to `mark_batch` rows, at the latest `mark_interval` seconds after
the first of them, and before anything else is reported): a commit per row cost more than the
HTTP send itself at paid-broadcast rates. Until its batch is written a row stays 'sending', so a
process killed at any point re-sends at most `mark_batch` + `concurrency` messages: the accepted
rows not yet marked and those in flight (`DeliveryConfig.crash_resend_bound`).

429 pauses everyone for `retry_after`; 403 marks the person unreachable and is never retried.
Temporary failures (network errors, 5xx) are retried with capped exponential backoff for
`retry_window` after the row's first failure, however many attempts that takes (an outage of
some hours must not fail a broadcast), then failed with the reason; an error that is no platform
answer (a bug) is retried `max_attempts` times at most, within the same window.

`drain(stop=...)` checks the stop between messages, also while waiting for a rate-limit slot:
the rows it had claimed but not sent go back to 'pending', so a stop loses nothing and a
10,000-row broadcast does not hold a shutdown for minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time as clocks
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.failures import describe
from bot.core.i18n import Catalogs
from bot.delivery import progress
from bot.delivery.compose import RowComposer
from bot.delivery.config import DeliveryConfig as DeliveryConfig
from bot.delivery.config import config_from_settings as config_from_settings
from bot.delivery.ratelimit import Limiter, RateLimiter
from bot.delivery.transport import (
    Delivery,
    PermanentFailure,
    RetryAfter,
    Skip,
    TemporaryFailure,
    Transport,
    Unreachable,
)
from bot.metrics import Metrics, create_metrics
from bot.supervise import Backoff, wait_or_stop
from storage import broadcasts, outbox
from storage.db import Database
from storage.models import utcnow
from storage.people import genders_of

log = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        db: Database,
        catalogs: Catalogs,
        transports: Mapping[str, Transport],
        config: DeliveryConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        limiter: Limiter | None = None,
        metrics: Metrics | None = None,
        monotonic: Callable[[], float] = clocks.monotonic,
    ) -> None:
        self.db = db
        self.metrics = metrics or create_metrics()
        self.catalogs = catalogs
        self.transports = dict(transports)
        self.config = config or DeliveryConfig()
        self.clock = clock
        self.limiter: Limiter = limiter or RateLimiter(
            self.config.per_second, self.config.per_chat_per_second
        )
        self._wake = asyncio.Event()
        self._claimed_at = self.clock()  # when the batch in hand was claimed
        self.composer = RowComposer(db, catalogs, self.config.arabic_digits)
        # Rows the platform accepted and not yet marked: (id, payload to store).
        self._accepted: list[tuple[int, dict[str, Any]]] = []
        self._accepted_since = 0.0
        # Seconds that only ever grow, for spacing progress checks (tests drive it).
        self.monotonic = monotonic
        self._progress_at: float | None = None  # when a drain last checked progress

    # --- running -----------------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    async def recover(self, at_start: bool = True) -> int:
        """Return rows claimed by a dead sender to the queue. On SQLite there is only one
        sender, so whatever is 'sending' at start is orphaned; elsewhere a lease decides,
        at start and every half lease (a sender killed beside live ones is never restarted
        to recover its rows; `renew` keeps a live sender from sending one taken back)."""
        now = self.clock()
        before = now if self.db.is_sqlite and at_start else now - self.config.lease
        async with self.db.transaction() as session:
            # Only this sender's channels: another process may be sending the others.
            return await outbox.recover(
                session, before + timedelta(microseconds=1), list(self.transports)
            )

    async def run(self, stop: asyncio.Event, idle_wait: float = 1.0) -> None:
        await self.recover()
        backoff = Backoff()
        recovered = clocks.monotonic()
        while not stop.is_set():
            try:
                if clocks.monotonic() - recovered > self.config.lease.total_seconds() / 2:
                    recovered = clocks.monotonic()
                    await self.recover(at_start=False)
                handled = await self.drain(stop=stop)
            except Exception as exc:  # e.g. the database is away: wait longer each time
                delay = backoff.failed()
                log.error("outbox drain failed; retrying in %.1f s: %s", delay, describe(exc))
                await wait_or_stop(stop, delay)
                continue
            backoff.succeeded()
            if handled:
                continue
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(
                waiters, timeout=idle_wait, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()

    async def drain(self, limit: int | None = None, stop: asyncio.Event | None = None) -> int:
        """Send everything due now (until `stop` is set); returns the number of rows handled.

        Without a `limit`, the next batch is claimed while the last rows of the one in hand
        are in flight: the claim's round trip no longer leaves the rate's slots unused between
        batches. A row claimed ahead and not begun (a stop, an error) goes back to 'pending'."""
        handled = 0
        owed = False  # batches delivered since progress was last checked
        ahead: asyncio.Future[_Batch] | None = None

        def claim_ahead() -> None:
            nonlocal ahead
            if limit is None and ahead is None and not _is_set(stop):
                ahead = asyncio.ensure_future(self._claim(self.config.batch))

        while True:
            try:
                while (limit is None or handled < limit) and not _is_set(stop):
                    if ahead is not None:
                        claimed, ahead = await ahead, None
                    else:
                        size = (
                            self.config.batch
                            if limit is None
                            else min(self.config.batch, limit - handled)
                        )
                        claimed = await self._claim(size)
                    if not claimed.rows:
                        break
                    self._claimed_at = claimed.at
                    handled += await self._deliver_all(
                        claimed.rows, stop, claimed.genders, claim_ahead
                    )
                    owed = True
                    if self._progress_due():
                        await self._check_progress()
                        owed = False
            finally:
                if ahead is not None:
                    await self._give_back(ahead)
                    ahead = None
            # Always at the end: the last batches' progress and summary are not left for the
            # next drain. A broadcast can also end with nothing to claim (every recipient
            # skipped at fan-out: opted out, unreachable) and still owe its sender the summary.
            queued = (owed or not handled) and await self._check_progress()
            owed = False
            if not queued or _is_set(stop) or (limit is not None and handled >= limit):
                break
            # The check queued a note (the summary): it goes out in this drain, as it did
            # when progress was checked after every batch.
        return handled

    async def _claim(self, size: int) -> _Batch:
        now = self.clock()
        async with self.db.transaction() as session:
            rows = await outbox.claim(
                session,
                self.transports,
                now,
                size,
                quiet_hours=self.config.in_quiet_hours(now),
            )
            # Notices address each recipient by their gender where it is known (issue
            # 14 item 6); one query per batch, read at send time like the language.
            genders = await genders_of(
                session, [row.user_id for row in rows if row.broadcast_id is None]
            )
        return _Batch(now, rows, genders)

    async def _give_back(self, ahead: asyncio.Future[_Batch]) -> None:
        """A batch claimed ahead and not sent (the drain stopped or failed) goes back."""
        try:
            claimed = await ahead
            if claimed.rows:
                async with self.db.transaction() as session:
                    await outbox.release(session, [row.id for row in claimed.rows])
        except Exception as exc:  # the drain's own error matters more; the lease recovers
            log.error("could not return rows claimed ahead: %s", describe(exc))

    def _progress_due(self) -> bool:
        last = self._progress_at
        return last is None or self.monotonic() - last >= self.config.progress_interval

    async def _check_progress(self) -> bool:
        """Report progress now; whether a note was queued."""
        self._progress_at = self.monotonic()
        return await self.report_progress()

    async def _deliver_all(
        self,
        batch: list[outbox.Claimed],
        stop: asyncio.Event | None,
        genders: Mapping[int, str] | None = None,
        last_begun: Callable[[], None] | None = None,
    ) -> int:
        """Deliver a claimed batch; after a stop, the rows not begun go back to the queue.
        `last_begun` is called when the batch's last row begins. Returns how many rows were
        handled."""
        unsent: list[int] = []
        genders = genders or {}
        begun = 0

        async def one(row: outbox.Claimed) -> None:
            nonlocal begun
            begun += 1
            if begun == len(batch) and last_begun is not None:
                last_begun()
            gender = genders.get(row.user_id)
            if _is_set(stop) or not await self._deliver(row, stop, gender):
                unsent.append(row.id)

        try:
            if self.config.concurrency <= 1:
                for row in batch:
                    await one(row)
            else:
                gate = asyncio.Semaphore(self.config.concurrency)

                async def gated(row: outbox.Claimed) -> None:
                    async with gate:
                        await one(row)

                await asyncio.gather(*(gated(row) for row in batch))
        finally:
            # Before the batch counts as done (progress, summaries, a stop settling).
            await self._mark_accepted()
        if unsent:
            async with self.db.transaction() as session:
                await outbox.release(session, unsent)
        return len(batch) - len(unsent)

    async def _turn(self, chat: str, stop: asyncio.Event | None) -> bool:
        """Wait for the rate limiter's slot for `chat`; False if the stop came first (a pause
        after a 429 can be long)."""
        started = clocks.monotonic()
        try:
            if stop is None:
                await self.limiter.acquire(chat)
                return True
            if stop.is_set():
                return False
            slot = asyncio.ensure_future(self.limiter.acquire(chat))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait((slot, stopped), return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if slot.done():
                slot.result()
                return True
            slot.cancel()
            return False
        finally:
            self.metrics.waited(chat.partition(":")[0], clocks.monotonic() - started)

    # --- one message -------------------------------------------------------------------------
    async def _deliver(
        self, row: outbox.Claimed, stop: asyncio.Event | None = None, gender: str | None = None
    ) -> bool:
        """One row to its end state or back to 'pending' for a retry. False: not begun
        because of the stop (the caller returns the row to the queue)."""
        if row.broadcast_status in (broadcasts.STOPPING, broadcasts.STOPPED):
            # Stopped after this row was queued again (a 429 while it was in flight).
            await self._finish(row, outbox.CANCELLED, "broadcast stopped")
            return True
        if row.announcement and row.opted_out:
            # Read when claimed, not at fan-out: someone who opted out since then gets nothing.
            await self._finish(row, outbox.SKIPPED, "opted out")
            return True
        expires = row.payload.get("expires_at")
        if expires and datetime.fromisoformat(expires) <= self.clock():
            # A stated rule for notices that lose their point (a reminder after the shift
            # began, when the process was down at the due time): skipped, with the reason.
            await self._finish(row, outbox.SKIPPED, "expired")
            return True
        message = await self.composer.render(row, gender)
        if message is None:
            await self._finish(row, outbox.SKIPPED, "cancelled")
            return True
        transport = self.transports[row.channel]
        if not await self._turn(f"{row.channel}:{row.chat_id}", stop):
            return False
        if self.clock() - self._claimed_at >= self.config.lease / 2:  # else nobody took it
            async with self.db.transaction() as session:
                if not await outbox.renew(session, row.id, self._claimed_at, self.clock()):
                    return True  # taken back after the lease: another sender has it now
        try:
            delivery = Delivery(row.kind, row.announcement, row.last_inbound_at)
            accepted = await transport.send(row.chat_id, message, delivery)
        except RetryAfter as exc:
            self._count(row, "429")
            await self.limiter.pause(exc.after, f"{row.channel}:{row.chat_id}")
            await self._mark_accepted()  # not left 'sending' for the whole pause
            async with self.db.transaction() as session:
                due = self.clock() + timedelta(seconds=exc.after)
                await outbox.retry_later(session, row.id, due, row.attempts, str(exc))
        except Unreachable as exc:
            self._count(row, "unreachable")
            async with self.db.transaction() as session:
                await outbox.finish(session, row.id, outbox.BLOCKED, self.clock(), str(exc))
                if not row.payload.get(outbox.OTHER_ADDRESS):  # the guardian's, not the user's
                    await outbox.mark_user_unreachable(session, row.user_id)
                await self._scrub(session, row)
        except PermanentFailure as exc:
            await self._finish(row, outbox.FAILED, str(exc))
        except Skip as exc:
            await self._finish(row, outbox.SKIPPED, str(exc))
        except Exception as exc:  # TemporaryFailure, or something unforeseen: retry
            if not isinstance(exc, TemporaryFailure):
                log.error("unexpected error sending outbox row %s: %s", row.id, describe(exc))
            await self._retry_or_fail(row, exc)
        else:
            self._count(row, "sent")
            await self._accept(row, accepted)
        return True

    async def _accept(self, row: outbox.Claimed, provider_ids: Sequence[str] | None) -> None:
        """The platform accepted the row's message: queue it to be marked sent (with its
        provider ids, its secrets scrubbed) and write the queue when it is full or old."""
        if not self._accepted:
            self._accepted_since = clocks.monotonic()
        self._accepted.append((row.id, outbox.sent_payload(row.payload, provider_ids)))
        full = len(self._accepted) >= self.config.mark_batch
        if full or clocks.monotonic() - self._accepted_since >= self.config.mark_interval:
            await self._mark_accepted()

    async def _mark_accepted(self) -> None:
        """Mark every accepted row sent, in one transaction."""
        if not self._accepted:
            return
        # Taken first: concurrent sends append to a fresh list while this one commits.
        rows, self._accepted = self._accepted, []
        try:
            async with self.db.transaction() as session:
                await outbox.mark_sent(session, rows, self.clock())
        except BaseException:
            # Still accepted: kept for the next attempt (the database may be back by then).
            self._accepted = rows + self._accepted
            raise

    async def _retry_or_fail(self, row: outbox.Claimed, exc: Exception) -> None:
        now = self.clock()
        reason = str(exc) or type(exc).__name__
        attempts = row.attempts + 1
        since_text = row.payload.get(outbox.RETRYING_SINCE)
        since = datetime.fromisoformat(since_text) if since_text else now
        too_long = now - since >= self.config.retry_window
        # A platform's temporary answer is worth waiting out; a bug is not, however long.
        too_often = not isinstance(exc, TemporaryFailure) and attempts >= self.config.max_attempts
        if too_long or too_often:
            await self._finish(row, outbox.FAILED, reason)
            return
        self._count(row, "retry")
        delay = min(self.config.backoff_base**attempts, self.config.backoff_cap)
        payload = None if since_text else {**row.payload, outbox.RETRYING_SINCE: now.isoformat()}
        async with self.db.transaction() as session:
            due = now + timedelta(seconds=delay)
            await outbox.retry_later(session, row.id, due, attempts, reason, payload)

    def _count(self, row: outbox.Claimed, outcome: str) -> None:
        self.metrics.send_done(row.channel, outcome)

    async def _finish(self, row: outbox.Claimed, status: str, error: str | None = None) -> None:
        # Failed and skipped (cancelled, expired, opted out) rows end here.
        self._count(row, "failed" if status == outbox.FAILED else "skipped")
        async with self.db.transaction() as session:
            await outbox.finish(session, row.id, status, self.clock(), error)
            await self._scrub(session, row)

    @staticmethod
    async def _scrub(session: AsyncSession, row: outbox.Claimed) -> None:
        if row.payload.get(outbox.SECRET_PARAMS):  # a guardian's code is not kept once used
            await outbox.scrub_secrets(session, row.id)

    # --- progress and summaries --------------------------------------------------------------
    async def report_progress(self) -> bool:
        """Tell the staff member how a broadcast goes (25/50/75 %) and, when it is over, the
        summary (bot.delivery.progress); whether a note was queued."""
        return await progress.report(self.db, self.composer, self.config, self.clock())


@dataclass(frozen=True)
class _Batch:
    at: datetime  # the claim's time, kept on the rows (`renew` checks it)
    rows: list[outbox.Claimed]
    genders: Mapping[int, str]


def _is_set(stop: asyncio.Event | None) -> bool:
    return stop is not None and stop.is_set()


async def fan_out_due(
    db: Database,
    now: datetime | None = None,
    *,
    catalogs: Catalogs | None = None,
    settings: Any = None,
) -> list[int]:
    """The job's door to `bot.services.broadcasts.fan_out_due`, where the rule lives: one
    transaction, the system acting. Fanning out reads neither catalogs nor settings; callers
    that hold the process's pass them, others get the defaults."""
    from bot.core.unit import Actor, Unit
    from bot.services import broadcasts as broadcast_service

    async with db.transaction() as session:
        unit = Unit(
            session,
            Actor.system(),
            now or utcnow(),
            catalogs or _default_catalogs(),
            settings or _default_settings(),
        )
        return await broadcast_service.fan_out_due(unit)


_defaults: dict[str, Catalogs] = {}


def _default_catalogs() -> Catalogs:
    from bot.core.i18n import load_catalogs

    if "catalogs" not in _defaults:
        _defaults["catalogs"] = load_catalogs()
    return _defaults["catalogs"]


def _default_settings() -> Any:
    # Not read from the environment: nothing here depends on it, and reading it could fail.
    from bot.settings import Settings

    return Settings.model_construct()
