"""The overview: what waits for staff. A placeholder the pages team fills in (issue 13 §3)."""

from __future__ import annotations

from aiohttp import web

from bot.services import web_access
from bot.web.page import Pages, View

pages = Pages()


@pages.get("/")
async def overview(view: View) -> web.StreamResponse:
    waiting = await web_access.waiting(view.work)
    return view.render("overview.html", waiting=waiting)
