"""The workspace in a real browser (Chromium from the machine's packages, via Playwright), on the
real server: signing in by the link, axe-core in both languages, keyboard, 360 px.

Page authors copy the shape of `test_overview_in_both_languages` for their pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.web.conftest import LiveServer
from tests.web.rig import (
    assert_accessible,
    assert_fits,
    browser_sign_in,
    staff_user,
    tab_reaches,
)

pytestmark = pytest.mark.timeout(90)
NewPage = Callable[..., Awaitable[Any]]


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_overview_in_both_languages(server: LiveServer, page: Any, locale: str) -> None:
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    if locale == "en":
        await page.get_by_role("link", name="English").click()
    tr = server.catalogs.translator(locale)
    await page.wait_for_selector(f'html[lang="{locale}"]')
    assert await page.get_attribute("html", "dir") == ("rtl" if locale == "ar" else "ltr")
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == tr.raw("web.nav.overview")
    await assert_accessible(page)
    assert await tab_reaches(page, "a.skip")
    assert await tab_reaches(page, 'nav a[href="/"]')
    assert await tab_reaches(page, 'form[action="/logout"] button')


@pytest.mark.parametrize("path", ["/signin", "/signed-out", "/login/forged"])
async def test_public_pages_are_accessible(server: LiveServer, page: Any, path: str) -> None:
    for _ in ("ar", "en"):
        await page.goto(server.url + path)
        await assert_accessible(page)
        await (
            page.get_by_role("link", name="English")
            .or_(page.get_by_role("link", name="العربية"))
            .click()
        )


async def test_sign_in_page_works_by_keyboard_alone(server: LiveServer, page: Any) -> None:
    user_id = await staff_user(server.db, "staff")
    link = await server.link(user_id)
    await page.goto(link)
    await assert_accessible(page)
    assert await tab_reaches(page, "form button[type=submit]")
    await page.keyboard.press("Enter")
    await page.wait_for_url(server.url + "/")
    # Sign out by keyboard too: the session ends and the signed-out page says so.
    assert await tab_reaches(page, 'form[action="/logout"] button')
    await page.keyboard.press("Enter")
    await page.wait_for_url(server.url + "/signed-out")
    await page.goto(server.url + "/")
    assert page.url == server.url + "/signin"


async def test_at_360_px_nothing_scrolls_sideways(server: LiveServer, new_page: NewPage) -> None:
    page = await new_page(width=360, height=740)
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        await page.goto(f"{server.url}/lang/{locale}?next=/")
        await assert_fits(page)
        await assert_accessible(page)


async def test_the_csp_blocks_inline_script(server: LiveServer, page: Any) -> None:
    """The page's policy is the browser's: an injected inline script does not run."""
    await page.goto(server.url + "/signin")
    ran = await page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__ran = true'; document.body.appendChild(s);
                   return window.__ran === true; }"""
    )
    assert ran is False


async def test_the_axe_helper_fails_on_a_serious_violation(page: Any) -> None:
    """The rig itself: an image without a text alternative and an unnamed button fail."""
    await page.set_content('<html lang="en"><body><img src="a.png"><button></button></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        await assert_accessible(page)
