"""Family market sites at the staff desk: the list, creating and editing a site (through
`family_sites.save_site`, the chat's rule), closing or reopening applications, and the
confirmed stalls of a site per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_date, local_day
from bot.core.districts import ALL_DISTRICTS
from bot.core.validators import Invalid
from bot.services import family_desk as desk
from bot.services import family_sites
from bot.services.access import describe
from bot.services.errors import NotFound
from bot.services.families import FieldProblem
from bot.services.family_notices import site_name, stall_label
from bot.web.access import ACCESS_CHOICES, features_from, form_values
from bot.web.page import Pages, View
from bot.web.pages.requests import gone, refusal_params
from bot.web.table import Column, Table
from storage.models_families import Site

pages = Pages()

FEES = ("free", "symbolic", "rent")
NAME_MIN, NAME_MAX, NOTE_MAX = 2, 120, 200
COUNTS = ("food_stalls", "nonfood_stalls")
DAYS = ("start_date", "end_date", "deadline_day")
COLUMNS = (
    Column("name", "web.sites.col.name"),
    Column("district", "web.sites.col.district"),
    Column("start", "web.sites.col.period"),
    Column("deadline", "web.sites.col.deadline"),
    Column("food", "web.sites.col.food", numeric=True),
    Column("nonfood", "web.sites.col.nonfood", numeric=True),
    Column("state", "web.sites.col.state"),
    Column("links", "web.sites.col.links", sortable=False),
)
STALL_COLUMNS = (
    Column("day", "web.stalls.col.day", sortable=False),
    Column("type", "web.stalls.col.type", sortable=False),
    Column("number", "web.stalls.col.number", sortable=False, numeric=True),
    Column("family", "web.stalls.col.family", sortable=False),
)
_SORT_KEYS: dict[str, Any] = {
    "name": lambda s: s.name_ar,
    "district": lambda s: s.district,
    "start": lambda s: (s.start_date, s.id),
    "deadline": lambda s: (s.deadline, s.id),
    "food": lambda s: s.food_stalls,
    "nonfood": lambda s: s.nonfood_stalls,
    "state": lambda s: (not s.is_open, s.id),
}


def _site_id(view: View) -> int:
    return view.path_id("site_id")


# --- the list -------------------------------------------------------------------------------------
@pages.get("/sites")
async def sites(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="start")
    found = sorted(
        await desk.list_sites(view.work), key=_SORT_KEYS[table.sort], reverse=table.descending
    )
    page = table.page(len(found))
    rows = [_site_row(view, s) for s in found[page.offset : page.offset + page.size]]
    return view.render("sites/list.html", table=table, page=page, rows=rows)


def _site_row(view: View, site: Site) -> list[Any]:
    tr, tz = view.tr, view.env.settings.timezone
    links = Markup('<a href="/sites/{}/edit">{}</a> · <a href="/sites/{}/stalls">{}</a>').format(
        site.id, tr.label("web.sites.edit"), site.id, tr.label("web.sites.stalls")
    )
    return [
        site_name(site, view.locale),
        tr.label(f"district.{site.district}"),
        f"{fmt_date(tr, site.start_date)} – {fmt_date(tr, site.end_date)}",
        fmt_date(tr, local_day(site.deadline, tz)),
        site.food_stalls,
        site.nonfood_stalls,
        tr.label("fam.sa.open" if site.is_open else "fam.sa.closed"),
        links,
    ]


# --- create and edit ------------------------------------------------------------------------------
@dataclass
class SiteForm:
    """The form's values as typed, and the problem of each field (msgid, params)."""

    values: dict[str, str]
    errors: dict[str, tuple[str, dict[str, Any]]]

    def error(self, field: str, msgid: str, **params: Any) -> None:
        self.errors.setdefault(field, (msgid, params))


def _values_of(view: View, site: Site) -> dict[str, str]:
    return {
        "name_ar": site.name_ar,
        "name_en": site.name_en or "",
        "district": site.district,
        "food_stalls": str(site.food_stalls),
        "nonfood_stalls": str(site.nonfood_stalls),
        "start_date": site.start_date.isoformat(),
        "end_date": site.end_date.isoformat(),
        "deadline_day": local_day(site.deadline, view.env.settings.timezone).isoformat(),
        "fee": site.fee,
        "fee_note": site.fee_note or "",
        "setup_note": site.setup_note or "",
        "saudi_only": "on" if site.saudi_only else "",
        "women_only": "on" if site.women_only else "",
        "reserved": str(site.reserved_stalls or 0),
        **form_values(site.access),
    }


