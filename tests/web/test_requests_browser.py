"""The stall-request and sites pages in a real browser (the machine's Chromium): axe-core in
both languages, keyboard, 360 px; and the journey across both doors: a staff member gets a link
from the bot, offers a stall on the web, the family confirms it in chat, the page shows it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.unit import Actor, Unit
from bot.services import families as svc
from storage.models import OutboxMessage
from tests.families.support import add_site, register_family, request_stall, user_id
from tests.support import Chat
from tests.web.conftest import LiveServer
from tests.web.rig import (
    assert_accessible,
    assert_fits,
    browser_sign_in,
    path_of,
    staff_user,
    tab_reaches,
)
from tests.web.test_requests import family_request

pytestmark = pytest.mark.timeout(120)
NewPage = Callable[..., Awaitable[Any]]
SHOTS = Path("/tmp/shots/pfam")


async def seeded(server: LiveServer) -> tuple[int, int, int]:
    """A site with a new request and an offered one; (site, new request, offered request)."""
    site = await add_site(server.db)
    now = server.clock()
    fresh = await family_request(server.db, server.catalogs, server.settings, now, site, 31)
    offered = await family_request(server.db, server.catalogs, server.settings, now, site, 32)
    boss = await staff_user(server.db, "staff", external="desk")
    async with server.db.transaction() as s:
        unit = Unit(s, Actor.person(boss, "staff"), now, server.catalogs, server.settings)
        await svc.approve_request(unit, offered)
    return site, fresh, offered


def my_pages(site: int, fresh: int) -> list[str]:
    return [
        "/requests",
        f"/requests/{fresh}",
        "/sites",
        "/sites/new",
        f"/sites/{site}/edit",
        f"/sites/{site}/stalls",
    ]


async def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_every_page_is_accessible_in_both_languages(
    server: LiveServer, page: Any, locale: str
) -> None:
    site, fresh, _ = await seeded(server)
    user = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user))
    for path in my_pages(site, fresh):
        await page.goto(f"{server.url}/lang/{locale}?next={path}")
        assert await page.get_attribute("html", "lang") == locale
        await assert_accessible(page)
        name = path.strip("/").replace("/", "_") or "root"
        await shoot(page, f"{name}-{locale}")


async def test_at_360_px_nothing_scrolls_sideways(server: LiveServer, new_page: NewPage) -> None:
    site, fresh, _ = await seeded(server)
    page = await new_page(width=360, height=740)
    user = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user))
    for locale in ("ar", "en"):
        for path in my_pages(site, fresh):
            await page.goto(f"{server.url}/lang/{locale}?next={path}")
            await assert_fits(page)
    await page.goto(f"{server.url}/lang/ar?next=/requests/{fresh}")
    await shoot(page, "request-360-ar")


async def test_the_decisions_work_by_keyboard_alone(server: LiveServer, page: Any) -> None:
    site, fresh, _ = await seeded(server)
    user = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user))
    await page.goto(f"{server.url}/requests")
    assert await tab_reaches(page, 'nav a[href="/requests"]')
    assert await tab_reaches(page, f'input[name="ids"][value="{fresh}"]', presses=60)
    assert await tab_reaches(page, 'form[action="/requests/bulk"] button', presses=80)
    await page.goto(f"{server.url}/requests/{fresh}")
    assert await tab_reaches(page, "#a-stall", presses=60)
    assert await tab_reaches(page, f'form[action="/requests/{fresh}/offer"] button', presses=60)
    await page.keyboard.press("Enter")
    await page.wait_for_selector('.status[data-status="approved"]')
    await page.goto(f"{server.url}/sites/new")
    assert await tab_reaches(page, "#s-name_ar", presses=60)
    assert await tab_reaches(page, "form.site-form button[type=submit]", presses=80)
    await page.goto(f"{server.url}/sites/{site}/stalls")
    assert await tab_reaches(page, "#f-day", presses=60)


async def test_bulk_waitlist_in_the_browser(server: LiveServer, page: Any) -> None:
    _, fresh, offered = await seeded(server)
    user = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user))
    await page.goto(f"{server.url}/lang/en?next=/requests")
    page.on("dialog", lambda dialog: dialog.accept())  # app.js asks before a bulk decision
    await page.check(f'input[name="ids"][value="{fresh}"]')
    await page.check(f'input[name="ids"][value="{offered}"]')
    await page.select_option("#b-action", "waitlist")
    await page.click('form[action="/requests/bulk"] button[type=submit]')
    await page.wait_for_selector(".flash")
    text = await page.inner_text(".flashes")
    assert "1 request moved to the waiting list." in text  # a plural form, not "{n}" pasted
    assert f"Request no. {offered} was not changed" in text
    await shoot(page, "requests-bulk-en")


async def test_offer_on_the_web_confirmed_in_chat(
    server: LiveServer, engine: Engine, page: Any
) -> None:
    """The issue's journey: /dashboard in chat → login link → offer on the request page →
    the family gets the offer in chat and confirms it there → the page says confirmed."""
    site = await add_site(server.db)
    family = await register_family(engine, "fam1")
    await request_stall(family, site)
    rid = 1
    boss = Chat(engine, user="boss")  # an admin (ADMIN_IDS of the tests)
    await boss.onboard()
    await boss.send("/dashboard")
    found = re.search(r"https?://\S+/login/[\w-]+", boss.text)
    assert found is not None, boss.text
    await browser_sign_in(page, server.url, server.url + path_of(found.group(0)))
    await page.goto(f"{server.url}/lang/en?next=/requests")
    await page.click(f'a[href="/requests/{rid}"]')
    await page.wait_for_url(f"{server.url}/requests/{rid}")
    await page.select_option("#a-stall", "2")
    await page.click(f'form[action="/requests/{rid}/offer"] button')
    await page.wait_for_selector('.status[data-status="approved"]')
    assert "Stall 2 was offered" in await page.inner_text(".flashes")
    # The offer waits in the family's outbox, with the button to confirm it.
    family_id = await user_id(server.db, "fam1")
    async with server.db.sessions() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.user_id == family_id)
        keys = [n.payload["key"] for n in (await s.execute(stmt)).scalars()]
    assert "fam.n.offer" in keys
    await family.press_id(f"so:ok:{rid}")
    await page.reload()
    await page.wait_for_selector('.status[data-status="confirmed"]')
    assert "Confirmed" in await page.inner_text(".status") or await page.inner_text(".status")
    await shoot(page, "request-confirmed-en")
    await page.goto(f"{server.url}/sites/{site}/stalls?day=2026-12-12")
    assert await page.locator(f'a[href="/requests/{rid}"]').count() == 1
    await shoot(page, "stalls-en")
