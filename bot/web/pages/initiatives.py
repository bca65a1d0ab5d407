"""Partner initiatives at the staff desk (issue 15 item 2): the list (status filter) and an
initiative's page with the decisions its status allows (approve, reject with a note, ask the
partner), the answer to a question, the events opened for it (open one with its shift) and
the market sites such an event hosts. Every decision is a `bot.services.initiatives` call."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_date, fmt_datetime
from bot.services import initiatives as svc
from bot.services.errors import NotFound, ServiceError
from bot.services.family_notices import site_name
from bot.web.page import Pages, View
from bot.web.pages.events import TYPE_OPTIONS
from bot.web.pages.events import _moment as local_moment
from bot.web.table import Column, Table
from storage import initiatives as store
from storage.models_partners import APPROVED, INFO, REJECTED, SUBMITTED

pages = Pages()

STATUSES = (SUBMITTED, INFO, APPROVED, REJECTED)
COLUMNS = (
    Column("id", "web.ini.col.id", numeric=True, sortable=False),
    Column("title", "web.ini.col.title", sortable=False),
    Column("partner", "web.ini.col.partner", sortable=False),
    Column("category", "web.ini.col.category", sortable=False),
    Column("dates", "web.ini.col.dates", sortable=False),
    Column("status", "web.ini.col.status", sortable=False),
)


def _status(view: View, status: str) -> str:
    return view.tr.label(f"ini.status.{status}")


def _iid(view: View) -> int:
    return view.path_id("initiative_id")


def _refused(view: View, err: ServiceError, back: str) -> web.Response:
    params: dict[str, Any] = dict(err.params)
    status = getattr(err, "status", None)
    if isinstance(status, str):
        params["status"] = _status(view, status)
    view.flash(err.msgid, "error", **params)
    return view.redirect(back)


@pages.get("/initiatives")
async def initiative_list(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="id", filters=("status",))
    wanted = table.filters["status"]
    status = wanted if wanted in STATUSES else None
    total, _ = await svc.review_queue(view.work, status, 0, 0)
    page = table.page(total)
    _, found = await svc.review_queue(view.work, status, page.offset, page.size)
    tr = view.tr
    rows = [
        [
            Markup('<a href="/initiatives/{}">{}</a>').format(i.id, i.id),
            i.title,
            p.name_ar,
            tr.label(f"ini.cat.{i.category}"),
            tr.label("ev.range", start=fmt_date(tr, i.start_date), end=fmt_date(tr, i.end_date)),
            _status(view, i.status),
        ]
        for i, p in found
    ]
    return view.render(
        "initiatives/list.html",
        table=table,
        page=page,
        rows=rows,
        statuses=[(s, _status(view, s)) for s in STATUSES],
    )


@pages.get(r"/initiatives/{initiative_id:\d+}")
async def initiative_page(view: View) -> web.StreamResponse:
    try:
        initiative, partner = await svc.initiative_for_staff(view.work, _iid(view))
    except NotFound as err:
        return view.render("message.html", status=404, title="web.ini.title", body=err.msgid)
    tr, tz = view.tr, view.env.settings.timezone
    events = await store.events_of(view.work.session, initiative.id)
    hosted = {e.id: await store.sites_of_event(view.work.session, e.id) for e in events}
    free_sites = await store.open_sites(view.work.session)
    status = initiative.status
    return view.render(
        "initiatives/detail.html",
        i=initiative,
        partner=partner,
        status_label=_status(view, status),
        category=tr.label(f"ini.cat.{initiative.category}"),
        district=tr.label(f"district.{initiative.district}"),
        created=fmt_datetime(tr, initiative.created_at, tz),
        can_approve=status in svc.CAN_APPROVE,
        can_reject=status in svc.CAN_REJECT,
        can_ask=status in svc.CAN_ASK,
        can_open_event=status == APPROVED,
        events=events,
        hosted={k: [site_name(s, view.locale) for s in v] for k, v in hosted.items()},
        hosts_market=svc.hosts_market,
        sites=[(s.id, site_name(s, view.locale)) for s in free_sites],
        types=TYPE_OPTIONS,
        default_type=svc.EVENT_TYPE_OF.get(initiative.category, "other"),
        default_day=initiative.start_date.isoformat(),
    )


async def _decide(view: View, done: str, action: Any, *args: Any) -> web.StreamResponse:
    iid = _iid(view)
    back = f"/initiatives/{iid}"
    try:
        async with view.work.session.begin_nested():  # a refusal leaves nothing behind
            await action(view.work, iid, *args)
    except ServiceError as err:
        return _refused(view, err, back)
    view.flash(done, id=iid)
    return view.redirect(back)


@pages.post(r"/initiatives/{initiative_id:\d+}/approve")
async def approve(view: View) -> web.StreamResponse:
    return await _decide(view, "ini.rev.done.approved", svc.approve_initiative)


@pages.post(r"/initiatives/{initiative_id:\d+}/reject")
async def reject(view: View) -> web.StreamResponse:
    note = (await view.form()).get("note", "")
    return await _decide(view, "ini.rev.done.rejected", svc.reject_initiative, note)


@pages.post(r"/initiatives/{initiative_id:\d+}/ask")
async def ask(view: View) -> web.StreamResponse:
    question = (await view.form()).get("question", "")
    return await _decide(view, "ini.rev.done.info", svc.ask_information, question)


@pages.post(r"/initiatives/{initiative_id:\d+}/event")
async def open_event(view: View) -> web.StreamResponse:
    """An event of the initiative with one shift, from the page's short form; staff then
    edit it or add shifts on the event's own page."""
    iid = _iid(view)
    form = await view.form()
    starts = local_moment(view, form.get("day", ""), form.get("start", ""))
    ends = local_moment(view, form.get("day", ""), form.get("end", ""))
    capacity = form.get("capacity", "")
    back = f"/initiatives/{iid}"
    if starts is None or ends is None or not capacity.isdigit():
        view.flash("web.ev.err.required", "error")
        return view.redirect(back)
    try:
        async with view.work.session.begin_nested():
            event = await svc.open_event_for_initiative(
                view.work,
                iid,
                place=form.get("place", ""),
                starts_at=starts,
                ends_at=ends,
                capacity=int(capacity),
                event_type=form.get("type") or None,
            )
    except ServiceError as err:
        return _refused(view, err, back)
    view.flash("web.ev.created")
    return view.redirect(f"/events/{event.id}")


@pages.post(r"/initiatives/{initiative_id:\d+}/site")
async def attach_site(view: View) -> web.StreamResponse:
    iid = _iid(view)
    form = await view.form()
    site, event = form.get("site", ""), form.get("event", "")
    back = f"/initiatives/{iid}"
    if not site.isdigit() or not event.isdigit():
        view.flash("web.ini.site_choose", "error")
        return view.redirect(back)
    try:
        async with view.work.session.begin_nested():
            await svc.attach_site(view.work, int(site), int(event))
    except ServiceError as err:
        return _refused(view, err, back)
    view.flash("web.ini.site_attached")
    return view.redirect(back)
