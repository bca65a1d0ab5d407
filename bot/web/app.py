"""The staff web workspace as an aiohttp application: `create_app(db, catalogs, settings)`.

Every request passes, in order:
  1. `headers`: the security headers (CSP without inline script or style, no framing, no
     referrer to other sites, nosniff) and `no-store` on pages, on every response;
  2. `session`: the session cookie's person, with the role read from the database now (a
     session whose person lost the role ends here);
  3. `csrf`: any POST must carry the session's token (form field or header), else 403.
The route's own guard (`bot.web.page.Pages`) then requires staff or admin.

`bot.web.pages.MODULES` lists the page modules; a new page is added there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from types import ModuleType

import jinja2
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import web_access
from bot.settings import Settings
from bot.web import security
from bot.web.page import ENV_KEY, FLASH, HAD_SESSION, SESSION_ID, USER, WebEnv, env_of
from bot.web.pages import MODULES
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
Next = Callable[[web.Request], Awaitable[web.StreamResponse]]


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the test, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )


@web.middleware
async def headers(request: web.Request, handler: Next) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(security.HEADERS)
        raise
    response.headers.update(security.HEADERS)
    if not request.path.startswith("/static/"):
        # Pages show personal data: no copy in a shared cache or the browser's.
        response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def session(request: web.Request, handler: Next) -> web.StreamResponse:
    env = env_of(request)
    flash = request.cookies.get(security.FLASH_COOKIE)
    if flash:
        request[FLASH] = flash
    sid = request.cookies.get(security.SESSION_COOKIE)
    if sid is None or request.path.startswith("/static/"):
        return await handler(request)
    request[HAD_SESSION] = True
    async with env.db.transaction() as s:
        unit = Unit(s, Actor("web", None, "user"), env.clock(), env.catalogs, env.settings)
        user = await web_access.resume(unit, sid)
    if user is not None:
        request[USER], request[SESSION_ID] = user, sid
    response = await handler(request)
    if user is None:
        response.del_cookie(security.SESSION_COOKIE, path="/")
    return response


@web.middleware
async def csrf(request: web.Request, handler: Next) -> web.StreamResponse:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return await handler(request)
    env = env_of(request)
    sent = request.headers.get(security.CSRF_HEADER)
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = str((await request.post()).get(security.CSRF_FIELD, "")) or None
    # A login link's confirmation form is keyed on the link's token (there is no session yet).
    key = request.get(SESSION_ID) or request.match_info.get("token")
    if not security.csrf_ok(env.secret, key, sent):
        raise web.HTTPForbidden(text="403: invalid or missing CSRF token")
    return await handler(request)


PRUNE_EVERY = 3600.0  # seconds


async def housekeeping(app: web.Application, stop: asyncio.Event) -> None:
    """The web process's own work (`ProcessOwner.add_background`): prune stale links and idle
    sessions every hour until the process stops."""
    env = app[ENV_KEY]
    while not stop.is_set():
        async with env.db.transaction() as s:
            await web_access.prune(Unit(s, Actor.system(), env.clock(), env.catalogs, env.settings))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PRUNE_EVERY)


class AccessLog(AbstractAccessLogger):
    """Method, route pattern and status only: an address may hold a login token or an id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        info = getattr(request, "match_info", None)
        route = info.route.resource.canonical if info is not None and info.route.resource else "?"
        self.logger.info("%s %s %s %.0fms", request.method, route, response.status, time * 1000)


def create_app(
    db: Database,
    catalogs: Catalogs,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    modules: Iterable[ModuleType] = MODULES,
) -> web.Application:
    """The workspace over this database; `modules` are the page modules served (tests add
    their own)."""
    if settings.web_session_secret is None:
        raise ValueError("WEB_SESSION_SECRET is required for the web workspace")
    app = web.Application(middlewares=[headers, session, csrf])
    app[ENV_KEY] = WebEnv(db, catalogs, settings, clock, templates())
    for module in modules:
        app.router.add_routes(module.pages.routes)
    app.router.add_static("/static", HERE / "static", append_version=False)
    return app
