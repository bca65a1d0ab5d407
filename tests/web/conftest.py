"""Fixtures of the web workspace's tests, on the real database of each backend (`db`).

client   aiohttp's test client on the app (HTTP-level tests)
server   the real server on a free port of 127.0.0.1: `server.url`, `server.link(user_id)`
browser  Chromium from the machine's Debian package, driven by Playwright (never a
         download); skipped with the reason when /usr/bin/chromium is missing
page     a new page of that browser at 1280 px; `new_page(width=360)` for others
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.i18n import Catalogs
from bot.settings import Settings, load_settings
from bot.web.app import create_app
from storage.db import Database
from tests.conftest import Clock
from tests.web.rig import SECRET, link_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_FAKETIME_ENV = ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "DONT_FAKE_MONOTONIC")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return load_settings(
        **{
            **settings.model_dump(),
            "web_session_secret": SECRET,
            "web_base_url": "http://127.0.0.1:8090",
        }
    )


@pytest.fixture
async def client(
    db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(db, catalogs, web_settings, clock=clock)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@dataclass
class LiveServer:
    url: str
    db: Database
    catalogs: Catalogs
    settings: Settings
    clock: Clock

    async def link(self, user_id: int) -> str:
        """A login link on this server's address."""
        link = await link_for(self.db, self.catalogs, self.settings, self.clock(), user_id)
        return self.url + "/" + link.split("/", 3)[3]


@pytest.fixture
async def server(
    db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> AsyncIterator[LiveServer]:
    app = create_app(db, catalogs, web_settings, clock=clock)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", db, catalogs, web_settings, clock)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install -y chromium; CI installs it)")
    from playwright.async_api import async_playwright

    # The browser and Playwright's driver are programs outside the code under test: they run
    # on the machine's real clock even when `.ci/faketime-check` shifts this process's
    # (Chromium does not start under libfaketime's LD_PRELOAD). The server keeps the shifted
    # clock, and the pages' dates come from the injected one.
    hidden = {k: os.environ.pop(k) for k in list(os.environ) if k in _FAKETIME_ENV}
    try:
        async with async_playwright() as driver:
            launched = await driver.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=dict(os.environ)
            )
            try:
                yield launched
            finally:
                await launched.close()
    finally:
        os.environ.update(hidden)


@pytest.fixture
def new_page(browser: Any) -> Callable[..., Awaitable[Any]]:
    async def make(width: int = 1280, height: int = 800) -> Any:
        context = await browser.new_context(viewport={"width": width, "height": height})
        return await context.new_page()

    return make


@pytest.fixture
async def page(new_page: Callable[..., Awaitable[Any]]) -> Any:
    return await new_page()
