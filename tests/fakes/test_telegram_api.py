"""The fake Telegram Bot API, exercised through the real aiogram Bot over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from fakes.telegram_api import FakeTelegramServer, UploadedFile, parse_html, utf16_len

TOKEN = "123456:TEST"
USER = 1001


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(token=TOKEN) as server:
        yield server


def make_bot(fake: FakeTelegramServer, token: str = TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(token, session=session)


@pytest.fixture
async def bot(fake: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = make_bot(fake)
    yield bot
    await bot.session.close()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    buttons = [[InlineKeyboardButton(text=f"b{i}", callback_data=d)] for i, d in enumerate(data)]
    return InlineKeyboardMarkup(inline_keyboard=buttons)


# ---------------------------------------------------------------- basics


async def test_get_me(bot: Bot, fake: FakeTelegramServer) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "shuraka_test_bot")
    assert fake.calls("getme")[0].ok


async def test_send_message_and_read_it_back(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.user_text(USER, "سلام")
    first = await bot.send_message(USER, "أهلاً بك", reply_markup=keyboard("menu:1"))
    second = await bot.send_message(USER, "second")

    assert first.chat.id == USER and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == 123456
    assert second.message_id == first.message_id + 1
    messages = fake.messages_to(USER)
    assert [m["text"] for m in messages] == ["أهلاً بك", "second"]
    assert messages[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "menu:1"
    assert "reply_markup" not in messages[1]
    call = fake.calls("sendMessage")[0]
    assert call.params["chat_id"] == USER and call.params["text"] == "أهلاً بك"
    assert isinstance(call.params["reply_markup"], dict)  # the JSON string was decoded


async def test_unknown_token_is_unauthorized(fake: FakeTelegramServer) -> None:
    other = make_bot(fake, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await other.get_me()
    finally:
        await other.session.close()


async def test_raw_http_json_get_and_case_insensitive_methods(fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    base = f"{fake.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/SENDMESSAGE", json={"chat_id": USER, "text": "hi"}) as r:
            assert r.status == 200
            assert (await r.json())["result"]["text"] == "hi"
        async with http.get(f"{base}/getMe") as r:
            assert (await r.json())["result"]["id"] == 123456
        async with http.post(f"{base}/noSuchMethod") as r:
            body = await r.json()
            assert r.status == 404
            assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{fake.base_url}/file/bot{TOKEN}/nothing/here") as r:
            assert r.status == 404


# ---------------------------------------------------------------- formatting and limits


async def test_html_bold_and_escaped_ampersand(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    message = await bot.send_message(USER, "<b>Taif</b> &amp; أهلاً", parse_mode="HTML")

    assert message.text == "Taif & أهلاً"
    assert message.entities is not None
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 4)]
    assert fake.calls("sendMessage")[0].params["text"] == "<b>Taif</b> &amp; أهلاً"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Q&A", "bare '&'"),
    ],
)
async def test_broken_html_is_refused(
    bot: Bot, fake: FakeTelegramServer, html: str, reason: str
) -> None:
    fake.known_chat(USER)
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(USER, html, parse_mode="HTML")
    assert caught.value.message.startswith("Bad Request: can't parse entities: ")
    assert reason in caught.value.message
    assert fake.messages_to(USER) == []
    assert fake.calls("sendMessage")[0].status == 400


def test_html_parser_details() -> None:
    text, entities = parse_html(
        '<a href="https://x.sa">link</a> <pre><code class="language-python">p</code></pre>'
        " <tg-spoiler>s</tg-spoiler> &#1588;&lt;&quot; 😀<i>i</i>"
    )
    assert text == 'link p s ش<" 😀i'
    assert entities == [
        {"offset": 0, "length": 4, "type": "text_link", "url": "https://x.sa"},
        {"offset": 5, "length": 1, "type": "pre", "language": "python"},
        {"offset": 7, "length": 1, "type": "spoiler"},
        {"offset": 15, "length": 1, "type": "italic"},  # the emoji counts 2 UTF-16 units
    ]
    assert parse_html("Q&A", strict_ampersand=False) == ("Q&A", [])
    assert utf16_len("😀ش") == 3


async def test_text_limit_counts_utf16_after_html(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    await bot.send_message(USER, "ش" * 4096)
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    for too_long in ("x" * 4097, "😀" * 2049):
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(USER, too_long)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b></b>", parse_mode="HTML")
    assert len(fake.messages_to(USER)) == 2


async def test_issue_11_announcement_and_captions_are_measured_like_telegram(
    bot: Bot, fake: FakeTelegramServer
) -> None:
    fake.known_chat(USER)
    # 3,500 characters (our old check and split passed it whole) but 4,200 UTF-16 units.
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "😀" * 700 + "ش" * 2800)
    await bot.send_message(USER, "&amp;" * 4096, parse_mode="HTML")  # one unit each
    upload = BufferedInputFile(b"a", filename="a.csv")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(USER, upload, caption="😀" * 513)
    await bot.send_document(USER, upload, caption="<b>" + "😀" * 512 + "</b>", parse_mode="HTML")
    assert len(fake.messages_to(USER)) == 2


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    await bot.send_message(USER, "ok", reply_markup=keyboard("x" * 64))
    for data in ("x" * 65, "ش" * 33):  # 33 Arabic letters are 66 UTF-8 bytes
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(USER, "refused", reply_markup=keyboard(data))
    assert [m["text"] for m in fake.messages_to(USER)] == ["ok"]


async def test_reply_keyboard_state(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    contact_button = KeyboardButton(text="رقمي", request_contact=True)
    markup = ReplyKeyboardMarkup(keyboard=[[contact_button]], resize_keyboard=True)
    message = await bot.send_message(USER, "share", reply_markup=markup)
    assert message.reply_markup is None  # Telegram echoes only inline keyboards
    shown = fake.reply_keyboard(USER)
    assert shown is not None and shown["keyboard"][0][0]["request_contact"] is True
    await bot.send_message(USER, "thanks", reply_markup=ReplyKeyboardRemove())
    assert fake.reply_keyboard(USER) is None


# ---------------------------------------------------------------- errors and faults


async def test_retry_after(bot: Bot, fake: FakeTelegramServer) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    fake.known_chat(USER)
    fake.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "first try")
    assert caught.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in caught.value.message
    now[0] += 5
    with pytest.raises(TelegramRetryAfter) as caught:  # retry_after not waited out
        await bot.send_message(USER, "too early")
    assert caught.value.retry_after == 2
    now[0] += 2
    await bot.send_message(USER, "after the wait")
    assert [c.status for c in fake.calls("sendMessage")] == [429, 429, 200]


async def test_a_chats_429_holds_that_chat_only(bot: Bot, fake: FakeTelegramServer) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    fake.known_chat(USER)
    fake.known_chat(USER + 1)
    fake.fail_next("sendMessage", error_code=429, retry_after=3, chat_id=USER)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER, "x")
    await bot.send_message(USER + 1, "another chat goes through")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER, "still held")
    now[0] += 3
    await bot.send_message(USER, "released")


async def test_server_errors_and_chat_filter(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    fake.known_chat(USER + 1)
    fake.fail_next("*", error_code=502, times=2, chat_id=USER)
    await bot.send_message(USER + 1, "other chat unaffected")
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
    fake.fail_next("sendMessage", error_code=500)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "recovered")


async def test_blocked_user_and_kicked_group(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.user_text(USER, "hi")
    fake.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(USER, "typing")
    fake.group_text(-500, USER, "hello group")
    fake.block(-500)
    with pytest.raises(TelegramForbiddenError, match="kicked from the group chat"):
        await bot.send_message(-500, "x")
    fake.unblock(USER)
    await bot.send_message(USER, "back")


async def test_chat_not_found(bot: Bot, fake: FakeTelegramServer) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(4242, "nobody wrote to me")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message("@channel", "x")
    fake.known_chat(4242)
    await bot.send_message(4242, "now known")


async def test_dropped_connection_is_a_network_error(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    fake.drop_connection_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "lost")
    await bot.send_message(USER, "retried")
    assert [c.status for c in fake.calls("sendMessage")] == [0, 200]
    assert [m["text"] for m in fake.messages_to(USER)] == ["retried"]


async def test_emulated_rate_limits(bot: Bot, fake: FakeTelegramServer) -> None:
    for chat_id in range(1, 5):
        fake.known_chat(chat_id)
    fake.emulate_limits(global_per_sec=3, per_chat_per_sec=1)
    await bot.send_message(1, "a")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(1, "same chat, same second")
    assert caught.value.retry_after == 1
    await bot.send_message(2, "b")
    await bot.send_message(3, "c")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(4, "4th send within a second")
    await bot.send_chat_action(4, "typing")  # not a message: not limited
    fake.emulate_limits(enabled=False)
    await bot.send_message(4, "limits off")


# ---------------------------------------------------------------- editing


async def test_edit_and_delete(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.user_text(USER, "hi")
    sent = await bot.send_message(USER, "v1", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("v2", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "v2" and edited.edit_date
    [live] = fake.messages_to(USER)
    assert live["text"] == "v2" and "reply_markup" not in live  # no markup = keyboard removed

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("v2", chat_id=USER, message_id=sent.message_id)
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("b")
    )
    assert fake.messages_to(USER)[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "b0"
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)

    assert await bot.delete_message(USER, sent.message_id)
    assert fake.messages_to(USER) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


# ---------------------------------------------------------------- updates


async def test_get_updates_offset_semantics(bot: Bot, fake: FakeTelegramServer) -> None:
    ids = [fake.user_text(USER, f"m{i}") for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3

    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates()] == ids  # nothing confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # ids[0] is gone
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert await bot.get_updates(offset=ids[2] + 1) == []
    assert await bot.get_updates() == []  # confirmed forever

    later = fake.user_text(USER, "later")
    assert [u.update_id for u in await bot.get_updates(offset=ids[0])] == [later]


async def test_long_poll_is_woken_by_a_pushed_update(bot: Bot, fake: FakeTelegramServer) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.calls("getUpdates"))
    await asyncio.sleep(0.05)
    assert not poll.done()

    started = time.monotonic()
    update_id = fake.user_text(USER, "wake up")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "wake up"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3


async def test_newer_poll_terminates_older_one(bot: Bot, fake: FakeTelegramServer) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.calls("getUpdates"))
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_allowed_updates_filters_new_updates(bot: Bot, fake: FakeTelegramServer) -> None:
    sent = await _bot_message_with_keyboard(bot, fake)
    await bot.get_updates(allowed_updates=["message"])
    fake.user_callback(USER, "menu:1", sent.message_id)
    text_id = fake.user_text(USER, "text")
    assert [u.update_id for u in await bot.get_updates()] == [text_id]


async def test_update_builders_produce_valid_updates(bot: Bot, fake: FakeTelegramServer) -> None:
    sent = await _bot_message_with_keyboard(bot, fake)
    ids = [
        fake.user_text(USER, "نص", first_name="Sara", language_code="ar"),
        fake.user_command(USER, "start", "ref42"),
        fake.user_contact(USER, "+966500000000", contact_user_id=USER),
        fake.user_location(USER, 21.27, 40.41),
        fake.user_document(USER, "cv.pdf", b"%PDF"),
        fake.user_photo(USER),
        fake.user_callback(USER, "menu:1", sent.message_id),
        fake.group_text(-100, USER, "in a group"),
    ]
    updates = [Update.model_validate(fake.update(i), context={"bot": bot}) for i in ids]
    text, command, contact, location, document, photo, callback, group = updates
    assert text.message and text.message.from_user and text.message.from_user.first_name == "Sara"
    assert command.message and command.message.text == "/start ref42"
    assert command.message.entities and command.message.entities[0].type == "bot_command"
    assert contact.message and contact.message.contact
    assert contact.message.contact.user_id == USER
    assert location.message and location.message.location
    assert location.message.location.latitude == 21.27
    assert document.message and document.message.document
    assert document.message.document.file_name == "cv.pdf"
    assert photo.message and photo.message.photo
    assert callback.callback_query and callback.callback_query.data == "menu:1"
    assert isinstance(callback.callback_query.message, Message)
    assert callback.callback_query.message.message_id == sent.message_id
    assert group.message and group.message.chat.type == "group"
    assert [u.update_id for u in await bot.get_updates()] == ids

    file = await bot.get_file(document.message.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"%PDF"


async def test_an_undecodable_update_fails_a_stock_aiogram_batch(
    bot: Bot, fake: FakeTelegramServer
) -> None:
    fake.user_text(USER, "one")
    bad = fake.user_undecodable(USER, "two")
    assert "chat" not in fake.update(bad)["message"]
    assert fake.update(bad)["message"]["text"] == "two"
    # aiogram decodes the batch as a whole: one bad update and nobody's update gets through.
    with pytest.raises(ClientDecodeError):
        await bot.get_updates()
    with pytest.raises(KeyError):
        fake.user_undecodable(USER, "three", drop="no_such_field")


async def test_user_message_ids_share_the_chat_sequence(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.user_text(USER, "one")
    reply = await bot.send_message(USER, "two")
    fake.user_text(USER, "three")
    updates = await bot.get_updates()
    assert [u.message.message_id for u in updates if u.message] == [1, 3]
    assert reply.message_id == 2


# ---------------------------------------------------------------- callbacks


async def _bot_message_with_keyboard(bot: Bot, fake: FakeTelegramServer) -> Message:
    fake.known_chat(USER)
    return await bot.send_message(USER, "choose", reply_markup=keyboard("menu:1"))


async def test_callback_is_answered_once(bot: Bot, fake: FakeTelegramServer) -> None:
    sent = await _bot_message_with_keyboard(bot, fake)
    fake.user_callback(USER, "menu:1", sent.message_id)
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    query_id = update.callback_query.id
    assert fake.pending_callbacks == {query_id}

    assert await bot.answer_callback_query(query_id, text="تم") is True
    assert fake.pending_callbacks == set()
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("12345")
    with pytest.raises(LookupError):
        fake.user_callback(USER, "menu:1", message_id=999)


# ---------------------------------------------------------------- webhooks


async def test_webhook_blocks_get_updates(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.user_text(USER, "pending")
    assert await bot.set_webhook("https://example.test/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.test/hook" and info.pending_update_count == 1
    assert fake.webhook is not None and fake.webhook["secret_token"] == "s3cret"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == []


@pytest.mark.parametrize("in_background", [True, False])
async def test_post_webhook_to_an_aiogram_app(
    bot: Bot, fake: FakeTelegramServer, in_background: bool
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> Any:
        if in_background:
            return await message.answer(f"echo: {message.text}")
        return message.answer(f"echo: {message.text}")  # method returned in the webhook reply

    app = web.Application()
    handler = SimpleRequestHandler(
        dispatcher, bot, handle_in_background=in_background, secret_token="s3cret"
    )
    handler.register(app, path="/hook")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        update_id = fake.user_text(USER, "مرحبا")
        assert await fake.post_webhook(url, update_id, secret="wrong") == 401
        assert await fake.post_webhook(url, update_id, secret="s3cret") == 200
        [reply] = await fake.wait_for_message(USER)
        assert reply["text"] == "echo: مرحبا"
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- files and commands


async def test_send_document_multipart_is_stored(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    upload = BufferedInputFile(b"id,name\n1,\xd8\xb4\n", filename="report.csv")
    message = await bot.send_document(USER, upload, caption="<i>تقرير</i>", parse_mode="HTML")

    assert message.document is not None and message.document.file_name == "report.csv"
    assert message.caption == "تقرير"
    [stored] = fake.uploads
    assert (stored.file_name, stored.content) == ("report.csv", b"id,name\n1,\xd8\xb4\n")
    params = fake.calls("sendDocument")[0].params
    # aiogram labels every file part application/octet-stream, whatever the file name
    assert params["document"] == UploadedFile("report.csv", stored.content)

    again = await bot.send_document(USER, message.document.file_id)  # re-send by file_id
    assert again.document is not None and again.document.file_id == message.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")


async def test_send_photo(bot: Bot, fake: FakeTelegramServer) -> None:
    fake.known_chat(USER)
    message = await bot.send_photo(USER, BufferedInputFile(b"\xff\xd8jpeg", filename="p.jpg"))
    assert message.photo is not None and message.photo[-1].file_id
    assert fake.uploads[0].content == b"\xff\xd8jpeg"
    assert await bot.send_chat_action(USER, "upload_photo")


async def test_commands(bot: Bot, fake: FakeTelegramServer) -> None:
    assert await bot.set_my_commands([BotCommand(command="start", description="ابدأ")])
    scope = BotCommandScopeChat(chat_id=USER)
    await bot.set_my_commands(
        [BotCommand(command="help", description="h")], scope=scope, language_code="ar"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    scoped = await bot.get_my_commands(scope=scope, language_code="ar")
    assert [c.command for c in scoped] == ["help"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])


async def test_close_and_log_out(bot: Bot) -> None:
    assert await bot.close() is True
    assert await bot.log_out() is True


# ---------------------------------------------------------------- waiting and polling


async def test_wait_for_message_times_out_with_context(fake: FakeTelegramServer) -> None:
    with pytest.raises(TimeoutError, match="condition not met"):
        await fake.wait_for_message(USER, timeout=0.1)


async def test_dispatcher_polling_echo(bot: Bot, fake: FakeTelegramServer) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    polling = asyncio.create_task(
        dispatcher.start_polling(bot, polling_timeout=5, handle_signals=False)
    )
    fake.user_text(USER, "ping")
    [reply] = await fake.wait_for_message(USER, timeout=5)
    assert reply["text"] == "echo: ping"

    fake.user_text(USER, "pong")
    await fake.wait_for_message(USER, count=2, timeout=5)
    await dispatcher.stop_polling()
    await asyncio.wait_for(polling, 5)
    assert fake.calls("getMe")  # aiogram calls getMe before polling
    assert fake.calls("getUpdates")[0].params["allowed_updates"] == ["message"]
