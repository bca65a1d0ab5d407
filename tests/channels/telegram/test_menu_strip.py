"""A typed answer's reply does not wait for the old menu's keyboard to be removed, yet the
chat ends with exactly one live menu, and nothing is left running when the reply is done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram_client import BotClient, Call
from bot.core.i18n import Catalogs
from bot.core.messages import Choice, Outbound
from bot.process.telegram_libs import open_client
from fakes.telegram_api import FakeTelegramServer
from tests.channels.telegram.support import stub_chat, typed_in

CHAT = 6001
MENU = (Choice("m:a", "أ"), Choice("m:b", "ب"))


class OrderedClient:
    """The real client (aiogram or PTB), noting when calls begin; the keyboard removal is held
    until the reply's sendMessage has returned, when that send has already begun. Run one after
    the other (removal first), the removal finds no send begun and is not held."""

    def __init__(self, inner: BotClient) -> None:
        self.inner = inner
        self.token = inner.token
        self.begun: list[str] = []
        self.sending = False
        self.sent = asyncio.Event()

    async def call(self, call: Call, timeout: float | None = None) -> int | None:
        self.begun.append(call.method)
        if call.method == "editMessageReplyMarkup" and self.sending:
            await self.sent.wait()
        if call.method != "sendMessage":
            return await self.inner.call(call, timeout)
        self.sending = True
        try:
            return await self.inner.call(call, timeout)
        finally:
            self.sending = False
            self.sent.set()

    async def close(self) -> None:
        await self.inner.close()

    def api_base(self) -> str:
        return self.inner.api_base()


@pytest.fixture
async def client(fake: FakeTelegramServer, transport: str) -> AsyncIterator[OrderedClient]:
    fake.known_chat(CHAT)
    client = OrderedClient(open_client(transport, fake.token, fake.base_url))
    try:
        yield client
    finally:
        await client.close()


async def test_the_reply_goes_out_while_the_old_keyboard_is_removed(
    client: OrderedClient, fake: FakeTelegramServer, catalogs: Catalogs
) -> None:
    chat = stub_chat(client, catalogs, [])
    await chat.deliver(CHAT, typed_in(CHAT, 1, "/start"), [Outbound(text="القائمة", choices=MENU)])
    client.begun.clear()

    await chat.deliver(CHAT, typed_in(CHAT, 2, "1"), [Outbound(text="التالي", choices=MENU)])

    # The reply's send began first: the removal was not on its critical path.
    assert client.begun == ["sendMessage", "editMessageReplyMarkup"]
    # And `deliver` returned with the removal done: one live menu, the newest message.
    mine = fake.messages_to(CHAT)
    live = [m for m in mine if m.get("reply_markup")]
    assert [m["message_id"] for m in live] == [mine[-1]["message_id"]]
    assert mine[-1]["text"] == "التالي"
    assert all(call.ok for call in fake.sent)


async def test_a_blocked_chat_leaves_no_removal_running(
    client: OrderedClient, fake: FakeTelegramServer, catalogs: Catalogs
) -> None:
    unreachable: list[str] = []
    chat = stub_chat(client, catalogs, unreachable)
    await chat.deliver(CHAT, typed_in(CHAT, 1, "/start"), [Outbound(text="القائمة", choices=MENU)])
    fake.block(CHAT)

    await chat.deliver(CHAT, typed_in(CHAT, 2, "1"), [Outbound(text="التالي", choices=MENU)])

    assert unreachable == [str(CHAT)]
    # The removal was waited for, not left behind (the fake's own connection tasks may be).
    running = [t.get_coro() for t in asyncio.all_tasks() if not t.done()]
    assert not [coro for coro in running if "TelegramChat" in getattr(coro, "__qualname__", "")]
    assert [c.method for c in fake.sent[-2:]] == ["sendMessage", "editMessageReplyMarkup"]
