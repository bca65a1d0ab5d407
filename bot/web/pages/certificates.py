"""Certificates of volunteer hours on the web (issue 15 item 6): the public verification page
that a certificate's QR code opens, and for staff a volunteer's certificates with «revoke».

/verify/{code} needs no sign-in and shows only what the certificate states: a masked name, the
hours and the period, or that it was revoked. It is a GET that changes nothing, so it needs no
CSRF token. A code is one of 31^10, so trying codes at random finds none; each address may
still check only `VERIFY_TRIES` codes in `VERIFY_WINDOW` (429 beyond that), as a person may in
chat. The address is the connection's: behind a reverse proxy, every client would share the
proxy's, so the proxy should limit too."""

from __future__ import annotations

from aiohttp import web

from bot.core.dates import fmt_date, hours_text
from bot.core.unit import Unit
from bot.services import certificates as service
from bot.services.errors import NotFound, TooMany
from bot.web.page import Pages, View
from bot.web.pages.auth import ANONYMOUS
from storage.models import Volunteer

pages = Pages()
VERIFY = "verify"  # the throttle's name in the web process


@pages.get("/verify/{code}", public=True)
async def verify(view: View) -> web.StreamResponse:
    env, tr = view.env, view.tr
    async with env.db.transaction() as session:
        unit = Unit(session, ANONYMOUS, env.clock(), env.catalogs, env.settings)
        throttle = env.throttles.setdefault(VERIFY, service.verify_throttle())
        client = f"ip:{view.request.remote}"
        try:
            found = await service.verify_limited(
                unit, throttle, client, view.request.match_info["code"]
            )
        except NotFound:
            return view.render("certificates/verify.html", status=404, found=None)
        except TooMany:
            wait = throttle.retry_after(client, unit.now)
            refused = view.render(
                "message.html", status=429, title="cert.web.title", body="err.too_many"
            )
            refused.headers["Retry-After"] = str(max(1, int(wait.total_seconds())))
            return refused
    return view.render(
        "certificates/verify.html",
        found=found,
        revoked=found.status == service.REVOKED,
        code=service.display_code(found.code),
        hours=hours_text(tr, found.total_hours),
        first=fmt_date(tr, found.period_from),
        last=fmt_date(tr, found.period_to),
    )


@pages.get("/volunteers/{volunteer_id}/certificates")
async def volunteer_certificates(view: View) -> web.StreamResponse:
    unit, tr = view.work, view.tr
    volunteer_id = view.path_id("volunteer_id")
    volunteer = await unit.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound()
    rows = [
        {
            "code": service.display_code(c.code),
            "raw_code": c.code,
            "hours": hours_text(tr, c.total_hours),
            "period": tr.label(
                "cert.pdf.period",
                first=fmt_date(tr, c.period_from),
                last=fmt_date(tr, c.period_to),
            ),
            "issued": c.issued_at,
            "revoked": c.revoked_at is not None,
            "reason": c.revoke_reason or "",
        }
        for c in await service.volunteer_certificates(unit, volunteer_id)
    ]
    return view.render("certificates/list.html", volunteer=volunteer, rows=rows)


@pages.post("/volunteers/{volunteer_id}/certificates/{code}/revoke")
async def revoke(view: View) -> web.StreamResponse:
    form = await view.form()
    code = view.request.match_info["code"]
    volunteer_id = view.path_id("volunteer_id")
    await service.revoke_certificate(view.work, code, form.get("reason", ""), volunteer_id)
    view.flash("cert.revoked", code=service.display_code(service.normalize_code(code)))
    return view.redirect(f"/volunteers/{volunteer_id}/certificates")
