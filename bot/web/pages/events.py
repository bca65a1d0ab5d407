"""Events and shifts for staff (issue 13 §3): the list, create / edit / duplicate an event, add
shifts (one, or the same over days), a shift's registrations with the waitlist, approval,
check-in and check-out with undo, hours, and the XLSX export. Every action is a service."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.core.date_input import parse_clock
from bot.core.dates import day_start, fmt_datetime, hours_text
from bot.core.text import isolate, mask_national_id
from bot.core.validators import Invalid
from bot.exports import to_xlsx
from bot.services import access_needs, attendance, registrations
from bot.services import events as service
from bot.services.access import describe, shift_features
from bot.services.errors import NotFound, ServiceError
from bot.services.registrations import EXPORT_COLUMNS, STATUS_KEYS
from bot.web.access import ACCESS_CHOICES, FILTER_OPTIONS, features_from, form_values
from bot.web.page import Pages, View
from bot.web.pages.checkin import section as checkin_section
from bot.web.table import Column, Table
from storage import attendance as hours_store
from storage import initiatives as initiative_store
from storage.models_access import clean_features
from storage.models_events import CONFIRMED, EVENT_TYPES, PENDING, WAITLISTED, Event

pages = Pages()
COLUMNS = (
    Column("starts", "web.ev.col.starts", moment=True),
    Column("title", "web.ev.col.title", sortable=False),
    Column("type", "web.ev.col.type", sortable=False),
    Column("status", "web.ev.col.status", sortable=False),
)
TYPE_OPTIONS = [(code, f"ev.type.{code}") for code in EVENT_TYPES]
F_FROM, F_TO = "from", "to"  # the list's date filter (query parameters)
F_ACCESS = "access"  # the list's accessibility filter: one feature
GENDERS = (("", "web.ev.gender.any"), ("f", "web.ev.gender.f"), ("m", "web.ev.gender.m"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Act(StrEnum):
    """What a button on a shift's page does to one registration."""

    APPROVE = "approve"
    REJECT = "reject"
    CHECK_IN = "in"
    CHECK_OUT = "out"
    UNDO_IN = "undo-in"
    UNDO_OUT = "undo-out"


def _id(view: View, name: str) -> int:
    return view.path_id(name)


def _moment(view: View, day: str, clock: str) -> datetime | None:
    """A local date and clock time from a form (the browser's yyyy-mm-dd and hh:mm, or typed
    as the chat reads them: "tomorrow", "7 pm"), as a UTC instant."""
    try:
        d, t = view.day(day.strip()), parse_clock(clock.strip())
    except Invalid:
        return None
    if t is None:
        return None
    return day_start(d, view.env.settings.timezone) + timedelta(hours=t.hour, minutes=t.minute)


def _local(view: View, dt: datetime) -> tuple[str, str]:
    local = dt.astimezone(ZoneInfo(view.env.settings.timezone))
    return local.date().isoformat(), local.strftime("%H:%M")


def _refusal(view: View, err: ServiceError) -> None:
    """Flash why a service refused: a registration status by its name, a moment as a date."""
    params: dict[str, Any] = {}
    for key, value in err.params.items():
        if key == "status" and value in STATUS_KEYS:
            value = view.tr.label(STATUS_KEYS[value])
        elif isinstance(value, datetime):
            value = fmt_datetime(view.tr, value, view.env.settings.timezone)
        params[key] = value
    view.flash(err.msgid, "error", **params)


def _refused(view: View, err: ServiceError, back: str) -> web.Response:
    """A POST the service refused: nothing was written; say why on the page it came from."""
    _refusal(view, err)
    return view.redirect(back)


# --- the list -------------------------------------------------------------------------------------
def _filter_day(view: View, table: Table, name: str) -> date | None:
    """A day filter as typed (day/month/year or year-month-day, Hijri or Gregorian, in any
    digits, as the chat reads dates); one it cannot read is said and left out."""
    text = table.filters[name]
    if not text:
        return None
    try:
        return view.day(text)
    except Invalid:
        view.flash("web.filter.bad_day", "error", text=isolate(text))  # its own direction
        return None