def _read(
    view: View, form: SiteForm, pin: tuple[float, float] | None
) -> family_sites.SiteData | None:
    """The site the form describes, or None with each field's problem noted."""
    v = form.values
    names = {k: v.get(k, "").strip() for k in ("name_ar", "name_en")}
    for key, text in names.items():
        if (text or key == "name_ar") and not NAME_MIN <= len(text) <= NAME_MAX:
            form.error(key, "fam.err.text_length", min=NAME_MIN, max=NAME_MAX)
    if v.get("district") not in ALL_DISTRICTS:
        form.error("district", "form.err.choose")
    counts: dict[str, int] = {}
    for key in COUNTS:
        text = v.get(key, "").strip()
        if text.isdigit() and int(text) <= family_sites.MAX_STALLS:
            counts[key] = int(text)
        else:
            form.error(key, "fam.sf.err.count", max=family_sites.MAX_STALLS)
    days: dict[str, date] = {}
    for key in DAYS:
        try:
            days[key] = view.day(v.get(key, ""))
        except Invalid as bad:
            form.error(key, bad.msgid, **bad.params)
    if v.get("fee") not in FEES:
        form.error("fee", "form.err.choose")
    note = v.get("fee_note", "").strip()
    if len(note) > NOTE_MAX:
        form.error("fee_note", "fam.err.text_length", min=0, max=NOTE_MAX)
    setup = v.get("setup_note", "").strip()
    if len(setup) > NOTE_MAX:
        form.error("setup_note", "fam.err.text_length", min=0, max=NOTE_MAX)
    reserved = v.get("reserved", "").strip() or "0"
    if not reserved.isdigit():
        form.error("reserved", "fam.sf.err.count", max=family_sites.MAX_STALLS)
    if form.errors:
        return None
    return family_sites.SiteData(
        name_ar=names["name_ar"],
        name_en=names["name_en"] or None,
        district=v["district"],
        pin=pin,
        food_stalls=counts["food_stalls"],
        nonfood_stalls=counts["nonfood_stalls"],
        start_date=days["start_date"],
        end_date=days["end_date"],
        deadline_day=days["deadline_day"],
        fee=v["fee"],
        fee_note=note or None,
        saudi_only=v.get("saudi_only") == "on",
        women_only=v.get("women_only") == "on",
        setup_note=setup or None,
        access=features_from(v),
        reserved_stalls=int(reserved),
    )


def _render_form(view: View, form: SiteForm, site: Site | None, status: int = 200) -> web.Response:
    tr = view.tr
    districts = sorted(
        ((d, tr.label(f"district.{d}")) for d in ALL_DISTRICTS), key=lambda item: item[1]
    )
    errors = {k: tr.label(msgid, **params) for k, (msgid, params) in form.errors.items()}
    return view.render(
        "sites/form.html",
        status=status,
        site=site,
        values=form.values,
        errors=errors,
        districts=districts,
        fees=[(f, tr.label(f"fam.fee.{f}")) for f in FEES],
        access_choices=ACCESS_CHOICES,
        action=f"/sites/{site.id}/edit" if site else "/sites/new",
    )


@pages.get("/sites/new")
async def new_site(view: View) -> web.StreamResponse:
    return _render_form(view, SiteForm({"fee": "free", "saudi_only": "on"}, {}), None)


@pages.get(r"/sites/{site_id:\d+}/edit")
async def edit_site(view: View) -> web.StreamResponse:
    try:
        site = await desk.get_site(view.work, _site_id(view))
    except NotFound as err:
        return gone(view, "web.sites.title", err)
    return _render_form(view, SiteForm(_values_of(view, site), {}), site)


@pages.post("/sites/new")
async def create_site(view: View) -> web.StreamResponse:
    return await _save(view, None)


@pages.post(r"/sites/{site_id:\d+}/edit")
async def update_site(view: View) -> web.StreamResponse:
    return await _save(view, await desk.get_site(view.work, _site_id(view)))


async def _save(view: View, site: Site | None) -> web.StreamResponse:
    form = SiteForm(await view.form(), {})
    pin = (site.latitude, site.longitude) if site and site.latitude and site.longitude else None
    data = _read(view, form, pin)
    if data is None:
        return _render_form(view, form, site, status=422)
    try:
        async with view.work.session.begin_nested():  # a refusal leaves nothing behind
            saved = await family_sites.save_site(view.work, site.id if site else None, data)
    except FieldProblem as err:
        form.error(err.field or "name_ar", err.msgid, **refusal_params(view, err))
        return _render_form(view, form, site, status=422)
    name = site_name(saved.site, view.locale)
    view.flash("fam.sf.saved" if saved.created else "fam.sf.updated", name=name)
    if saved.offered:
        view.flash_n("web.sites.offered", saved.offered)
    return view.redirect("/sites")


@pages.post(r"/sites/{site_id:\d+}/open")
async def open_or_close(view: View) -> web.StreamResponse:
    site_id = _site_id(view)
    is_open = (await view.form()).get("open") == "1"
    try:
        await family_sites.set_site_open(view.work, site_id, is_open)
    except NotFound as err:
        # Said on the list: this POST's own address has no page to come back to.
        view.flash(err.msgid, "error")
        return view.redirect("/sites")
    view.flash("fam.sa.reopened" if is_open else "fam.sa.closed_done")
    return view.redirect(f"/sites/{site_id}/edit")


# --- confirmed stalls per day ---------------------------------------------------------------------
@pages.get(r"/sites/{site_id:\d+}/stalls")
async def stalls(view: View) -> web.StreamResponse:
    try:
        site = await desk.get_site(view.work, _site_id(view))
    except NotFound as err:
        return gone(view, "web.sites.title", err)
    table = Table.read(view, STALL_COLUMNS, sort="day", filters=("day",))
    day = view.filter_day(table.filters["day"])
    found = await desk.confirmed_stalls(view.work, site.id, day)
    page = table.page(len(found))
    tr = view.tr
    rows = [
        [
            fmt_date(tr, s.day),
            stall_label(tr, s.stall_type),
            s.number,
            Markup('<a href="/requests/{}">{}</a>').format(s.request_id, s.family_name),
        ]
        for s in found[page.offset : page.offset + page.size]
    ]
    return view.render(
        "sites/stalls.html",
        site=site,
        name=site_name(site, view.locale),
        table=table,
        page=page,
        rows=rows,
        total=len(found),
        access_text=describe(view.tr, site.access),
    )
