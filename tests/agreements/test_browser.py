"""The agreements pages in a real browser: the list, the form (filled with the keyboard
only) and the partner's page, clean under axe-core in Arabic and English, and at 360 px
nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from storage.models_partners import Agreement
from tests.agreements.support import add_agreement, add_partner
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user, tab_reaches

pytestmark = pytest.mark.timeout(120)
NewPage = Callable[..., Awaitable[Any]]


async def tab_to(page: Any, element_id: str, presses: int = 8) -> None:
    """Press Tab (from where the focus is) until the element with this id has the focus."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


async def test_record_an_agreement_with_the_keyboard(server: LiveServer, page: Any) -> None:
    partner = await add_partner(server.db)
    await browser_sign_in(page, server.url, await server.link(await staff_user(server.db)))
    await page.goto(f"{server.url}/agreements")
    assert await page.get_attribute("html", "dir") == "rtl"
    await assert_accessible(page)
    await page.get_by_role("link", name="اتفاقية جديدة").click()
    await page.wait_for_url(f"{server.url}/agreements/new")
    await assert_accessible(page)
    assert await tab_reaches(page, "#a-partner_id")
    await page.keyboard.press("ArrowDown")  # the first partner
    await page.keyboard.press("Tab")
    await page.keyboard.type("اتفاقية التشجير")
    await page.keyboard.press("Tab")
    # A date field is typed in the browser's locale order (en-US here: month, day, year).
    await page.keyboard.type("12012026")
    await tab_to(page, "a-end_date")  # Tab first walks the date's own parts
    await page.keyboard.type("11302026")  # before the start: refused next to the field
    await tab_to(page, "a-target_volunteers")  # the status keeps its draft
    await page.keyboard.type("٤٠")
    assert await tab_reaches(page, "main form button.primary")
    assert await page.input_value("#a-start_date") == "2026-12-01"
    assert await page.input_value("#a-end_date") == "2026-11-30"
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#e-end_date")
    await assert_accessible(page)
    assert await page.input_value("#a-title") == "اتفاقية التشجير"
    assert await page.input_value("#a-target_volunteers") == "٤٠"
    await page.fill("#a-end_date", "2026-12-31")
    await page.focus("#a-end_date")
    await page.keyboard.type("12312026")
    await page.focus("#a-note")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # the save button follows the note
    await page.wait_for_url(f"{server.url}/agreements/partners/{partner}")
    assert "سُجّلت الاتفاقية" in await page.inner_text(".flashes")
    await assert_accessible(page)
    async with server.db.sessions() as session:
        (saved,) = (await session.execute(select(Agreement))).scalars()
    assert (saved.title, saved.end_date, saved.target_volunteers, saved.status) == (
        "اتفاقية التشجير",
        date(2026, 12, 31),
        40,
        "draft",
    )


async def test_at_360_px_in_both_languages(server: LiveServer, new_page: NewPage) -> None:
    partner = await add_partner(server.db)
    agreement = await add_agreement(
        server.db, partner, date(2026, 1, 1), date(2026, 12, 31), target_volunteers=5
    )
    page = await new_page(width=360, height=740)
    await browser_sign_in(page, server.url, await server.link(await staff_user(server.db)))
    paths = ("/agreements", "/agreements/new", f"/agreements/{agreement}/edit")
    for locale in ("ar", "en"):
        for path in (*paths, f"/agreements/partners/{partner}"):
            await page.goto(f"{server.url}/lang/{locale}?next={path}")
            await page.wait_for_selector(f'html[lang="{locale}"]')
            assert page.url == server.url + path
            await assert_fits(page)
            await assert_accessible(page)
