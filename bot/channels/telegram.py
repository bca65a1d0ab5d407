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
    SendDocument,
    SendLocation,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.channels import lru
from bot.channels.lru import RECENT_CHATS
from bot.channels.telegram_session import JsonBodySession
from bot.core.flow import choice_prefix, is_navigation
from bot.core.html_split import split_html, visible_len, visible_text
from bot.core.i18n import Catalogs
from bot.core.messages import (
    Choice,
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
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SHORT_LABEL = 16  # labels up to this many characters go two to a row
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
    # Stickers, voice notes, videos …: not something any step asks for.
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
def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Messages of at most `limit` UTF-16 units as Telegram counts them (after HTML parsing),
    each valid HTML on its own (see bot.core.html_split)."""
    parts = split_html(text, limit)
    # Telegram refuses a message that is only white space; such a part carries nothing.
    kept = [part for part in parts if visible_text(part).strip()]
    return kept or parts[:1]


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


def _rows(buttons: list[Choice], per_row: int) -> list[list[Choice]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def inline_keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup:
    """Options first (two to a row when short, for Arabic labels read right to left), then the
    navigation row (back, cancel …)."""
    options = [c for c in choices if not is_navigation(c.id)]
    nav = [c for c in choices if is_navigation(c.id)]
    short = all(len(c.label) <= SHORT_LABEL for c in options)
    rows = _rows(options, 2 if short else 1) + _rows(nav, 2)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=c.label, callback_data=c.id) for c in row] for row in rows
        ]
    )


def contact_keyboard(out: Outbound) -> ReplyKeyboardMarkup:
    """A contact request is a reply keyboard; the step's choices ride along as text buttons,
    which the engine matches by label."""
    share = KeyboardButton(text=out.hints.get("contact_label", "📱"), request_contact=True)
    rows = [[share], *[[KeyboardButton(text=c.label)] for c in out.choices]]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)


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
        if len(replies) != 1 or not replies[0].choices:
            return False
        return choice_prefix(replies[0].choices[0].id) == choice_prefix(inbound.text)

    async def _send(self, chat_id: int, out: Outbound, ui: ChatUi) -> None:
        chunks = split_text(out.text)
        for chunk in chunks[:-1]:
            await self.call(SendMessage(chat_id=chat_id, text=chunk))
        last = chunks[-1]
        if out.ask_contact:
            await self.call(
                SendMessage(chat_id=chat_id, text=last, reply_markup=contact_keyboard(out))
            )
            ui.reply_keyboard_open = True
        elif ui.reply_keyboard_open:
            # Close the contact keyboard; an inline keyboard is added by an edit, since one
            # message cannot carry both kinds of markup.
            sent = await self.call(
                SendMessage(chat_id=chat_id, text=last, reply_markup=ReplyKeyboardRemove())
            )
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
        else:
            markup = inline_keyboard(out.choices) if out.choices else None
            sent = await self.call(SendMessage(chat_id=chat_id, text=last, reply_markup=markup))
            if out.choices:
                ui.menu_message_id = sent.message_id
        if out.attachment is not None:
            await self._send_attachment(chat_id, out)
        if out.location is not None:
            await self.call(
                SendLocation(
                    chat_id=chat_id,
                    latitude=out.location.latitude,
                    longitude=out.location.longitude,
                )
            )

    async def _send_attachment(self, chat_id: int, out: Outbound) -> None:
        assert out.attachment is not None
        item = out.attachment
        # A file Telegram already holds (a family's product photo) goes by its id; bytes we
        # made (an export) are uploaded.
        upload: str | BufferedInputFile = (
            item.file_id if item.file_id else BufferedInputFile(item.data, filename=item.filename)
        )
        caption: str | None = item.caption or None
        if caption is not None and visible_len(caption) > CAPTION_LIMIT:
            # Cutting a caption would lose words and could break its markup: the text goes
            # first as messages of its own, the file follows without a caption.
            for chunk in split_text(caption):
                await self.call(SendMessage(chat_id=chat_id, text=chunk))
            caption = None
        if item.kind == "photo":
            await self.call(SendPhoto(chat_id=chat_id, photo=upload, caption=caption))
        else:
            await self.call(SendDocument(chat_id=chat_id, document=upload, caption=caption))

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
