"""The Telegram channel on python-telegram-bot 22: the PTB half of the adapter.

The same contract as the aiogram half (bot.channels.telegram): a client that sends the shared
renderer's `Call`s and maps PTB's exceptions to the shared outcomes, and a feed that hands
PTB's decoded updates to the shared chat (bot.channels.telegram_chat) — by PTB's Application,
from its own long polling or from our webhook server (bot.process.telegram checks the secret
before an update gets here). No rule lives here.

python-telegram-bot is an optional dependency (`pip install 'shuraka[ptb]'`); this module is
imported only when TELEGRAM_TRANSPORT=ptb.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import warnings
from datetime import timedelta
from typing import Any

# PTB 22 is retiring int time periods (RetryAfter.retry_after) and warns on every 429 until a
# program opts in to timedelta; `_seconds` reads either, so opt in. Set before PTB is imported.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot.channels.telegram_chat import Pressed, TelegramChat
from bot.channels.telegram_client import (
    ApiError,
    Blocked,
    Call,
    Refused,
    RetryLater,
    Unauthorized,
    Unavailable,
    UndecodableUpdate,
    Upload,
)

log = logging.getLogger(__name__)
# httpx logs every request's URL at INFO, and a Bot API URL carries the bot's token.
logging.getLogger("httpx").setLevel(logging.WARNING)

# Replies go side by side (the engine keeps each person's updates in order), as aiogram's
# polling does; PTB's default connection pool of one would make them queue.
CONNECTIONS = 64
LONG_POLL = 10  # seconds a getUpdates call waits for updates, as aiogram's polling


def create_bot(token: str, api_base: str | None = None) -> Bot:
    """A PTB Bot on the public Bot API, or on `api_base` (TELEGRAM_API_BASE: a self-hosted
    server or the tests' fake), the same URL layout aiogram uses: BASE/bot<token>/<method>."""
    base = (api_base or "https://api.telegram.org").rstrip("/")
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=HTTPXRequest(connection_pool_size=CONNECTIONS),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )


def _snake(method: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", method).lower()


def _markup(value: dict[str, Any]) -> Any:
    if "inline_keyboard" in value:
        return InlineKeyboardMarkup.de_json(value, None)
    if "keyboard" in value:
        return ReplyKeyboardMarkup.de_json(value, None)
    return ReplyKeyboardRemove()


def to_kwargs(call: Call) -> dict[str, Any]:
    """A `Call`'s parameters as PTB's method takes them (keyboards and files as PTB objects)."""
    kwargs: dict[str, Any] = {}
    for key, value in call.params.items():
        if isinstance(value, Upload):
            value = InputFile(value.data, filename=value.filename)
        elif key == "reply_markup":
            value = _markup(value)
        elif key == "commands":
            value = [BotCommand(c["command"], c["description"]) for c in value]
        kwargs[key] = value
    return kwargs


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns while the int form is being retired
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def to_api_error(exc: TelegramError) -> ApiError:
    message = exc.message
    if isinstance(exc, RetryAfter):
        return RetryLater(_seconds(exc), message)
    if isinstance(exc, Forbidden):
        return Blocked(message)
    if isinstance(exc, InvalidToken):
        return Unauthorized(message)
    if isinstance(exc, BadRequest):  # a NetworkError subclass in PTB: checked before it
        return Refused(message)
    if isinstance(exc, NetworkError):  # time-outs, connection errors and 5xx
        return Unavailable(message)
    return Refused(message)


class PtbClient:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.token = bot.token

    async def call(self, call: Call, timeout: float | None = None) -> int | None:
        method = getattr(self.bot, _snake(call.method))
        timeouts = {} if timeout is None else {"read_timeout": timeout, "connect_timeout": timeout}
        try:
            result = await method(**to_kwargs(call), **timeouts)
        except TelegramError as exc:
            raise to_api_error(exc) from exc
        return result.message_id if isinstance(result, Message) else None

    async def close(self) -> None:
        # Bot.shutdown does nothing for a bot never initialized (a sender-only process):
        # the connection pools are closed here either way.
        await self.bot.request.shutdown()
        await self.bot._request[0].shutdown()  # the getUpdates pool; PTB names it no other way

    def api_base(self) -> str:
        return self.bot.base_url.removesuffix("/bot").removesuffix(self.bot.token)


class PtbFeed:
    """PTB's Application feeding the chat: its own long polling, or one webhook update."""

    def __init__(self, bot: Bot, chat: TelegramChat) -> None:
        self.chat = chat
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().bot(bot).concurrent_updates(True).build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self._halted = asyncio.Event()
        self._started = False

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            if update.message.chat is None:
                # PTB decodes leniently where aiogram refuses the update: the same outcome,
                # logged by id and field as aiogram's path logs it, never the contents.
                log.error(
                    "update %s: cannot decode message.chat (missing); skipped", update.update_id
                )
                return
            await self.chat.on_message(update.update_id, update.message)
        elif update.callback_query is not None:
            query = update.callback_query
            await self.chat.on_callback(update.update_id, Pressed.of(query))

    async def start(self) -> None:
        if not self._started:
            self._started = True
            await self.app.initialize()

    async def poll(self, allowed_updates: list[str]) -> None:
        if self._halted.is_set():
            return
        updater = self.app.updater
        assert updater is not None  # the builder makes one
        await self.app.start()
        await updater.start_polling(timeout=LONG_POLL, allowed_updates=allowed_updates)
        await self._halted.wait()
        await updater.stop()

    async def halt(self) -> None:
        self._halted.set()

    async def feed(self, data: object) -> None:
        try:
            update = Update.de_json(data if isinstance(data, dict) else {}, self.app.bot)
        except (KeyError, TypeError, ValueError):
            raw_id = data.get("update_id") if isinstance(data, dict) else None
            update_id = raw_id if isinstance(raw_id, int) else None
            raise UndecodableUpdate(update_id, "cannot decode") from None
        await self.start()  # a webhook app served on its own (tests) starts on its first update
        await self.app.process_update(update)

    async def stop(self) -> None:
        if self.app.running:
            await self.app.stop()
        if self._started:
            await self.app.shutdown()
