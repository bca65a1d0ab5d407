"""Fixtures of the WhatsApp tests: the fake Graph API (instead of the fake Bot API that the
top-level `fake` is) and a service on the test's engine with its webhook on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.core.engine import Engine
from bot.process.whatsapp import WhatsAppService
from fakes.whatsapp_api import FakeWhatsAppServer
from tests.channels.whatsapp.support import make_service, serve


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsAppServer]:
    async with FakeWhatsAppServer() as server:
        yield server


@pytest.fixture
async def whatsapp(
    fake: FakeWhatsAppServer, make_engine: Callable[..., Engine]
) -> AsyncIterator[tuple[WhatsAppService, str]]:
    """(the service, its webhook URL). A scripted sign-up and "delete my data" answer within
    a minute, faster than the default 20 a minute a person is allowed; the limit itself is
    tested in test_fairness.py with rates of its own."""
    service = make_service(fake, make_engine, whatsapp_sender_rate=60)
    try:
        async with serve(service) as url:
            yield service, url
    finally:
        await service.client.close()
