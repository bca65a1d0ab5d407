"""Broadcast pages in a real browser: axe in both languages, keyboard, 360 px, and the end to
end scenario of issue 13: staff compose a broadcast on the web and send it, the real outbox
sender delivers it to the fake Bot API, and the page's progress (polled by broadcasts.js)
reaches 100 %."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core.i18n import Catalogs
from fakes.telegram_api import FakeTelegramServer
from tests.delivery.support import drain_once, known_recipients
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user, tab_reaches

pytestmark = pytest.mark.timeout(120)
NewPage = Callable[..., Awaitable[Any]]
SHOTS = "/tmp/shots/broadcasts"


async def _shot(page: Any, name: str) -> None:
    await page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_broadcast_pages_in_both_languages(
    server: LiveServer, page: Any, locale: str, fake: FakeTelegramServer
) -> None:
    await known_recipients(server.db, fake, 2)
    user_id = await staff_user(server.db, "staff")
    await browser_sign_in(page, server.url, await server.link(user_id))
    await page.goto(f"{server.url}/lang/{locale}?next=/broadcasts/new")
    await assert_accessible(page)
    assert await tab_reaches(page, "#text_ar", presses=40)
    await page.fill("#text_ar", "تذكير: فعالية الغد")
    await page.fill("#text_en", "Reminder: tomorrow's event")
    await page.get_by_role(
        "button", name=server.catalogs.translator(locale).raw("web.bc.preview")
    ).click()
    await page.wait_for_selector(".bubble")
    await assert_accessible(page)
    await _shot(page, f"new-{locale}")
    await page.locator('button[value="send"]').click()
    await page.wait_for_selector("#bc-bar")
    await assert_accessible(page)
    await _shot(page, f"detail-{locale}")
    await page.goto(f"{server.url}/broadcasts")
    await assert_accessible(page)
    await _shot(page, f"list-{locale}")


async def test_broadcast_pages_fit_360_px(
    server: LiveServer, new_page: NewPage, fake: FakeTelegramServer
) -> None:
    page = await new_page(width=360, height=740)
    user_id = await staff_user(server.db, "staff")
    await browser_sign_in(page, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        for path in ("/broadcasts", "/broadcasts/new"):
            await page.goto(f"{server.url}/lang/{locale}?next={path}")
            await assert_fits(page)


async def test_compose_send_and_watch_progress_reach_100(
    server: LiveServer, page: Any, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    await known_recipients(server.db, fake, 5)
    user_id = await staff_user(server.db, "staff")
    await browser_sign_in(page, server.url, await server.link(user_id))
    await page.goto(f"{server.url}/broadcasts/new")
    await page.select_option("#kind", "all")
    # The live count (broadcasts.js and the JSON endpoint) follows the audience.
    await page.select_option("#kind", "volunteers")
    await page.select_option("#kind", "all")
    tr = catalogs.translator("ar")
    await page.wait_for_function(
        "(t) => document.getElementById('recipients').textContent.includes(t)",
        arg=tr.tn("bc.recipients", 5),
    )
    await page.fill("#text_ar", "إعلان للجميع")
    await page.locator('button[value="send"]').click()
    await page.wait_for_selector("#bc-bar")
    assert await page.get_attribute("#bc-bar", "value") == "0"
    # The real sender delivers every message to the fake Bot API.
    await drain_once(server.db, catalogs, fake)
    await page.wait_for_function(
        "() => document.getElementById('bc-bar').value === 100", timeout=15_000
    )
    percent = await page.inner_text("#bc-percent")
    assert percent.startswith("100")
    assert await page.inner_text('[data-outcome="sent"]') == "5"
    # Without JavaScript the refresh link shows the same.
    await page.get_by_role("link", name=tr.raw("web.bc.refresh")).click()
    assert (await page.inner_text("#bc-percent")).startswith("100")
    assert await page.inner_text("#bc-status") == tr.raw("web.bc.status.done")
    await _shot(page, "progress-100")
