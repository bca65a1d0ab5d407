"""The shift page's check-in section in a real browser (Chromium via Playwright) at 360 px, in
both languages: axe-core finds no serious problem, nothing scrolls sideways, the QR codes are
big enough to scan off the screen, and the keyboard alone reaches "change the code" and
presses it (the real form, with its CSRF token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.checkin.support import CODE, current_code, shift_in
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user, tab_reaches

pytestmark = pytest.mark.timeout(180)
NewPage = Callable[..., Awaitable[Any]]


async def test_the_check_in_section_at_360_px(server: LiveServer, new_page: NewPage) -> None:
    seeded = await shift_in(
        server.db, server.catalogs, server.settings, server.clock(), timedelta(days=1)
    )
    path = f"/events/{seeded.event_id}/shifts/{seeded.shift_ids[0]}"
    page = await new_page(width=360, height=740)
    user_id = await staff_user(server.db, "staff")
    await browser_sign_in(page, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        await page.goto(f"{server.url}/lang/{locale}?next={quote(path, safe='/')}")
        await page.wait_for_selector(f'html[lang="{locale}"]')
        await assert_accessible(page)
        await assert_fits(page)
        sizes = await page.evaluate(
            "() => [...document.querySelectorAll('svg.qr')]"
            ".map(s => s.getBoundingClientRect().width)"
        )
        assert len(sizes) == 2 and min(sizes) >= 200, sizes
    assert await tab_reaches(page, 'form[action$="/checkin/rotate"] button', presses=80)
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".flash")
    assert await current_code(server.db, seeded.shift_ids[0]) != CODE
    await assert_accessible(page)
