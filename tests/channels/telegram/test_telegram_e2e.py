"""End to end over HTTP: the real client library (aiogram and python-telegram-bot, each test on
both: the `transport` fixture), our service and engine, the fake Bot API."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from sqlalchemy import select

from bot.core.engine import Engine
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from storage.models import User, Volunteer
from tests.channels.telegram.support import (
    ARABIC_SIGNUP,
    DeliveryTracker,
    TelegramUser,
    drive,
    make_service,
    polling,
    runtime_for,
)
from tests.conftest import DatabaseFactory

SECRET = "s3cret-token_0123456789-abcdefghij"  # 35 of Telegram's secret characters


async def test_whole_arabic_signup_over_telegram(
    transport: str, fake: FakeTelegramServer, engine: Engine, db: Database
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        user = TelegramUser(fake, tracker, 1001, first_name="Sara")
        await user.text("/start")
        assert "اختر لغتك" in user.last_text()
        await user.press("ar")
        assert "إشعار الخصوصية" in user.last_text()
        await user.press("yes")
        await user.press("vol")
        await drive(user, ARABIC_SIGNUP[:2])
        # The mobile question asks for the contact with Telegram's request_contact button.
        keyboard = fake.reply_keyboard(1001)
        assert keyboard is not None
        assert keyboard["keyboard"][0][0].get("request_contact") is True
        await drive(user, ARABIC_SIGNUP[2:])
        assert fake.reply_keyboard(1001) is None  # the contact keyboard was closed
        assert "راجعي بيانات التسجيل" in user.last_text()
        await user.press("_ok")
        assert "تم تسجيلكِ متطوعةً" in user.texts_since(-2)
        # Never two live menus: only the main menu still has buttons.
        assert len(user.live_menus()) == 1
        assert not fake.pending_callbacks  # every button press was answered

    async with db.sessions() as session:
        vol = (await session.execute(select(Volunteer))).scalar_one()
    assert vol.full_name == "سارة محمد الحارثي"
    assert vol.national_id == "1000000008"
    assert vol.mobile == "+966512345678"
    assert vol.interests == ["environment", "media"]
    # Commands were published in Arabic (default) and English.
    assert fake.my_commands
    described = {d["description"] for cmds in fake.my_commands.values() for d in cmds}
    assert "المساعدة" in described and "Help" in described


async def test_someone_elses_contact_is_refused(
    transport: str, fake: FakeTelegramServer, engine: Engine, db: Database
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        user = TelegramUser(fake, tracker, 1002)
        await user.text("/start")
        await user.press("ar")
        await user.press("yes")
        await user.press("vol")
        await drive(user, ARABIC_SIGNUP[:2])
        await user.share_contact("+966512345678", own=False)
        assert "لشخص آخر" in user.texts_since(-2)
        assert fake.reply_keyboard(1002) is not None  # asked again, with the button


async def test_display_name_with_html_arrives_intact(
    transport: str, fake: FakeTelegramServer, engine: Engine
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        user = TelegramUser(fake, tracker, 1003, first_name="<b>Sara</b> & Co")
        await user.text("hello")
    # The fake parses HTML strictly (as Telegram does): the message was accepted and shows
    # the name exactly as typed.
    sent = [c for c in fake.calls("sendMessage") if c.ok]
    assert sent
    assert "<b>Sara</b> & Co" in user.bot_messages()[0]["text"]
    assert "&lt;b&gt;Sara&lt;/b&gt; &amp; Co" in sent[0].params["text"]


async def test_429_is_retried_and_the_reply_arrives(
    transport: str, fake: FakeTelegramServer, engine: Engine
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        fake.fail_next("sendMessage", error_code=429, retry_after=1)
        user = TelegramUser(fake, tracker, 1004)
        await user.text("/start")
        assert "اختر لغتك" in user.last_text()
    statuses = [c.status for c in fake.calls("sendMessage")]
    assert statuses[:2] == [429, 200]


async def test_network_failure_is_retried(
    transport: str, fake: FakeTelegramServer, engine: Engine
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        fake.drop_connection_next("sendMessage")
        user = TelegramUser(fake, tracker, 1005)
        await user.text("/start")
        assert "اختر لغتك" in user.last_text()


async def test_blocked_user_is_marked_unreachable(
    transport: str, fake: FakeTelegramServer, engine: Engine, db: Database
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport):
        user = TelegramUser(fake, tracker, 1006)
        fake.known_chat(1006)
        fake.block(1006)
        await user.text("/start")
    async with db.sessions() as session:
        person = (await session.execute(select(User))).scalar_one()
    assert person.unreachable is True


async def test_group_chats_are_told_once_to_use_private_chat(
    transport: str, fake: FakeTelegramServer, engine: Engine
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport) as service:
        fake.group_text(-500, 1007, "مرحبا")
        last = fake.group_text(-500, 1007, "مرحبا مرة أخرى")
        # Both updates fetched (the offset confirms them) and their handling finished.
        await fake.wait_for(
            lambda: any(c.params.get("offset", 0) > last for c in fake.calls("getUpdates"))
        )
        await service.channel.drain()
    group_messages = [m for m in fake.messages_to(-500) if m.get("from", {}).get("is_bot")]
    assert len(group_messages) == 1
    assert "المحادثات الخاصة" in group_messages[0]["text"]


async def test_restart_mid_form_continues_the_form(
    transport: str,
    fake: FakeTelegramServer,
    db_factory: DatabaseFactory,
    make_engine: Callable[..., Engine],
    db: Database,
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(make_engine()), fake, tracker, transport):
        user = TelegramUser(fake, tracker, 1008)
        await user.text("/start")
        await user.press("ar")
        await user.press("yes")
        await user.press("vol")
        await drive(user, ARABIC_SIGNUP[:5])
        assert "الحي" in user.last_text()

    # A new process: new engine, new database connections, same data and same chat.
    restarted = make_engine(db_factory.open())
    tracker = DeliveryTracker()
    async with polling(runtime_for(restarted), fake, tracker, transport):
        user = TelegramUser(fake, tracker, 1008)
        await drive(user, ARABIC_SIGNUP[5:])
        await user.press("_ok")
    async with db.sessions() as session:
        vol = (await session.execute(select(Volunteer))).scalar_one()
    assert vol.full_name == "سارة محمد الحارثي" and vol.district == "hawiya"


async def test_webhook_needs_the_secret_and_processes_once(
    transport: str, fake: FakeTelegramServer, make_engine: Callable[..., Engine], db: Database
) -> None:
    engine = make_engine(webhook_url="https://bot.example.invalid/tg/hook", webhook_secret=SECRET)
    service = make_service(runtime_for(engine), fake, transport)
    runner = web.AppRunner(service.webhook_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/tg/hook"
    try:
        update_id = fake.user_text(1009, "/start")
        update = fake.update(update_id)
        assert await fake.post_webhook(url, update) == 403
        assert await fake.post_webhook(url, update, secret="wrong") == 403
        assert await fake.post_webhook(url, update, secret=SECRET[:-1]) == 403
        assert await fake.post_webhook(url, update, secret=SECRET + "x") == 403
        assert not fake.calls("sendMessage")
        assert await fake.post_webhook(url, update, secret=SECRET) == 200
        assert len(fake.calls("sendMessage")) == 1
        # Telegram retries a webhook delivery it thinks failed: the same update, one effect.
        assert await fake.post_webhook(url, update, secret=SECRET) == 200
        assert len(fake.calls("sendMessage")) == 1
    finally:
        await runner.cleanup()
        await service.client.close()


async def test_long_replies_are_split_under_4096(fake: FakeTelegramServer, engine: Engine) -> None:
    from bot.channels.telegram import split_text
    from bot.core.html_split import visible_len

    text = "\n".join(f"<b>سطر</b> {i} " + "ع" * 90 for i in range(200))
    chunks = split_text(text)
    assert len(chunks) > 1
    # Tags weigh nothing: Telegram counts the visible text.
    assert all(visible_len(c) <= 4096 for c in chunks)
    # Cut at line ends, which stay at the end of their part.
    assert all(c.endswith("\n") for c in chunks[:-1])
    assert "".join(chunks) == text


async def test_stop_finishes_the_update_in_hand(
    transport: str, fake: FakeTelegramServer, engine: Engine, db: Database
) -> None:
    import asyncio

    from storage.models import Conversation

    entered, release = asyncio.Event(), asyncio.Event()
    service = make_service(runtime_for(engine), fake, transport)

    async def slow_handle(inbound):  # type: ignore[no-untyped-def]
        entered.set()
        await release.wait()
        return await engine.handle(inbound)

    service.channel.handle = slow_handle
    task = asyncio.create_task(service.run_polling(handle_signals=False))
    fake.user_text(2001, "/start")
    await asyncio.wait_for(entered.wait(), 10)
    stopping = asyncio.create_task(service.stop())  # what SIGTERM does
    await asyncio.sleep(0.05)
    assert not task.done()  # still waiting for the update in hand
    release.set()
    await asyncio.wait_for(asyncio.gather(stopping, task), 10)
    assert [c.status for c in fake.calls("sendMessage")] == [200]
    async with db.sessions() as session:
        assert (await session.execute(select(Conversation))).scalar_one().step == "pick"


async def test_only_the_most_recent_chats_menus_are_remembered(
    transport: str, fake: FakeTelegramServer, engine: Engine
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker, transport) as service:
        service.channel.ui_chats = 2
        first, second, third = (TelegramUser(fake, tracker, uid) for uid in (1201, 1202, 1203))
        for user in (first, second, third):
            await user.text("/start")
        await second.text("/start")
        assert len(second.live_menus()) == 1  # remembered: its old menu was closed
        await first.text("/start")
        # Forgotten (the process keeps the last two chats): the old menu stays, as after a
        # restart; its buttons still work (a stale press shows the current step again).
        assert len(first.live_menus()) == 2
