"""Helpers for the web workspace's tests (fixtures are in tests/web/conftest.py).

HTTP level:   `staff_user(db, role)` makes a person, `link_for(env, user_id)` issues a link,
              `sign_in(client, link)` signs a test client in, `csrf_of(html)` reads a form's
              token.
Browser:      `browser_sign_in(page, server, link)`, `assert_accessible(page)` (axe-core, WCAG 2.1
              A/AA, fails on serious or critical), `assert_fits(page)` (no sideways scroll at the
              page's width), `tab_reaches(page, selector)` (keyboard alone gets there).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import web_access
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database

SECRET = "s" * 40  # WEB_SESSION_SECRET of the tests
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def staff_user(
    db: Database, role: str = "admin", external: str = "100", channel: str = "telegram"
) -> int:
    """A person with this role (staff, admin or user) and one identity."""
    async with db.transaction() as s:
        _, user = await repo.create_user(s, channel, external, external, locale="ar", role=role)
        return user.id


async def link_for(
    db: Database, catalogs: Catalogs, settings: Settings, now: datetime, user_id: int
) -> str:
    """A fresh login link, issued as an operator would (`shuraka web-link`)."""
    async with db.transaction() as s:
        unit = Unit(s, Actor.operator("web-link"), now, catalogs, settings)
        return await web_access.issue_link(unit, user_id)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


async def sign_in(client: TestClient[Any, Any], link: str) -> None:
    """Open the link's page and press its button, as a person would."""
    page = await client.get(path_of(link))
    assert page.status == 200, await page.text()
    done = await client.post(
        path_of(link), data={"csrf": csrf_of(await page.text())}, allow_redirects=False
    )
    assert done.status == 303, await done.text()


# --- the browser rig ------------------------------------------------------------------------


async def browser_sign_in(page: Any, base_url: str, link: str) -> None:
    await page.goto(base_url + path_of(link))
    await page.get_by_role("button").click()
    await page.wait_for_url(base_url + "/")


async def assert_accessible(page: Any) -> None:
    """Run axe-core in the page; fail listing every serious or critical WCAG 2.1 A/AA
    violation (rule, impact, the first elements it names)."""
    from axe_playwright_python.async_playwright import Axe

    await page.evaluate(Axe().axe_script)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = await page.evaluate("(options) => axe.run(document, options)", options)
    bad = [v for v in results["violations"] if v.get("impact") in BLOCKING]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in bad
    ]
    assert not bad, f"axe on {page.url}:\n" + "\n".join(report)


async def assert_fits(page: Any) -> None:
    """Nothing makes the page scroll sideways (tables scroll inside their own box)."""
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths[0]} > {widths[1]} px"


async def tab_reaches(page: Any, selector: str, presses: int = 30) -> bool:
    """Whether pressing Tab from the top of the page focuses the element `selector` names."""
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return True
    return False
