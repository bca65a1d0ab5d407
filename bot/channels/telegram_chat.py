"""The Telegram chat, whichever client library carries it: updates become `Inbound`,
`Outbound` becomes messages.

Thin by design: no business rule lives here, only Telegram's shapes and limits (HTML parse
mode, inline keyboards, 4096 UTF-16 units per message, answering every callback query,
429/403, one live menu per chat). The library adapters (bot.channels.telegram for aiogram,
bot.channels.telegram_ptb for python-telegram-bot) hand their decoded updates to `on_message`
and `on_callback` and send the `Call`s through their `BotClient`; that is all they differ in.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.channels import lru
from bot.channels.lru import RECENT_CHATS
from bot.channels.telegram_client import (
    ApiError,
    Blocked,
    BotClient,
    Call,
    Refused,
    RetryLater,
    Unavailable,
)
from bot.channels.telegram_inbound import (
    CHANNEL,
    ChatLike,
    MessageLike,
    UserLike,
    callback_to_inbound,
    is_private,
    message_to_inbound,
)
from bot.channels.telegram_render import (
    REMOVE_KEYBOARD,
    TEXT_LIMIT,
    Markup,
    call,
    contact_keyboard,
    inline_keyboard,
    render,
)
from bot.core.choice_ids import choice_prefix
from bot.core.html_split import visible_len
from bot.core.i18n import Catalogs
from bot.core.messages import Inbound, Outbound

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
UI_CHATS = RECENT_CHATS  # chats whose last menu this process remembers
BACKOFF_START = 0.5

Handler = Callable[[Inbound], Awaitable[list[Outbound]]]


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


@dataclass(frozen=True)
class Pressed:
    """A callback query as both libraries give it: who pressed, on which message, what data.
    `chat` and `message_id` are None when Telegram no longer sends the message (too old)."""

    query_id: str
    user: UserLike
    chat: ChatLike | None
    message_id: int | None
    data: str | None

    @classmethod
    def of(cls, query: Any) -> Pressed:
        """From either library's CallbackQuery: both name these fields alike."""
        shown = query.message  # a Message, or an InaccessibleMessage (chat and id only)
        return cls(
            query_id=query.id,
            user=query.from_user,
            chat=shown.chat if shown is not None else None,
            message_id=shown.message_id if shown is not None else None,
            data=query.data,
        )


@dataclass
class ChatUi:
    """What this process last showed in a chat, so a chat never has two live menus."""

    menu_message_id: int | None = None
    reply_keyboard_open: bool = False


