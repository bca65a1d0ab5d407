"""The public certificate verification page in a real browser: valid, revoked and unknown
codes, in Arabic (right to left, the default) and English, clean under axe-core; the staff
certificates page and /verify in both languages at 360 px."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core.unit import Actor, Unit
from bot.services.certificates import revoke_certificate
from tests.certificates.support import certified
from tests.web.conftest import LiveServer
from tests.web.rig import assert_accessible, assert_fits, browser_sign_in, staff_user

pytestmark = pytest.mark.timeout(90)
NewPage = Callable[..., Awaitable[Any]]


async def test_verify_page_valid_revoked_unknown(server: LiveServer, page: Any) -> None:
    _, code = await certified(server.db, server.catalogs, server.settings, server.clock.now)
    await page.goto(f"{server.url}/verify/{code}")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.inner_text("#verdict") == "إفادة صحيحة"
    assert await page.inner_text("#name") == "سارة ع."
    await assert_accessible(page)
    await assert_fits(page)
    await page.get_by_role("link", name="English").click()
    await page.wait_for_selector('html[lang="en"]')
    assert await page.inner_text("#verdict") == "Valid certificate"
    assert await page.inner_text("#hours") == "3 hours"
    await assert_accessible(page)
    async with server.db.transaction() as session:
        unit = Unit(
            session, Actor.operator("test"), server.clock.now, server.catalogs, server.settings
        )
        await revoke_certificate(unit, code)
    await page.reload()
    assert await page.inner_text("#verdict") == "This certificate has been revoked"
    await assert_accessible(page)
    await page.goto(f"{server.url}/verify/NOSUCHCODE")
    assert await page.inner_text("#verdict") == "No certificate has this code."
    await page.get_by_role("link", name="العربية").click()
    await page.wait_for_selector('html[lang="ar"]')
    assert await page.inner_text("#verdict") == "لا توجد إفادة بهذا الرمز."
    await assert_accessible(page)


async def test_staff_revoke_from_the_volunteers_certificates(server: LiveServer, page: Any) -> None:
    vid, code = await certified(server.db, server.catalogs, server.settings, server.clock.now)
    await browser_sign_in(page, server.url, await server.link(await staff_user(server.db)))
    await page.goto(f"{server.url}/volunteers/{vid}")
    await page.get_by_role("link", name="إفادات الساعات").click()
    await page.wait_for_url(f"{server.url}/volunteers/{vid}/certificates")
    await assert_accessible(page)
    await page.get_by_label("سبب الإلغاء").fill("حضور مسجل خطأً")
    await page.get_by_role("button", name="إلغاء الإفادة").click()
    await page.wait_for_selector(".flash")
    assert "أُلغيت الإفادة" in await page.inner_text(".flashes")
    assert "حضور مسجل خطأً" in await page.inner_text("main")
    await assert_accessible(page)
    await page.goto(f"{server.url}/verify/{code}")
    assert await page.inner_text("#verdict") == "أُلغيت هذه الإفادة"


async def test_at_360_px_nothing_scrolls_sideways(server: LiveServer, new_page: NewPage) -> None:
    """The staff certificates page and the public /verify page, in Arabic and English: clean
    under axe-core and no sideways scroll on a phone."""
    vid, code = await certified(server.db, server.catalogs, server.settings, server.clock.now)
    page = await new_page(width=360, height=740)
    await browser_sign_in(page, server.url, await server.link(await staff_user(server.db)))
    for locale in ("ar", "en"):
        for path in (f"/volunteers/{vid}/certificates", f"/verify/{code}"):
            await page.goto(f"{server.url}/lang/{locale}?next={path}")
            await page.wait_for_selector(f'html[lang="{locale}"]')
            assert page.url == server.url + path
            await assert_fits(page)
            await assert_accessible(page)
