"""The audit log page: filters, paging, escaping; axe in both languages, 360 px, keyboard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog
from tests.conftest import Clock
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


async def seed_audit(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> None:
    async with db.transaction() as s:
        unit = Unit(s, Actor.operator("test"), clock(), catalogs, settings)
        for n in range(30):
            await unit.audit("broadcast.created", f"broadcast:{n}", audience={"kind": "all"})
        await unit.audit("staff.add", "telegram:<b>5</b>", role="staff")
        # The log stamps rows with the wall clock; the test's rows are on the test's day.
        await s.execute(update(AuditLog).values(created_at=clock()))


async def test_audit_filters_and_pages(
    client: TestClient[Any, Any],
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    await seed_audit(db, catalogs, web_settings, clock)
    user_id = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    first = await (await client.get("/audit")).text()
    assert "telegram:&lt;b&gt;5&lt;/b&gt;" in first and "<b>5</b>" not in first
    assert 'rel="next"' in first  # 31 rows, 25 a page
    only = await (await client.get("/audit?action=staff")).text()
    assert "broadcast:3" not in only and "staff.add" in only
    assert "broadcast:29" in await (await client.get("/audit?target=broadcast:29")).text()
    none = await (await client.get("/audit?since=2026-11-26&action=broadcast")).text()
    assert catalogs.translator("ar").t("web.table.empty") in none
    day = await (await client.get("/audit?since=2026-11-25&until=2026-11-25&actor=cli:test")).text()
    assert "staff.add" in day
    # A bad date is no filter, not an error.
    assert (await client.get("/audit?since=yesterday")).status == 200
    unreadable = await client.get("/audit?since=zzz&until=31/02/2026&action=staff")
    assert unreadable.status == 200 and "staff.add" in await unreadable.text()


async def test_audit_needs_staff(
    client: TestClient[Any, Any],
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    response = await client.get("/audit", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/signin"


@pytest.mark.timeout(120)
async def test_audit_in_the_browser(server: LiveServer, new_page: NewPage) -> None:
    await seed_audit(server.db, server.catalogs, server.settings, server.clock)
    user_id = await staff_user(server.db, "staff")
    page = await new_page()
    await browser_sign_in(page, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        await page.goto(f"{server.url}/lang/{locale}?next=/audit")
        await assert_accessible(page)
        await page.screenshot(path=f"/tmp/shots/audit/audit-{locale}.png", full_page=True)
    narrow = await new_page(width=360, height=740)
    await browser_sign_in(narrow, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        await narrow.goto(f"{server.url}/lang/{locale}?next=/audit")
        await assert_fits(narrow)


@pytest.mark.timeout(90)
async def test_the_audit_filter_works_by_keyboard_alone(server: LiveServer, page: Any) -> None:
    """Tab to the action filter, type, Enter: the list shows only the matching rows."""
    await seed_audit(server.db, server.catalogs, server.settings, server.clock)
    await browser_sign_in(page, server.url, await server.link(await staff_user(server.db)))
    await page.goto(f"{server.url}/audit")
    assert "broadcast.created" in await page.inner_text("main")
    assert await tab_reaches(page, "#f-action", presses=40)
    await page.keyboard.type("staff")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/audit?*action=staff*")
    listed = await page.inner_text("main")
    assert "staff.add" in listed and "broadcast.created" not in listed
