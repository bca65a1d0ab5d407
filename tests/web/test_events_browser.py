"""The events and volunteers pages in a real browser (Chromium via Playwright, on the real
server): axe-core in both languages, keyboard, 360 px; and end to end with the chat: staff
create an event with shifts on the web, a volunteer registers in chat, staff check them in and
out on the page, and the volunteer's hours change in chat and on their profile.

With SHOTS=<dir> in the environment the pages are also saved as screenshots there."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.unit import Actor, Unit
from bot.services import registrations
from storage.models import Volunteer
from storage.models_events import Event, Shift
from tests.events.support import World, register, seed_event, volunteers
from tests.web.conftest import LiveServer
from tests.web.rig import (
    assert_accessible,
    assert_fits,
    browser_sign_in,
    staff_user,
    tab_reaches,
)

pytestmark = pytest.mark.timeout(180)
NewPage = Callable[..., Awaitable[Any]]


async def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def _pages(server: LiveServer) -> list[str]:
    """An event with a shift that has a confirmed volunteer and one on the waitlist, and the
    addresses of every page of this area."""
    one_place = [{"start": 0, "hours": 3, "capacity": 1}]
    seeded = await seed_event(server.db, server.clock(), shifts=one_place)
    world = World(server.db, server.catalogs, server.settings, server.clock())
    for skills in ("إسعافات أولية، لغة الإشارة", None):  # the profile page shows the skills
        person = await world.person(skills=skills)
        async with server.db.transaction() as s:
            unit = Unit(s, Actor.person(person), server.clock(), server.catalogs, server.settings)
            await registrations.register_for_shift(unit, seeded.shift_ids[0], waitlist_ok=True)
    async with server.db.sessions() as s:
        vid = (await s.execute(select(Volunteer.id).limit(1))).scalar_one()
    event, shift = seeded.event_id, seeded.shift_ids[0]
    return [
        "/events",
        "/events/new",
        f"/events/{event}",
        f"/events/{event}/edit",
        f"/events/{event}/shifts/{shift}",
        "/volunteers",
        f"/volunteers/{vid}",
        f"/events/{event}/shifts/{shift}/edit",
        f"/events/{event}/shifts/{shift}/cancel",
        "/events?from=10/6/1448&to=nonsense",  # a date filter, with its error said
    ]


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_every_page_passes_axe_in_both_languages(
    server: LiveServer, page: Any, locale: str
) -> None:
    paths = await _pages(server)
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    for path in paths:
        await page.goto(f"{server.url}/lang/{locale}?next={quote(path, safe='/')}")
        await page.wait_for_selector(f'html[lang="{locale}"]')
        assert await page.get_by_role("heading", level=1).count() == 1
        await assert_accessible(page)
        name = re.sub(r"[^\w-]+", "-", path.strip("/").replace("/", "-"))
        await _shot(page, f"{name}-{locale}")


async def test_keyboard_reaches_the_actions(server: LiveServer, page: Any) -> None:
    paths = await _pages(server)
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    await page.goto(server.url + paths[0])
    assert await tab_reaches(page, 'a[href="/events/new"]')
    await page.goto(server.url + paths[2])
    assert await tab_reaches(page, 'form[action$="/shifts"] button', presses=60)
    await page.goto(server.url + paths[4])
    assert await tab_reaches(page, 'form[action$="/in"] button', presses=40)
    await page.keyboard.press("Enter")  # too early: refused, said on the page
    await page.wait_for_selector(".flash.error")
    await page.goto(server.url + paths[5])
    assert await tab_reaches(page, "#f-q")
    await page.keyboard.type("متطوع 2")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**q=**")
    assert await page.locator("tbody tr").count() == 1
    await page.goto(server.url + paths[6])
    assert await tab_reaches(page, 'form[action$="/national-id"] button', presses=40)


async def test_staff_find_a_volunteer_by_a_skill(server: LiveServer, page: Any) -> None:
    """Typed without the hamza, as people do: the one volunteer with first aid is found, and
    their profile lists the skills."""
    paths = await _pages(server)
    user_id = await staff_user(server.db, "staff")
    await browser_sign_in(page, server.url, await server.link(user_id))
    await page.goto(server.url + paths[5])
    await page.fill("#f-q", "اسعافات")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**q=**")
    rows = page.locator("tbody tr")
    assert await rows.count() == 1
    assert "لغة الإشارة" in await rows.inner_text()
    await rows.get_by_role("link").click()
    await page.wait_for_selector("#skills")
    assert await page.inner_text("#skills") == "إسعافات أولية، لغة الإشارة"
    await assert_accessible(page)


async def test_at_360_px_nothing_scrolls_sideways(server: LiveServer, new_page: NewPage) -> None:
    paths = await _pages(server)
    page = await new_page(width=360, height=740)
    user_id = await staff_user(server.db, "admin")
    await browser_sign_in(page, server.url, await server.link(user_id))
    for locale in ("ar", "en"):
        for path in paths:
            await page.goto(f"{server.url}/lang/{locale}?next={quote(path, safe='/')}")
            await assert_fits(page)


async def test_end_to_end_web_and_chat(server: LiveServer, page: Any, engine: Engine) -> None:
    """Staff create an event with shifts on the web, a volunteer registers in chat, staff
    check them in and out on the page, and the hours change in chat and on the profile."""
    user_id = await staff_user(server.db, "admin", external="web-boss")
    await browser_sign_in(page, server.url, await server.link(user_id))
    # The clock is 09:00 UTC (12:00 in Taif): an event this afternoon, 14:00-18:00.
    await page.goto(server.url + "/events/new")
    await page.fill("#title_ar", "تنظيف حديقة الملك فهد")
    await page.fill("#place", "حديقة الملك فهد")
    await page.fill("#start_day", "2026-11-25")
    await page.fill("#start_time", "14:00")
    await page.fill("#end_day", "2026-11-25")
    await page.fill("#end_time", "18:00")
    await page.get_by_role("button", name="حفظ").click()
    await page.wait_for_selector(".flash")
    await page.fill("#s-day", "2026-11-25")
    await page.fill("#s-start", "14:00")
    await page.fill("#s-end", "16:00")
    await page.fill("#s-cap", "3")
    await page.fill("#s-days", "2")
    await page.get_by_role("button", name="إضافة", exact=True).click()
    await page.wait_for_selector("text=أُضيفت ورديتان.")
    async with server.db.sessions() as s:
        event = (await s.execute(select(Event))).scalar_one()
        shifts = list((await s.execute(select(Shift).order_by(Shift.id))).scalars())
    assert len(shifts) == 2 and shifts[1].starts_at - shifts[0].starts_at == timedelta(days=1)

    [chat] = await volunteers(engine, "e2e")
    await register(chat, event.id, shifts[0].id)
    await chat.send("/myhours")
    before = chat.text
    async with server.db.sessions() as s:
        volunteer = (await s.execute(select(Volunteer))).scalar_one()

    # Checked in at 13:30 (check-in opens 30 minutes before); out at 16:30: three hours.
    server.clock.now += timedelta(hours=1, minutes=30)
    await page.goto(f"{server.url}/events/{event.id}/shifts/{shifts[0].id}")
    await page.get_by_role("button", name="تسجيل الحضور").click()
    await page.wait_for_selector("text=سُجّل حضور")
    server.clock.now += timedelta(hours=3)
    await page.get_by_role("button", name="تسجيل الانصراف").click()
    await page.wait_for_selector("text=سُجّل انصراف")
    await _shot(page, "e2e-shift-ar")

    await chat.send("/myhours")
    assert chat.text != before and "المجموع: 3 ساعات في وردية واحدة." in chat.text
    await page.goto(f"{server.url}/volunteers/{volunteer.id}")
    assert "3 ساعات في وردية واحدة" in await page.inner_text("#hours-total")
    await _shot(page, "e2e-profile-ar")
