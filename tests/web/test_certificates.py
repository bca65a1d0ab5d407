"""Certificates on the web over HTTP: the public /verify page (valid, revoked, unknown; no
sign-in), and staff revoking one from the volunteer's certificates page (CSRF, staff only)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.i18n import Catalogs
from bot.services.certificates import VERIFY_TRIES, VERIFY_WINDOW
from bot.settings import Settings
from bot.web.security import LANG_COOKIE
from storage.db import Database
from storage.models_certificates import Certificate
from tests.certificates.support import certified
from tests.conftest import Clock
from tests.support import plain, text_of
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


async def test_verify_page_is_public_and_shows_only_the_masked_name(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    _, code = await certified(db, catalogs, web_settings, clock.now, hours=3)
    page = await client.get(f"/verify/{code}")
    html = await page.text()
    assert page.status == 200 and "إفادة صحيحة" in html
    assert "سارة ع." in html and "العتيبي" not in html and "3 ساعات" in html
    assert 'dir="rtl"' in html
    unknown = await client.get("/verify/ZZZZZZZZZZ")
    assert unknown.status == 404 and "لا توجد إفادة بهذا الرمز" in await unknown.text()


async def test_staff_revoke_with_csrf_and_the_page_then_says_revoked(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    vid, code = await certified(db, catalogs, web_settings, clock.now)
    user_id = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    listing = await client.get(f"/volunteers/{vid}/certificates")
    html = await listing.text()
    assert listing.status == 200 and code[:5] in html
    action = f"/volunteers/{vid}/certificates/{code}/revoke"
    forged = await client.post(action, data={"reason": "x"}, allow_redirects=False)
    assert forged.status == 403
    # The code of this volunteer pressed on another volunteer's page revokes nothing.
    elsewhere = f"/volunteers/{vid + 1}/certificates/{code}/revoke"
    await client.post(elsewhere, data={"csrf": csrf_of(html), "reason": "x"})
    async with db.sessions() as session:
        [row] = (await session.execute(Certificate.__table__.select())).all()
    assert row.revoked_at is None
    done = await client.post(
        action, data={"csrf": csrf_of(html), "reason": "حضور مسجل خطأً"}, allow_redirects=False
    )
    assert done.status == 303
    async with db.sessions() as session:
        [row] = (await session.execute(Certificate.__table__.select())).all()
    assert row.revoked_by == user_id and row.revoke_reason == "حضور مسجل خطأً"
    page = await client.get(f"/verify/{code}")
    assert "أُلغيت هذه الإفادة" in await page.text()


async def test_the_staff_page_and_revoke_need_a_staff_session(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    vid, code = await certified(db, catalogs, web_settings, clock.now)
    page = await client.get(f"/volunteers/{vid}/certificates", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/signin"
    revoke = await client.post(
        f"/volunteers/{vid}/certificates/{code}/revoke", data={}, allow_redirects=False
    )
    assert revoke.status in (303, 403)
    async with db.sessions() as session:
        [row] = (await session.execute(Certificate.__table__.select())).all()
    assert row.revoked_at is None


async def test_verify_page_limits_each_address(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    """VERIFY_TRIES checks per address in VERIFY_WINDOW, found or not; beyond that a 429 that
    says so in the reader's language; after the window, checking works again."""
    _, code = await certified(db, catalogs, web_settings, clock.now)
    for n in range(VERIFY_TRIES):
        page = await client.get(f"/verify/{code}" if n % 2 else "/verify/ZZZZZZZZZZ")
        assert page.status in (200, 404)
    refused = await client.get(f"/verify/{code}")
    assert refused.status == 429 and 0 < int(refused.headers["Retry-After"]) <= 600
    html = await refused.text()
    assert plain(text_of("ar", "err.too_many")) in plain(html) and "سارة" not in html
    client.session.cookie_jar.update_cookies({LANG_COOKIE: "en"})
    english = await client.get(f"/verify/{code}")
    assert english.status == 429 and text_of("en", "err.too_many") in await english.text()
    clock.now += VERIFY_WINDOW
    again = await client.get(f"/verify/{code}")
    assert again.status == 200
