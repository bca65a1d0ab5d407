"""aiogram's raw path (a reply's sendMessage, edits, callback answers without aiogram's models)
sends what the model path sends and fails exactly as it fails, against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import bot.channels.telegram as aiogram_adapter
from bot.channels.telegram import AiogramClient, create_bot
from bot.channels.telegram_client import ApiError, Blocked, Call, Refused, RetryLater, Unavailable
from bot.channels.telegram_render import call, inline_keyboard
from bot.core.messages import Choice
from fakes.telegram_api import FakeTelegramServer

CHAT = 7001
KEYBOARD = inline_keyboard((Choice("m:a", "نعم"), Choice("m:_c", "إلغاء")))


@pytest.fixture
async def clients(fake: FakeTelegramServer) -> AsyncIterator[dict[str, AiogramClient]]:
    fake.known_chat(CHAT)
    made = {
        "raw": AiogramClient(create_bot(fake.token, fake.base_url)),
        "model": AiogramClient(create_bot(fake.token, fake.base_url), raw=False),
    }
    try:
        yield made
    finally:
        for client in made.values():
            await client.close()


def sent_params(fake: FakeTelegramServer, method: str) -> dict[str, Any]:
    """The last call's parameters, but the message id (each path edits its own message)."""
    return {k: v for k, v in fake.calls(method)[-1].params.items() if k != "message_id"}


async def test_the_same_requests_and_message_ids(
    clients: dict[str, AiogramClient], fake: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[Any]] = {}
    for name, client in clients.items():
        if name == "raw":  # no aiogram method model on the way out or back
            monkeypatch.setattr(aiogram_adapter, "to_method", None)
        else:
            monkeypatch.undo()
        # No parse_mode given: the bot's default (HTML) applies on both paths.
        menu = await client.call(
            call("sendMessage", chat_id=CHAT, text="<b>أ</b>", reply_markup=KEYBOARD)
        )
        send = sent_params(fake, "sendMessage")
        assert isinstance(menu, int)
        edited = await client.call(
            call(
                "editMessageText",
                chat_id=CHAT,
                message_id=menu,
                text="ب &amp; ج",
                reply_markup=KEYBOARD,
            )
        )
        edit = sent_params(fake, "editMessageText")
        stripped = await client.call(call("editMessageReplyMarkup", chat_id=CHAT, message_id=menu))
        strip = sent_params(fake, "editMessageReplyMarkup")
        seen[name] = [send, edit, strip, edited == menu, stripped == menu]
    monkeypatch.undo()
    assert seen["raw"] == seen["model"]
    assert seen["raw"][0]["parse_mode"] == "HTML"
    assert "reply_markup" not in seen["raw"][2]  # the keyboard is removed


Setup = Callable[[FakeTelegramServer], None]
ERRORS: dict[str, tuple[Setup, Call, type[ApiError]]] = {
    "400 refused": (lambda fake: None, call("sendMessage", chat_id=CHAT, text=" "), Refused),
    "429 retry later": (
        lambda fake: fake.fail_next("sendMessage", 429, retry_after=7),
        call("sendMessage", chat_id=CHAT, text="x"),
        RetryLater,
    ),
    "403 blocked": (
        lambda fake: fake.block(CHAT),
        call("sendMessage", chat_id=CHAT, text="x"),
        Blocked,
    ),
    "400 edit of no message": (
        lambda fake: None,
        call("editMessageReplyMarkup", chat_id=CHAT, message_id=999_999),
        Refused,
    ),
    "no answer": (
        lambda fake: fake.drop_connection_next("editMessageText"),
        call("editMessageText", chat_id=CHAT, message_id=1, text="x"),
        Unavailable,
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
async def test_errors_are_the_model_paths_errors(
    case: str, clients: dict[str, AiogramClient], fake: FakeTelegramServer
) -> None:
    setup, request, expected = ERRORS[case]
    raised: dict[str, ApiError] = {}
    for name, client in clients.items():
        setup(fake)
        with pytest.raises(ApiError) as caught:
            await client.call(request)
        raised[name] = caught.value
        fake.unblock(CHAT)
        fake.clock = (lambda later: lambda: later)(fake.clock() + 60)  # past any flood wait
    raw, model = raised["raw"], raised["model"]
    assert type(raw) is type(model) is expected
    assert str(raw) == str(model)
    if isinstance(raw, RetryLater) and isinstance(model, RetryLater):
        assert raw.retry_after == model.retry_after == 7
