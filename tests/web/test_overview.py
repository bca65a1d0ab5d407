"""The overview over HTTP and in the browser: what waits, open shifts, broadcasts in progress,
and the four SVG charts with their data tables; axe in both languages, keyboard, 360 px."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import broadcasts
from bot.settings import Settings
from storage.db import Database
from tests.conftest import Clock
from tests.delivery.support import seed_recipients
from tests.events.support import World
from tests.services.test_reports import seed_overview
from tests.web.conftest import LiveServer
from tests.web.rig import (
    assert_accessible,
    assert_fits,
    browser_sign_in,
    link_for,
    sign_in,
    staff_user,
    tab_reaches,
)

NewPage = Callable[..., Awaitable[Any]]


async def test_overview_shows_waiting_shifts_and_charts(
    client: TestClient[Any, Any],
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    await seed_overview(World(db, catalogs, web_settings, clock()))
    user_id = await staff_user(db, "staff")
    await seed_recipients(db, 2)
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(user_id, "staff"), clock(), catalogs, web_settings)
        sent = await broadcasts.create_broadcast(
            unit, broadcasts.BroadcastDraft({"kind": "all"}, "x")
        )
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    html = await (await client.get("/")).text()
    assert html.count('role="img"') == 4 and html.count("<desc ") == 4
    assert "حملة تشجير الردف" in html  # the shift with a free place
    tr = catalogs.translator("ar")
    for key in ("web.ov.signups", "web.ov.hours", "web.ov.occupancy", "web.ov.outcomes"):
        assert tr.t(key) in html
    assert "سوق الأسر" in html  # the site's occupancy row
    # The broadcast being sent is listed with its progress, and in the outcomes chart.
    assert f'href="/broadcasts/{sent.id}"' in html and tr.t("web.ov.none_sending") not in html


@pytest.mark.timeout(120)
async def test_overview_in_the_browser(server: LiveServer, new_page: NewPage) -> None:
    await seed_overview(World(server.db, server.catalogs, server.settings, server.clock()))
    page = await new_page()
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        await page.goto(f"{server.url}/lang/{locale}?next=/")
        await assert_accessible(page)
        assert await tab_reaches(page, "details summary", presses=40)
        await page.screenshot(path=f"/tmp/shots/overview/overview-{locale}.png", full_page=True)
    narrow = await new_page(width=360, height=740)
    await browser_sign_in(narrow, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        await narrow.goto(f"{server.url}/lang/{locale}?next=/")
        await assert_fits(narrow)
