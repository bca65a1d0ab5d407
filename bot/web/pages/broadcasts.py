"""Broadcasts on the web (issue 13 §3): the history with outcomes, composing one (Arabic and
English, the chat form's audiences, a recipient count, a preview, a schedule with a warning in
quiet hours) and a broadcast's page with its progress, stop and cancel.

Every action is a service of `bot.services.broadcasts`; this module reads the form and renders.
Without JavaScript the "count" and "preview" buttons re-render the form; broadcasts.js updates
the count live and polls the progress (both through the JSON endpoints here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_datetime
from bot.core.districts import ALL_DISTRICTS
from bot.core.text import isolate
from bot.core.validators import Invalid, parse_send_time
from bot.services import broadcasts as service
from bot.services.errors import NotFound, ServiceError
from bot.web.page import Pages, View
from bot.web.table import Column, Table

pages = Pages()
PAGE_SIZE = 20
COLUMNS = (
    Column("id", "web.bc.col.id", numeric=True),
    Column("when", "web.bc.col.when", sortable=False, moment=True),
    Column("audience", "web.bc.col.audience", sortable=False),
    Column("status", "web.bc.col.status", sortable=False),
    *(Column(k, f"web.bc.outcome.{k}", sortable=False, numeric=True) for k in service.OUTCOMES),
)


class Field(StrEnum):
    """The compose form's fields."""

    KIND = "kind"
    DISTRICT = "district"
    INTEREST = "interest"
    EVENT = "event"
    PARTNER_TYPE = "ptype"
    TEXT_AR = "text_ar"
    TEXT_EN = "text_en"
    AT = "at"
    DO = "do"


class Do(StrEnum):
    """The compose form's buttons."""

    COUNT = "count"
    PREVIEW = "preview"
    SEND = "send"


# Which field names the one thing an audience kind needs.
VALUE_FIELD = {
    "district": Field.DISTRICT,
    "interest": Field.INTEREST,
    "event": Field.EVENT,
    "partner_type": Field.PARTNER_TYPE,
}
LIVE = ("sending", "stopping")


@dataclass(frozen=True)
class Draft:
    """What the form holds, read back into the fields when the form is shown again."""

    fields: dict[str, str]

    @property
    def audience(self) -> dict[str, Any]:
        kind = self.fields.get(Field.KIND, "") or "all"
        value_field = VALUE_FIELD.get(kind)
        if value_field is None:
            return {"kind": kind}
        return {"kind": kind, "value": self.fields.get(value_field, "").strip()}


def quiet_span(view: View) -> str:
    """The quiet hours ("22:00-08:00") kept left to right and on one line inside Arabic text
    (a non-breaking hyphen: a break after "22:00-" reads as "-22:00" at a right-to-left line's
    end, at 360 px)."""
    return isolate(view.env.settings.quiet_hours.replace("-", "\u2011"))


def _id(view: View) -> int:
    return view.path_id("broadcast_id")


def _at(view: View, text: str) -> datetime | None:
    """The schedule field (the browser's "YYYY-MM-DDTHH:MM", local time) or None: now."""
    if not text.strip():
        return None
    return parse_send_time(text.replace("T", " "), view.work.now, ZoneInfo(view.work.timezone))


def describe(view: View, audience: dict[str, Any]) -> str:
    """An audience as staff read it (the chat's labels)."""
    kind, value = audience.get("kind", "all"), audience.get("value")
    label = view.tr.label(f"bc.aud.{kind}")
    if kind == "district" and value:
        return f"{label}: {view.tr.label(f'district.{value}')}"
    if kind == "interest" and value:
        return f"{label}: {view.tr.label(f'vol.interest.{value}')}"
    if kind == "event" and value:
        return f"{label}: #{value}"
    if kind == "partner_type" and value:
        return f"{label}: {view.tr.label(f'ptn.type.{value}')}"
    return label


async def _options(view: View) -> dict[str, list[tuple[str, str]]]:
    interests = await service.interests_in_use(view.work)
    return {
        "kinds": [(k, view.tr.label(f"bc.aud.{k}")) for k in service.AUDIENCES],
        "districts": sorted(
            ((c, view.tr.label(f"district.{c}")) for c in ALL_DISTRICTS), key=lambda o: o[1]
        ),
        "interests": [(c, view.tr.label(f"vol.interest.{c}")) for c in interests],
        "partner_types": [(t, view.tr.label(f"ptn.type.{t}")) for t in service.PARTNER_TYPES],
    }


@pages.get("/broadcasts")
async def history(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="id", descending=True, size=PAGE_SIZE)
    page = table.page(await service.count_broadcasts(view.work))
    lines = await service.list_broadcasts(view.work, page.offset, page.size)
    rows = [
        [
            Markup('<a href="/broadcasts/{0}">#{0}</a>').format(line.broadcast.id),
            fmt_datetime(view.tr, line.broadcast.scheduled_at, view.env.settings.timezone),
            describe(view, line.broadcast.audience),
            view.tr.label(f"web.bc.status.{line.broadcast.status}"),
            *(line.counts.get(k, 0) for k in service.OUTCOMES),
        ]
        for line in lines
    ]
    return view.render("broadcasts_list.html", table=table, page=page, rows=rows)


@pages.get("/broadcasts/new")
async def compose(view: View) -> web.StreamResponse:
    return await _form(view, Draft({}))