def _day_range(view: View, table: Table) -> tuple[datetime | None, datetime | None]:
    """The filter's days as a UTC range [from's start, the day after to's start); the two
    days in either order, as the chat takes a range."""
    first, last = _filter_day(view, table, F_FROM), _filter_day(view, table, F_TO)
    if first is not None and last is not None and last < first:
        first, last = last, first
    zone = view.env.settings.timezone
    return (
        day_start(first, zone) if first else None,
        day_start(last + timedelta(days=1), zone) if last else None,
    )


@pages.get("/events")
async def event_list(view: View) -> web.StreamResponse:
    table = Table.read(view, COLUMNS, sort="starts", filters=("type", F_FROM, F_TO, F_ACCESS))
    kind = table.filters["type"] if table.filters["type"] in EVENT_TYPES else None
    access = tuple(clean_features([table.filters[F_ACCESS]]))
    date_from, date_to = _day_range(view, table)

    async def listing(offset: int, limit: int) -> tuple[list[Event], int]:
        return await service.list_staff_events(
            view.work,
            event_type=kind,
            date_from=date_from,
            date_to=date_to,
            access=access,
            offset=offset,
            limit=limit,
        )

    _, total = await listing(0, 1)
    page = table.page(total)
    start, limit = page.offset, page.size
    if table.descending:  # the list is read by start time: take the page from the end
        start = max(total - page.offset - page.size, 0)
        limit = max(total - page.offset - start, 0)
    events, _ = await listing(start, limit)
    if table.descending:
        events.reverse()
    tr, zone = view.tr, view.env.settings.timezone
    cells = [
        [
            fmt_datetime(tr, event.starts_at, zone),
            Markup('<a href="/events/{}">{}</a>').format(event.id, title_of(view, event)),
            tr.t(f"ev.type.{event.type}"),
            tr.t(f"web.ev.status.{event.status}"),
        ]
        for event in events
    ]
    return view.render(
        "events/list.html",
        table=table,
        page=page,
        rows=cells,
        types=TYPE_OPTIONS,
        access_options=FILTER_OPTIONS,
    )


def title_of(view: View, event: Event) -> str:
    return event.title_en if view.locale == "en" and event.title_en else event.title_ar


# --- an event: create, edit, duplicate ------------------------------------------------------------
def _event_values(view: View, event: Event | None) -> dict[str, str]:
    if event is None:
        return {"type": "other"}
    start_day, start_clock = _local(view, event.starts_at)
    end_day, end_clock = _local(view, event.ends_at)
    return {
        "title_ar": event.title_ar,
        "title_en": event.title_en or "",
        "description_ar": event.description_ar,
        "description_en": event.description_en or "",
        "type": event.type,
        "place": event.place_name,
        "place_en": event.place_name_en or "",
        "start_day": start_day,
        "start_time": start_clock,
        "end_day": end_day,
        "end_time": end_clock,
        **form_values(event.access),
    }


def _event_draft(view: View, form: dict[str, str]) -> service.EventDraft:
    title, place = form.get("title_ar", "").strip(), form.get("place", "").strip()
    starts = _moment(view, form.get("start_day", ""), form.get("start_time", ""))
    ends = _moment(view, form.get("end_day", ""), form.get("end_time", ""))
    if not title or not place or starts is None or ends is None:
        raise ServiceError("web.ev.err.required")
    kind = form.get("type", "other")
    return service.EventDraft(
        title_ar=title[:150],
        description_ar=form.get("description_ar", "").strip() or title,
        type=kind if kind in EVENT_TYPES else "other",
        place=place[:150],
        starts_at=starts,
        ends_at=ends,
        title_en=form.get("title_en", "").strip()[:150] or None,
        description_en=form.get("description_en", "").strip() or None,
        place_en=form.get("place_en", "").strip()[:150] or None,
        access=features_from(form),
    )


def _event_form(view: View, values: dict[str, str], event_id: int | None) -> web.Response:
    action = f"/events/{event_id}/edit" if event_id else "/events/new"
    title = "web.ev.edit_title" if event_id else "web.ev.new_title"
    return view.render(
        "events/form.html",
        values=values,
        action=action,
        title=title,
        types=TYPE_OPTIONS,
        access_choices=ACCESS_CHOICES,
    )


@pages.get("/events/new")
async def new_event(view: View) -> web.StreamResponse:
    return _event_form(view, _event_values(view, None), None)


