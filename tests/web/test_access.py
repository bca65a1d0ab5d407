"""Signing in to the web workspace and what guards every request (issue 13 item 2), over HTTP:
links good, used, expired and forged; a plain user's link; CSRF; a role removed; idle
sessions; cookie flags; security headers; the language toggle; the route guards and flashes."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.core.i18n import Catalogs
from bot.services.errors import Conflict, NotFound
from bot.settings import Settings, load_settings
from bot.web import security
from bot.web.app import create_app
from bot.web.page import Pages, View
from bot.web.pages import MODULES
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, User
from storage.models_web import WebSession
from tests.conftest import Clock
from tests.web.rig import csrf_of, link_for, path_of, sign_in, staff_user

Client = TestClient[Any, Any]


async def _link(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> str:
    user_id = await staff_user(db, "staff")
    return await link_for(db, catalogs, settings, clock(), user_id)


async def _sessions(db: Database) -> int:
    async with db.sessions() as s:
        return int((await s.execute(select(func.count()).select_from(WebSession))).scalar_one())


async def test_a_good_link_opens_a_session_with_safe_cookie_flags(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    link = await _link(db, catalogs, web_settings, clock)
    assert link.startswith("http://127.0.0.1:8090/login/")
    page = await client.get(path_of(link))
    done = await client.post(
        path_of(link), data={"csrf": csrf_of(await page.text())}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == "/"
    cookie = done.headers["Set-Cookie"]
    assert cookie.startswith(security.SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    overview = await client.get("/")
    assert overview.status == 200
    assert catalogs.translator("ar").t("web.overview.waiting") in await overview.text()
    async with db.sessions() as s:
        actions = (await s.execute(select(AuditLog.action))).scalars().all()
    assert {"web.link", "web.login"} <= set(actions)
    # The raw secret is nowhere in the database: only its hash.
    async with db.sessions() as s:
        (stored,) = (await s.execute(select(WebSession.session_hash))).one()
    assert cookie.split(";")[0].split("=", 1)[1] not in stored


async def test_secure_cookie_behind_https(
    db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    https = load_settings(**{**web_settings.model_dump(), "web_base_url": "https://w.example"})
    app = create_app(db, catalogs, https, clock=clock)
    async with TestClient(TestServer(app)) as client:
        link = path_of(await _link(db, catalogs, https, clock))
        page = await client.get(link)
        done = await client.post(
            link, data={"csrf": csrf_of(await page.text())}, allow_redirects=False
        )
        assert done.status == 303 and "Secure" in done.headers["Set-Cookie"]


async def test_a_used_link_is_refused_with_a_clear_page_and_no_session(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    link = await _link(db, catalogs, web_settings, clock)
    await sign_in(client, link)
    client.session.cookie_jar.clear()
    again = await client.get(path_of(link))
    assert again.status == 410
    assert catalogs.translator("ar").t("web.link_used") in await again.text()
    token = security.csrf_token(web_settings.web_session_secret.get_secret_value(), link)  # type: ignore[union-attr]
    post = await client.post(path_of(link), data={"csrf": token}, allow_redirects=False)
    assert post.status in (403, 410) and "Set-Cookie" not in post.headers
    assert await _sessions(db) == 1


async def test_an_expired_link_is_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    link = await _link(db, catalogs, web_settings, clock)
    page = await client.get(path_of(link))
    csrf = csrf_of(await page.text())
    clock.now += timedelta(minutes=10)
    refused = await client.post(path_of(link), data={"csrf": csrf}, allow_redirects=False)
    assert refused.status == 410 and "Set-Cookie" not in refused.headers
    assert catalogs.translator("ar").t("web.link_expired") in await refused.text()
    assert await _sessions(db) == 0


async def test_a_forged_link_is_refused(client: Client) -> None:
    forged = await client.get("/login/not-a-real-token-at-all")
    assert forged.status == 404 and "Set-Cookie" not in forged.headers
    await client.get("/lang/en")
    english = await client.get("/login/x")
    assert english.status == 404 and 'lang="en"' in await english.text()


async def test_a_plain_users_link_is_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    staff_id = await staff_user(db, "staff")
    link = await link_for(db, catalogs, web_settings, clock(), staff_id)
    async with db.transaction() as s:
        await repo.set_role(s, "telegram", "100", "user")  # no longer staff
    refused = await client.get(path_of(link))
    assert refused.status == 403
    assert catalogs.translator("ar").t("web.not_staff") in await refused.text()


@pytest.mark.parametrize("token", [None, "0" * 64])
async def test_a_post_without_a_valid_csrf_token_is_403(
    client: Client,
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    token: str | None,
) -> None:
    await sign_in(client, await _link(db, catalogs, web_settings, clock))
    data = {} if token is None else {"csrf": token}
    refused = await client.post("/logout", data=data, allow_redirects=False)
    assert refused.status == 403
    assert refused.headers["X-Frame-Options"] == "DENY"
    assert await _sessions(db) == 1  # nothing happened


async def test_logout_ends_the_session(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await sign_in(client, await _link(db, catalogs, web_settings, clock))
    page = await client.get("/")
    out = await client.post(
        "/logout", data={"csrf": csrf_of(await page.text())}, allow_redirects=False
    )
    assert out.status == 303 and out.headers["Location"] == "/signed-out"
    assert await _sessions(db) == 0
    again = await client.get("/", allow_redirects=False)
    assert again.headers["Location"] == "/signin"


async def test_a_removed_role_ends_the_session_at_the_next_request(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await sign_in(client, await _link(db, catalogs, web_settings, clock))
    assert (await client.get("/", allow_redirects=False)).status == 200
    async with db.transaction() as s:
        await repo.set_role(s, "telegram", "100", "user")
    out = await client.get("/", allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/signed-out"
    assert await _sessions(db) == 0
    signed_out = await client.get("/signed-out")
    assert catalogs.translator("ar").t("web.signed_out") in await signed_out.text()


async def test_an_idle_session_ends_after_web_session_hours(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await sign_in(client, await _link(db, catalogs, web_settings, clock))
    clock.now += timedelta(hours=7)
    assert (await client.get("/", allow_redirects=False)).status == 200  # a request: not idle
    clock.now += timedelta(hours=7)
    assert (await client.get("/", allow_redirects=False)).status == 200
    clock.now += timedelta(hours=8)
    out = await client.get("/", allow_redirects=False)
    assert out.headers["Location"] == "/signed-out"


async def test_without_a_session_pages_send_to_the_sign_in_help(client: Client) -> None:
    out = await client.get("/", allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/signin"
    help_page = await client.get("/signin")
    assert help_page.status == 401


@pytest.mark.parametrize("path", ["/", "/signin", "/static/app.css", "/nowhere"])
async def test_security_headers_on_every_response(client: Client, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    for name, value in security.HEADERS.items():
        assert response.headers[name] == value
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


async def test_the_language_toggle_keeps_the_page_and_stays_on_this_site(
    client: Client, catalogs: Catalogs
) -> None:
    toggled = await client.get("/lang/en?next=/signin", allow_redirects=False)
    assert toggled.headers["Location"] == "/signin"
    page = await client.get("/signin")
    html = await page.text()
    assert 'lang="en" dir="ltr"' in html
    assert catalogs.translator("en").t("web.signin") in html
    elsewhere = await client.get("/lang/ar?next=//evil.example/", allow_redirects=False)
    assert elsewhere.headers["Location"] == "/"
    arabic = await client.get("/signin")
    assert 'lang="ar" dir="rtl"' in await arabic.text()


# --- the route guards and flashes, on a page module made for the test ------------------------

pages = Pages()  # what create_app reads from a page module


@pages.get("/test/admin", admin=True)
async def admin_only(view: View) -> web.StreamResponse:
    return web.Response(text="admin page")


@pages.post("/test/refuse")
async def refuse(view: View) -> web.StreamResponse:
    # A change, then a refusal: the change must be rolled back.
    user = await view.work.session.get(User, view.work.actor.user_id)
    assert user is not None
    user.locale = "en"
    raise Conflict("web.link_used")


@pages.get("/test/gone")
async def gone(view: View) -> web.StreamResponse:
    raise NotFound("web.link_used")


@pytest.fixture
async def guarded(db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock) -> Any:
    app = create_app(
        db, catalogs, web_settings, clock=clock, modules=(*MODULES, sys.modules[__name__])
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(("role", "status"), [("staff", 403), ("admin", 200)])
async def test_admin_pages_are_for_admins(
    guarded: Client,
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    role: str,
    status: int,
) -> None:
    user_id = await staff_user(db, role)
    await sign_in(guarded, await link_for(db, catalogs, web_settings, clock(), user_id))
    assert (await guarded.get("/test/admin")).status == status


async def test_a_service_refusal_is_a_flash_in_the_readers_language_and_writes_nothing(
    guarded: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    await sign_in(guarded, await link_for(db, catalogs, web_settings, clock(), user_id))
    token = csrf_of(await (await guarded.get("/")).text())
    refused = await guarded.post("/test/refuse", data={"csrf": token}, allow_redirects=False)
    # Back to the page the form was on (here none was named: the overview), never to the
    # action's own address, which has no GET page.
    assert refused.status == 303 and refused.headers["Location"] == "/"
    shown = await guarded.get("/")
    assert catalogs.translator("ar").t("web.link_used") in await shown.text()
    async with db.sessions() as s:
        user = await s.get(User, user_id)
    assert user is not None and user.locale == "ar"  # rolled back
    # Shown once: the next page has no flash.
    assert catalogs.translator("ar").t("web.link_used") not in await (await guarded.get("/")).text()


async def test_a_refused_action_goes_back_to_the_page_its_form_was_on(
    guarded: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    await sign_in(guarded, await link_for(db, catalogs, web_settings, clock(), user_id))
    token = csrf_of(await (await guarded.get("/")).text())
    origin = str(guarded.make_url("/sites?page=2"))
    refused = await guarded.post(
        "/test/refuse", data={"csrf": token}, headers={"Referer": origin}, allow_redirects=False
    )
    assert refused.status == 303 and refused.headers["Location"] == "/sites?page=2"
    elsewhere = await guarded.post(
        "/test/refuse",
        data={"csrf": token},
        headers={"Referer": "https://evil.example/sites"},
        allow_redirects=False,
    )
    assert elsewhere.headers["Location"] == "/"


async def test_a_page_that_cannot_be_shown_says_why_without_redirecting_to_itself(
    guarded: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    await sign_in(guarded, await link_for(db, catalogs, web_settings, clock(), user_id))
    shown = await guarded.get("/test/gone", allow_redirects=False)
    assert shown.status == 404
    text = await shown.text()
    assert catalogs.translator("ar").t("web.link_used") in text
    assert catalogs.translator("ar").t("web.error_title") in text


# --- no CDN: every asset comes from this app (issue 13 §1) -------------------------------------
WEB_DIR = Path(__file__).resolve().parents[2] / "bot" / "web"
# An address to another site: http(s):// or protocol-relative //host in an src, href or action,
# a CSS url() or @import; in a script or style sheet also any quoted string. (An SVG's xmlns
# names a namespace, not a place to load from.)
_ELSEWHERE = re.compile(
    r"""(?:\b(?:src|href|action)\s*=\s*["']?\s*|url\(\s*["']?|@import\s+["']?)(?:https?:)?//""",
    re.I,
)
_QUOTED_ELSEWHERE = re.compile(r"""["'`](?:https?:)?//""", re.I)
_ASSETS = re.compile(r'<(?:script|link|img|source|iframe)\b[^>]*?\b(?:src|href)="([^"]*)"', re.I)


