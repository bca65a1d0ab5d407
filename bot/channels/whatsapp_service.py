"""Running the WhatsApp channel: the signed webhook, the queue worker, and the outbox sender.

The webhook checks Meta's signature on the raw body, stores the body and answers 200 at
once; a worker processes stored bodies in order (and, after a restart, whatever was left).
A message id seen before has no second effect: the engine deduplicates by it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
from contextlib import suppress
from typing import Any

from aiohttp import web

from bot.channels.whatsapp import CHANNEL, WhatsAppChannel, labels_for
from bot.channels.whatsapp_client import WhatsAppClient
from bot.channels.whatsapp_transport import WhatsAppTransport
from bot.runtime import Runtime
from bot.settings import ConfigError
from scheduler.factory import create_scheduler
from scheduler.jobs import JobTracker
from storage import inbound

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
WEBHOOK_PATH = "/whatsapp/webhook"


def signature_ok(raw: bytes, header: str, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode())


class WhatsAppService:
    def __init__(self, runtime: Runtime, client: WhatsAppClient | None = None) -> None:
        settings = runtime.settings
        missing = [
            name
            for name, value in (
                ("WHATSAPP_TOKEN", settings.whatsapp_token),
                ("WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
                ("WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
                ("WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token),
            )
            if not value
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
        )
        transport = WhatsAppTransport(
            self.client,
            settings.whatsapp_templates,
            lambda locale: labels_for(runtime.catalogs, locale),
            clock=engine.clock,  # the 24-hour window is measured from the engine's last_seen_at
        )
        self.sender = runtime.outbox_sender(transport)
        self.scheduler = create_scheduler()
        self.jobs = JobTracker()
        self._work = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

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
        async with self.runtime.db.transaction() as session:
            await inbound.store(session, CHANNEL, payload)
        self._work.set()
        return web.Response(text="ok")

    # --- the worker ----------------------------------------------------------------------------
    async def process_pending(self) -> int:
        """Process stored bodies in arrival order; returns how many were handled."""
        handled = 0
        while True:
            async with self.runtime.db.sessions() as session:
                batch = [
                    (w.id, w.payload, w.attempts) for w in await inbound.pending(session, CHANNEL)
                ]
            if not batch:
                return handled
            for work_id, payload, attempts in batch:
                try:
                    await self.channel.process(payload)
                except Exception as exc:
                    log.exception("whatsapp work %s failed", work_id)
                    async with self.runtime.db.transaction() as session:
                        await inbound.failed_attempt(session, work_id, attempts + 1, str(exc))
                    continue
                async with self.runtime.db.transaction() as session:
                    await inbound.done(session, work_id)
                handled += 1

    async def _worker(self) -> None:
        while not self._stop.is_set():
            self._work.clear()
            await self.process_pending()
            waiters = [
                asyncio.ensure_future(self._work.wait()),
                asyncio.ensure_future(self._stop.wait()),
            ]
            _, pending = await asyncio.wait(waiters, timeout=5, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    # --- running -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.runtime.start_jobs(self.scheduler, self.sender, self.jobs)
        self._tasks = [
            asyncio.create_task(self._worker()),
            asyncio.create_task(self.sender.run(self._stop)),
        ]

    async def stop(self) -> None:
        self._stop.set()
        self._work.set()
        for task in self._tasks:
            await task  # the body in hand is finished; the sender ends its message in flight
        await self.jobs.stop(self.scheduler)
        await self.client.close()

    async def run(self, handle_signals: bool = True) -> None:
        settings = self.runtime.settings
        stop = asyncio.Event()
        if handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
        runner = web.AppRunner(self.webhook_app())
        await runner.setup()
        await self.start()
        try:
            site = web.TCPSite(runner, settings.whatsapp_host, settings.whatsapp_port)
            await site.start()
            log.info(
                "whatsapp webhook on %s:%s%s",
                settings.whatsapp_host,
                settings.whatsapp_port,
                WEBHOOK_PATH,
            )
            await stop.wait()
        finally:
            await runner.cleanup()
            await self.stop()
