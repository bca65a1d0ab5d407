"""Partner organisations on the web (issue 15 item 1): the list with a status filter, one
organisation's file with its representatives, and the staff decisions (approve, reject with a
note, ask for information; confirm or reject a representative). The rules, the audit rows and
the notices are `bot.services.partners`' — the same calls as the chat's staff panel."""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_datetime
from bot.core.text import mask_mobile
from bot.services import partners as service
from bot.web.page import Pages, View
from bot.web.table import Column, Table

pages = Pages()
# The list is newest first (a queue staff work through); its columns do not sort.
COLUMNS = (
    Column("id", "web.ptn.col.id", sortable=False, numeric=True),
    Column("name", "web.ptn.col.name", sortable=False),
    Column("type", "web.ptn.col.type", sortable=False),
    Column("status", "web.ptn.col.status", sortable=False),
    Column("created", "web.ptn.col.submitted", sortable=False, moment=True),
)

STATUSES = ("submitted", "info", "approved", "rejected", "withdrawn")


def _id(view: View) -> int:
    return view.path_id("partner_id")


@pages.get("/partners")
async def partner_list(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="id", descending=True, filters=("status",))
    status = table.filters.get("status") or None
    status = status if status in STATUSES else None
    page = table.page(await service.count_partners(view.work, status))
    found = await service.list_partners(view.work, status, page.offset, page.size)
    rows = [
        [
            p.id,
            Markup('<a href="/partners/{}">{}</a>').format(
                p.id, service.partner_name(p, view.locale)
            ),
            view.tr.label(f"ptn.type.{p.type}"),
            view.tr.label(f"ptn.status.{p.status}"),
            fmt_datetime(view.tr, p.created_at, view.env.settings.timezone),
        ]
        for p in found
    ]
    return view.render(
        "partners/list.html",
        table=table,
        page=page,
        rows=rows,
        total=page.total,
        statuses=[(s, f"ptn.status.{s}") for s in STATUSES],
    )


@pages.get("/partners/{partner_id}")
async def partner_detail(view: View) -> web.StreamResponse:
    found = await service.partner_file(view.work, _id(view))
    partner = found.partner
    return view.render(
        "partners/detail.html",
        p=partner,
        name=service.partner_name(partner, view.locale),
        mobile=mask_mobile(partner.contact_mobile),
        areas=[view.tr.label(f"ptn.area.{a}") for a in partner.areas],
        members=[(m, m.name or partner.contact_name) for m, _user in found.members],
        initiatives=found.initiatives,
        can_decide=partner.status in service.CAN_DECIDE,
    )


@pages.post("/partners/{partner_id}/approve")
async def approve(view: View) -> web.StreamResponse:
    partner_id = _id(view)
    await view.form()  # nothing to read (the CSRF middleware checked the token)
    await service.approve_partner(view.work, partner_id)
    view.flash("ptn.rev.done.approved")
    return view.redirect(f"/partners/{partner_id}")


@pages.post("/partners/{partner_id}/reject")
async def reject(view: View) -> web.StreamResponse:
    partner_id = _id(view)
    form = await view.form()
    await service.reject_partner(view.work, partner_id, form.get("note", ""))
    view.flash("ptn.rev.done.rejected")
    return view.redirect(f"/partners/{partner_id}")


@pages.post("/partners/{partner_id}/ask")
async def ask(view: View) -> web.StreamResponse:
    partner_id = _id(view)
    form = await view.form()
    await service.ask_partner_info(view.work, partner_id, form.get("question", ""))
    view.flash("ptn.rev.done.info")
    return view.redirect(f"/partners/{partner_id}")


@pages.post("/partners/{partner_id}/members/{member_id}")
async def decide_member(view: View) -> web.StreamResponse:
    partner_id = _id(view)
    form = await view.form()
    member_id = view.path_id("member_id")
    confirm = form.get("do") == "confirm"
    await service.decide_member(view.work, member_id, confirm)
    view.flash("ptn.rev.done.member_ok" if confirm else "ptn.rev.done.member_no")
    return view.redirect(f"/partners/{partner_id}")