@pages.post("/events/new")
async def create_event(view: View) -> web.StreamResponse:
    form = await view.form()
    try:
        event = await service.create_event(view.work, _event_draft(view, form))
    except ServiceError as err:
        _refusal(view, err)  # nothing was written: show the form again with what was typed
        return _event_form(view, form, None)
    view.flash("web.ev.created")
    return view.redirect(f"/events/{event.id}")


async def _event(view: View) -> tuple[Event, list[service.ShiftLine]]:
    """The event of the address; a missing one is a 404 page (not a redirect to itself)."""
    try:
        return await service.event_with_shifts(view.work, _id(view, "event_id"))
    except NotFound:
        raise web.HTTPNotFound() from None


@pages.get("/events/{event_id}/edit")
async def edit_event(view: View) -> web.StreamResponse:
    event, _ = await _event(view)
    return _event_form(view, _event_values(view, event), event.id)


@pages.post("/events/{event_id}/edit")
async def update_event(view: View) -> web.StreamResponse:
    event_id = _id(view, "event_id")
    form = await view.form()
    try:
        draft = _event_draft(view, form)
        change = f"web:{view.work.now.isoformat()}"  # names this edit: told once
        await service.update_event(view.work, event_id, draft, change)
    except ServiceError as err:
        _refusal(view, err)
        return _event_form(view, form, event_id)
    view.flash("web.ev.saved")
    return view.redirect(f"/events/{event_id}")


@pages.post("/events/{event_id}/duplicate")
async def duplicate_event(view: View) -> web.StreamResponse:
    event_id = _id(view, "event_id")
    form = await view.form()
    starts = _moment(view, form.get("start_day", ""), form.get("start_time", ""))
    try:
        if starts is None:
            raise ServiceError("web.ev.err.required")
        copy = await service.duplicate_event(view.work, event_id, starts)
    except ServiceError as err:
        return _refused(view, err, f"/events/{event_id}")
    view.flash("web.ev.duplicated")
    return view.redirect(f"/events/{copy.id}")


@pages.post("/events/{event_id}/cancel")
async def cancel_event(view: View) -> web.StreamResponse:
    event_id = _id(view, "event_id")
    try:
        told = await service.cancel_event(view.work, event_id)
    except ServiceError as err:
        return _refused(view, err, f"/events/{event_id}")
    view.flash_n("web.ev.cancelled", told)
    return view.redirect(f"/events/{event_id}")


# --- an event's page and its shifts ---------------------------------------------------------------
@pages.get("/events/{event_id}")
async def event_page(view: View) -> web.StreamResponse:
    event, shifts = await _event(view)
    start_day, start_clock = _local(view, event.starts_at)
    return view.render(
        "events/event.html",
        event=event,
        # The partner whose initiative the event was opened for (shown as volunteers see it).
        partner=await initiative_store.partner_of_event(view.work.session, event),
        shifts=shifts,
        genders=GENDERS,
        defaults={"day": start_day, "start": start_clock},
        tz=view.env.settings.timezone,
        max_days=service.MAX_REPEAT_DAYS,
        access_text=describe(view.tr, event.access),
        access_choices=ACCESS_CHOICES,
    )


@pages.post("/events/{event_id}/shifts")
async def add_shifts(view: View) -> web.StreamResponse:
    event_id = _id(view, "event_id")
    form = await view.form()
    try:
        draft, days = _shift_draft(view, form)
        made = await service.create_shifts_over_days(view.work, event_id, draft, days)
    except ServiceError as err:
        return _refused(view, err, f"/events/{event_id}")
    view.flash_n("web.ev.shifts_added", len(made))
    return view.redirect(f"/events/{event_id}")


def _shift_draft(view: View, form: dict[str, str]) -> tuple[service.ShiftDraft, int]:
    starts = _moment(view, form.get("day", ""), form.get("start", ""))
    ends = _moment(view, form.get("day", ""), form.get("end", ""))
    try:
        capacity, days = int(form.get("capacity", "")), int(form.get("days", "1") or 1)
    except ValueError:
        raise ServiceError("web.ev.err.required") from None
    if starts is None or ends is None:
        raise ServiceError("web.ev.err.required")
    gender = form.get("gender") or None
    draft = service.ShiftDraft(
        starts,
        ends,
        capacity,
        gender if gender in ("f", "m") else None,
        auto_confirm=form.get("approval") != "staff",
        access=features_from(form),
    )
    return draft, days


