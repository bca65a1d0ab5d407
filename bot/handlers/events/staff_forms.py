"""Staff and events, the forms: creating and editing an event and its shifts (title, type,
description, place and pin, times, capacity, skills, gender, approval), with the audit trail they
and the panel write."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.date_input import at_local, moment_examples, split_moment
from bot.core.dates import fmt_day_short, local_day
from bot.core.flow import Context
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.text import clean_input, isolate
from bot.core.validators import (
    MAX_TEXT_CHARS,
    Invalid,
    check_length,
    parse_announcement,
)
from bot.handlers.access.common import ACCESS_FIELD, access_field
from bot.handlers.events.common import (
    EVENT_ADMIN,
    EVENT_FORM,
    EVENT_TYPE_OPTIONS,
    MAX_CAPACITY,
    MAX_SHIFT,
    SHIFT_FORM,
    change_token,
    pin_of,
    title_for,
)
from bot.services import events as service
from bot.services.errors import NotFound
from storage import events as store
from storage.models_events import Event, Shift

TITLE_MAX = 150
SKILL_MAX = 40
SKILLS_MAX = 8
REGISTRANTS_PAGE = 8
STAFF_DAYS_BACK = 30
_COORDS = re.compile(r"(-?[0-9]{1,2}(?:\.[0-9]+)?)\s*[,\u060c ]\s*(-?[0-9]{1,3}(?:\.[0-9]+)?)")
_SKILL_SEP = re.compile("[,\u060c;\u061b\n]")

ANY_GENDER = "any"
AUTO_APPROVAL, STAFF_APPROVAL = "auto", "staff"
GENDER_OPTIONS = (
    Option(ANY_GENDER, "esf.gender.any"),
    Option("f", "esf.gender.f"),
    Option("m", "esf.gender.m"),
)
APPROVAL_OPTIONS = (
    Option(AUTO_APPROVAL, "esf.approval.auto"),
    Option(STAFF_APPROVAL, "esf.approval.staff"),
)


# --- parsers and renderers shared by the two forms ------------------------------------------------
def _line(ctx: Context, text: str) -> str:
    value = clean_input(text)
    check_length(value, TITLE_MAX)
    return value


def _title(ctx: Context, text: str) -> str:
    """A line that names something: checked as typed (the service checks it again)."""
    value = _line(ctx, text)
    try:
        service.check_title(value)
    except service.InvalidValue as err:
        raise Invalid(err.msgid, **err.params) from None
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


EVENT_DAY = "_day"  # the shift form's button: "on the event's own date"


def _start_day(ctx: Context) -> date | None:
    """The day a start time typed alone falls on: the one chosen with the event-day button, or
    the event's own day (the shift form); None for the event form, which needs a date."""
    day = ctx.state.data.get("day") or ctx.state.data.get("eday")
    return date.fromisoformat(day) if day else None


def _starts(ctx: Context, text: str) -> str:
    typed = split_moment(text, ctx.today)
    day = typed.day or _start_day(ctx)
    if day is None:
        raise Invalid("err.datetime.format")
    moment = at_local(day, typed.clock, ctx.settings.timezone)
    if moment <= ctx.now:
        raise Invalid("err.datetime.past")
    return moment.isoformat()


def _starts_examples(ctx: Context) -> dict[str, object]:
    return {"examples": moment_examples(ctx.tr, ctx.today)}


def _ends(ctx: Context, text: str, longest: timedelta | None) -> str:
    """The end: a date and time, or just a time on the start's day. An end at or before the
    start is refused, never moved to the next day: a night shift names its end's date."""
    tz = ctx.settings.timezone
    start = datetime.fromisoformat(ctx.state.data.get("v", {})["starts"])
    typed = split_moment(text, ctx.today)
    moment = at_local(typed.day or local_day(start, tz), typed.clock, tz)
    if moment <= start:
        raise Invalid("evf.err.end_not_after_start", start=ctx.fmt_datetime(start))
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