@pages.post("/broadcasts/new")
async def submit(view: View) -> web.StreamResponse:
    draft = Draft(await view.form())
    action = draft.fields.get(Field.DO, Do.PREVIEW)
    try:
        at = _at(view, draft.fields.get(Field.AT, ""))
        service.check_audience(draft.audience)
        if action == Do.COUNT:
            count = await service.count_recipients(view.work, draft.audience)
            return await _form(view, draft, count=count, at=at)
        service.check_text(draft.fields.get(Field.TEXT_AR))
        service.check_text(draft.fields.get(Field.TEXT_EN), required=False)
        if action != Do.SEND:
            count = await service.count_recipients(view.work, draft.audience)
            return await _form(view, draft, count=count, at=at, preview=True)
        created = await service.create_broadcast(
            view.work,
            service.BroadcastDraft(
                audience=draft.audience,
                text_ar=draft.fields[Field.TEXT_AR].strip(),
                text_en=draft.fields.get(Field.TEXT_EN, "").strip() or None,
                at=at,
            ),
        )
    except (Invalid, ServiceError) as err:
        # Shown on the form with what was typed (nothing was written).
        return await _form(view, draft, error=(err.msgid, err.params), status=422)
    if created.sending:
        view.flash_n("web.bc.sending", created.recipients, id=created.id)
    else:
        view.flash("web.bc.scheduled", id=created.id)
    if service.in_quiet_hours(view.work, created.scheduled_at):
        view.flash("web.bc.quiet", "error", hours=quiet_span(view))
    return view.redirect(f"/broadcasts/{created.id}")


async def _form(
    view: View,
    draft: Draft,
    *,
    count: int | None = None,
    at: datetime | None = None,
    preview: bool = False,
    error: tuple[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> web.Response:
    quiet = service.in_quiet_hours(view.work, at or view.work.now)
    return view.render(
        "broadcasts_new.html",
        status=status,
        f=draft.fields,
        count=count,
        count_text="" if count is None else view.tr.tn("bc.recipients", count),
        at=at,
        preview=preview,
        quiet=quiet,
        # "22:00-08:00" keeps its left-to-right order inside Arabic text.
        quiet_hours=quiet_span(view),
        error=error,
        **(await _options(view)),
    )


@pages.get("/broadcasts/count.json")
async def count_json(view: View) -> web.StreamResponse:
    """The live recipient count for broadcasts.js; the same check as the form's button."""
    draft = Draft(dict(view.request.query))
    try:
        service.check_audience(draft.audience)
        count = await service.count_recipients(view.work, draft.audience)
    except ServiceError:
        return web.json_response({"count": None, "text": ""})
    return web.json_response({"count": count, "text": view.tr.tn("bc.recipients", count)})


@pages.get("/broadcasts/{broadcast_id:\\d+}")
async def detail(view: View) -> web.StreamResponse:
    try:
        line = await service.broadcast_line(view.work, _id(view))
    except NotFound as err:
        # Back to the history (a redirect to this same address would loop).
        view.flash(err.msgid, "error", **err.params)
        return view.redirect("/broadcasts")
    return view.render(
        "broadcasts_detail.html",
        line=line,
        b=line.broadcast,
        outcome_names=[(k, view.tr.label(f"web.bc.outcome.{k}")) for k in service.OUTCOMES],
        status_text=view.tr.label(f"web.bc.status.{line.broadcast.status}"),
        outcomes=service.OUTCOMES,
        live=line.broadcast.status in LIVE,
        audience=describe(view, line.broadcast.audience),
    )


@pages.get("/broadcasts/{broadcast_id:\\d+}/progress.json")
async def progress_json(view: View) -> web.StreamResponse:
    try:
        line = await service.broadcast_line(view.work, _id(view))
    except NotFound:
        return web.json_response({"error": "not found"}, status=404)
    return web.json_response(
        {
            "status": line.broadcast.status,
            "status_text": view.tr.label(f"web.bc.status.{line.broadcast.status}"),
            "done": line.done,
            "total": line.total,
            "percent": line.percent,
            "percent_text": view.tr.label(
                "web.bc.percent", percent=line.percent, done=line.done, total=line.total
            ),
            "counts": {k: line.counts.get(k, 0) for k in service.OUTCOMES},
            "live": line.broadcast.status in LIVE,
        }
    )


@pages.post("/broadcasts/{broadcast_id:\\d+}/stop")
async def stop(view: View) -> web.StreamResponse:
    broadcast_id = _id(view)
    try:
        stopped = await service.stop_broadcast(view.work, broadcast_id)
    except ServiceError as err:
        # Said on the broadcast's page (the service refused before writing anything).
        view.flash(err.msgid, "error", **err.params)
    else:
        view.flash_n("web.bc.stopped", stopped.sent, cancelled=stopped.cancelled)
    return view.redirect(f"/broadcasts/{broadcast_id}")


@pages.post("/broadcasts/{broadcast_id:\\d+}/cancel")
async def cancel(view: View) -> web.StreamResponse:
    broadcast_id = _id(view)
    try:
        await service.cancel_broadcast(view.work, broadcast_id)
    except ServiceError as err:
        view.flash(err.msgid, "error", **err.params)
    else:
        view.flash("web.bc.cancelled", id=broadcast_id)
    return view.redirect(f"/broadcasts/{broadcast_id}")
