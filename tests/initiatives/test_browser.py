"""The initiatives' pages in a real browser (the machine's Chromium): axe-core finds no
serious WCAG 2.1 A/AA problem in Arabic at 360 px, nothing scrolls sideways, and staff
approve an initiative by keyboard alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.initiatives.test_web import seed
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user, tab_reaches

pytestmark = pytest.mark.timeout(120)
NewPage = Callable[..., Awaitable[Any]]


async def test_arabic_at_360_px_is_accessible_and_works_by_keyboard(
    server: LiveServer, new_page: NewPage
) -> None:
    waiting, _ = await seed(server.db, info_reply="عشرون جناحًا", info_request="كم جناحًا؟")
    approved, _ = await seed(server.db, title="حملة نظافة", rep_id="rep2", status="approved")
    page = await new_page(width=360, height=740)
    user = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user))
    for path in ("/initiatives", f"/initiatives/{waiting}", f"/initiatives/{approved}"):
        await page.goto(f"{server.url}/lang/ar?next={path}")
        assert await page.get_attribute("html", "lang") == "ar"
        assert await page.get_attribute("html", "dir") == "rtl"
        await assert_accessible(page)
        await assert_fits(page)
    await page.goto(f"{server.url}/initiatives/{waiting}")
    button = f'form[action="/initiatives/{waiting}/approve"] button'
    assert await tab_reaches(page, button, presses=80)
    await page.keyboard.press("Enter")
    await page.wait_for_selector('.status[data-status="approved"]')
    await assert_accessible(page)
