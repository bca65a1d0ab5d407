"""Signing in and out: the login link's page, logout, the language toggle, and the pages a
person without a session sees."""

from __future__ import annotations

from aiohttp import web

from bot.core.unit import Actor, Unit
from bot.services import web_access
from bot.services.errors import Conflict, Forbidden, ServiceError
from bot.web import security
from bot.web.page import LOCALES, SESSION_ID, Pages, View, cookie_flags

pages = Pages()
ANONYMOUS = Actor("web", None, "user")  # someone holding a link, not yet signed in


def _refusal(view: View, err: ServiceError) -> web.Response:
    """A used, expired or forged link, or a person who is not staff: a page, no session."""
    status = 403 if isinstance(err, Forbidden) else 410 if isinstance(err, Conflict) else 404
    return view.render("message.html", status=status, title="web.link_refused", body=err.msgid)


@pages.get("/login/{token}", public=True)
async def login_page(view: View) -> web.StreamResponse:
    """Asks for a press instead of signing in on GET: chat apps fetch links for previews,
    and that fetch must not spend the link."""
    token = view.request.match_info["token"]
    env = view.env
    async with env.db.transaction() as s:
        unit = Unit(s, ANONYMOUS, env.clock(), env.catalogs, env.settings)
        try:
            await web_access.check_link(unit, token)
        except ServiceError as err:
            return _refusal(view, err)
    return view.render("login.html", token=token)


@pages.post("/login/{token}", public=True)
async def login(view: View) -> web.StreamResponse:
    token = view.request.match_info["token"]
    env = view.env
    try:
        async with env.db.transaction() as s:
            unit = Unit(s, ANONYMOUS, env.clock(), env.catalogs, env.settings)
            signed_in = await web_access.redeem(unit, token)
    except ServiceError as err:
        return _refusal(view, err)
    response = view.redirect("/")
    # The cookie lasts the browser session; the server ends it after WEB_SESSION_HOURS idle.
    response.set_cookie(security.SESSION_COOKIE, signed_in.session_id, **cookie_flags(env))
    return response


@pages.post("/logout")
async def logout(view: View) -> web.StreamResponse:
    await web_access.sign_out(view.work, view.request[SESSION_ID])
    response = view.redirect("/signed-out")
    response.del_cookie(security.SESSION_COOKIE, path="/")
    return response


@pages.get("/signed-out", public=True)
async def signed_out(view: View) -> web.StreamResponse:
    return view.render("message.html", title="web.signed_out_title", body="web.signed_out")


@pages.get("/signin", public=True)
async def signin(view: View) -> web.StreamResponse:
    return view.render("message.html", status=401, title="web.signin_title", body="web.signin")


@pages.get("/lang/{locale}", public=True)
async def language(view: View) -> web.StreamResponse:
    """The language toggle: a plain link (works without JavaScript), back to the same page."""
    locale = view.request.match_info["locale"]
    response = view.redirect(security.local_path(view.request.query.get("next")))
    if locale in LOCALES:
        year = 365 * 24 * 3600
        response.set_cookie(security.LANG_COOKIE, locale, **cookie_flags(view.env, max_age=year))
    return response