def _elsewhere(file: Path) -> list[str]:
    text = file.read_text(encoding="utf-8")
    hits = _ELSEWHERE.findall(text)
    return hits + _QUOTED_ELSEWHERE.findall(text) if file.parent.name == "static" else hits


def test_templates_and_static_files_name_no_other_site() -> None:
    files = [*(WEB_DIR / "templates").rglob("*.html"), *(WEB_DIR / "static").rglob("*.*")]
    assert len(files) > 10
    found = {str(f.relative_to(WEB_DIR)): hits for f in files if (hits := _elsewhere(f))}
    assert found == {}
    assert _ELSEWHERE.search('<script src="https://cdn.example/x.js">')  # the check itself
    assert _ELSEWHERE.search("background: url(//cdn.example/a.png)")
    assert _QUOTED_ELSEWHERE.search("fetch('https://cdn.example/x.json')")


@pytest.mark.parametrize(
    "path",
    ["/", "/requests", "/events", "/volunteers", "/broadcasts", "/sites", "/audit", "/signin"],
)
async def test_rendered_pages_load_scripts_styles_and_images_from_static_only(
    client: Client,
    db: Database,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
    path: str,
) -> None:
    await sign_in(client, await _link(db, catalogs, web_settings, clock))
    html = await (await client.get(path)).text()
    assets = _ASSETS.findall(html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert not _ELSEWHERE.search(html)


async def test_an_address_with_a_bad_id_is_404_on_every_page_not_a_server_error(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "admin")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    for path in (
        "/volunteers/abc",
        "/volunteers/abc/certificates",
        "/volunteers/\u0661\u0662/certificates",  # Arabic-Indic digits are not an id in a path
        "/volunteers/99999999999999999999999",
        "/events/abc",
        "/sites/abc",
        "/broadcasts/abc",
        "/requests/abc",
        "/initiatives/abc",
        "/initiatives/\u0661\u0662",
        "/initiatives/99999999999999999999",
        "/partners/abc",
        "/partners/99999999999999999999",
        "/partners/\u0661\u0662",
        "/agreements/99999999999999999999/edit",
        "/agreements/\u0661\u0662/edit",
        "/agreements/partners/abc",
        "/agreements/partners/99999999999999999999",
        "/agreements/partners/\u0661\u0662",
        "/agreements/partners/99999999999999999999/report.pdf",
        "/agreements/99999999999999999999/report.xlsx",
    ):
        page = await client.get(path, allow_redirects=False)
        assert page.status == 404, path
