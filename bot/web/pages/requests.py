"""Stall requests at the staff desk: the queue (filters, sort, pages, bulk reject or waitlist)
and a request's page (family, documents, photos, history, and the decisions). Every decision
is a `bot.services.families` call; this module reads forms and renders."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_date, fmt_datetime, local_day
from bot.core.text import mask_national_id
from bot.services import families as svc
from bot.services import family_desk as desk
from bot.services.errors import NotFound, ServiceError
from bot.services.families import StatusConflict
from bot.services.family_notices import reason_label, site_name, staff_wording, stall_label
from bot.web.page import Pages, View
from bot.web.table import Column, Table
from storage.families import STALL_TYPES
from storage.models_families import ACTIVE_STATUSES, CANCELLED, EXPIRED, REJECTED

pages = Pages()

STATUSES = (*ACTIVE_STATUSES, REJECTED, CANCELLED, EXPIRED)
WAITING = (desk.TO_REVIEW, desk.ANSWERED)  # what the overview counts and links to
REASONS = ("incomplete", "documents", "eligibility", "capacity", "category", "duplicate", "other")
REFUSALS_SHOWN = 10  # the flash travels in a cookie: name the first refusals, count the rest
FIRST_FREE = "first"  # the stall choice "the first free number"
# The queue's filters (query parameters).
F_SITE, F_STATUS, F_TYPE, F_FROM, F_TO = "site", "status", "type", "from", "to"
COLUMNS = (
    Column("pick", "web.req.col.pick", sortable=False),
    Column("id", "web.req.col.id", numeric=True),
    Column("family", "web.req.col.family"),
    Column("site", "web.req.col.site"),
    Column("type", "web.req.col.type"),
    Column("status", "web.req.col.status"),
    Column("created", "web.req.col.created", moment=True),
)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def status_text(view: View, status: str) -> str:
    return view.tr.label(f"fam.status.{status}")


def refusal_params(view: View, err: ServiceError) -> dict[str, Any]:
    """A refusal's parameters as the reader reads them: dates in their calendar and
    language, a request's status with its label (as the chat shows them)."""
    params: dict[str, Any] = {
        k: fmt_date(view.tr, v) if isinstance(v, date) else v for k, v in err.params.items()
    }
    if isinstance(err, StatusConflict):
        params["status"] = status_text(view, err.status)
    return params


def gone(view: View, title: str, err: ServiceError) -> web.Response:
    """A page for something that does not exist (a GET must not redirect to itself)."""
    return view.render("message.html", status=404, title=title, body=err.msgid)


def _refused(view: View, err: ServiceError, back: str) -> web.Response:
    view.flash(err.msgid, "error", **refusal_params(view, err))
    return view.redirect(back)


# --- the queue ------------------------------------------------------------------------------------
@pages.get("/requests")
async def queue(view: View) -> web.StreamResponse:
    table = Table.read(
        view, COLUMNS, sort="created", filters=(F_SITE, F_STATUS, F_TYPE, F_FROM, F_TO)
    )
    f = table.filters
    where = desk.QueueFilter(
        site_id=_int(f[F_SITE]),
        status=f[F_STATUS] if f[F_STATUS] in (*WAITING, *STATUSES) else None,
        stall_type=f[F_TYPE] if f[F_TYPE] in STALL_TYPES else None,
        since=view.filter_day(f[F_FROM]),
        until=view.filter_day(f[F_TO]),
    )
    page = table.page(await desk.count_queue(view.work, where))
    found = await desk.list_queue(
        view.work, where, table.sort, table.descending, page.offset, page.size
    )
    rows = [_queue_row(view, row) for row in found]
    sites = [(str(s.id), site_name(s, view.locale)) for s in await desk.list_sites(view.work)]
    return view.render(
        "requests/queue.html",
        table=table,
        page=page,
        rows=rows,
        sites=sites,
        statuses=[(s, view.tr.label(f"web.req.waiting.{s}")) for s in WAITING]
        + [(s, status_text(view, s)) for s in STATUSES],
        types=[(k, stall_label(view.tr, k)) for k in STALL_TYPES],
        reasons=_reasons(view),
    )


def _reasons(view: View) -> list[tuple[str, str]]:
    return [(r, reason_label(view.tr, r)) for r in REASONS]


def _queue_row(view: View, row: desk.QueueRow) -> list[Any]:
    r = row.request
    label = view.tr.label("web.req.pick", id=r.id)
    pick = Markup(
        '<input type="checkbox" name="ids" value="{}" id="pick-{}" aria-label="{}">'
    ).format(r.id, r.id, label)
    created = fmt_date(view.tr, local_day(r.created_at, view.env.settings.timezone))
    return [
        pick,
        Markup('<a href="/requests/{}">{}</a>').format(r.id, r.id),
        row.family.family_name,
        site_name(row.site, view.locale),
        stall_label(view.tr, r.stall_type),
        status_text(view, r.status),
        created,
    ]


