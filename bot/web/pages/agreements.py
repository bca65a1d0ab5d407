"""Agreements with partners at the staff desk (issue 15 item 3): the list (by status, by
partner) and the form that creates or edits one through `agreements.save_agreement`, where
every rule is. The partner's agreements page and the report files are in
`agreements_reports`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_date
from bot.core.text import to_ascii_digits
from bot.core.validators import Invalid
from bot.services import agreements as svc
from bot.services.errors import NotFound
from bot.services.families import FieldProblem
from bot.web.page import Pages, View
from bot.web.pages.requests import gone, refusal_params
from bot.web.table import Column, Table
from storage.models_partners import AGREEMENT_STATUSES, Agreement, Partner

pages = Pages()

F_STATUS, F_PARTNER = "status", "partner"
COLUMNS = (
    Column("partner", "web.agr.col.partner"),
    Column("title", "web.agr.col.title"),
    Column("end", "web.agr.col.period", moment=True),
    Column("status", "web.agr.col.status"),
    Column("links", "web.agr.col.links", sortable=False),
)
_SORT_KEYS: dict[str, Any] = {
    "partner": lambda r: (r[1].name_ar, r[0].id),
    "title": lambda r: (r[0].title, r[0].id),
    "end": lambda r: (r[0].end_date, r[0].id),
    "status": lambda r: (AGREEMENT_STATUSES.index(r[0].status), r[0].id),
}
DAYS = ("start_date", "end_date")


def status_label(view: View, status: str) -> str:
    return view.tr.label(f"agr.status.{status}")


# --- the list -------------------------------------------------------------------------------------
@pages.get("/agreements")
async def agreements(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="end", filters=(F_STATUS, F_PARTNER))
    partner = table.filters[F_PARTNER]
    found = await svc.list_agreements(
        view.work,
        status=table.filters[F_STATUS] or None,
        partner_id=int(partner) if partner.isdigit() else None,
    )
    found.sort(key=_SORT_KEYS[table.sort], reverse=table.descending)
    page = table.page(len(found))
    rows = [_row(view, a, p) for a, p in found[page.offset : page.offset + page.size]]
    partners = [
        (str(p.id), svc.partner_name(p, view.locale))
        for p in await svc.partners_with_agreements(view.work)
    ]
    statuses = [(s, status_label(view, s)) for s in AGREEMENT_STATUSES]
    return view.render(
        "agreements/list.html",
        table=table,
        page=page,
        rows=rows,
        partners=partners,
        statuses=statuses,
    )


def _row(view: View, agreement: Agreement, partner: Partner) -> list[Any]:
    tr = view.tr
    links = Markup(
        '<a href="/agreements/{}/edit">{}</a> · <a href="/agreements/partners/{}">{}</a>'
    )
    return [
        svc.partner_name(partner, view.locale),
        agreement.title,
        f"{fmt_date(tr, agreement.start_date)} – {fmt_date(tr, agreement.end_date)}",
        status_label(view, agreement.status),
        links.format(
            agreement.id, tr.label("web.agr.edit"), partner.id, tr.label("web.agr.report")
        ),
    ]


# --- create and edit ------------------------------------------------------------------------------
@dataclass
class AgreementForm:
    """The form's values as typed, and the problem of each field (msgid, params)."""

    values: dict[str, str]
    errors: dict[str, tuple[str, dict[str, Any]]]

    def error(self, field: str, msgid: str, **params: Any) -> None:
        self.errors.setdefault(field, (msgid, params))


def _values_of(agreement: Agreement) -> dict[str, str]:
    values = {
        "partner_id": str(agreement.partner_id),
        "title": agreement.title,
        "start_date": agreement.start_date.isoformat(),
        "end_date": agreement.end_date.isoformat(),
        "status": agreement.status,
        "note": agreement.note or "",
    }
    for name in svc.TARGETS:
        value = getattr(agreement, name)
        # Whole numbers without ".0"; hours may have a fraction.
        values[name] = "" if value is None else str(int(value) if value == int(value) else value)
    return values


def _target(form: AgreementForm, name: str) -> float | None:
    """A target as typed: empty is none; Arabic-Indic digits are read as digits."""
    text = to_ascii_digits(form.values.get(name, "")).strip()
    if not text:
        return None
    try:
        value = float(text) if name == "target_hours" else int(text)
    except ValueError:
        form.error(name, "agr.err.target", max=svc.TARGET_MAX)
        return None
    if not 0 <= value <= svc.TARGET_MAX:
        form.error(name, "agr.err.target", max=svc.TARGET_MAX)
    return value


