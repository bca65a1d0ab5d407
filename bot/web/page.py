"""What a page author uses: `Pages` (routes with a role guard), `View` (one request's unit of
work, translator, rendering, flashes, redirects) and `WebEnv` (the process's pieces).

    pages = Pages()

    @pages.get("/sites")                       # staff (the default); admin=True for admins
    async def sites(view: View) -> web.StreamResponse:
        rows = await family_sites.list_sites(view.unit)
        return view.render("sites.html", rows=rows)

    @pages.post("/sites/{site_id}/close")      # the CSRF token was checked before this runs
    async def close(view: View) -> web.StreamResponse:
        form = await view.form()
        await family_sites.close_site(view.unit, view.path_id("site_id"))
        view.flash("web.saved")
        return view.redirect("/sites")

The handler runs inside ONE database transaction (`view.unit.session`), with
`Actor.person(user_id, role)` read from the database on this request. A `ServiceError` it lets
through rolls the transaction back and becomes a flash message in the reader's language: on a
redirect back to the page the form was on, or on an error page for a GET (see `_call`).
See bot/web/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.core.date_input import parse_day
from bot.core.dates import fmt_date, fmt_datetime, local_day
from bot.core.i18n import Catalogs, Translator, localize_digits
from bot.core.throttle import Throttle
from bot.core.unit import Actor, Unit
from bot.core.validators import Invalid
from bot.services.errors import Forbidden, NotFound, ServiceError, TooMany
from bot.services.web_access import WebUser
from bot.settings import Settings
from bot.web import security
from storage.db import Database

Handler = Callable[["View"], Awaitable[web.StreamResponse]]
ENV_KEY: web.AppKey[WebEnv] = web.AppKey("shuraka_web_env")
# What the middlewares learn about a request (bot.web.app) for the route guards and views.
USER: web.RequestKey[WebUser] = web.RequestKey("shuraka_user", WebUser)
SESSION_ID: web.RequestKey[str] = web.RequestKey("shuraka_sid", str)
HAD_SESSION: web.RequestKey[bool] = web.RequestKey("shuraka_had_session", bool)
FLASH: web.RequestKey[str] = web.RequestKey("shuraka_flash", str)
FLASH_SHOWN: web.RequestKey[bool] = web.RequestKey("shuraka_flash_shown", bool)
LOCALES = ("ar", "en")
COUNT = "__n"  # the flash parameter that selects a plural form (`View.flash_n`)


@dataclass
class WebEnv:
    """The web process's database, catalogs, settings, clock and templates."""

    db: Database
    catalogs: Catalogs
    settings: Settings
    clock: Callable[[], datetime]
    templates: jinja2.Environment
    # Per-client limits of public look-ups, by name (bot.core.throttle), kept for the process.
    throttles: dict[str, Throttle] = field(default_factory=dict)

    @property
    def secret(self) -> str:
        value = self.settings.web_session_secret
        assert value is not None, "the web needs WEB_SESSION_SECRET"
        return value.get_secret_value()


def env_of(request: web.Request) -> WebEnv:
    return request.app[ENV_KEY]


def locale_of(request: web.Request) -> str:
    """The reader's language: the toggle's cookie, else their chat language, else Arabic."""
    user = request.get(USER)
    for chosen in (request.cookies.get(security.LANG_COOKIE), user and user.locale):
        if chosen and chosen in LOCALES:
            return str(chosen)
    return str(env_of(request).settings.default_locale)


