"""One shift from the web (issue 13 §3): edit its day, times, places, gender and approval, or
cancel it after a confirmation page. `bot.services.events` does both: a new time is told to
the shift's registrants, more places promote from its waitlist, a cancellation tells everyone
registered; each writes its audit row. The shift's skills (set in chat) are kept as they are."""

from __future__ import annotations

from aiohttp import web

from bot.core.text import clean_input
from bot.services import events as service
from bot.services import registrations
from bot.services.errors import NotFound, ServiceError
from bot.web.access import ACCESS_CHOICES, features_from, form_values
from bot.web.page import Pages, View
from bot.web.pages.events import GENDERS, _id, _local, _moment, _refusal
from storage.models_events import Event, Shift

pages = Pages()
PUBLISHED, ACTIVE = "published", "active"
APPROVAL_AUTO, APPROVAL_STAFF = "auto", "staff"


async def _shift(view: View) -> tuple[Shift, Event, int]:
    """The shift of the address, its event and how many people it holds or waits for; a shift
    of another event (or none) is a 404 page."""
    try:
        shift, event, people = await registrations.shift_registrants(
            view.work, _id(view, "shift_id")
        )
    except NotFound:
        raise web.HTTPNotFound() from None
    if event.id != _id(view, "event_id"):
        raise web.HTTPNotFound()
    return shift, event, len(people)


def is_open(shift: Shift, event: Event) -> bool:
    """Only a live shift of a published event changes (the service refuses the others)."""
    return event.status == PUBLISHED and shift.status == ACTIVE


def _values(view: View, shift: Shift) -> dict[str, str]:
    day, start = _local(view, shift.starts_at)
    _, end = _local(view, shift.ends_at)
    return {
        "day": day,
        "start": start,
        "end": end,
        "capacity": str(shift.capacity),
        "gender": shift.gender or "",
        "approval": APPROVAL_AUTO if shift.auto_confirm else APPROVAL_STAFF,
        **form_values(shift.access),
    }


def _draft(view: View, form: dict[str, str], shift: Shift) -> service.ShiftDraft:
    starts = _moment(view, form.get("day", ""), form.get("start", ""))
    ends = _moment(view, form.get("day", ""), form.get("end", ""))
    capacity = clean_input(form.get("capacity", ""))[:6]  # Arabic-Indic digits are read too
    if starts is None or ends is None or not capacity.isdigit():
        raise ServiceError("web.ev.err.shift_required")
    gender = form.get("gender") or None
    return service.ShiftDraft(
        starts,
        ends,
        int(capacity),
        gender if gender in ("f", "m") else None,
        skills=tuple(shift.skills),  # kept: skills are set in chat
        auto_confirm=form.get("approval") != APPROVAL_STAFF,
        access=features_from(form),
    )


def _form(
    view: View, shift: Shift, event: Event, values: dict[str, str], status: int = 200
) -> web.Response:
    return view.render(
        "events/shift_form.html",
        status=status,
        shift=shift,
        event=event,
        values=values,
        genders=GENDERS,
        access_choices=ACCESS_CHOICES,
    )


def _page(event_id: int, shift_id: int) -> str:
    return f"/events/{event_id}/shifts/{shift_id}"


@pages.get("/events/{event_id}/shifts/{shift_id}/edit")
async def edit_shift(view: View) -> web.StreamResponse:
    shift, event, _ = await _shift(view)
    if not is_open(shift, event):
        return view.redirect(_page(event.id, shift.id))
    return _form(view, shift, event, _values(view, shift))


@pages.post("/events/{event_id}/shifts/{shift_id}/edit")
async def update_shift(view: View) -> web.StreamResponse:
    shift, event, _ = await _shift(view)
    form = await view.form()
    try:
        draft = _draft(view, form, shift)
        change = f"web:{view.work.now.isoformat()}"  # names this edit: told once
        done = await service.update_shift(view.work, shift.id, draft, change, event_id=event.id)
    except ServiceError as err:
        # Refused before anything was written: the form again, with what was typed.
        _refusal(view, err)
        return _form(view, shift, event, {**_values(view, shift), **form}, status=422)
    view.flash("web.ev.shift_saved")
    if done.told is not None:
        view.flash_n("web.ev.shift_told", done.told)
    if done.promoted:
        view.flash_n("web.ev.shift_promoted", len(done.promoted))
    return view.redirect(_page(event.id, shift.id))


@pages.get("/events/{event_id}/shifts/{shift_id}/cancel")
async def confirm_cancel(view: View) -> web.StreamResponse:
    """The confirmation step: what cancelling does (who is told), then the button."""
    shift, event, people = await _shift(view)
    if not is_open(shift, event):
        return view.redirect(_page(event.id, shift.id))
    return view.render("events/shift_cancel.html", shift=shift, event=event, people=people)


@pages.post("/events/{event_id}/shifts/{shift_id}/cancel")
async def cancel_shift(view: View) -> web.StreamResponse:
    shift, event, _ = await _shift(view)
    try:
        told = await service.cancel_shift(view.work, shift.id)
    except ServiceError as err:
        _refusal(view, err)
        return view.redirect(_page(event.id, shift.id))
    view.flash_n("web.ev.shift_cancelled", told)
    return view.redirect(f"/events/{event.id}")
