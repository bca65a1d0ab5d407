"""Staff and events, the forms: creating and editing an event and its shifts (title, type,
description, place and pin, times, capacity, skills, gender, approval), with the audit trail they
and the panel write."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.core.date_input import has_date, parse_moment
from bot.core.dates import local_day
from bot.core.flow import Context
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.i18n import N_
from bot.core.messages import Inbound, InboundKind
from bot.core.text import clean_input, isolate
from bot.core.validators import (
    MAX_TEXT_CHARS,
    Invalid,
    check_length,
    parse_announcement,
)
from bot.handlers.events.common import (
    EVENT_ADMIN,
    EVENT_FORM,
    EVENT_TYPE_OPTIONS,
    MAX_CAPACITY,
    MAX_SHIFT,
    SHIFT_FORM,
    Notices,
    change_token,
    pin_of,
    title_for,
)
from storage import events as store
from storage.models_events import Event, Shift

TITLE_MAX = 150
SKILL_MAX = 40
SKILLS_MAX = 8
REGISTRANTS_PAGE = 8
STAFF_DAYS_BACK = 30
_COORDS = re.compile(r"(-?[0-9]{1,2}(?:\.[0-9]+)?)\s*[,\u060c ]\s*(-?[0-9]{1,3}(?:\.[0-9]+)?)")
_SKILL_SEP = re.compile("[,\u060c;\u061b\n]")

EXPORT_COLUMNS = (
    N_("eva.x.shift"),
    N_("eva.x.name"),
    N_("eva.x.nid"),
    N_("eva.x.mobile"),
    N_("eva.x.gender"),
    N_("eva.x.status"),
    N_("eva.x.position"),
    N_("eva.x.registered"),
    N_("eva.x.check_in"),
    N_("eva.x.check_out"),
    N_("eva.x.hours"),
    N_("eva.x.rating"),
)
GENDER_OPTIONS = (
    Option("any", "esf.gender.any"),
    Option("f", "esf.gender.f"),
    Option("m", "esf.gender.m"),
)
APPROVAL_OPTIONS = (
    Option("auto", "esf.approval.auto"),
    Option("staff", "esf.approval.staff"),
)


# --- parsers and renderers shared by the two forms ------------------------------------------------
def _line(ctx: Context, text: str) -> str:
    value = clean_input(text)
    check_length(value, TITLE_MAX)
    return value


def _description(ctx: Context, text: str) -> str:
    return parse_announcement(text, limit=MAX_TEXT_CHARS)


def _pin(ctx: Context, text: str) -> list[float]:
    """Typed coordinates ("21.27, 40.41") or a map link that contains them."""
    m = _COORDS.search(clean_input(text))
    if m is None:
        raise Invalid("evf.err.pin")
    lat, lon = float(m[1]), float(m[2])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid("evf.err.pin")
    return [lat, lon]


def _show_pin(ctx: Context, value: list[float]) -> str:
    return isolate(f"{value[0]:.5f}, {value[1]:.5f}")


def _starts(ctx: Context, text: str) -> str:
    moment = parse_moment(text, ctx.settings.timezone)
    if moment <= ctx.now:
        raise Invalid("err.datetime.past")
    return moment.isoformat()


def _ends(ctx: Context, text: str, longest: timedelta | None) -> str:
    """The end: a date and time, or just a time on the start's day (or the next day, when the
    time is earlier than the start: a night shift)."""
    tz = ctx.settings.timezone
    start = datetime.fromisoformat(ctx.state.data.get("v", {})["starts"])
    moment = parse_moment(text, tz, day=local_day(start, tz))
    if not has_date(text) and moment <= start:
        moment += timedelta(days=1)
    if moment <= start:
        raise Invalid("evf.err.end_before_start")
    if longest is not None and moment - start > longest:
        raise Invalid("esf.err.too_long", hours=int(longest.total_seconds() // 3600))
    return moment.isoformat()


def _event_ends(ctx: Context, text: str) -> str:
    return _ends(ctx, text, None)


def _shift_ends(ctx: Context, text: str) -> str:
    return _ends(ctx, text, MAX_SHIFT)


def _show_moment(ctx: Context, value: str) -> str:
    return ctx.fmt_datetime(datetime.fromisoformat(value))


def _capacity(ctx: Context, text: str) -> int:
    cleaned = clean_input(text)
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= MAX_CAPACITY:
        raise Invalid("esf.err.capacity", max=MAX_CAPACITY)
    return int(cleaned)


def _skills(ctx: Context, text: str) -> list[str]:
    skills = [clean_input(part) for part in _SKILL_SEP.split(text)]
    skills = [s for s in skills if s]
    if not skills or len(skills) > SKILLS_MAX or any(len(s) > SKILL_MAX for s in skills):
        raise Invalid("esf.err.skills", max=SKILLS_MAX, limit=SKILL_MAX)
    return skills


def _show_skills(ctx: Context, value: list[str]) -> str:
    return ctx.tr.label("form.list_sep").join(value)


def _span(values: Values) -> tuple[datetime, datetime]:
    """The start and the end a form collected; the end must come after the start."""
    starts = datetime.fromisoformat(values["starts"])
    ends = datetime.fromisoformat(values["ends"])
    if ends <= starts:
        raise FieldError("ends", "evf.err.end_before_start")
    return starts, ends


# --- the event form -------------------------------------------------------------------------------
def event_values(event: Event) -> Values:
    pin = pin_of(event)
    return {
        "title_ar": event.title_ar,
        "title_en": event.title_en,
        "desc_ar": event.description_ar,
        "desc_en": event.description_en,
        "type": event.type,
        "place": event.place_name,
        "pin": list(pin) if pin else None,
        "starts": event.starts_at.isoformat(),
        "ends": event.ends_at.isoformat(),
    }


class _StaffForm(Form):
    """The two staff forms: staff only, and they remember the event (and shift) they edit."""

    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await super().start(ctx, params)
        for key in ("eid", "sid"):
            if params.get(key) is not None:
                ctx.state.data[key] = int(params[key])


class EventForm(_StaffForm):
    name = EVENT_FORM
    intro = "evf.intro"
    summary_title = "evf.summary_title"
    fields = (
        Field("title_ar", "evf.q.title_ar", "evf.f.title_ar", parse=_line),
        Field("title_en", "evf.q.title_en", "evf.f.title_en", parse=_line, required=False),
        Field("desc_ar", "evf.q.desc_ar", "evf.f.desc_ar", parse=_description),
        Field("desc_en", "evf.q.desc_en", "evf.f.desc_en", parse=_description, required=False),
        Field("type", "evf.q.type", "evf.f.type", FieldKind.CHOICE, EVENT_TYPE_OPTIONS),
        Field("place", "evf.q.place", "evf.f.place", parse=_line),
        Field("pin", "evf.q.pin", "evf.f.pin", parse=_pin, render=_show_pin, required=False),
        Field("starts", "evf.q.starts", "evf.f.starts", parse=_starts, render=_show_moment),
        Field("ends", "evf.q.ends", "evf.f.ends", parse=_event_ends, render=_show_moment),
    )

    async def _parse_input(self, ctx: Context, field: Field, inbound: Inbound) -> Any:
        # The place's pin comes as a location message (Telegram: attach → Location), or typed.
        if field.name == "pin" and inbound.kind is InboundKind.LOCATION and inbound.location:
            return [inbound.location.latitude, inbound.location.longitude]
        return await super()._parse_input(ctx, field, inbound)

    async def submit(self, ctx: Context, values: Values) -> None:
        starts, ends = _span(values)
        pin = values.get("pin")
        event_id = ctx.state.data.get("eid")
        event = await store.get_event(ctx.session, int(event_id)) if event_id else None
        if event_id and (event is None or event.status != store.PUBLISHED):
            ctx.state.data = {}
            ctx.say("eva.err.gone")
            await ctx.goto(EVENT_ADMIN)
            return
        if event is None:
            event = Event(status=store.PUBLISHED, created_by=ctx.user.id, created_at=ctx.now)
            before = None
        else:
            before = (event.starts_at, event.ends_at, event.place_name, pin_of(event))
        event.title_ar = values["title_ar"]
        event.title_en = values.get("title_en")
        event.description_ar = values["desc_ar"]
        event.description_en = values.get("desc_en")
        event.type = values["type"]
        event.place_name = values["place"]
        event.latitude, event.longitude = (pin[0], pin[1]) if pin else (None, None)
        event.starts_at, event.ends_at = starts, ends
        ctx.session.add(event)
        await ctx.session.flush()
        title = title_for(ctx.tr.locale, event)
        if before is None:
            await ctx.audit("event.created", f"event:{event.id}")
            ctx.say("evf.created", title=title, id=event.id)
        else:
            after = (event.starts_at, event.ends_at, event.place_name, pin_of(event))
            await ctx.audit("event.updated", f"event:{event.id}")
            ctx.say("evf.updated", title=title)
            if before != after:
                told = await Notices(ctx.unit).changed(event, change_token(ctx))
                ctx.reply(ctx.tr.tn("eva.told", told))
        ctx.state.data = {}
        await ctx.goto(EVENT_ADMIN, {"eid": event.id})


# --- the shift form -------------------------------------------------------------------------------
def shift_values(shift: Shift) -> Values:
    return {
        "starts": shift.starts_at.isoformat(),
        "ends": shift.ends_at.isoformat(),
        "cap": shift.capacity,
        "gender": shift.gender or "any",
        "skills": list(shift.skills) or None,
        "approval": "auto" if shift.auto_confirm else "staff",
    }


class ShiftForm(_StaffForm):
    name = SHIFT_FORM
    intro = "esf.intro"
    summary_title = "esf.summary_title"
    fields = (
        Field("starts", "esf.q.starts", "esf.f.starts", parse=_starts, render=_show_moment),
        Field("ends", "esf.q.ends", "esf.f.ends", parse=_shift_ends, render=_show_moment),
        Field("cap", "esf.q.capacity", "esf.f.capacity", parse=_capacity),
        Field("gender", "esf.q.gender", "esf.f.gender", FieldKind.CHOICE, GENDER_OPTIONS),
        Field(
            "skills",
            "esf.q.skills",
            "esf.f.skills",
            parse=_skills,
            render=_show_skills,
            required=False,
        ),
        Field("approval", "esf.q.approval", "esf.f.approval", FieldKind.CHOICE, APPROVAL_OPTIONS),
    )

    async def submit(self, ctx: Context, values: Values) -> None:
        starts, ends = _span(values)
        event = await store.get_event(ctx.session, int(ctx.state.data.get("eid") or 0))
        shift_id = ctx.state.data.get("sid")
        shift = await store.get_shift(ctx.session, int(shift_id)) if shift_id else None
        if event is None or event.status != store.PUBLISHED or (shift_id and shift is None):
            ctx.state.data = {}
            ctx.say("eva.err.gone")
            await ctx.goto(EVENT_ADMIN)
            return
        capacity = int(values["cap"])
        notices = Notices(ctx.unit)
        if shift is None:
            shift = Shift(event_id=event.id, status=store.ACTIVE, revision=0)
            old = None
        else:
            held = (await store.counts(ctx.session, [shift.id]))[shift.id]
            if capacity < held.confirmed + held.pending:
                raise FieldError("cap", "esf.err.capacity_below", n=held.confirmed + held.pending)
            if capacity < shift.capacity:
                await store.compact_seats(ctx.session, shift)
            old = (shift.starts_at, shift.ends_at, shift.capacity)
        shift.starts_at, shift.ends_at, shift.capacity = starts, ends, capacity
        shift.gender = None if values["gender"] == "any" else values["gender"]
        shift.skills = list(values.get("skills") or [])
        shift.auto_confirm = values["approval"] == "auto"
        ctx.session.add(shift)
        await ctx.session.flush()
        if old is None:
            await ctx.audit("shift.created", f"shift:{shift.id}", event=event.id)
            ctx.say("esf.created")
        else:
            await ctx.audit("shift.updated", f"shift:{shift.id}", event=event.id)
            ctx.say("esf.updated")
            if old[:2] != (starts, ends):
                told = await notices.changed(event, change_token(ctx), [shift])
                ctx.reply(ctx.tr.tn("eva.told", told))
            if capacity > old[2]:
                promoted = await store.fill_from_waitlist(ctx.session, shift, ctx.now)
                await notices.promoted(promoted, event, shift)
                if promoted:
                    ctx.reply(ctx.tr.tn("eva.promoted", len(promoted)))
        ctx.state.data = {}
        await ctx.goto(EVENT_ADMIN, {"eid": event.id, "sid": shift.id})