@dataclass
class View:
    """One request as a page sees it. `unit` is None only on the public pages (login,
    signed out), which `Pages(public=True)` routes get."""

    request: web.Request
    env: WebEnv
    user: WebUser | None
    unit: Unit | None
    flashes: list[security.Flash] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return locale_of(self.request)

    @property
    def tr(self) -> Translator:
        return self.env.catalogs.translator(self.locale)

    @property
    def work(self) -> Unit:
        """The unit of a signed-in page (never None there)."""
        assert self.unit is not None
        return self.unit

    @property
    def today(self) -> date:
        """Today in the project's time zone, by the process's clock (the one tests inject)."""
        now = self.unit.now if self.unit is not None else self.env.clock()
        return local_day(now, self.env.settings.timezone)

    def path_id(self, name: str) -> int:
        """A numeric id from the address; anything else is a page that does not exist (404),
        never a server error."""
        text = self.request.match_info[name]
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise web.HTTPNotFound()
        return int(text)

    def day(self, text: str) -> date:
        """A date a form or filter sent, read as the chat reads one: ISO or day/month/year,
        Hijri or Gregorian, or words relative to today ("tomorrow", a weekday, "20 Rajab").
        Raises `Invalid`."""
        return parse_day(text, self.today)

    def filter_day(self, text: str) -> date | None:
        """A list filter's date, read as `day` reads one; empty or unreadable is no filter (a
        filter the reader mistyped shows everything rather than an error page)."""
        try:
            return self.day(text) if text else None
        except Invalid:
            return None

    async def form(self) -> dict[str, str]:
        """The POSTed fields (text only; the CSRF field is left out)."""
        data = await self.request.post()
        return {k: str(v) for k, v in data.items() if k != security.CSRF_FIELD}

    def flash(self, msgid: str, level: str = "info", **params: Any) -> None:
        """A message shown on the next page rendered (after a redirect) or on this one."""
        self.flashes.append((level, msgid, params))

    def flash_n(self, msgid: str, n: int, level: str = "info", **params: Any) -> None:
        """A flash that states a count: shown in the plural form for `n` (six in Arabic), so
        `msgid` is a plural catalog entry whose text has `{n}`."""
        self.flashes.append((level, msgid, {**params, COUNT: n}))

    def redirect(self, location: str) -> web.Response:
        """303 See Other to a path on this site (GET after POST)."""
        return web.Response(status=303, headers={"Location": security.local_path(location)})

    def csrf(self) -> str:
        key = self.request.get(SESSION_ID)
        return security.csrf_token(self.env.secret, key) if key else ""

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        tr, tz = self.tr, self.env.settings.timezone
        shown = [*security.read_flashes(self.env.secret, self.request.get(FLASH)), *self.flashes]
        self.flashes.clear()
        self.request[FLASH_SHOWN] = True

        def t(msgid: str, /, **params: Any) -> Markup:
            # Catalog texts are trusted markup; parameters are escaped by `Translator.t`.
            return Markup(tr.t(msgid, **params))

        def tn(msgid: str, n: int, /, **params: Any) -> Markup:
            return Markup(tr.tn(msgid, n, **params))

        def csrf_field(key: str | None = None) -> Markup:
            token = security.csrf_token(self.env.secret, key) if key else self.csrf()
            return Markup('<input type="hidden" name="{}" value="{}">').format(
                security.CSRF_FIELD, token
            )

        html = self.env.templates.get_template(template).render(
            lang=self.locale,
            dir="rtl" if self.locale == "ar" else "ltr",
            other_lang="en" if self.locale == "ar" else "ar",
            path=self.request.path_qs,
            user=self.user,
            flashes=[(level, _flash_text(t, tn, msgid, params)) for level, msgid, params in shown],
            t=t,
            tn=tn,
            csrf_field=csrf_field,
            date=lambda d: fmt_date(tr, d),
            datetime=lambda dt: fmt_datetime(tr, dt, tz),
            **context,
        )
        html = localize_page(html, self.locale, self.env.settings.arabic_digits)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


