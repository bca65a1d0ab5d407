"""One setting picks the Telegram client library: TELEGRAM_TRANSPORT (or `shuraka telegram
--transport`), aiogram by default; PTB chosen but not installed stops start-up with one line."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from bot.channels.telegram import AiogramClient
from bot.channels.telegram_ptb import PtbClient
from bot.cli import _parser
from bot.core.engine import Engine
from bot.process.telegram import TelegramService
from bot.process.telegram_libs import open_client
from bot.settings import ConfigError, load_settings
from fakes.telegram_api import FakeTelegramServer
from tests.channels.telegram.support import runtime_for


def test_the_setting_is_aiogram_by_default_and_refuses_other_libraries() -> None:
    assert load_settings().telegram_transport == "aiogram"
    assert load_settings(telegram_transport="ptb").telegram_transport == "ptb"
    with pytest.raises(ConfigError) as info:
        load_settings(telegram_transport="telethon")
    assert "TELEGRAM_TRANSPORT" in str(info.value) and "\n" not in str(info.value)


def test_the_command_line_can_choose_for_one_run() -> None:
    assert _parser().parse_args(["telegram"]).transport is None  # the setting decides
    assert _parser().parse_args(["telegram", "--transport", "ptb"]).transport == "ptb"
    with pytest.raises(SystemExit):
        _parser().parse_args(["telegram", "--transport", "telethon"])


async def test_the_service_runs_on_the_library_the_setting_or_the_option_names(
    fake: FakeTelegramServer, make_engine: Callable[..., Engine]
) -> None:
    engine = make_engine(bot_token=fake.token, telegram_api_base=fake.base_url)
    chosen = make_engine(
        bot_token=fake.token, telegram_api_base=fake.base_url, telegram_transport="ptb"
    )
    services = [
        TelegramService(runtime_for(engine)),
        TelegramService(runtime_for(chosen)),
        TelegramService(runtime_for(engine), transport="ptb"),  # --transport ptb
    ]
    try:
        kinds = [type(service.client) for service in services]
        assert kinds == [AiogramClient, PtbClient, PtbClient]
        # Pointed at TELEGRAM_API_BASE like aiogram: the start-up check reaches the fake.
        for service in services:
            await service._check_api()
        assert len(fake.calls("getMe")) == 3
    finally:
        for service in services:
            await service.client.close()


def test_ptb_chosen_but_not_installed_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "bot.channels.telegram_ptb")
    monkeypatch.setitem(sys.modules, "telegram", None)  # what a missing package looks like
    with pytest.raises(ConfigError) as info:
        open_client("ptb", "1:x")
    message = str(info.value)
    assert "TELEGRAM_TRANSPORT" in message and "python-telegram-bot" in message
    assert "pip install" in message and "\n" not in message
