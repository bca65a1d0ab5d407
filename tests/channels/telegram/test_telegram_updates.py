"""An update the Telegram library cannot decode never blocks the others, in polling and in
webhook mode, and is logged by id and field, never by its contents."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods import GetUpdates

from bot.channels.telegram import create_bot
from bot.channels.telegram_session import BAD_UPDATE_TRIES
from bot.core.engine import Engine
from bot.process.telegram import SECRET_HEADER, TelegramService
from fakes.telegram_api import FakeTelegramServer
from tests.channels.telegram.support import (
    DeliveryTracker,
    make_service,
    polling,
    runtime_for,
    webhook_server,
)

SECRET = "Wh-secret_0123456789abcdefghijklmnopqrstuvwxyz"
PRIVATE = "سري 0555123456"  # what must never reach a log line


@pytest.fixture
async def bot(fake: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = create_bot(fake.token, fake.base_url)
    yield bot
    await bot.session.close()


def assert_logged_safely(caplog: pytest.LogCaptureFixture, update_id: int) -> None:
    skipped = [r.getMessage() for r in caplog.records if str(update_id) in r.getMessage()]
    assert any("skipped" in line and "message.chat (missing)" in line for line in skipped), skipped
    assert "0555123456" not in caplog.text
    assert "سري" not in caplog.text


# --- polling -----------------------------------------------------------------------------------


async def test_a_bad_update_between_two_users_does_not_block_the_second(
    transport: str, fake: FakeTelegramServer, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        first = fake.user_command(2001, "start")
        bad = fake.user_undecodable(2002, PRIVATE)
        second = fake.user_command(2003, "start")
        await tracker.wait(str(first))
        await tracker.wait(str(second))
        # The bad update is confirmed too: Telegram will not send it again.
        await fake.wait_for(
            lambda: any(c.params.get("offset", 0) > bad for c in fake.calls("getUpdates"))
        )
    assert "اختر لغتك" in fake.messages_to(2001)[-1]["text"]
    assert "اختر لغتك" in fake.messages_to(2003)[-1]["text"]
    assert not fake.messages_to(2002)
    assert_logged_safely(caplog, bad)
    assert fake.token not in caplog.text  # (PTB's httpx logs request URLs, token and all)


async def test_a_bad_update_is_tried_a_few_times_then_skipped_in_order(
    fake: FakeTelegramServer, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """The session's part, driven the way aiogram's polling loop drives it."""
    first = fake.user_text(2101, "one")
    bad = fake.user_undecodable(2102, PRIVATE)
    after = fake.user_text(2103, "three")
    get = GetUpdates(timeout=0)
    batches: list[list[int]] = []
    for _ in range(BAD_UPDATE_TRIES):
        updates = await bot(get)
        batches.append([u.update_id for u in updates])
        if updates:  # what aiogram does after handing each update on
            get.offset = updates[-1].update_id + 1
    # Until the last try the update behind the bad one waits, so a chat's order holds.
    assert batches == [[first], *[[]] * (BAD_UPDATE_TRIES - 2), [after]]
    assert BAD_UPDATE_TRIES >= 2
    tries = [r.getMessage() for r in caplog.records if f"update {bad}:" in r.getMessage()]
    assert len(tries) == BAD_UPDATE_TRIES
    assert_logged_safely(caplog, bad)


async def test_a_bad_update_at_the_end_of_the_queue_is_confirmed(
    fake: FakeTelegramServer, bot: Bot
) -> None:
    good = fake.user_text(2201, "one")
    bad = fake.user_undecodable(2202, PRIVATE)
    get = GetUpdates(timeout=0)
    seen: list[int] = []
    for _ in range(BAD_UPDATE_TRIES):
        updates = await bot(get)
        seen += [u.update_id for u in updates]
        if updates:
            get.offset = updates[-1].update_id + 1
    assert seen == [good]
    # aiogram only moves the offset past updates it was given; the next call goes past it.
    later = fake.user_text(2203, "later")
    assert [u.update_id for u in await bot(get)] == [later]
    assert fake.calls("getUpdates")[-1].params["offset"] == bad + 1


# --- webhook -----------------------------------------------------------------------------------


@pytest.fixture
async def webhook(
    fake: FakeTelegramServer, make_engine: Callable[..., Engine]
) -> AsyncIterator[tuple[str, TelegramService]]:
    engine = make_engine(webhook_url="https://bot.example.invalid/tg/hook", webhook_secret=SECRET)
    service = make_service(runtime_for(engine), fake)
    async with webhook_server(service) as url:
        yield url, service


async def test_webhook_answers_200_to_a_bad_update_and_goes_on(
    fake: FakeTelegramServer,
    webhook: tuple[str, TelegramService],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    url, _ = webhook
    bad = fake.user_undecodable(2301, PRIVATE)
    # Anything but 200 and Telegram sends the same update again, forever.
    assert await fake.post_webhook(url, bad, secret=SECRET) == 200
    unknown = {"update_id": bad + 1, "a_future_kind": {"text": PRIVATE}}
    assert await fake.post_webhook(url, unknown, secret=SECRET) == 200
    assert not fake.calls("sendMessage")
    assert_logged_safely(caplog, bad)
    assert any(f"update {bad + 1}: no update type" in r.getMessage() for r in caplog.records)

    assert await fake.post_webhook(url, fake.user_command(2302, "start"), secret=SECRET) == 200
    assert "اختر لغتك" in fake.messages_to(2302)[-1]["text"]


async def test_webhook_answers_200_to_a_body_that_is_not_json(
    fake: FakeTelegramServer, webhook: tuple[str, TelegramService]
) -> None:
    url, _ = webhook
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=b"{not json", headers=headers) as response,
    ):
        assert response.status == 200
    assert not fake.calls("sendMessage")