@dataclass
class TelegramChat:
    client: BotClient
    handle: Handler
    catalogs: Catalogs
    mark_unreachable: Callable[[str, str], Awaitable[None]]
    first_time: Callable[[str, str], Awaitable[bool]]
    # Told once an update's replies went out (the engine then forgets the saved copy kept
    # for a re-delivery after a crash: bot/core/replay.py).
    delivered: Callable[[Inbound], None] | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ui_chats: int = UI_CHATS
    _ui: OrderedDict[int, ChatUi] = field(default_factory=OrderedDict)
    _inflight: set[asyncio.Task[Any]] = field(default_factory=set)

    # --- calls with Telegram's error rules ---------------------------------------------------
    async def call(self, request: Call) -> int | None:
        delay = BACKOFF_START
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self.client.call(request)
            except RetryLater as exc:
                if attempt == MAX_ATTEMPTS:
                    raise
                await self.sleep(exc.retry_after)
            except Unavailable:
                if attempt == MAX_ATTEMPTS:
                    raise
                await self.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _quietly(self, request: Call) -> None:
        """For cosmetic calls (removing an old keyboard): a failure changes nothing important."""
        try:
            await self.call(request)
        except (Refused, Blocked, Unavailable) as exc:
            log.debug("ignored %s: %s", request.method, exc)

    # --- updates -----------------------------------------------------------------------------
    async def on_message(self, update_id: int, message: MessageLike) -> None:
        await self._track(self._on_message(update_id, message))

    async def on_callback(self, update_id: int, query: Pressed) -> None:
        await self._track(self._on_callback(update_id, query))

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

    async def _on_message(self, update_id: int, message: MessageLike) -> None:
        if not is_private(message.chat):
            await self._private_only(message.chat.id)
            return
        inbound = message_to_inbound(update_id, message)
        if inbound is None:
            return
        replies = await self.handle(inbound)
        await self.deliver(message.chat.id, inbound, replies)
        if self.delivered is not None:
            self.delivered(inbound)

    async def _on_callback(self, update_id: int, query: Pressed) -> None:
        # Answer first: Telegram shows a spinner until it is answered.
        await self._quietly(call("answerCallbackQuery", callback_query_id=query.query_id))
        if query.chat is None or query.message_id is None or not is_private(query.chat):
            return
        inbound = callback_to_inbound(update_id, query.user, query.chat.id, query.data)
        replies = await self.handle(inbound)
        await self.deliver(query.chat.id, inbound, replies, pressed=query.message_id)
        if self.delivered is not None:
            self.delivered(inbound)

    async def _private_only(self, chat_id: int) -> None:
        if not await self.first_time("telegram-group", str(chat_id)):
            return
        text = "\n\n".join(tr.t("telegram.private_only") for tr in self.catalogs.all_translators())
        try:
            await self.call(call("sendMessage", chat_id=chat_id, text=text))
        except (Refused, Blocked) as exc:
            log.info("could not tell group %s: %s", chat_id, exc)

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
        except Blocked:
            await self.mark_unreachable(CHANNEL, inbound.external_user_id)
        except ApiError as exc:
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
                call(
                    "editMessageText",
                    text=out.text,
                    parse_mode="HTML",
                    chat_id=chat_id,
                    message_id=pressed,
                    reply_markup=inline_keyboard(out.choices),
                )
            )
            ui.menu_message_id = pressed
            return
        old_menu = pressed if pressed is not None else ui.menu_message_id
        strip: asyncio.Task[None] | None = None
        if old_menu is not None:
            # No reply_markup at all: the message loses its keyboard. Off the reply's critical
            # path: the old message and the new one are different messages, so the screen ends
            # the same (one live menu) whichever call Telegram finishes first.
            strip = asyncio.create_task(
                self._quietly(call("editMessageReplyMarkup", chat_id=chat_id, message_id=old_menu))
            )
            ui.menu_message_id = None
        try:
            for out in merge_replies(replies):
                await self._send(chat_id, out, ui)
        except BaseException:
            if strip is not None:  # not left running: its failure is the reply's, reported
                await asyncio.gather(strip, return_exceptions=True)
            raise
        if strip is not None:
            await strip

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
            markup = REMOVE_KEYBOARD
        rendered = render(chat_id, out, markup)
        for index, request in enumerate(rendered.calls):
            sent = await self.call(request)
            if index != rendered.main:
                continue
            if out.ask_contact:
                ui.reply_keyboard_open = True
            elif closing:
                # One message cannot carry both kinds of markup: the inline keyboard is added
                # by an edit once the reply keyboard is closed.
                ui.reply_keyboard_open = False
                if out.choices and sent is not None:
                    await self.call(
                        call(
                            "editMessageReplyMarkup",
                            chat_id=chat_id,
                            message_id=sent,
                            reply_markup=inline_keyboard(out.choices),
                        )
                    )
                    ui.menu_message_id = sent
            elif out.choices:
                ui.menu_message_id = sent

    # --- set-up ------------------------------------------------------------------------------
    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        """`commands`: (name, description message id). The default list is in the default
        language; each language also gets its own list."""
        for locale in (None, *self.catalogs.locales):
            tr = self.catalogs.translator(locale)
            listed = [{"command": name, "description": tr.label(key)} for name, key in commands]
            await self.call(call("setMyCommands", commands=listed, language_code=locale))
