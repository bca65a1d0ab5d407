"""The Telegram channel on aiogram 3: the aiogram half of the adapter.

Everything Telegram-specific but library-independent is shared with the python-telegram-bot
adapter (bot.channels.telegram_ptb): update conversion (telegram_inbound), replies, menus and
retries (telegram_chat), rendering (telegram_render). Here: aiogram's client (`Call` → an
aiogram method, aiogram's exceptions → the shared outcomes) and its dispatcher.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

import aiogram.methods
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiohttp import ClientError

from bot.channels.telegram_chat import Pressed, TelegramChat
from bot.channels.telegram_client import (
    ApiError,
    Blocked,
    Call,
    Refused,
    RetryLater,
    Unauthorized,
    Unavailable,
    Upload,
)
from bot.channels.telegram_inbound import CHANNEL as CHANNEL

# Re-exported: the splitting rule is the renderer's, callers and tests knew it from here.
from bot.channels.telegram_render import split_text as split_text
from bot.channels.telegram_session import JsonBodySession, decode_update, network_error


def create_bot(token: str, api_base: str | None = None) -> Bot:
    api = TelegramAPIServer.from_base(api_base) if api_base else None
    session = JsonBodySession(api=api) if api else JsonBodySession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def _markup(value: dict[str, Any]) -> Any:
    # Said explicitly: left to pydantic's union matching, a dict could become the wrong kind.
    if "inline_keyboard" in value:
        return InlineKeyboardMarkup.model_validate(value)
    if "keyboard" in value:
        return ReplyKeyboardMarkup.model_validate(value)
    return ReplyKeyboardRemove.model_validate(value)


def to_method(call: Call) -> aiogram.methods.TelegramMethod[Any]:
    """The aiogram method object of a `Call` (sendMessage → SendMessage)."""
    cls = getattr(aiogram.methods, call.method[0].upper() + call.method[1:])
    params: dict[str, Any] = {}
    for key, value in call.params.items():
        if isinstance(value, Upload):
            value = BufferedInputFile(value.data, filename=value.filename)
        elif key == "reply_markup":
            value = _markup(value)
        params[key] = value
    method: aiogram.methods.TelegramMethod[Any] = cls(**params)
    return method


def _uploads(call: Call) -> bool:
    return any(isinstance(value, Upload) for value in call.params.values())


def to_api_error(exc: TelegramAPIError) -> ApiError:
    message = exc.message
    if isinstance(exc, TelegramRetryAfter):
        return RetryLater(float(exc.retry_after), message)
    if isinstance(exc, TelegramForbiddenError):
        return Blocked(message)
    if isinstance(exc, TelegramUnauthorizedError | TelegramNotFound):
        return Unauthorized(message)
    if isinstance(exc, TelegramNetworkError | TelegramServerError):
        return Unavailable(message)
    return Refused(message)


# Calls of every reply whose answer we need at most the message_id of: sent without aiogram's
# method model and without validating the answer into its `Message` (most of a reply's CPU on
# the aiogram side). Errors still go through aiogram's own check (`check_response`).
RAW_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"}
)
SUCCESS = range(HTTPStatus.OK, HTTPStatus.IM_USED + 1)  # as aiogram's check_response


class AiogramClient:
    def __init__(self, bot: Bot, *, raw: bool = True) -> None:
        self.bot = bot
        self.token = bot.token
        # The raw path needs our JSON session; `raw=False` keeps aiogram's model path for all.
        self._raw = bot.session if raw and isinstance(bot.session, JsonBodySession) else None

    async def call(self, call: Call, timeout: float | None = None) -> int | None:
        seconds = None if timeout is None else int(timeout)
        if self._raw is not None and call.method in RAW_METHODS and not _uploads(call):
            return await self._raw_call(self._raw, call, seconds)
        method = to_method(call)
        try:
            result = await self.bot(method, request_timeout=seconds)
        except TelegramAPIError as exc:
            raise to_api_error(exc) from exc
        return result.message_id if isinstance(result, Message) else None

    async def _raw_call(
        self, session: JsonBodySession, call: Call, timeout: int | None
    ) -> int | None:
        body = session.raw_body(self.bot, call.method, call.params)
        try:
            status, text = await session.post_json(self.bot, call.method, body, timeout)
        except (TimeoutError, ClientError) as exc:
            raise to_api_error(network_error(to_method(call), exc)) from exc
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if status in SUCCESS and isinstance(answer, dict) and answer.get("ok") is True:
            result = answer.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return message_id if isinstance(message_id, int) else None
        # Anything else is read by aiogram, model and all, so errors are exactly its errors.
        method = to_method(call)
        try:
            response = session.check_response(self.bot, method, status, text)
        except TelegramAPIError as exc:
            raise to_api_error(exc) from exc
        return response.result.message_id if isinstance(response.result, Message) else None

    async def close(self) -> None:
        await self.bot.session.close()

    def api_base(self) -> str:
        return self.bot.session.api.base


class AiogramFeed:
    """aiogram's dispatcher feeding the chat: long polling or one webhook update at a time."""

    def __init__(self, bot: Bot, chat: TelegramChat) -> None:
        self.bot = bot
        self.chat = chat
        # Conversation state is the engine's (in the database): aiogram's FSM would only cost.
        self.dispatcher = Dispatcher(disable_fsm=True)
        router = Router(name="shuraka")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_callback)
        self.dispatcher.include_router(router)
        self._polling = False

    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self.chat.on_message(event_update.update_id, message)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        await self.chat.on_callback(event_update.update_id, Pressed.of(query))

    async def start(self) -> None:
        return None  # aiogram's dispatcher needs no start-up

    async def stop(self) -> None:
        return None

    async def poll(self, allowed_updates: list[str]) -> None:
        self._polling = True
        try:
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,  # the owner handles them
                close_bot_session=False,  # the owner closes it, after the sender
                allowed_updates=allowed_updates,
            )
        finally:
            self._polling = False

    async def halt(self) -> None:
        while self._polling:
            try:
                await self.dispatcher.stop_polling()
                break
            except RuntimeError:  # the task has not begun polling yet
                await asyncio.sleep(0.01)

    async def feed(self, data: object) -> None:
        await self.dispatcher.feed_update(self.bot, decode_update(self.bot, data))
