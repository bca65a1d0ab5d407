"""Running the WhatsApp channel: the signed webhook, the queue worker, and the outbox sender.

The webhook checks Meta's signature on the raw body, stores the body and answers 200 at
once (503 when it cannot be stored, so Meta delivers it again); a worker processes stored
bodies (and, after a restart, whatever was left) and deletes each once processed. A message id
seen before has no second effect: the engine deduplicates by it.

Fairness: bodies are worked in one lane per sender — in order within a lane, lanes side by
side up to WHATSAPP_PARALLEL_SENDERS — so one person flooding the webhook does not hold up
anyone else. A sender above WHATSAPP_SENDER_RATE messages a minute has the excess dropped, not
deferred (a deferred flood would still crowd the queue), and is told once, politely, per
throttling period; what they send after a minute's pause is handled again.

Several workers (processes, on one or more machines) share the stored bodies: each claims a
batch with a lease (storage/inbound.py `claim`: SKIP LOCKED on PostgreSQL), renews it while it
works, deletes a body once processed and gives back what it did not get to; a dead worker's
bodies are claimed by another once their lease runs out. A body taken over that way may have
been half-handled: the engine's deduplication by message id keeps that from counting twice.
One person's bodies are handled in the order they were stored (their id), whichever workers
hold them: a body waits while an earlier one of the same sender is untried (held by another
worker), and the engine takes a per-person lock around each update (storage/person_lock.py).

The worker and the sender run under `supervise`: an error is logged and retried with a capped
backoff, and a task that dies anyway is restarted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any

from aiohttp import web

from bot.channels import lru
from bot.channels.whatsapp import CHANNEL, WhatsAppChannel, labels_for, messages_in
from bot.channels.whatsapp_client import WhatsAppClient
from bot.channels.whatsapp_transport import WhatsAppTransport
from bot.core.failures import describe
from bot.core.messages import Outbound
from bot.process.owner import ALL, ProcessOwner, http_door
from bot.runtime import Runtime
from bot.settings import ConfigError, is_blank
from bot.supervise import Backoff, wait_or_stop
from scheduler.factory import add_inbound_purge
from storage import inbound, outbox
from storage import repositories as repo

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
WEBHOOK_PATH = "/whatsapp/webhook"
RATE_WINDOW = 60.0  # seconds: WHATSAPP_SENDER_RATE counts messages per minute
QUEUED_LIMIT = 500  # bodies held in memory by the worker at a time
FETCH = 100
IDLE_WAIT = 5.0
LEASE = timedelta(seconds=60)  # a claim outlives a slow body; a dead worker's waits this long
RENEW_EVERY = LEASE.total_seconds() / 3
RETRY_WAIT = 0.2  # seconds: a body that waited for its sender's earlier one is tried again


def signature_ok(raw: bytes, header: str, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode())


def sender_of(payload: dict[str, Any]) -> tuple[str, float | None]:
    """The sender of a stored body and when they sent it (Meta's timestamp); ("", None) for
    bodies without messages (status updates), which are never throttled."""
    for message, _ in messages_in(payload):
        sent = message.get("timestamp")
        try:
            at = float(sent) if sent is not None else None
        except (TypeError, ValueError):
            at = None
        return str(message.get("from", "")), at
    return "", None


class Verdict(Enum):
    ACCEPT = "accept"
    DROP = "drop"
    DROP_AND_TELL = "tell"  # the first message dropped in this throttling period


@dataclass
class _Window:
    accepted: deque[float] = field(default_factory=deque)
    told: bool = False


class SenderThrottle:
    """At most `per_minute` messages a sender in any minute, by the time they sent them (so a
    backlog after an outage is not mistaken for a flood). Remembers the most recent senders
    only, like the channels' per-chat caches."""

    def __init__(self, per_minute: int, senders: int = lru.RECENT_CHATS) -> None:
        self.per_minute = per_minute
        self.senders = senders
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def admit(self, sender: str, at: float) -> Verdict:
        window = lru.touch(self._windows, sender, _Window, self.senders)
        accepted = window.accepted
        if accepted:
            at = max(at, accepted[-1])  # Meta may re-deliver out of order
        while accepted and accepted[0] <= at - RATE_WINDOW:
            accepted.popleft()
        if len(accepted) < self.per_minute:
            accepted.append(at)
            window.told = False  # under the limit again: a new period may be announced
            return Verdict.ACCEPT
        if window.told:
            return Verdict.DROP
        window.told = True
        return Verdict.DROP_AND_TELL


class WhatsAppService:
    def __init__(
        self, runtime: Runtime, client: WhatsAppClient | None = None, role: str = ALL
    ) -> None:
        settings = runtime.settings
        missing = [
            name
            for name, value in (
                ("WHATSAPP_TOKEN", settings.whatsapp_token),
                ("WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
                ("WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
                ("WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token),
            )
            if is_blank(value)
        ]
        if missing:
            raise ConfigError(f"configuration error: {', '.join(missing)}: required for whatsapp")
        assert settings.whatsapp_token and settings.whatsapp_phone_number_id
        self.runtime = runtime
        self.client = client or WhatsAppClient(
            settings.whatsapp_api_base,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_token.get_secret_value(),
        )
        engine = runtime.engine
        self.channel = WhatsAppChannel(
            client=self.client,
            handle=engine.handle,
            catalogs=runtime.catalogs,
            mark_unreachable=engine.mark_unreachable,
            message_failed=self._message_failed,
            is_staff=engine.is_staff,
            delivered=engine.delivered,
        )
        transport = WhatsAppTransport(
            self.client,
            settings.whatsapp_templates,
            lambda locale: labels_for(runtime.catalogs, locale),
            clock=engine.clock,  # the 24-hour window is measured from the engine's last_seen_at
        )
        self.owner = ProcessOwner(runtime, role=role)
        self.sender = self.owner.sender_for(transport)
        retention = timedelta(hours=settings.inbound_failed_retention_hours)
        self.owner.add_jobs(
            lambda scheduler, jobs: add_inbound_purge(scheduler, runtime.db, retention, jobs.wrap)
        )
        # The worker is what finishes the bodies in hand; the webhook (`run`) is the door.
        self.owner.add_background("whatsapp worker", self._worker)
        self.owner.add_closer("whatsapp client", self.client.close)
        self.throttle = SenderThrottle(settings.whatsapp_sender_rate)
        self.parallel = settings.whatsapp_parallel_senders
        self._work = asyncio.Event()
        # Names this worker's claims; unique per process start, readable by an operator.
        self.worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._waited = False  # a body waited for another worker this round
        # Set by the owner when the worker is to stop (after the webhook stopped taking bodies).
        self._stop = asyncio.Event()

    # --- webhook -----------------------------------------------------------------------------
    def webhook_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get(WEBHOOK_PATH, self._verify)
        app.router.add_post(WEBHOOK_PATH, self._receive)
        return app

    async def _verify(self, request: web.Request) -> web.StreamResponse:
        token = self.runtime.settings.whatsapp_verify_token
        assert token is not None
        query = request.query
        given = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            given.encode(), token.get_secret_value().encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="forbidden")

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        secret = self.runtime.settings.whatsapp_app_secret
        assert secret is not None
        raw = await request.read()  # the signature covers these exact bytes
        if not signature_ok(
            raw, request.headers.get(SIGNATURE_HEADER, ""), secret.get_secret_value()
        ):
            return web.Response(status=401, text="bad signature")
        try:
            payload: dict[str, Any] = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="bad json")
        try:
            async with self.runtime.db.transaction() as session:
                await inbound.store(session, CHANNEL, payload, sender_of(payload)[0])
        except Exception as exc:
            # Not stored means not acknowledged: Meta retries a non-2xx delivery.
            log.error("whatsapp webhook body not stored, answering 503: %s", describe(exc))
            return web.Response(status=503, text="try again")
        self._work.set()
        return web.Response(text="ok")

    async def _message_failed(self, message_id: str, code: int, reason: str) -> None:
        """The outbox row of a message Meta accepted and then failed to deliver is failed too
        (a direct reply has no row: nothing to change)."""
        async with self.runtime.db.transaction() as session:
            await outbox.fail_sent(session, CHANNEL, message_id, reason)

    # --- the worker ----------------------------------------------------------------------------
    async def process_pending(self) -> int:
        """Process the stored bodies, one lane per sender; returns how many were handled.

        Returns when nothing is left; raises (after the other lanes finished their queues)
        when the database failed under a lane: the bodies stay stored for the next round."""
        renewing = asyncio.create_task(self._renew_leases())
        try:
            return await self._round()
        finally:
            renewing.cancel()
            try:
                # Whatever is still held (stopping, or a failure) is free for others at once.
                async with self.runtime.db.transaction() as session:
                    await inbound.release(session, self.worker_id)
            except Exception as exc:
                log.warning("whatsapp worker: claims left to expire: %s", describe(exc))

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                async with self.runtime.db.transaction() as session:
                    await inbound.renew(session, self.worker_id, self.runtime.engine.clock(), LEASE)
            except Exception as exc:  # the next renewal may succeed before the lease ends
                log.warning("whatsapp worker: lease not renewed: %s", describe(exc))

    async def _round(self) -> int:
        handled = 0
        lanes: dict[str, deque[inbound.Claimed]] = {}
        running: set[asyncio.Task[int]] = set()
        gate = asyncio.Semaphore(self.parallel)
        failure: BaseException | None = None
        cursor = 0  # rows are claimed once per round; a retried row waits for the next round
        while True:
            batch: list[inbound.Claimed] = []
            queued = sum(len(q) for q in lanes.values())
            fetching = failure is None and not self._stop.is_set() and queued < QUEUED_LIMIT
            if fetching:
                self._work.clear()
                async with self.runtime.db.transaction() as session:
                    batch = await inbound.claim(
                        session,
                        CHANNEL,
                        self.worker_id,
                        self.runtime.engine.clock(),
                        LEASE,
                        FETCH,
                        after=cursor,
                    )
            for item in batch:
                cursor = item.id
                key, _ = sender_of(item.payload)
                lane = lanes.get(key)
                if lane is None:
                    lanes[key] = lane = deque()
                    running.add(asyncio.create_task(self._lane(key, lanes, gate)))
                lane.append(item)
            if batch and len(batch) == FETCH:
                continue  # more may be waiting
            if not running:
                if failure is not None:
                    raise failure
                return handled
            # Wait for a lane to end, or (when fetching) for a new body from the webhook.
            wake = asyncio.ensure_future(self._work.wait() if fetching else asyncio.Event().wait())
            await asyncio.wait({*running, wake}, return_when=asyncio.FIRST_COMPLETED)
            wake.cancel()
            for task in [t for t in running if t.done()]:
                running.discard(task)
                error = task.exception()
                if error is not None:
                    failure = failure or error
                else:
                    handled += task.result()

    async def _lane(
        self,
        key: str,
        lanes: dict[str, deque[inbound.Claimed]],
        gate: asyncio.Semaphore,
    ) -> int:
        """One sender's bodies in arrival order. The gate is taken per body, so lanes take
        turns instead of one keeping its place until its whole queue is done."""
        handled = 0
        queue = lanes[key]
        try:
            while queue and not self._stop.is_set():
                item = queue.popleft()
                async with gate:
                    if await self._must_wait(item):
                        continue
                    handled += await self._one(item.id, item.payload, item.attempts)
        finally:
            # No await between the empty check and this: a body fetched later starts a lane.
            lanes.pop(key, None)
        return handled

    async def _must_wait(self, item: inbound.Claimed) -> bool:
        """Whether an earlier body of the same sender is still untried (another worker holds
        it): then this one is given back and tried again shortly, after it."""
        if item.lane is None or item.attempts > 0:
            return False
        async with self.runtime.db.transaction() as session:
            if not await inbound.earlier_untried(session, CHANNEL, item.lane, item.id):
                return False
            await inbound.release(session, self.worker_id, item.id)
        self._waited = True
        return True

    async def _one(self, work_id: int, payload: dict[str, Any], attempts: int) -> int:
        sender, at = sender_of(payload)
        if sender:
            verdict = self.throttle.admit(sender, time.time() if at is None else at)
            if verdict is not Verdict.ACCEPT:
                if verdict is Verdict.DROP_AND_TELL:
                    log.info("whatsapp work %s: sender above the rate, excess dropped", work_id)
                    await self._tell_throttled(sender)
                async with self.runtime.db.transaction() as session:
                    await inbound.done(session, work_id)
                return 0
        try:
            await self.channel.process(payload)
        except Exception as exc:
            # Only the type is stored and logged: an error's text may quote personal data.
            log.warning("whatsapp work %s failed: %s", work_id, describe(exc))
            async with self.runtime.db.transaction() as session:
                await inbound.failed_attempt(session, work_id, attempts + 1, type(exc).__name__)
            return 0
        async with self.runtime.db.transaction() as session:
            await inbound.done(session, work_id)
        return 1

    async def _tell_throttled(self, wa_id: str) -> None:
        async with self.runtime.db.sessions() as session:
            found = await repo.find_identity(session, CHANNEL, wa_id)
        tr = self.runtime.catalogs.translator(found[1].locale if found is not None else None)
        await self.channel.deliver(wa_id, wa_id, [Outbound(tr.t("wa.throttled"))])

    async def _worker(self, stop: asyncio.Event) -> None:
        self._stop = stop
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                await self.process_pending()
            except Exception as exc:
                delay = backoff.failed()
                log.error("whatsapp worker: retrying in %.1f s: %s", delay, describe(exc))
                await wait_or_stop(self._stop, delay)
                continue
            backoff.succeeded()
            if self._waited:  # a body waits for another worker: look again soon
                self._waited = False
                await wait_or_stop(self._stop, RETRY_WAIT)
                continue
            waiters = [
                asyncio.ensure_future(self._work.wait()),
                asyncio.ensure_future(self._stop.wait()),
            ]
            _, pending = await asyncio.wait(
                waiters, timeout=IDLE_WAIT, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()

    # --- running -----------------------------------------------------------------------------
    async def start(self) -> None:
        """The jobs, the sender and the worker (the webhook is served by `run`, or a test)."""
        await self.owner.start()

    async def stop(self) -> None:
        """The owner's shutdown: the body in hand is finished, the jobs and the sender stop,
        the Graph API client is closed."""
        self._work.set()  # the worker waits for work or for its stop event
        await self.owner.shutdown()

    async def _wake_worker(self) -> None:
        self._work.set()

    async def run(self, handle_signals: bool = True) -> None:
        from bot.logs import PathOnlyAccessLogger

        settings = self.runtime.settings
        self.owner.add_door(
            http_door(
                "whatsapp webhook",
                self.webhook_app(),
                settings.whatsapp_host,
                settings.whatsapp_port,
                # The verification request carries hub.verify_token in its query string.
                access_log_class=PathOnlyAccessLogger,
                finish=self._wake_worker,
            )
        )
        await self.owner.run(handle_signals=handle_signals)