# What a person typed and sends back (a form's text areas) and what a browser runs keeps its
# characters; `localize_digits` itself keeps tags (attributes: links, ids, values, tokens),
# links and e-mail addresses.
_AS_TYPED = re.compile(r"<(textarea|script|style)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


def localize_page(html: str, locale: str, style: str) -> str:
    """An Arabic page's text in the one digit style of Arabic screens (ARABIC_DIGITS), as the
    chat's replies (`bot.core.i18n.localize_outbound`); English pages keep Western digits."""
    if locale != "ar":
        return html
    pieces: list[str] = []
    last = 0
    for match in _AS_TYPED.finditer(html):
        pieces.append(localize_digits(html[last : match.start()], style))
        pieces.append(match.group())
        last = match.end()
    pieces.append(localize_digits(html[last:], style))
    return "".join(pieces)


def _flash_text(
    t: Callable[..., Markup], tn: Callable[..., Markup], msgid: str, params: dict[str, Any]
) -> Markup:
    if COUNT in params:
        rest = {k: v for k, v in params.items() if k != COUNT}
        return tn(msgid, int(params[COUNT]), **rest)
    return t(msgid, **params)


class Pages:
    """A module's routes. `get`/`post` register a handler with its guard: signed-in staff by
    default, `admin=True` for admins only, `public=True` for the sign-in pages."""

    def __init__(self) -> None:
        self.routes = web.RouteTableDef()

    def get(self, path: str, *, admin: bool = False, public: bool = False) -> Callable[..., Any]:
        return self._route("GET", path, admin, public)

    def post(self, path: str, *, admin: bool = False, public: bool = False) -> Callable[..., Any]:
        return self._route("POST", path, admin, public)

    def _route(self, method: str, path: str, admin: bool, public: bool) -> Callable[..., Any]:
        def register(handler: Handler) -> Handler:
            async def endpoint(request: web.Request) -> web.StreamResponse:
                return await _call(request, handler, admin=admin, public=public)

            endpoint.__name__ = handler.__name__
            self.routes.route(method, path)(endpoint)
            return handler

        return register


async def _call(
    request: web.Request, handler: Handler, *, admin: bool, public: bool
) -> web.StreamResponse:
    env = env_of(request)
    user = request.get(USER)
    if public:
        view = View(request, env, user, None)
        return _with_flashes(view, await handler(view))
    if user is None:
        # A cookie that no longer opens a session: it ended (idle, logout, role removed).
        target = "/signed-out" if request.get(HAD_SESSION) else "/signin"
        return web.Response(status=303, headers={"Location": target})
    if admin and not user.is_admin:
        view = View(request, env, user, None)
        return view.render(
            "message.html", status=403, title="web.forbidden_title", body="web.forbidden"
        )
    view = View(request, env, user, None)
    try:
        async with env.db.transaction() as session:
            view.unit = Unit(
                session,
                Actor.person(user.user_id, user.role),
                env.clock(),
                env.catalogs,
                env.settings,
            )
            response = await handler(view)
    except ServiceError as err:
        # Rolled back: nothing of the action was written. Say why, in the reader's language.
        view.flash(err.msgid, "error", **err.params)
        if request.method == "GET":
            # A page that cannot be shown (gone, not allowed) says so here: redirecting to
            # itself would loop.
            response = view.render(
                "message.html",
                status=_ERROR_STATUS.get(type(err), 409),
                title="web.error_title",
                body="web.error_body",
            )
        else:
            # An action refused: back to the page the form was on (its address has a GET
            # page; the action's own may not).
            response = view.redirect(_form_page(request))
    return _with_flashes(view, response)


_ERROR_STATUS: dict[type[ServiceError], int] = {NotFound: 404, Forbidden: 403, TooMany: 429}


def _form_page(request: web.Request) -> str:
    """The path of the page a POST came from, when it is this site's; else the overview."""
    referer = request.headers.get("Referer", "")
    base = f"{request.scheme}://{request.host}"
    if referer.startswith(base + "/"):
        return security.local_path(referer[len(base) :])
    return "/"


def _with_flashes(view: View, response: web.StreamResponse) -> web.StreamResponse:
    """Carry flashes not yet shown to the next page; drop the cookie of those shown."""
    secret = view.env.secret
    pending = view.flashes
    if not view.request.get(FLASH_SHOWN):
        pending = [*security.read_flashes(secret, view.request.get(FLASH)), *pending]
    if pending:
        response.set_cookie(
            security.FLASH_COOKIE, security.sign_flashes(secret, pending), **cookie_flags(view.env)
        )
    elif view.request.get(FLASH):
        response.del_cookie(security.FLASH_COOKIE, path="/")
    return response


def cookie_flags(env: WebEnv, *, max_age: int | None = None) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, Secure behind https, for the whole site."""
    secure = env.settings.web_base_url.startswith("https://")
    flags: dict[str, Any] = {"httponly": True, "samesite": "Lax", "secure": secure, "path": "/"}
    if max_age is not None:
        flags["max_age"] = max_age
    return flags
