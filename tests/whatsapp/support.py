"""Helpers for the WhatsApp service tests: a service on its own database and settings, its
webhook on 127.0.0.1, and the volunteer sign-up as a fake WhatsApp user goes through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.core.engine import Engine
from bot.process.whatsapp import WEBHOOK_PATH, WhatsAppService
from storage.db import Database
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.telegram.harness import runtime_for
from tests.whatsapp.test_whatsapp_e2e import WhatsAppUser

__all__ = ["WhatsAppUser", "make_service", "serve", "sign_up"]


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
    await user.press("we_evening")
    await user.press("_d")
    await user.press("_s")
    await user.press("yes")
    await user.press("_ok")
    assert any("تم تسجيلك متطوعًا" in (m.text or "") for m in user.fake.messages_to(user.wa_id))
