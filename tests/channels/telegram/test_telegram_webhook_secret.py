"""No code path accepts a Telegram webhook request without the exact secret."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import make_mocked_request
from pydantic import SecretStr

from bot.core.engine import Engine
from bot.process.telegram import SECRET_HEADER
from bot.runtime import Runtime
from bot.settings import ConfigError
from fakes.telegram_api import FakeTelegramServer
from tests.channels.telegram.support import make_service, runtime_for, webhook_server

SECRET = "A" * 20 + "-b_c" + "9" * 16  # 40 characters, all of Telegram's kinds
URL = "https://bot.example.invalid/tg/hook"


def with_secret(engine: Engine, secret: str | None) -> Runtime:
    """A runtime whose settings carry `secret` unchecked, as if validation had been bypassed."""
    runtime = runtime_for(engine)
    value = SecretStr(secret) if secret is not None else None
    settings = engine.settings.model_copy(update={"webhook_url": URL, "webhook_secret": value})
    return Runtime(settings=settings, db=runtime.db, catalogs=runtime.catalogs, engine=engine)


@pytest.mark.parametrize(
    "secret", [None, "", " " * 40, "short", "x" * 257, "a" * 31 + "!", "ب" * 40]
)
async def test_the_webhook_app_is_not_built_without_a_valid_secret(
    transport: str, fake: FakeTelegramServer, engine: Engine, secret: str | None
) -> None:
    service = make_service(with_secret(engine, secret), fake, transport)
    try:
        with pytest.raises(ConfigError) as info:
            service.webhook_app()
        message = str(info.value)
        assert "WEBHOOK_SECRET" in message and "\n" not in message
        if secret and secret.strip():
            assert secret not in message
        # run_webhook stops before calling Telegram or starting anything.
        with pytest.raises(ConfigError):
            await service.run_webhook(handle_signals=False)
        assert not fake.sent
    finally:
        await service.client.close()


@pytest.mark.parametrize(
    "header",
    [None, "", "wrong", SECRET[:-1], SECRET[:1], SECRET[1:], SECRET + "x", SECRET.lower()],
)
async def test_only_the_exact_secret_is_accepted(
    transport: str, fake: FakeTelegramServer, make_engine: Callable[..., Engine], header: str | None
) -> None:
    engine = make_engine(webhook_url=URL, webhook_secret=SECRET)
    async with webhook_server(make_service(runtime_for(engine), fake, transport)) as url:
        update = fake.user_command(2401, "start")
        assert await fake.post_webhook(url, update, secret=header) == 403
        assert not fake.calls("sendMessage")
        assert await fake.post_webhook(url, update, secret=SECRET) == 200
        assert len(fake.calls("sendMessage")) == 1


async def test_the_handler_refuses_everything_when_its_secret_is_empty(
    transport: str, fake: FakeTelegramServer, engine: Engine
) -> None:
    """Defence in depth: even handed an empty secret, an empty header does not match it."""
    service = make_service(runtime_for(engine), fake, transport)
    try:
        for headers in ({}, {SECRET_HEADER: ""}):
            request = make_mocked_request("POST", "/tg/hook", headers=headers)
            response = await service._on_webhook(b"", request)
            assert response.status == 403
    finally:
        await service.client.close()