@pages.post("/requests/bulk")
async def bulk(view: View) -> web.StreamResponse:
    data = await view.request.post()
    ids = [int(str(v)) for v in data.getall("ids", []) if str(v).isdigit()]
    form = await view.form()
    back = form.get("back", "/requests")
    if not back.startswith("/requests"):
        back = "/requests"
    try:
        action = desk.BulkAction(form.get("action", ""))
    except ValueError:
        view.flash("web.req.bulk.choose", "error")
        return view.redirect(back)
    if not ids:
        view.flash("web.req.bulk.none", "error")
        return view.redirect(back)
    reason = form.get("reason") if form.get("reason") in REASONS else None
    note = form.get("note", "").strip()[:500] or None
    result = await desk.bulk_decide(view.work, ids, action, reason, note)
    done = (
        "web.req.bulk.rejected" if action == desk.BulkAction.REJECT else "web.req.bulk.waitlisted"
    )
    view.flash_n(done, len(result.done))
    for refusal in result.refused[:REFUSALS_SHOWN]:
        err = refusal.error
        why = view.tr.label(err.msgid, **refusal_params(view, err))
        view.flash("web.req.bulk.refused", "error", id=refusal.request_id, why=why)
    if len(result.refused) > REFUSALS_SHOWN:
        view.flash_n("web.req.bulk.more", len(result.refused) - REFUSALS_SHOWN, "error")
    return view.redirect(back)


# --- one request ---------------------------------------------------------------------------------
def _rid(view: View) -> int:
    return view.path_id("request_id")


@pages.get(r"/requests/{request_id:\d+}")
async def detail(view: View) -> web.StreamResponse:
    try:
        file = await desk.request_file(view.work, _rid(view))
    except NotFound as err:
        return gone(view, "web.req.title", err)
    status = file.request.status
    tr, f = view.tr, file.family
    sep = tr.label("form.list_sep")
    products = [tr.label(f"fam.cat.{c}") for c in f.categories if c != "other"]
    if f.other_category:
        products.append(f.other_category)
    needs = [tr.label(f"fam.need.{n}") for n in f.needs]
    return view.render(
        "requests/detail.html",
        file=file,
        gender=tr.label(f"vol.gender.{'female' if f.applicant_gender == 'f' else 'male'}"),
        nid=mask_national_id(f.national_id),
        district=tr.label(f"district.{f.district}"),
        products=sep.join(products),
        needs=sep.join(needs) if needs else tr.label("fam.need.none"),
        doc_label=lambda kind: tr.label(f"web.req.doc.{kind}"),
        reason_label=reason_label(tr, file.request.reject_reason),
        site=site_name(file.site, view.locale),
        type_label=stall_label(view.tr, file.request.stall_type),
        status_label=status_text(view, status),
        # Staff's wording ("we offered stall 4"), as on the chat's staff screen.
        wording=lambda change: Markup(staff_wording(tr, change)),
        created=fmt_datetime(view.tr, file.request.created_at, view.env.settings.timezone),
        moment=lambda dt: fmt_datetime(view.tr, dt, view.env.settings.timezone),
        can_offer=status in svc.CAN_APPROVE,
        can_reject=status in svc.CAN_REJECT,
        can_ask=status in svc.CAN_ASK,
        can_waitlist=status in svc.CAN_WAITLIST,
        reasons=_reasons(view),
        first_free=FIRST_FREE,
    )


@pages.post(r"/requests/{request_id:\d+}/offer")
async def offer(view: View) -> web.StreamResponse:
    rid = _rid(view)
    back = f"/requests/{rid}"
    form = await view.form()
    try:
        async with view.work.session.begin_nested():  # a refusal leaves nothing behind
            made = await svc.approve_request(view.work, rid, _int(form.get("stall")))
    except ServiceError as err:
        return _refused(view, err, back)
    request = made.request
    if made.number_taken:
        view.flash("fam.rev.number_taken", wanted=made.wanted, stall=request.stall_number)
    until = request.offer_expires_at
    view.flash(
        "fam.rev.approved",
        stall=request.stall_number,
        id=rid,
        until=fmt_datetime(view.tr, until, view.env.settings.timezone) if until else "",
    )
    return view.redirect(back)


@pages.post(r"/requests/{request_id:\d+}/reject")
async def reject(view: View) -> web.StreamResponse:
    rid = _rid(view)
    form = await view.form()
    reason = form.get("reason") if form.get("reason") in REASONS else None
    note = form.get("note", "").strip()[:500] or None
    try:
        async with view.work.session.begin_nested():
            await svc.reject_request(view.work, rid, reason, note)
    except ServiceError as err:
        return _refused(view, err, f"/requests/{rid}")
    view.flash("fam.rev.done.rejected", id=rid)
    return view.redirect(f"/requests/{rid}")


@pages.post(r"/requests/{request_id:\d+}/ask")
async def ask(view: View) -> web.StreamResponse:
    rid = _rid(view)
    question = (await view.form()).get("question", "").strip()[:500]
    if not question:
        view.flash("web.req.ask.empty", "error")
        return view.redirect(f"/requests/{rid}")
    try:
        async with view.work.session.begin_nested():
            await svc.ask_information(view.work, rid, question)
    except ServiceError as err:
        return _refused(view, err, f"/requests/{rid}")
    view.flash("fam.rev.done.needs_info", id=rid)
    return view.redirect(f"/requests/{rid}")


@pages.post(r"/requests/{request_id:\d+}/waitlist")
async def waitlist(view: View) -> web.StreamResponse:
    rid = _rid(view)
    try:
        async with view.work.session.begin_nested():
            await svc.waitlist_request(view.work, rid)
    except ServiceError as err:
        return _refused(view, err, f"/requests/{rid}")
    view.flash("fam.rev.done.waitlisted", id=rid)
    return view.redirect(f"/requests/{rid}")
