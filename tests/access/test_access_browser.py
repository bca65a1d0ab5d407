"""The event form's accessibility checkboxes in a real browser (Chromium via Playwright), in
Arabic at 360 px: axe-core finds nothing serious, nothing scrolls sideways, the boxes are
reached and ticked by their labels, and the event is saved with them (and with the new
"supporting people with disabilities" type); the site form's fields pass axe too."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from storage.models_events import Event
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user

pytestmark = pytest.mark.timeout(180)
NewPage = Callable[..., Awaitable[Any]]


async def test_the_event_form_with_accessibility_in_arabic_at_360_px(
    server: LiveServer, new_page: NewPage
) -> None:
    page = await new_page(width=360, height=740)
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    await page.goto(f"{server.url}/lang/ar?next=/events/new")
    await page.wait_for_selector('html[lang="ar"][dir="rtl"]')
    fieldset = page.locator("fieldset.access-fields")
    assert await fieldset.count() == 1
    assert "إمكانية الوصول" in await fieldset.locator("legend").inner_text()
    assert await fieldset.locator('input[type="checkbox"]').count() == 5
    await assert_accessible(page)
    await assert_fits(page)

    await page.fill("#title_ar", "لقاء دعم الأشخاص ذوي الإعاقة")
    await page.select_option("#type", "disability")
    await page.fill("#place", "مركز الطائف الاجتماعي")
    await page.fill("#start_day", "2026-12-01")
    await page.fill("#start_time", "08:00")
    await page.fill("#end_day", "2026-12-01")
    await page.fill("#end_time", "11:00")
    await page.get_by_label("دخول بلا درج").check()  # by the label's words
    await page.get_by_label("ترجمة بلغة الإشارة").check()
    await page.locator('form.stack button[type="submit"]').click()
    await page.wait_for_url(re.compile(r".*/events/\d+$"))
    async with server.db.sessions() as session:
        event = (await session.execute(select(Event))).scalar_one()
    assert event.type == "disability"
    assert event.access == ["step_free", "sign_language"]
    text = await page.locator("dl.facts").inner_text()
    assert "دخول بلا درج" in text and "ترجمة بلغة الإشارة" in text
    await assert_accessible(page)  # the event page, with the shift form's boxes
    await assert_fits(page)

    await page.goto(f"{server.url}/sites/new")
    assert await page.locator("fieldset.access-fields").count() == 1
    assert await page.locator("#s-reserved").count() == 1
    await assert_accessible(page)
    await assert_fits(page)
