"""The web workspace's fixtures (tests/web/conftest.py), with the check-in links configured:
the bot's Telegram username and the WhatsApp Business number."""

from __future__ import annotations

import pytest

from bot.settings import Settings, load_settings
from tests.web.conftest import browser, client, new_page, page, server
from tests.web.rig import SECRET

__all__ = ["browser", "client", "new_page", "page", "server"]

BOT_USERNAME = "ShurakaTaifBot"
BUSINESS_NUMBER = "966501234567"


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return load_settings(
        **{
            **settings.model_dump(),
            "web_session_secret": SECRET,
            "web_base_url": "http://127.0.0.1:8090",
            "telegram_bot_username": BOT_USERNAME,
            "whatsapp_business_number": "+966 50 123 4567",  # as people write it
        }
    )