# The same questions asked the same way by another staff form (an initiative's event).
line_answer, starts_answer, starts_examples = _line, _starts, _starts_examples
shift_ends_answer, show_moment, capacity_answer = _shift_ends, _show_moment, _capacity


def _event_draft(values: Values) -> service.EventDraft:
    pin = values.get("pin")
    return service.EventDraft(
        title_ar=values["title_ar"],
        title_en=values.get("title_en"),
        description_ar=values["desc_ar"],
        description_en=values.get("desc_en"),
        type=values["type"],
        place=values["place"],
        place_en=values.get("place_en"),
        pin=(pin[0], pin[1]) if pin else None,
        starts_at=datetime.fromisoformat(values["starts"]),
        ends_at=datetime.fromisoformat(values["ends"]),
        access=tuple(values.get(ACCESS_FIELD) or ()),
    )


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
        "place_en": event.place_name_en,
        "pin": list(pin) if pin else None,
        "starts": event.starts_at.isoformat(),
        "ends": event.ends_at.isoformat(),
        ACCESS_FIELD: list(event.access or []) or None,
    }


class _StaffForm(Form):
    """The two staff forms: staff only, and they remember the event (and shift) they edit."""

    staff_only = True

    async def prepare(self, ctx: Context, params: dict[str, Any]) -> None:
        for key in ("eid", "sid"):
            if params.get(key) is not None:
                ctx.state.data[key] = int(params[key])


class EventForm(_StaffForm):
    name = EVENT_FORM
    intro = "evf.intro"
    summary_title = "evf.summary_title"
    fields = (
        Field("title_ar", "evf.q.title_ar", "evf.f.title_ar", parse=_title),
        Field("title_en", "evf.q.title_en", "evf.f.title_en", parse=_title, required=False),
        Field("desc_ar", "evf.q.desc_ar", "evf.f.desc_ar", parse=_description),
        Field("desc_en", "evf.q.desc_en", "evf.f.desc_en", parse=_description, required=False),
        Field("type", "evf.q.type", "evf.f.type", FieldKind.CHOICE, EVENT_TYPE_OPTIONS),
        Field("place", "evf.q.place", "evf.f.place", parse=_line),
        Field("place_en", "evf.q.place_en", "evf.f.place_en", parse=_line, required=False),
        Field("pin", "evf.q.pin", "evf.f.pin", parse=_pin, render=_show_pin, required=False),
        Field(
            "starts",
            "evf.q.starts",
            "evf.f.starts",
            parse=_starts,
            render=_show_moment,
            prompt_params=_starts_examples,
        ),
        Field("ends", "evf.q.ends", "evf.f.ends", parse=_event_ends, render=_show_moment),
        access_field(),
    )

    async def _parse_input(self, ctx: Context, field: Field, inbound: Inbound) -> Any:
        # The place's pin comes as a location message (Telegram: attach → Location), or typed.
        if field.name == "pin" and inbound.kind is InboundKind.LOCATION and inbound.location:
            return [inbound.location.latitude, inbound.location.longitude]
        return await super()._parse_input(ctx, field, inbound)

    async def submit(self, ctx: Context, values: Values) -> None:
        draft = _event_draft(values)
        event_id = ctx.state.data.get("eid")
        try:
            if event_id:
                update = await service.update_event(
                    ctx.unit, int(event_id), draft, change_token(ctx)
                )
                event = update.event
            else:
                event = await service.create_event(ctx.unit, draft)
        except service.InvalidValue as err:
            raise FieldError(err.field, err.msgid, **err.params) from None
        except NotFound:
            ctx.state.data = {}
            ctx.say("eva.err.gone")
            await ctx.goto(EVENT_ADMIN)
            return
        title = title_for(ctx.tr.locale, event)
        if not event_id:
            ctx.say("evf.created", title=title, id=event.id)
        else:
            ctx.say("evf.updated", title=title)
            if update.told is not None:
                ctx.reply(ctx.tr.tn("eva.told", update.told))
        ctx.state.data = {}
        await ctx.goto(EVENT_ADMIN, {"eid": event.id})


