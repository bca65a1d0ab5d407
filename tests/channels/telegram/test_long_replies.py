"""Direct replies measured as Telegram measures them (UTF-16 units after HTML parsing): the
real client (aiogram and python-telegram-bot) against the fake Bot API, which refuses what real
Telegram refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram_chat import TelegramChat
from bot.core.html_split import visible_text
from bot.core.i18n import Catalogs
from bot.core.messages import Attachment, Inbound, Outbound
from bot.process.telegram_libs import open_client
from fakes.telegram_api import FakeTelegramServer
from tests.channels.telegram.support import stub_chat, typed_in

CHAT = 4242
EMOJI_HEAVY = "\U0001f600" * 700 + "\u0634" * 2800  # 3,500 characters, 4,200 units


@pytest.fixture
async def channel(
    fake: FakeTelegramServer, catalogs: Catalogs, transport: str
) -> AsyncIterator[TelegramChat]:
    fake.known_chat(CHAT)
    unreachable: list[str] = []
    client = open_client(transport, fake.token, fake.base_url)
    try:
        yield stub_chat(client, catalogs, unreachable)
    finally:
        await client.close()
    assert not unreachable


def inbound() -> Inbound:
    return typed_in(CHAT, 1, "x")


async def test_an_emoji_heavy_reply_arrives_whole_in_accepted_parts(
    channel: TelegramChat, fake: FakeTelegramServer
) -> None:
    bold = f"<b>{EMOJI_HEAVY}</b> &amp; \u0634"
    await channel.deliver(CHAT, inbound(), [Outbound(text=bold)])
    assert [c.description for c in fake.calls("sendMessage") if not c.ok] == []
    messages = fake.messages_to(CHAT)
    assert len(messages) == 2
    assert "".join(m["text"] for m in messages) == visible_text(bold)
    # The bold run goes on in the second message: the tag was closed and reopened.
    assert all(m["entities"][0]["type"] == "bold" for m in messages)


async def test_a_long_caption_goes_as_text_before_the_file(
    channel: TelegramChat, fake: FakeTelegramServer
) -> None:
    caption = "\u0634" + "\U0001f600" * 600  # 601 characters, 1,201 units
    document = Attachment(kind="document", filename="list.csv", data=b"a,b\n", caption=caption)
    await channel.deliver(CHAT, inbound(), [Outbound(text="\u0634", attachment=document)])
    assert all(c.ok for c in fake.sent)
    text, note, sent_file = fake.messages_to(CHAT)
    assert text["text"] == "\u0634" and note["text"] == caption
    assert "document" in sent_file and "caption" not in sent_file


async def test_a_short_caption_stays_a_caption(
    channel: TelegramChat, fake: FakeTelegramServer
) -> None:
    caption = "\U0001f600" * 512  # exactly 1,024 units
    document = Attachment(kind="document", filename="list.csv", data=b"a,b\n", caption=caption)
    await channel.deliver(CHAT, inbound(), [Outbound(text="\u0634", attachment=document)])
    assert all(c.ok for c in fake.sent)
    assert fake.messages_to(CHAT)[-1]["caption"] == caption
