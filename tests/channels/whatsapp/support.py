"""Helpers for the WhatsApp service tests: a service on its own database and settings, its
webhook on 127.0.0.1, and the volunteer sign-up as a fake WhatsApp user goes through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.core.engine import Engine
from bot.process.whatsapp import WEBHOOK_PATH, WhatsAppService
from fakes.whatsapp_api import FakeWhatsAppServer
from storage.db import Database
from tests.channels.telegram.support import runtime_for

__all__ = ["WhatsAppUser", "make_service", "serve", "sign_up"]


class WhatsAppUser:
    """A person on WhatsApp: posts signed webhooks through the fake and reads its replies."""

    def __init__(self, fake: FakeWhatsAppServer, service: WhatsAppService, url: str, wa_id: str):
        self.fake, self.service, self.url, self.wa_id = fake, service, url, wa_id

    async def post(self, built: Any) -> None:
        assert await self.fake.post_webhook(self.url, built) == 200
        await self.service.process_pending()

    async def text(self, text: str) -> None:
        await self.post(self.fake.user_text(self.wa_id, text, name="Sara"))

    def last(self) -> Any:
        return self.fake.messages_to(self.wa_id)[-1]

    def options(self) -> list[dict[str, Any]]:
        for message in reversed(self.fake.messages_to(self.wa_id)):
            if message.reply_options:
                return message.reply_options
        return []

    async def press(self, value: str) -> None:
        for message in reversed(self.fake.messages_to(self.wa_id)):
            for option in message.reply_options:
                if option["id"].rsplit(":", 1)[-1] == value or option["id"] == value:
                    kind = message.payload["interactive"]["type"]
                    if kind == "button":
                        built = self.fake.user_button_reply(self.wa_id, option["id"])
                    else:
                        built = self.fake.user_list_reply(self.wa_id, option["id"])
                    await self.post(built)
                    return
        raise AssertionError(f"no option {value!r}: {self.options()}")


def make_service(
    fake: FakeWhatsAppServer,
    make_engine: Callable[..., Engine],
    database: Database | None = None,
    **settings: Any,
) -> WhatsAppService:
    engine = make_engine(
        database,
        whatsapp_token=fake.token,
        whatsapp_phone_number_id=fake.phone_number_id,
        whatsapp_app_secret=fake.app_secret,
        whatsapp_verify_token=fake.verify_token,
        whatsapp_api_base=fake.graph_url,
        **settings,
    )
    return WhatsAppService(runtime_for(engine))


@asynccontextmanager
async def serve(service: WhatsAppService) -> AsyncIterator[str]:
    """The service's webhook on a free port; yields its URL."""
    runner = web.AppRunner(service.webhook_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
    finally:
        await runner.cleanup()


async def sign_up(user: WhatsAppUser, name: str, national_id: str) -> None:
    """The whole volunteer sign-up in Arabic, the sender's own number confirmed."""
    await user.text("السلام عليكم")
    await user.press("ar")
    await user.press("yes")
    await user.press("vol")
    await user.text(name)
    await user.text(national_id)
    await user.press("_me")
    await user.press("f")
    await user.text("15/03/1420")
    await user.press("hawiya")
    await user.press("environment")
    await user.press("_d")
    await user.press("_s")  # skills
    await user.press("we_evening")
    await user.press("_d")
    await user.press("_s")
    await user.press("no")  # no consent to keep access needs
    await user.press("yes")
    await user.press("_ok")
    assert any("تم تسجيلكِ متطوعةً" in (m.text or "") for m in user.fake.messages_to(user.wa_id))
