"""The volunteers' directory for staff (issue 13 §3): search by name, district, interests or
skills, filters, paging and the XLSX export; a volunteer's profile with their hours. National
IDs are masked; an admin may see one in full by an explicit action, which is audited each time."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.core.dates import fmt_date, fmt_hours, hours_text, local_day
from bot.core.districts import COMMON_DISTRICTS
from bot.core.text import mask_mobile, mask_national_id
from bot.exports import export_when, to_xlsx
from bot.services import attendance, guardians
from bot.services import volunteers as service
from bot.services.errors import NotFound
from bot.services.volunteers import INTEREST_CODES
from bot.web.page import Pages, View
from bot.web.table import Column, Table
from storage.models import Volunteer

pages = Pages()
COLUMNS = (
    Column("name", "web.vol.col.name"),
    Column("nid", "web.vol.col.nid", sortable=False),
    Column("district", "web.vol.col.district"),
    Column("interests", "web.vol.col.interests", sortable=False),
    Column("skills", "web.vol.col.skills", sortable=False),
    Column("joined", "web.vol.col.joined", moment=True),
)
FILTERS = ("q", "district", "interest", "gender")
# The sign-up form's interests (bot.handlers.common.INTEREST_CODES; the web may not import chat
# handlers, and tests/web/test_events_services.py checks the two are the same).
DISTRICTS = [(code, f"district.{code}") for code in COMMON_DISTRICTS]
INTERESTS = [(code, f"vol.interest.{code}") for code in INTEREST_CODES]
GENDERS = [("f", "vol.gender.female"), ("m", "vol.gender.male")]
EXPORT_COLUMNS = (
    "web.vol.col.name",
    "web.vol.col.nid",
    "web.vol.col.mobile",
    "web.vol.col.gender",
    "web.vol.col.district",
    "web.vol.col.interests",
    "web.vol.col.skills",
    "web.vol.col.joined",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _search(view: View) -> service.Search:
    query = view.request.query
    picked = {name: query.get(name, "").strip()[:100] for name in FILTERS}
    return service.Search(
        text=picked["q"],
        district=picked["district"],
        interest=picked["interest"] if picked["interest"] in INTEREST_CODES else "",
        gender=picked["gender"] if picked["gender"] in ("f", "m") else "",
    )


def _interests(view: View, volunteer: Volunteer) -> str:
    sep = view.tr.label("form.list_sep")
    return sep.join(view.tr.label(f"vol.interest.{code}") for code in volunteer.interests)


def _district(view: View, volunteer: Volunteer) -> str:
    return view.tr.label(f"district.{volunteer.district}")


@pages.get("/volunteers")
async def directory(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="name", filters=FILTERS)
    search = _search(view)
    total = await service.count_matching(view.work, search)
    page = table.page(total)
    found = await service.search_volunteers(
        view.work,
        search,
        sort=table.sort,
        descending=table.descending,
        offset=page.offset,
        limit=page.size,
    )
    tz = view.work.timezone
    rows = [
        [
            Markup('<a href="/volunteers/{}">{}</a>').format(v.id, v.full_name),
            Markup('<span dir="ltr">{}</span>').format(mask_national_id(v.national_id)),
            _district(view, v),
            _interests(view, v),
            v.skills or "",
            fmt_date(view.tr, local_day(v.created_at, tz)),
        ]
        for v in found
    ]
    fields = [
        ("q", "web.filter.search", None),
        ("district", "web.vol.col.district", DISTRICTS),
        ("interest", "web.vol.col.interests", INTERESTS),
        ("gender", "web.vol.col.gender", GENDERS),
    ]
    export = "/volunteers/export?" + view.request.query_string
    return view.render(
        "volunteers/list.html",
        table=table,
        page=page,
        rows=rows,
        fields=fields,
        total=total,
        export=export,
    )


@pages.get("/volunteers/export")
async def export(view: View) -> web.StreamResponse:
    found = await service.export_volunteers(view.work, _search(view))
    tz = view.work.timezone
    rows: list[list[Any]] = [
        [
            v.full_name,
            mask_national_id(v.national_id),
            mask_mobile(v.mobile),
            view.tr.label("vol.gender.female" if v.gender == "f" else "vol.gender.male"),
            _district(view, v),
            _interests(view, v),
            v.skills or "",
            export_when(view.tr, v.created_at, tz),
        ]
        for v in found
    ]
    headers = [view.tr.label(key) for key in EXPORT_COLUMNS]
    data = to_xlsx(view.tr.label("web.vol.title"), headers, rows)
    return web.Response(
        body=data,
        content_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="volunteers.xlsx"'},
    )


async def _profile(view: View, full_id: str | None = None) -> web.Response:
    volunteer_id = view.path_id("volunteer_id")
    try:
        volunteer = await service.get_volunteer(view.work, volunteer_id)
    except NotFound as err:  # a page, not a redirect to itself
        return view.render("message.html", status=404, title="web.vol.title", body=err.msgid)
    hours = await attendance.volunteer_hours(view.work, volunteer.id)
    guardian = await guardians.state(view.work, volunteer)
    tz = view.work.timezone
    shifts = [
        (
            event.title_en if view.locale == "en" and event.title_en else event.title_ar,
            fmt_date(view.tr, local_day(shift.starts_at, tz)),
            fmt_hours(spent),
        )
        for shift, event, spent in reversed(hours.shifts)
    ]
    return view.render(
        "volunteers/profile.html",
        volunteer=volunteer,
        nid=full_id or mask_national_id(volunteer.national_id),
        full=full_id is not None,
        mobile=mask_mobile(volunteer.mobile),
        district=_district(view, volunteer),
        interests=_interests(view, volunteer),
        skills=volunteer.skills,
        joined=fmt_date(view.tr, local_day(volunteer.created_at, tz)),
        total=hours_text(view.tr, hours.total),
        count=len(hours.shifts),
        shifts=shifts,
        guardian=guardian,
        guardian_msgid=guardians.state_msgid(volunteer, guardian),
    )


@pages.get("/volunteers/{volunteer_id}")
async def profile(view: View) -> web.StreamResponse:
    return await _profile(view)


@pages.post("/volunteers/{volunteer_id}/national-id", admin=True)
async def show_national_id(view: View) -> web.StreamResponse:
    """The full ID, on this response only (never in an address or a cookie); audited."""
    volunteer_id = view.path_id("volunteer_id")
    full = await service.view_full_national_id(view.work, volunteer_id)
    response = await _profile(view, full)
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/volunteers/{volunteer_id}/guardian")
async def confirm_guardian(view: View) -> web.StreamResponse:
    """Staff confirm a minor's guardian (they spoke with the guardian); audited."""
    volunteer_id = view.path_id("volunteer_id")
    await guardians.confirm_by_staff(view.work, volunteer_id)
    return view.redirect(f"/volunteers/{volunteer_id}")


@pages.get("/volunteers/{volunteer_id}/national-id")
async def national_id_address(view: View) -> web.StreamResponse:
    # Only the button shows the ID; the address alone (a refusal's redirect) leads back.
    return view.redirect(f"/volunteers/{view.request.match_info['volunteer_id']}")
