"""A voice note gets a polite answer in words and the same question again (issue 15 §6), over
Telegram (voice and audio) and WhatsApp (audio), through the fake servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.core.engine import Engine
from bot.process.whatsapp import WhatsAppService
from fakes.telegram_api import FakeTelegramServer
from fakes.whatsapp_api import FakeWhatsAppServer
from tests.channels.telegram.support import DeliveryTracker, TelegramUser, polling, runtime_for
from tests.channels.whatsapp.support import WhatsAppUser, make_service, serve

SORRY = "لا نستطيع الاستماع إلى الرسائل الصوتية"
NAME_QUESTION = "اسمك الكامل"
ID_QUESTION = "رقم الهوية"


async def test_telegram_voice_and_audio_are_answered_in_words(
    fake: FakeTelegramServer, engine: Engine
) -> None:
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker):
        user = TelegramUser(fake, tracker, 1501)
        await user.text("/start")
        await user.press("ar")
        await user.press("yes")
        await user.press("vol")
        assert NAME_QUESTION in user.last_text()
        seen = len(user.bot_messages())
        await tracker.wait(str(fake.user_voice(1501)))
        said = user.texts_since(seen)
        assert SORRY in said and "اكتب" in said
        assert NAME_QUESTION in user.last_text()  # the same step, asked again
        seen = len(user.bot_messages())
        await tracker.wait(str(fake.user_voice(1501, audio=True)))
        assert SORRY in user.texts_since(seen)
        # The step was kept: the typed name is taken and the next question follows.
        await user.text("سارة محمد الحارثي")
        assert ID_QUESTION in user.last_text()


@pytest.fixture
async def wa_fake() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as server:
        yield server


@pytest.fixture
async def whatsapp(
    wa_fake: FakeWhatsAppServer, make_engine: Callable[..., Engine]
) -> AsyncIterator[tuple[WhatsAppService, str]]:
    service = make_service(wa_fake, make_engine, whatsapp_sender_rate=60)
    try:
        async with serve(service) as url:
            yield service, url
    finally:
        await service.client.close()


async def test_whatsapp_audio_is_answered_in_words(
    wa_fake: FakeWhatsAppServer, whatsapp: tuple[WhatsAppService, str]
) -> None:
    service, url = whatsapp
    user = WhatsAppUser(wa_fake, service, url, "966512345600")
    await user.text("السلام عليكم")
    await user.press("ar")
    await user.press("yes")
    await user.press("vol")
    assert NAME_QUESTION in (user.last().text or "")
    before = len(wa_fake.messages_to(user.wa_id))
    voice = {"mime_type": "audio/ogg; codecs=opus", "id": "777001", "voice": True}
    await user.post(wa_fake.user_message(user.wa_id, "audio", voice))
    said = "\n".join(m.text or "" for m in wa_fake.messages_to(user.wa_id)[before:])
    assert SORRY in said
    assert NAME_QUESTION in (user.last().text or "")
    await user.text("سارة محمد الحارثي")
    assert ID_QUESTION in (user.last().text or "")
