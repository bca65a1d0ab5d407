"""The web partners pages in a real browser, Arabic (right to left) at 360 px: the list and an
organisation's file clean under axe-core with nothing scrolling sideways, and an approval
pressed by keyboard-reachable buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.partners.test_web import partner, registered
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user

pytestmark = pytest.mark.timeout(90)
NewPage = Callable[..., Awaitable[Any]]


async def test_partners_pages_in_arabic_at_360_px(server: LiveServer, new_page: NewPage) -> None:
    pid = await registered(
        server.db, server.catalogs, server.settings, server.clock.now, "r1", "7001000021"
    )
    page = await new_page(width=360, height=740)
    await browser_sign_in(page, server.url, await server.link(await staff_user(server.db)))
    await page.goto(f"{server.url}/partners")
    assert await page.get_attribute("html", "dir") == "rtl"
    await assert_fits(page)
    await assert_accessible(page)
    await page.get_by_role("link", name="جمعية <البر>").click()
    await page.wait_for_url(f"{server.url}/partners/{pid}")
    await assert_fits(page)
    await assert_accessible(page)
    await page.get_by_role("button", name="✅ اعتماد").click()
    await page.wait_for_selector(".flash")
    await assert_accessible(page)
    assert (await partner(server.db, pid)).status == "approved"
