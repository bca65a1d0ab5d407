"""The Telegram channel on aiogram 3: updates become `Inbound`, `Outbound` becomes messages.

Thin by design: no business rule lives here, only Telegram's shapes and limits (HTML parse
mode, inline keyboards, 4096 UTF-16 units per message, answering every callback query,
429/403).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
    Update,
)

from bot.channels import lru
from bot.channels.lru import RECENT_CHATS
from bot.channels.telegram_render import (
    TEXT_LIMIT,
    Markup,
    contact_keyboard,
    inline_keyboard,
    render,
)

# Re-exported: the splitting rule is the renderer's, callers and tests knew it from here.
from bot.channels.telegram_render import split_text as split_text
from bot.channels.telegram_session import JsonBodySession
from bot.core.flow import choice_prefix
from bot.core.html_split import visible_len
from bot.core.i18n import Catalogs
from bot.core.messages import (
    VOICE,
    Contact,
    FileRef,
    Inbound,
    InboundKind,
    Location,
    Outbound,
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CAPS = frozenset({"contact", "location"})
MAX_ATTEMPTS = 5
UI_CHATS = RECENT_CHATS  # chats whose last menu this process remembers
BACKOFF_START = 0.5

T = TypeVar("T")
Handler = Callable[[Inbound], Awaitable[list[Outbound]]]


class UnreachableError(Exception):
    """Telegram refused the chat for good (403): stop sending to it."""


def create_bot(token: str, api_base: str | None = None) -> Bot:
    api = TelegramAPIServer.from_base(api_base) if api_base else None
    session = JsonBodySession(api=api) if api else JsonBodySession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


# --- inbound ----------------------------------------------------------------------------------
def message_to_inbound(update_id: int, message: Message) -> Inbound | None:
    user = message.from_user
    if user is None:
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": str(user.id),
        "chat_id": str(message.chat.id),
        "update_id": str(update_id),
        "language_hint": user.language_code,
        "display_name": user.first_name,
        "caps": CAPS,
    }
    if message.text is not None:
        text = message.text
        entity = message.entities[0] if message.entities else None
        if entity is not None and entity.type == "bot_command" and entity.offset == 0:
            name = text[1 : entity.length].split("@", 1)[0].lower()
            args = text[entity.length :].strip()
            return Inbound(kind=InboundKind.COMMAND, text=name, args=args, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    if message.contact is not None:
        own = message.contact.user_id is not None and message.contact.user_id == user.id
        contact = Contact(phone=message.contact.phone_number, is_own=own)
        return Inbound(kind=InboundKind.CONTACT, contact=contact, **base)
    if message.location is not None:
        where = Location(message.location.latitude, message.location.longitude)
        return Inbound(kind=InboundKind.LOCATION, location=where, **base)
    if message.photo:
        ref = FileRef(file_id=message.photo[-1].file_id, kind="photo")
        return Inbound(kind=InboundKind.FILE, file=ref, **base)
    if message.document is not None:
        doc = message.document
        ref = FileRef(file_id=doc.file_id, kind="document", name=doc.file_name)
        return Inbound(kind=InboundKind.FILE, file=ref, **base)
    if message.voice is not None or message.audio is not None:
        return Inbound(kind=InboundKind.FILE, file=FileRef(file_id="", kind=VOICE), **base)
    # Stickers, videos …: not something any step asks for.
    return Inbound(kind=InboundKind.FILE, file=FileRef(file_id="", kind="other"), **base)


def callback_to_inbound(update_id: int, query: CallbackQuery) -> Inbound:
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    return Inbound(
        channel=CHANNEL,
        external_user_id=str(query.from_user.id),
        chat_id=str(chat_id),
        update_id=str(update_id),
        kind=InboundKind.CHOICE,
        text=query.data or "",
        language_hint=query.from_user.language_code,
        display_name=query.from_user.first_name,
        caps=CAPS,
    )


# --- outbound ---------------------------------------------------------------------------------
def merge_replies(replies: list[Outbound], limit: int = TEXT_LIMIT) -> list[Outbound]:
    """Join a plain text with the message after it ("that ID is not valid" + the question
    again) into one Telegram message: fewer API calls, and the chat reads the same."""
    merged: list[Outbound] = []
    for out in replies:
        previous = merged[-1] if merged else None
        plain = (
            previous is not None
            and not previous.choices
            and previous.attachment is None
            and previous.location is None
            and not previous.ask_contact
        )
        if (
            previous is not None
            and plain
            and visible_len(previous.text) + 2 + visible_len(out.text) <= limit
        ):
            merged[-1] = replace(out, text=f"{previous.text}\n\n{out.text}")
        else:
            merged.append(out)
    return merged


@dataclass
class ChatUi:
    """What this process last showed in a chat, so a chat never has two live menus."""

    menu_message_id: int | None = None
    reply_keyboard_open: bool = False


@dataclass
class TelegramChannel:
    bot: Bot
    handle: Handler
    catalogs: Catalogs
    mark_unreachable: Callable[[str, str], Awaitable[None]]
    first_time: Callable[[str, str], Awaitable[bool]]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ui_chats: int = UI_CHATS
    _ui: OrderedDict[int, ChatUi] = field(default_factory=OrderedDict)
    _inflight: set[asyncio.Task[Any]] = field(default_factory=set)

    # --- calls with Telegram's error rules ---------------------------------------------------
    async def call(self, method: TelegramMethod[T]) -> T:
        delay = BACKOFF_START
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self.bot(method)
            except TelegramRetryAfter as exc:
                if attempt == MAX_ATTEMPTS:
                    raise
                await self.sleep(exc.retry_after)
            except (TelegramNetworkError, TelegramServerError):
                if attempt == MAX_ATTEMPTS:
                    raise
                await self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _quietly(self, method: TelegramMethod[Any]) -> None:
        """For cosmetic calls (removing an old keyboard): a failure changes nothing important."""
        try:
            await self.call(method)
        except (TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError) as exc:
            log.debug("ignored %s: %s", type(method).__name__, exc)

    # --- updates -----------------------------------------------------------------------------
    async def on_message(self, message: Message, event_update: Update) -> None:
        await self._track(self._on_message(message, event_update))

    async def on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        await self._track(self._on_callback(query, event_update))

    async def _track(self, work: Awaitable[None]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await work
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def drain(self) -> None:
        """Wait for the updates in hand (graceful shutdown: their state gets saved)."""
        current = asyncio.current_task()
        pending = [t for t in self._inflight if t is not current]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _on_message(self, message: Message, update: Update) -> None:
        if message.chat.type != ChatType.PRIVATE:
            await self._private_only(message)
            return
        inbound = message_to_inbound(update.update_id, message)
        if inbound is None:
            return
        replies = await self.handle(inbound)
        await self.deliver(message.chat.id, inbound, replies)

    async def _on_callback(self, query: CallbackQuery, update: Update) -> None:
        # Answer first: Telegram shows a spinner until it is answered.
        await self._quietly(query.answer())
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return
        inbound = callback_to_inbound(update.update_id, query)
        replies = await self.handle(inbound)
        await self.deliver(message.chat.id, inbound, replies, pressed=message.message_id)

    async def _private_only(self, message: Message) -> None:
        if not await self.first_time("telegram-group", str(message.chat.id)):
            return
        text = "\n\n".join(tr.t("telegram.private_only") for tr in self.catalogs.all_translators())
        try:
            await self.call(SendMessage(chat_id=message.chat.id, text=text))
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            log.info("could not tell group %s: %s", message.chat.id, exc)

    # --- rendering ---------------------------------------------------------------------------
    async def deliver(
        self,
        chat_id: int,
        inbound: Inbound,
        replies: list[Outbound],
        pressed: int | None = None,
    ) -> None:
        try:
            await self._deliver(chat_id, inbound, replies, pressed)
        except TelegramForbiddenError:
            await self.mark_unreachable(CHANNEL, inbound.external_user_id)
        except (
            TelegramBadRequest,
            TelegramRetryAfter,
            TelegramNetworkError,
            TelegramServerError,
        ) as exc:
            # The state is already saved: the user's next message shows the same step again.
            log.warning("could not deliver to %s: %s", chat_id, exc)

    async def _deliver(
        self, chat_id: int, inbound: Inbound, replies: list[Outbound], pressed: int | None
    ) -> None:
        ui = self._chat_ui(chat_id)
        if pressed is not None and self._same_step_update(inbound, replies):
            # Toggling a multi-select answers in place instead of stacking messages.
            out = replies[0]
            await self._quietly(
                EditMessageText(
                    text=out.text,
                    chat_id=chat_id,
                    message_id=pressed,
                    reply_markup=inline_keyboard(out.choices),
                )
            )
            ui.menu_message_id = pressed
            return
        old_menu = pressed if pressed is not None else ui.menu_message_id
        if old_menu is not None:
            await self._quietly(
                EditMessageReplyMarkup(chat_id=chat_id, message_id=old_menu, reply_markup=None)
            )
            ui.menu_message_id = None
        for out in merge_replies(replies):
            await self._send(chat_id, out, ui)

    def _chat_ui(self, chat_id: int) -> ChatUi:
        """What was last shown in the chat; only the most recently active chats are kept, so
        a long-running process does not grow with every chat it ever answered (a forgotten
        chat just keeps its old keyboard, as after a restart)."""
        return lru.touch(self._ui, chat_id, ChatUi, self.ui_chats)

    @staticmethod
    def _same_step_update(inbound: Inbound, replies: list[Outbound]) -> bool:
        if len(replies) != 1 or not replies[0].choices or replies[0].attachment is not None:
            return False
        return choice_prefix(replies[0].choices[0].id) == choice_prefix(inbound.text)

    async def _send(self, chat_id: int, out: Outbound, ui: ChatUi) -> None:
        """`out` as the renderer lays it out (bot.channels.telegram_render), with this chat's
        keyboards: a contact request opens a reply keyboard; the next message closes it."""
        closing = not out.ask_contact and ui.reply_keyboard_open
        markup: Markup | None = None
        if out.ask_contact:
            markup = contact_keyboard(out)
        elif closing:
            markup = ReplyKeyboardRemove()
        rendered = render(chat_id, out, markup)
        for index, method in enumerate(rendered.calls):
            sent = await self.call(method)
            if index != rendered.main:
                continue
            if out.ask_contact:
                ui.reply_keyboard_open = True
            elif closing:
                # One message cannot carry both kinds of markup: the inline keyboard is added
                # by an edit once the reply keyboard is closed.
                ui.reply_keyboard_open = False
                if out.choices:
                    await self.call(
                        EditMessageReplyMarkup(
                            chat_id=chat_id,
                            message_id=sent.message_id,
                            reply_markup=inline_keyboard(out.choices),
                        )
                    )
                    ui.menu_message_id = sent.message_id
            elif out.choices:
                ui.menu_message_id = sent.message_id

    # --- set-up ------------------------------------------------------------------------------
    def router(self) -> Router:
        router = Router(name="shuraka")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_callback)
        return router

    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        """`commands`: (name, description message id). The default list is in the default
        language; each language also gets its own list."""
        for locale in (None, *self.catalogs.locales):
            tr = self.catalogs.translator(locale)
            await self.call(
                SetMyCommands(
                    commands=[
                        BotCommand(command=name, description=tr.label(key))
                        for name, key in commands
                    ],
                    language_code=locale,
                )
            )


def build_dispatcher(channel: TelegramChannel) -> Dispatcher:
    # Conversation state is the engine's (in the database): aiogram's FSM would only cost time.
    dispatcher = Dispatcher(disable_fsm=True)
    dispatcher.include_router(channel.router())
    return dispatcher