@pages.get("/events/{event_id}/export")
async def export_event(view: View) -> web.StreamResponse:
    event, _ = await _event(view)
    tr = view.tr
    rows = await registrations.registrant_rows(view.work, event.id, tr)
    data = to_xlsx(tr.label("eva.x.sheet"), [tr.label(k) for k in EXPORT_COLUMNS], rows)
    return web.Response(
        body=data,
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.xlsx"'},
    )


# --- a shift: registrations, approval, attendance -------------------------------------------------
@pages.get("/events/{event_id}/shifts/{shift_id}")
async def shift_page(view: View) -> web.StreamResponse:
    try:
        found = await registrations.shift_registrants(view.work, _id(view, "shift_id"))
    except NotFound:
        raise web.HTTPNotFound() from None
    shift, event, people = found
    if event.id != _id(view, "event_id"):
        raise web.HTTPNotFound()
    now = view.work.now
    needs = await access_needs.needs_on_shift(view.work, shift.id)  # only this shift's people
    seated, waiting, position = [], [], 0
    for r in people:
        reg = r.registration
        line = {
            "id": reg.id,
            "name": r.volunteer.full_name,
            "nid": mask_national_id(r.volunteer.national_id),
            "status": STATUS_KEYS.get(reg.status, reg.status),
            "pending": reg.status == PENDING,
            "confirmed": reg.status == CONFIRMED,
            "checked_in": reg.checked_in_at,
            "checked_out": reg.checked_out_at,
            "hours": hours_text(view.tr, hours_store.hours_of(reg, shift, now)),
            "needs": needs.get(r.volunteer.id, ""),
        }
        if reg.status == WAITLISTED:
            position += 1
            waiting.append({**line, "position": position})
        else:
            seated.append(line)
    total_hours = sum(hours_store.hours_of(r.registration, shift, now) for r in people)
    live = event.status == "published" and shift.status == "active"
    return view.render(
        "events/shift.html",
        event=event,
        shift=shift,
        seated=seated,
        waiting=waiting,
        total_hours=hours_text(view.tr, total_hours),
        tz=view.env.settings.timezone,
        Act=Act,
        access_text=describe(view.tr, shift_features(event, shift)),
        # Only a live shift has a check-in code to show (bot.web.pages.checkin).
        checkin=await checkin_section(view, shift.id) if live else None,
    )


@pages.post("/events/{event_id}/shifts/{shift_id}/registrations/{reg_id}/{act}")
async def act_on_registration(view: View) -> web.StreamResponse:
    back = f"/events/{_id(view, 'event_id')}/shifts/{_id(view, 'shift_id')}"
    reg_id, unit = _id(view, "reg_id"), view.work
    try:
        act = Act(view.request.match_info["act"])
    except ValueError:
        raise web.HTTPNotFound() from None
    try:
        if act == Act.APPROVE:
            approved = await registrations.approve_registration(unit, reg_id)
            msgid = "web.ev.approved" if approved.confirmed else "web.ev.approved_waitlist"
            view.flash(msgid, name=approved.name)
        elif act == Act.REJECT:
            name = await registrations.reject_registration(unit, reg_id)
            view.flash("web.ev.rejected", name=name)
        elif act in (Act.CHECK_IN, Act.CHECK_OUT):
            wanted = attendance.CHECK_IN if act == Act.CHECK_IN else attendance.CHECK_OUT
            done = await attendance.record_attendance(unit, reg_id, wanted)
            msgid = "web.ev.checked_in" if done.direction == "in" else "web.ev.checked_out"
            view.flash(msgid, name=done.name, hours=hours_text(view.tr, done.hours))
        else:
            wanted = attendance.CHECK_IN if act == Act.UNDO_IN else attendance.CHECK_OUT
            undone = await attendance.undo_attendance(unit, reg_id, wanted)
            msgid = "web.ev.undid_in" if undone.direction == "in" else "web.ev.undid_out"
            view.flash(msgid, name=undone.name)
    except ServiceError as err:
        # Nothing of the action was written (each service refuses before it changes a row).
        _refusal(view, err)
    return view.redirect(back)