# --- the shift form -------------------------------------------------------------------------------
def shift_values(shift: Shift) -> Values:
    return {
        "starts": shift.starts_at.isoformat(),
        "ends": shift.ends_at.isoformat(),
        "cap": shift.capacity,
        "gender": shift.gender or ANY_GENDER,
        "skills": list(shift.skills) or None,
        "approval": AUTO_APPROVAL if shift.auto_confirm else STAFF_APPROVAL,
        ACCESS_FIELD: list(shift.access or []) or None,
    }


class ShiftForm(_StaffForm):
    name = SHIFT_FORM
    intro = "esf.intro"
    summary_title = "esf.summary_title"
    fields = (
        Field(
            "starts",
            "esf.q.starts",
            "esf.f.starts",
            parse=_starts,
            render=_show_moment,
            prompt_params=_starts_examples,
        ),
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
            feminine=True,
        ),
        Field("approval", "esf.q.approval", "esf.f.approval", FieldKind.CHOICE, APPROVAL_OPTIONS),
        access_field("acc.q.shift_features"),
    )

    # --- the event's own date, offered as a button for the start --------------------------------
    async def prepare(self, ctx: Context, params: dict[str, Any]) -> None:
        await super().prepare(ctx, params)
        event = await store.get_event(ctx.session, int(ctx.state.data.get("eid") or 0))
        if event is not None:
            ctx.state.data["eday"] = local_day(event.starts_at, ctx.settings.timezone).isoformat()

    async def question(self, ctx: Context, field: Field) -> tuple[str, dict[str, object]]:
        day = ctx.state.data.get("day")
        if field.name == "starts" and day:
            return "esf.q.start_time", {"date": ctx.fmt_date(date.fromisoformat(day))}
        return await super().question(ctx, field)

    async def extra_choices(self, ctx: Context, field: Field) -> list[Choice]:
        eday = ctx.state.data.get("eday")
        if field.name != "starts" or not eday or ctx.state.data.get("day"):
            return []
        label = fmt_day_short(ctx.tr, date.fromisoformat(eday))
        return [ctx.choice(field.name, EVENT_DAY, "esf.btn.event_day", date=label)]

    async def on_extra_choice(self, ctx: Context, field: Field, choice: str) -> bool:
        if field.name != "starts" or choice != EVENT_DAY or not ctx.state.data.get("eday"):
            return False
        ctx.state.data["day"] = ctx.state.data["eday"]
        await self._ask(ctx, field)
        return True

    async def submit(self, ctx: Context, values: Values) -> None:
        draft = service.ShiftDraft(
            starts_at=datetime.fromisoformat(values["starts"]),
            ends_at=datetime.fromisoformat(values["ends"]),
            capacity=int(values["cap"]),
            gender=None if values["gender"] == ANY_GENDER else values["gender"],
            skills=tuple(values.get("skills") or ()),
            auto_confirm=values["approval"] == AUTO_APPROVAL,
            access=tuple(values.get(ACCESS_FIELD) or ()),
        )
        event_id = int(ctx.state.data.get("eid") or 0)
        shift_id = ctx.state.data.get("sid")
        try:
            if shift_id:
                update = await service.update_shift(
                    ctx.unit, int(shift_id), draft, change_token(ctx), event_id=event_id
                )
                shift = update.shift
            else:
                shift = await service.create_shift(ctx.unit, event_id, draft)
        except service.InvalidValue as err:
            raise FieldError(err.field, err.msgid, **err.params) from None
        except NotFound:
            ctx.state.data = {}
            ctx.say("eva.err.gone")
            await ctx.goto(EVENT_ADMIN)
            return
        if not shift_id:
            ctx.say("esf.created")
        else:
            ctx.say("esf.updated")
            if update.told is not None:
                ctx.reply(ctx.tr.tn("eva.told", update.told))
            if update.promoted:
                ctx.reply(ctx.tr.tn("eva.promoted", len(update.promoted)))
        ctx.state.data = {}
        await ctx.goto(EVENT_ADMIN, {"eid": event_id, "sid": shift.id})