def _read(view: View, form: AgreementForm) -> svc.AgreementData | None:
    """The agreement the form describes, or None with each field's problem noted; the
    service checks the rules again (end on or after start, targets not negative)."""
    v = form.values
    partner = to_ascii_digits(v.get("partner_id", "")).strip()
    if not partner.isdigit():
        form.error("partner_id", "form.err.choose")
    title = v.get("title", "").strip()
    if not svc.TITLE_MIN <= len(title) <= svc.TITLE_MAX:
        form.error("title", "fam.err.text_length", min=svc.TITLE_MIN, max=svc.TITLE_MAX)
    days: dict[str, date] = {}
    for key in DAYS:
        try:
            days[key] = view.day(v.get(key, ""))
        except Invalid as bad:
            form.error(key, bad.msgid, **bad.params)
    if len(days) == len(DAYS) and days["end_date"] < days["start_date"]:
        form.error(
            "end_date", "agr.err.end_before_start", start=fmt_date(view.tr, days["start_date"])
        )
    if v.get("status") not in AGREEMENT_STATUSES:
        form.error("status", "form.err.choose")
    targets = {name: _target(form, name) for name in svc.TARGETS}
    note = v.get("note", "").strip()
    if len(note) > svc.NOTE_MAX:
        form.error("note", "fam.err.text_length", min=0, max=svc.NOTE_MAX)
    if form.errors:
        return None
    return svc.AgreementData(
        partner_id=int(partner),
        title=title,
        start_date=days["start_date"],
        end_date=days["end_date"],
        status=v["status"],
        target_volunteers=_whole(targets["target_volunteers"]),
        target_hours=targets["target_hours"],
        target_events=_whole(targets["target_events"]),
        target_families=_whole(targets["target_families"]),
        note=note or None,
    )


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


async def _render_form(
    view: View, form: AgreementForm, agreement: Agreement | None, status: int = 200
) -> web.Response:
    tr = view.tr
    keep = agreement.partner_id if agreement else None
    partners = [
        (str(p.id), svc.partner_name(p, view.locale))
        for p in await svc.partner_choices(view.work, keep)
    ]
    errors = {k: tr.label(msgid, **params) for k, (msgid, params) in form.errors.items()}
    return view.render(
        "agreements/form.html",
        status=status,
        agreement=agreement,
        values=form.values,
        errors=errors,
        partners=partners,
        statuses=[(s, status_label(view, s)) for s in AGREEMENT_STATUSES],
        targets=[(name, f"agr.f.{name}") for name in svc.TARGETS],
        action=f"/agreements/{agreement.id}/edit" if agreement else "/agreements/new",
    )


@pages.get("/agreements/new")
async def new_agreement(view: View) -> web.StreamResponse:
    chosen = view.request.query.get("partner", "")
    values = {"status": "draft", "partner_id": chosen if chosen.isdigit() else ""}
    return await _render_form(view, AgreementForm(values, {}), None)


@pages.get(r"/agreements/{agreement_id:\d+}/edit")
async def edit_agreement(view: View) -> web.StreamResponse:
    try:
        agreement, _ = await svc.get_agreement(view.work, _agreement_id(view))
    except NotFound as err:
        return gone(view, "web.agr.title", err)
    return await _render_form(view, AgreementForm(_values_of(agreement), {}), agreement)


@pages.post("/agreements/new")
async def create_agreement(view: View) -> web.StreamResponse:
    return await _save(view, None)


@pages.post(r"/agreements/{agreement_id:\d+}/edit")
async def update_agreement(view: View) -> web.StreamResponse:
    agreement, _ = await svc.get_agreement(view.work, _agreement_id(view))
    return await _save(view, agreement)


def _agreement_id(view: View) -> int:
    return view.path_id("agreement_id")


async def _save(view: View, agreement: Agreement | None) -> web.StreamResponse:
    form = AgreementForm(await view.form(), {})
    data = _read(view, form)
    if data is None:
        return await _render_form(view, form, agreement, status=422)
    try:
        async with view.work.session.begin_nested():  # a refusal leaves nothing behind
            saved = await svc.save_agreement(view.work, agreement.id if agreement else None, data)
    except FieldProblem as err:
        form.error(err.field or "title", err.msgid, **refusal_params(view, err))
        return await _render_form(view, form, agreement, status=422)
    view.flash("web.agr.saved" if agreement else "web.agr.created", title=saved.title)
    return view.redirect(f"/agreements/partners/{saved.partner_id}")
