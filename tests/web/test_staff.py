"""Staff management (admins only): list, add, change a role, remove, refusals shown, CSRF;
axe in both languages, keyboard, 360 px."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity
from tests.conftest import Clock
from tests.web.conftest import LiveServer
from tests.web.rig import (
    assert_accessible,
    assert_fits,
    browser_sign_in,
    csrf_of,
    link_for,
    sign_in,
    staff_user,
    tab_reaches,
)

Client = TestClient[Any, Any]
NewPage = Callable[..., Awaitable[Any]]


async def _role(db: Database, who: str) -> str | None:
    channel, external = who.split(":")
    async with db.sessions() as s:
        found = await repo.find_identity(s, channel, external)
    return None if found is None else found[1].role


async def test_admin_adds_changes_and_removes_staff(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    admin = await staff_user(db, "admin")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), admin))
    page = await client.get("/staff")
    token = csrf_of(await page.text())
    tr = catalogs.translator("ar")
    added = await client.post(
        "/staff", data={"csrf": token, "who": "telegram:555", "role": "staff"}
    )
    html = await added.text()
    assert tr.t("web.staff.changed", who="telegram:555", role=tr.label("web.role.staff")) in html
    assert "telegram:555" in html and await _role(db, "telegram:555") == "staff"
    await client.post("/staff", data={"csrf": token, "who": "telegram:555", "role": "admin"})
    assert await _role(db, "telegram:555") == "admin"
    await client.post("/staff", data={"csrf": token, "who": "telegram:555", "role": "user"})
    assert await _role(db, "telegram:555") == "user"
    async with db.sessions() as s:
        actions = (await s.execute(select(AuditLog.action).order_by(AuditLog.id))).scalars().all()
    assert [a for a in actions if a.startswith("staff.")] == [
        "staff.add",
        "staff.add",
        "staff.remove",
    ]


async def test_refusals_are_shown_and_write_nothing(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    admin = await staff_user(db, "admin", external="900")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), admin))
    token = csrf_of(await (await client.get("/staff")).text())
    tr = catalogs.translator("ar")
    bad = await client.post("/staff", data={"csrf": token, "who": "fax:<1>", "role": "staff"})
    assert tr.t("web.staff.bad_who", who="fax:<1>") in await bad.text()
    mine = await client.post("/staff", data={"csrf": token, "who": "telegram:900", "role": "user"})
    assert tr.t("web.staff.not_self") in await mine.text()
    assert await _role(db, "telegram:900") == "admin"
    no_token = await client.post("/staff", data={"who": "telegram:1", "role": "admin"})
    assert no_token.status == 403 and await _role(db, "telegram:1") is None


async def test_staff_page_is_for_admins_only(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    member = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), member))
    assert (await client.get("/staff")).status == 403
    overview = await (await client.get("/")).text()
    assert 'href="/staff"' not in overview
    token = csrf_of(overview)
    refused = await client.post(
        "/staff", data={"csrf": token, "who": "telegram:2", "role": "admin"}
    )
    assert refused.status == 403 and await _role(db, "telegram:2") is None


async def test_an_admin_has_no_role_buttons_on_their_own_row(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    admin = await staff_user(db, "admin", external="900")
    await staff_user(db, "staff", external="222")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), admin))
    html = await (await client.get("/staff")).text()
    rows = {row.split("</td>", 1)[0]: row for row in html.split("<tr>")[1:] if "telegram:" in row}
    mine = next(row for cell, row in rows.items() if "telegram:900" in cell)
    other = next(row for cell, row in rows.items() if "telegram:222" in cell)
    tr = catalogs.translator("ar")
    assert 'name="who" value="telegram:900"' not in html  # no form acts on the admin's own row
    assert "<form" not in mine and tr.t("web.staff.yourself") in mine
    assert 'value="telegram:222"' in other and tr.t("web.staff.remove") in other


async def test_an_admin_cannot_demote_or_remove_themselves_by_any_of_their_accounts(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    admin = await staff_user(db, "admin", external="900")
    async with db.transaction() as s:
        s.add(ChannelIdentity(channel="whatsapp", external_id="966500000900", user_id=admin))
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), admin))
    token = csrf_of(await (await client.get("/staff")).text())
    tr = catalogs.translator("ar")
    for who, role in (
        ("telegram:900", "staff"),
        ("telegram:900", "user"),
        ("whatsapp:966500000900", "staff"),
        ("whatsapp:966500000900", "user"),
    ):
        refused = await client.post("/staff", data={"csrf": token, "who": who, "role": role})
        assert tr.t("web.staff.not_self") in await refused.text(), (who, role)
        assert await _role(db, "telegram:900") == "admin"
    async with db.sessions() as s:
        actions = (await s.execute(select(AuditLog.action))).scalars().all()
    assert not [a for a in actions if a.startswith("staff.")]


@pytest.mark.timeout(120)
async def test_staff_page_in_the_browser(server: LiveServer, new_page: NewPage) -> None:
    admin = await staff_user(server.db, "admin")
    await staff_user(server.db, "staff", external="222")
    page = await new_page()
    await browser_sign_in(page, server.url, await server.link(admin))
    for locale in ("ar", "en"):
        await page.goto(f"{server.url}/lang/{locale}?next=/staff")
        await assert_accessible(page)
        assert await tab_reaches(page, "#who", presses=40)
        await page.screenshot(path=f"/tmp/shots/staff/staff-{locale}.png", full_page=True)
    # By keyboard alone: type an account and press Enter in the add form.
    await page.keyboard.type("telegram:333")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("text=telegram:333")
    narrow = await new_page(width=360, height=740)
    await browser_sign_in(narrow, server.url, await server.link(admin))
    for locale in ("ar", "en"):
        await narrow.goto(f"{server.url}/lang/{locale}?next=/staff")
        await assert_fits(narrow)
