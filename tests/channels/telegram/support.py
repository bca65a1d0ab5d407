"""Runs the real TelegramService (polling or webhook, on aiogram or python-telegram-bot) against
the fake Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiohttp import web

from bot.channels.telegram_chat import TelegramChat
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.process.telegram import TelegramService
from bot.process.telegram_libs import open_client
from bot.runtime import Runtime
from fakes.telegram_api import FakeTelegramServer

JSON = dict[str, Any]


def stub_chat(client: Any, catalogs: Catalogs, unreachable: list[str]) -> TelegramChat:
    """The Telegram chat adapter over `client` with no engine behind it: tests hand it replies
    to deliver; chats the platform refuses for good are appended to `unreachable`."""

    async def handle(inbound: Inbound) -> list[Outbound]:
        return []

    async def mark_unreachable(channel: str, user: str) -> None:
        unreachable.append(user)

    async def first_time(channel: str, key: str) -> bool:
        return True

    return TelegramChat(client, handle, catalogs, mark_unreachable, first_time)


def typed_in(chat: int, update_id: int | str, text: str) -> Inbound:
    """A text someone typed in private chat `chat`."""
    return Inbound(
        channel="telegram",
        external_user_id=str(chat),
        chat_id=str(chat),
        update_id=str(update_id),
        kind=InboundKind.TEXT,
        text=text,
    )


def shown_text(message: JSON) -> str:
    """The words a message shows: its text, or the caption of a photo or file (a short text
    travels as the caption of its attachment, bot.channels.telegram_render)."""
    return str(message.get("text", message.get("caption", "")))


class TelegramUser:
    """One person in a private chat with the bot, driving it through the fake server."""

    def __init__(
        self,
        fake: FakeTelegramServer,
        tracker: DeliveryTracker,
        user_id: int,
        first_name: str = "User",
        language_code: str = "ar",
    ) -> None:
        self.fake = fake
        self.tracker = tracker
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code

    async def _wait(self, update_id: int) -> None:
        await self.tracker.wait(str(update_id))

    async def text(self, text: str) -> None:
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            uid = self.fake.user_command(
                self.id, name, args, first_name=self.first_name, language_code=self.language_code
            )
        else:
            uid = self.fake.user_text(
                self.id, text, first_name=self.first_name, language_code=self.language_code
            )
        await self._wait(uid)

    async def share_contact(self, phone: str, own: bool = True) -> None:
        uid = self.fake.user_contact(self.id, phone, contact_user_id=self.id if own else 1)
        await self._wait(uid)

    def bot_messages(self) -> list[JSON]:
        return [m for m in self.fake.messages_to(self.id) if m.get("from", {}).get("is_bot")]

    def live_menus(self) -> list[JSON]:
        return [m for m in self.bot_messages() if m.get("reply_markup")]

    def last_text(self) -> str:
        return shown_text(self.bot_messages()[-1])

    def texts_since(self, count: int) -> str:
        return "\n".join(shown_text(m) for m in self.bot_messages()[count:])

    async def press(self, value: str) -> None:
        """Tap the button whose callback data ends with ':<value>' on the live menu."""
        for message in reversed(self.live_menus()):
            for row in message["reply_markup"]["inline_keyboard"]:
                for button in row:
                    if button["callback_data"].rsplit(":", 1)[-1] == value:
                        uid = self.fake.user_callback(
                            self.id, button["callback_data"], message["message_id"]
                        )
                        await self._wait(uid)
                        return
        raise AssertionError(f"no live button {value!r}: {self.live_menus()}")


class DeliveryTracker:
    """Knows when the bot has finished replying to an update (no sleeping, no polling)."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        self._changed = asyncio.Condition()

    def wrap(self, service: TelegramService) -> None:
        original = service.channel.deliver

        async def deliver(
            chat_id: int, inbound: Inbound, replies: list[Outbound], pressed: int | None = None
        ) -> None:
            try:
                await original(chat_id, inbound, replies, pressed)
            finally:
                async with self._changed:
                    self.done.add(inbound.update_id)
                    self._changed.notify_all()

        service.channel.deliver = deliver  # type: ignore[method-assign]

    async def wait(self, update_id: str, timeout: float = 10.0) -> None:
        async def seen() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: update_id in self.done)

        await asyncio.wait_for(seen(), timeout)


def make_service(
    runtime: Runtime, fake: FakeTelegramServer, transport: str = "aiogram"
) -> TelegramService:
    """The service on `transport`'s client library, pointed at the fake as TELEGRAM_API_BASE
    points it."""
    return TelegramService(runtime, client=open_client(transport, fake.token, fake.base_url))


@asynccontextmanager
async def polling(
    runtime: Runtime, fake: FakeTelegramServer, tracker: DeliveryTracker, transport: str = "aiogram"
) -> AsyncIterator[TelegramService]:
    service = make_service(runtime, fake, transport)
    tracker.wrap(service)
    task = asyncio.create_task(service.run_polling(handle_signals=False))
    try:
        await fake.wait_for(lambda: fake.calls("getUpdates"))
        yield service
    finally:
        await service.stop()
        await task


@asynccontextmanager
async def webhook_server(service: TelegramService) -> AsyncIterator[str]:
    """The service's webhook app on 127.0.0.1; yields the URL to post updates to."""
    runner = web.AppRunner(service.webhook_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{service.webhook_path()}"
    finally:
        await runner.cleanup()
        await service.client.close()


def runtime_for(engine: Engine) -> Runtime:
    return Runtime(settings=engine.settings, db=engine.db, catalogs=engine.catalogs, engine=engine)


__all__ = ["DeliveryTracker", "TelegramBadRequest", "TelegramUser", "polling", "runtime_for"]


ARABIC_SIGNUP: list[tuple[str, str]] = [
    ("text", "سارة محمد الحارثي"),
    ("text", "١٠٠٠٠٠٠٠٠٨"),
    ("contact", "+966 51 234 5678"),
    ("press", "f"),
    ("text", "15/03/1420"),
    ("press", "hawiya"),
    ("press", "environment"),
    ("press", "media"),
    ("press", "_d"),
    ("text", "تصوير، مونتاج"),  # skills
    ("press", "we_evening"),
    ("press", "_d"),
    ("press", "_s"),
    ("press", "no"),  # no consent to keep access needs
    ("press", "yes"),
]


async def drive(user: TelegramUser, steps: list[tuple[str, str]]) -> None:
    for how, value in steps:
        if how == "text":
            await user.text(value)
        elif how == "contact":
            await user.share_contact(value)
        else:
            await user.press(value)
