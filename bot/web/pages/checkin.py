"""A shift's check-in code on its page (issue 15 item 7): the QR codes as inline SVG, the links
as text, "change the code" (a POST with the CSRF token, like every form) and the A4 poster as
a PDF. `bot.services.checkin` makes, rotates and audits the code; the page only shows it."""

from __future__ import annotations

from typing import Any

import segno
from aiohttp import web
from markupsafe import Markup

from bot.checkin_poster import render_poster
from bot.core.dates import fmt_datetime
from bot.services import checkin as service
from bot.services.attendance import checkin_opens_at
from bot.web.page import Pages, View
from storage import events as event_store
from storage.models_events import Shift

pages = Pages()
QR_SCALE = 6  # px per module: about 220 px for a deep link, scannable off a phone screen


def qr_svg(text: str, label: str) -> Markup:
    """The QR code of `text` as an inline SVG image named `label` (read out by screen
    readers; the link itself is printed beside it as text)."""
    svg = segno.make(text, error="m").svg_inline(
        scale=QR_SCALE, border=4, svgclass="qr", lineclass=None, title=label
    )
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))


async def section(view: View, shift_id: int) -> dict[str, Any]:
    """What the shift page's "check-in code" section shows."""
    found = await service.shift_code(view.work, shift_id)
    tr = view.tr
    links = []
    for link, name, qr in (
        (found.telegram_link, "web.ci.telegram", "web.ci.qr_telegram"),
        (found.whatsapp_link, "web.ci.whatsapp", "web.ci.qr_whatsapp"),
    ):
        if link:
            links.append({"url": link, "name": name, "svg": qr_svg(link, tr.label(qr))})
    opens = checkin_opens_at(view.env.settings, found.shift)
    return {
        "code": found.shown,
        "typed": service.whatsapp_text(view.work, found.code),
        "links": links,
        "no_telegram": found.telegram_link is None,
        "no_whatsapp": found.whatsapp_link is None,
        "opens": fmt_datetime(tr, opens, view.env.settings.timezone),
    }


async def _shift(view: View) -> Shift:
    """The shift of the address; a shift of another event (or none) is a 404 page."""
    event_id, shift_id = view.path_id("event_id"), view.path_id("shift_id")
    shift = await event_store.get_shift(view.work.session, shift_id)
    if shift is None or shift.event_id != event_id:
        raise web.HTTPNotFound()
    return shift


@pages.post("/events/{event_id}/shifts/{shift_id}/checkin/rotate")
async def rotate(view: View) -> web.StreamResponse:
    shift = await _shift(view)
    found = await service.rotate_code(view.work, shift.id)
    view.flash("web.ci.rotated", code=found.shown)
    return view.redirect(f"/events/{shift.event_id}/shifts/{shift.id}#checkin-h")


@pages.get("/events/{event_id}/shifts/{shift_id}/checkin/poster.pdf")
async def poster(view: View) -> web.StreamResponse:
    shift = await _shift(view)
    found = await service.shift_code(view.work, shift.id)
    pdf = render_poster(view.env.catalogs, view.env.settings, found)
    return web.Response(
        body=pdf.data,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf.filename}"'},
    )
