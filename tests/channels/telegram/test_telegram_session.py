"""JsonBodySession: calls without files go as UTF-8 JSON; uploads stay multipart; errors are
aiogram's own exceptions."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pydantic._internal._model_construction as pydantic_models
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import EditMessageReplyMarkup, GetMe, SendDocument, SendMessage
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.channels.telegram import create_bot
from bot.channels.telegram_render import inline_keyboard
from bot.channels.telegram_session import JsonBodySession
from bot.core.messages import Choice
from fakes.telegram_api import FakeTelegramServer, UploadedFile

CHAT = 4242


@pytest.fixture
def fake(fake: FakeTelegramServer) -> FakeTelegramServer:
    fake.known_chat(CHAT)
    return fake


@pytest.fixture
async def bot(fake: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = create_bot(fake.token, fake.base_url)
    yield bot
    await bot.session.close()


def test_the_bot_uses_the_json_session() -> None:
    assert isinstance(create_bot("1:x").session, JsonBodySession)


async def test_a_message_with_a_keyboard_goes_as_one_json_document(
    fake: FakeTelegramServer, bot: Bot
) -> None:
    choices = (Choice("s:a", "نعم & <b>"), Choice("s:_c", "إلغاء"))
    sent = await bot(
        SendMessage(
            chat_id=CHAT,
            text="هل توافق؟ &amp;",
            reply_markup=InlineKeyboardMarkup.model_validate(inline_keyboard(choices)),
        )
    )

    call = fake.calls("sendMessage")[-1]
    assert call.content_type == "application/json"
    # Nested objects are JSON objects, not JSON strings; the bot's default parse mode is set.
    assert call.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "نعم & <b>",
        "callback_data": "s:a",
    }
    assert call.params["parse_mode"] == "HTML"
    assert sent.text == "هل توافق؟ &"
    assert sent.reply_markup is not None


def test_the_body_is_utf8_and_leaves_out_what_aiogram_leaves_out() -> None:
    session = JsonBodySession()
    bot = Bot("1:x", session=session)
    body = session.json_body(bot, EditMessageReplyMarkup(chat_id=CHAT, message_id=7))
    assert body is not None
    assert json.loads(body) == {"chat_id": CHAT, "message_id": 7}  # no reply_markup: removed
    text_body = session.json_body(bot, SendMessage(chat_id=CHAT, text="مرحبا"))
    assert text_body is not None
    assert "مرحبا".encode() in text_body  # not \\u escapes: half the bytes


async def test_a_call_without_parameters_has_no_body(fake: FakeTelegramServer, bot: Bot) -> None:
    me = await bot(GetMe())
    assert me.is_bot
    assert fake.calls("getMe")[-1].params == {}


async def test_an_upload_keeps_the_multipart_form(fake: FakeTelegramServer, bot: Bot) -> None:
    document = BufferedInputFile(b"a,b\n1,2\n", filename="report.csv")
    await bot(SendDocument(chat_id=CHAT, document=document, caption="تقرير"))

    call = fake.calls("sendDocument")[-1]
    assert call.content_type == "multipart/form-data"
    upload = call.params["document"]
    assert isinstance(upload, UploadedFile)
    assert upload.content == b"a,b\n1,2\n"
    assert call.params["caption"] == "تقرير"


async def test_errors_are_aiograms_exceptions(fake: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot(SendMessage(chat_id=CHAT, text=" "))

    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot(SendMessage(chat_id=CHAT, text="x"))
    assert retry.value.retry_after == 3
    waited = fake.clock() + 3
    fake.clock = lambda: waited  # the fake refuses the chat until retry_after has passed

    fake.block(CHAT)
    with pytest.raises(TelegramForbiddenError):
        await bot(SendMessage(chat_id=CHAT, text="x"))


async def test_answer_classes_survive_the_collector(
    fake: FakeTelegramServer, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pydantic caches `Response[Message]` weakly and the class sits in reference cycles: freed
    # by a collection, it would be built again (schema and all) by the next call.
    keyboard = InlineKeyboardMarkup.model_validate(inline_keyboard((Choice("s:a", "أ"),)))

    async def menu_then_no_menu(text: str) -> None:
        sent = await bot(SendMessage(chat_id=CHAT, text=text, reply_markup=keyboard))
        await bot(EditMessageReplyMarkup(chat_id=CHAT, message_id=sent.message_id))

    await menu_then_no_menu("a")
    kept = weakref.ref(Response[Message])
    builds = 0
    original = pydantic_models.complete_model_class

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal builds
        builds += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(pydantic_models, "complete_model_class", counting)
    for n in range(5):
        gc.collect()
        await menu_then_no_menu(f"b{n}")
    assert kept() is Response[Message]
    assert builds == 0
