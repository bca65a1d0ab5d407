"""Running the Telegram channel: long polling or an aiohttp webhook, as a door of the process
owner (`bot.process.owner`), which runs the sender and the jobs and shuts down in order.
The same for both client libraries (TELEGRAM_TRANSPORT, bot.process.telegram_libs): the
webhook server and its secret check are ours either way, and feed the library's dispatcher.

On SIGINT/SIGTERM the update in hand is finished (and its state saved) before the process
exits; updates not yet handled are delivered again by Telegram and deduplicated by the engine.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from functools import partial
from urllib.parse import urlparse, urlsplit

from aiohttp import web

from bot.channels.telegram_chat import TelegramChat
from bot.channels.telegram_client import (
    BotClient,
    Call,
    Unauthorized,
    Unavailable,
    UndecodableUpdate,
)
from bot.channels.telegram_transport import TelegramTransport
from bot.process.owner import ALL, Door, ProcessOwner, http_door
from bot.process.telegram_libs import feed_for, open_client
from bot.runtime import Runtime
from bot.settings import ConfigError, webhook_secret_problem

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"


class BotApiUnreachable(ConnectionError):
    """The Bot API did not answer at start-up. An OSError, so `shuraka` prints it as one line."""


class TelegramService:
    # The start-up check: a few quick tries, so that a wrong TELEGRAM_API_BASE or an outage
    # stops start-up within seconds instead of after the long retries meant for replies.
    startup_attempts = 3
    startup_timeout = 10  # seconds per try

    def __init__(
        self,
        runtime: Runtime,
        client: BotClient | None = None,
        role: str = ALL,
        transport: str | None = None,
    ) -> None:
        """`client`: a ready client (tests, bench); else one of `transport` (by default
        TELEGRAM_TRANSPORT) on BOT_TOKEN and TELEGRAM_API_BASE."""
        settings = runtime.settings
        if client is None:
            if settings.bot_token is None:
                raise ConfigError("configuration error: BOT_TOKEN: required for telegram")
            client = open_client(
                transport or settings.telegram_transport,
                settings.bot_token.get_secret_value(),
                settings.telegram_api_base,
            )
        self.runtime = runtime
        self.client = client
        engine = runtime.engine
        self.channel = TelegramChat(
            client=client,
            handle=engine.handle,
            catalogs=runtime.catalogs,
            mark_unreachable=engine.mark_unreachable,
            first_time=engine.first_time,
            delivered=engine.delivered,
        )
        self.feed = feed_for(client, self.channel)
        self.owner = ProcessOwner(runtime, role=role)
        self.sender = self.owner.sender_for(
            TelegramTransport(client, settings.telegram_paid_broadcast)
        )

    def command_menu(self) -> list[tuple[str, str]]:
        commands = self.runtime.engine.app.commands.values()
        return [(c.name, c.description) for c in commands if not c.staff_only]

    async def _check_api(self) -> None:
        """Ask the Bot API who we are before starting anything; closes the session on failure."""
        delay = 0.5
        for attempt in range(1, self.startup_attempts + 1):
            try:
                await self.client.call(Call("getMe"), timeout=self.startup_timeout)
                return
            except Unauthorized:
                await self.client.close()
                raise ConfigError(
                    "configuration error: BOT_TOKEN: rejected by the Telegram Bot API"
                ) from None
            except Unavailable as exc:
                if attempt < self.startup_attempts:
                    await asyncio.sleep(delay)
                    delay *= 2
                    continue
                await self.client.close()
                reason = str(exc).replace(self.client.token, "<BOT_TOKEN>")
                api = urlsplit(self.client.api_base())
                raise BotApiUnreachable(
                    f"cannot reach the Telegram Bot API at {api.scheme}://{api.netloc} "
                    f"({attempt} tries): {' '.join(reason.split())}"
                ) from None

    async def _finish(self) -> None:
        await self.channel.drain()
        await self.feed.stop()

    async def _close(self) -> None:
        await self.client.close()

    # --- polling -----------------------------------------------------------------------------
    async def _poll(self) -> None:
        # A webhook left behind would make getUpdates fail with 409.
        await self.channel.call(Call("deleteWebhook", {"drop_pending_updates": False}))
        if self.owner.stopping.is_set():
            return  # stopped meanwhile: there is nothing to halt
        await self.feed.poll(ALLOWED_UPDATES)

    def polling_door(self) -> Door:
        return Door(
            "telegram polling",
            serve=self._poll,
            halt=self.feed.halt,
            finish=self._finish,
            close=self._close,
        )

    async def run_polling(self, handle_signals: bool = True) -> None:
        await self._check_api()
        await self.feed.start()
        await self.channel.set_commands(self.command_menu())
        self.owner.add_door(self.polling_door())
        await self.owner.run(handle_signals=handle_signals)

    async def stop(self) -> None:
        """Stop polling or the webhook server (what a signal does)."""
        self.owner.stop()

    # --- webhook -----------------------------------------------------------------------------
    def webhook_path(self) -> str:
        url = self.runtime.settings.webhook_url
        return (urlparse(url).path if url else "") or DEFAULT_WEBHOOK_PATH

    def webhook_app(self) -> web.Application:
        """The webhook server; refuses to exist without a valid WEBHOOK_SECRET."""
        setting = self.runtime.settings.webhook_secret
        secret = setting.get_secret_value() if setting is not None else None
        problem = "is not set" if secret is None else webhook_secret_problem(secret)
        if secret is None or problem:
            raise ConfigError(f"configuration error: WEBHOOK_SECRET: {problem} (webhook mode)")
        app = web.Application()
        app.router.add_post(self.webhook_path(), partial(self._on_webhook, secret.encode()))
        return app

    async def _on_webhook(self, secret: bytes, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER)
        # `not secret` too: an empty expected value must never match an empty header.
        if not secret or given is None or not hmac.compare_digest(given.encode(), secret):
            return web.Response(status=403, text="forbidden")
        try:
            await self.feed.feed(await request.json())
        except (ValueError, UndecodableUpdate) as exc:
            # 200 all the same: any other answer makes Telegram send it again, forever.
            problem = exc if isinstance(exc, UndecodableUpdate) else "the body is not JSON"
            log.error("webhook update skipped: %s", problem)
        return web.json_response({})

    async def _set_webhook(self) -> None:
        settings = self.runtime.settings
        assert settings.webhook_url and settings.webhook_secret is not None
        await self.channel.call(
            Call(
                "setWebhook",
                {
                    "url": settings.webhook_url,
                    "secret_token": settings.webhook_secret.get_secret_value(),
                    "allowed_updates": ALLOWED_UPDATES,
                },
            )
        )

    async def run_webhook(self, handle_signals: bool = True) -> None:
        settings = self.runtime.settings
        if not settings.webhook_url or settings.webhook_secret is None:
            raise ConfigError(
                "configuration error: WEBHOOK_URL and WEBHOOK_SECRET are both required "
                "for webhook mode"
            )
        app = self.webhook_app()  # checks WEBHOOK_SECRET before anything starts
        await self._check_api()
        await self.feed.start()
        await self.channel.set_commands(self.command_menu())
        self.owner.add_door(
            http_door(
                "telegram webhook",
                app,
                settings.webhook_host,
                settings.webhook_port,
                ready=self._set_webhook,
                finish=self._finish,
                close=self._close,
            )
        )
        await self.owner.run(handle_signals=handle_signals)
