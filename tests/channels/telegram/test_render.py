"""One renderer for both ways a message reaches Telegram: a direct reply (TelegramChat) and
an outbox notification (TelegramTransport). Each case is sent both ways to the fake Bot API,
which refuses what real Telegram refuses (HTML, 4,096 text and 1,024 caption UTF-16 units),
and must arrive the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.channels.telegram_chat import TelegramChat
from bot.channels.telegram_client import BotClient
from bot.channels.telegram_render import CAPTION_LIMIT, TEXT_LIMIT, render
from bot.channels.telegram_transport import TelegramTransport
from bot.core.html_split import visible_text
from bot.core.i18n import Catalogs
from bot.core.messages import Attachment, Choice, Inbound, InboundKind, Location, Outbound
from bot.delivery.transport import Delivery
from bot.process.telegram_libs import open_client
from fakes.telegram_api import FakeTelegramServer

JSON = dict[str, Any]
REPLY_CHAT = 5001
NOTICE_CHAT = 5002
EMOJI = "\U0001f600"  # two UTF-16 units
CHOICES = (Choice("m:yes", "نعم"), Choice("m:no", "لا"))
Send = Callable[[Outbound], Awaitable[None]]


@pytest.fixture
async def client(fake: FakeTelegramServer, transport: str) -> AsyncIterator[BotClient]:
    """Each case on both client libraries: the same calls must arrive the same."""
    fake.known_chat(REPLY_CHAT)
    fake.known_chat(NOTICE_CHAT)
    client = open_client(transport, fake.token, fake.base_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def both(client: BotClient, catalogs: Catalogs) -> Callable[[Outbound], Awaitable[None]]:
    """Sends one Outbound as a reply (to REPLY_CHAT) and as a notification (to NOTICE_CHAT)."""

    async def handle(inbound: Inbound) -> list[Outbound]:
        return []

    async def mark_unreachable(channel: str, user: str) -> None:
        raise AssertionError(f"unreachable {user}")

    async def first_time(channel: str, key: str) -> bool:
        return True

    channel = TelegramChat(client, handle, catalogs, mark_unreachable, first_time)
    transport = TelegramTransport(client)
    inbound = Inbound(
        channel="telegram",
        external_user_id=str(REPLY_CHAT),
        chat_id=str(REPLY_CHAT),
        update_id="1",
        kind=InboundKind.TEXT,
        text="x",
    )

    async def send(out: Outbound) -> None:
        await channel.deliver(REPLY_CHAT, inbound, [out])
        await transport.send(str(NOTICE_CHAT), out, Delivery())

    return send


def shape(message: JSON) -> JSON:
    """What the person sees, without ids and dates."""
    kept = ("text", "caption", "entities", "caption_entities", "reply_markup", "location")
    seen = {key: message[key] for key in kept if key in message}
    for media in ("photo", "document"):
        if media in message:
            seen["media"] = media
    return seen


def received(fake: FakeTelegramServer) -> list[JSON]:
    reply = [shape(m) for m in fake.messages_to(REPLY_CHAT)]
    notice = [shape(m) for m in fake.messages_to(NOTICE_CHAT)]
    assert reply == notice, "a reply and a notification must look the same"
    assert all(call.ok for call in fake.sent), [c.description for c in fake.sent if not c.ok]
    return reply


def photo(fake: FakeTelegramServer) -> Attachment:
    fake.user_photo(REPLY_CHAT)
    return Attachment(kind="photo", file_id=list(fake.files)[-1])


async def test_a_short_text_is_the_caption_with_the_keyboard_on_the_file(
    both: Send, fake: FakeTelegramServer
) -> None:
    text = "<b>كشك</b> رقم 3 &lt;الشمالي&gt; &amp; المدخل"
    await both(Outbound(text=text, choices=CHOICES, attachment=photo(fake)))
    [message] = received(fake)
    assert message["media"] == "photo"
    # Escaped user text arrives as typed; the markup is Telegram's, not literal tags.
    assert message["caption"] == "كشك رقم 3 <الشمالي> & المدخل"
    assert message["caption_entities"][0]["type"] == "bold"
    buttons = [
        b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["m:yes", "m:no"]


async def test_a_caption_of_exactly_1024_units_stays_a_caption(
    both: Send, fake: FakeTelegramServer
) -> None:
    text = EMOJI * (CAPTION_LIMIT // 2)  # 512 characters, 1,024 units
    await both(Outbound(text=text, attachment=photo(fake)))
    [message] = received(fake)
    assert message["caption"] == text


async def test_a_caption_one_unit_over_goes_first_as_text_then_the_bare_file(
    both: Send, fake: FakeTelegramServer
) -> None:
    text = "\u0634" + EMOJI * (CAPTION_LIMIT // 2)  # 513 characters, 1,025 units
    await both(Outbound(text=text, choices=CHOICES, attachment=photo(fake)))
    words, file = received(fake)
    assert words["text"] == text and "reply_markup" in words  # the keyboard stays on the text
    assert file["media"] == "photo" and "caption" not in file and "reply_markup" not in file


async def test_a_text_over_4096_units_is_split_before_the_file(
    both: Send, fake: FakeTelegramServer
) -> None:
    text = "<i>" + ("\u0639" * 99 + "\n") * 50 + "</i>"  # 5,000 units, italic throughout
    upload = Attachment(kind="document", filename="list.csv", data=b"a,b\n")
    await both(Outbound(text=text, choices=CHOICES, attachment=upload))
    first, second, file = received(fake)
    assert "".join([first["text"], second["text"]]).replace("\n", "") == visible_text(text).replace(
        "\n", ""
    )
    assert all(m["entities"][0]["type"] == "italic" for m in (first, second))
    assert "reply_markup" not in first and "reply_markup" in second
    assert file["media"] == "document" and "caption" not in file


async def test_a_files_own_caption_goes_with_it_and_the_text_before(
    both: Send, fake: FakeTelegramServer
) -> None:
    upload = Attachment(
        kind="document", filename="shift.ics", data=b"BEGIN:VCALENDAR", caption="📅"
    )
    await both(Outbound(text="وردية الجمعة", choices=CHOICES, attachment=upload))
    words, file = received(fake)
    assert words["text"] == "وردية الجمعة" and "reply_markup" in words
    assert file["caption"] == "📅"


async def test_a_map_pin_comes_last(both: Send, fake: FakeTelegramServer) -> None:
    where = Location(21.27, 40.41)
    await both(Outbound(text="المكان", attachment=photo(fake), location=where))
    file, pin = received(fake)
    assert file["caption"] == "المكان"
    assert pin["location"] == {"latitude": 21.27, "longitude": 40.41}


def test_the_calls_in_order_and_the_one_with_the_keyboard() -> None:
    long_text = "\u0634" * (TEXT_LIMIT + 10)
    out = Outbound(
        text=long_text,
        choices=CHOICES,
        attachment=Attachment(kind="photo", file_id="F"),
        location=Location(1.0, 2.0),
    )
    rendered = render(7, out, extra={"allow_paid_broadcast": True})
    kinds = [call.method for call in rendered.calls]
    assert kinds == ["sendMessage", "sendMessage", "sendPhoto", "sendLocation"]
    assert rendered.main == 1  # the text's last part carries the keyboard
    assert all(call.params.get("allow_paid_broadcast") for call in rendered.calls)
    short = render(7, Outbound(text="x", attachment=Attachment(kind="document", file_id="D")))
    [call] = short.calls
    assert call.method == "sendDocument" and call.params["caption"] == "x" and short.main == 0
