"""The access log names the route, never the address: a login link's token or a person's id in
a path must not reach the logs."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web

from bot.core.i18n import Catalogs
from bot.settings import Settings
from bot.web.app import AccessLog, create_app
from storage.db import Database
from tests.conftest import Clock


async def test_access_log_has_the_route_pattern_not_the_token(
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(db, catalogs, web_settings, clock=clock)
    runner = web.AppRunner(app, access_log_class=AccessLog)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    secret = "Zq9-secret-token-never-logged"
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/login/{secret}") as response,
            ):
                assert response.status == 404
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any("GET /login/{token} 404" in line for line in lines), lines
    assert not any(secret in r.getMessage() for r in caplog.records)


async def test_housekeeping_prunes_then_stops_when_told(
    db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    import asyncio

    from bot.web.app import housekeeping

    app = create_app(db, catalogs, web_settings, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(housekeeping(app, stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, 5)
