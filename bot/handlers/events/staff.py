"""Staff and events: create, edit and cancel events and their shifts (forms), the registrant
list with approval and check-in/out (or check-in by national ID or mobile), announcing an event
through the broadcast form, and exports of registrants, waitlist, attendance and hours."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from bot.core.flow import Context, Flow, number_after, pressed_value
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.i18n import N_
from bot.core.messages import Attachment, Choice, Inbound, InboundKind
from bot.core.text import clean_input, isolate
from bot.core.validators import (
    MAX_TEXT_CHARS,
    Invalid,
    check_length,
    parse_announcement,
    parse_mobile,
    parse_national_id,
)
from bot.exports import to_csv, to_xlsx
from bot.handlers.broadcasts.broadcast import BROADCAST_FORM
from bot.handlers.events.common import (
    CHECKIN_OPENS,
    EVENT_ADMIN,
    EVENT_FORM,
    EVENT_TYPE_OPTIONS,
    MAX_CAPACITY,
    MAX_SHIFT,
    PAGE_SIZE,
    SHIFT_FORM,
    STATUS_KEYS,
    Notices,
    description_for,
    fmt_dt,
    fmt_hours,
    fmt_range,
    fmt_short,
    fmt_time,
    has_date,
    local_day,
    parse_moment,
    pin_of,
    title_for,
    type_label,
)
from bot.handlers.staff.panel import STAFF_PANEL
from storage import events as store
from storage import repositories as repo
from storage.models_events import CONFIRMED, PENDING, WAITLISTED, Event, Shift, ShiftRegistration

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


async def _audit(ctx: Context, action: str, target: str, **details: Any) -> None:
    await repo.add_audit(ctx.session, f"user:{ctx.user.id}", action, target, details)


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
            await _audit(ctx, "event.created", f"event:{event.id}")
            ctx.say("evf.created", title=title, id=event.id)
        else:
            after = (event.starts_at, event.ends_at, event.place_name, pin_of(event))
            await _audit(ctx, "event.updated", f"event:{event.id}")
            ctx.say("evf.updated", title=title)
            if before != after:
                told = await Notices(ctx).changed(event)
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
        notices = Notices(ctx)
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
            await _audit(ctx, "shift.created", f"shift:{shift.id}", event=event.id)
            ctx.say("esf.created")
        else:
            await _audit(ctx, "shift.updated", f"shift:{shift.id}", event=event.id)
            ctx.say("esf.updated")
            if old[:2] != (starts, ends):
                told = await notices.changed(event, [shift])
                ctx.reply(ctx.tr.tn("eva.told", told))
            if capacity > old[2]:
                promoted = await store.fill_from_waitlist(ctx.session, shift, ctx.now)
                await notices.promoted(promoted, event, shift)
                if promoted:
                    ctx.reply(ctx.tr.tn("eva.promoted", len(promoted)))
        ctx.state.data = {}
        await ctx.goto(EVENT_ADMIN, {"eid": event.id, "sid": shift.id})


# --- the staff's events panel ---------------------------------------------------------------------
def announcement_text(ctx: Context, locale: str, event: Event) -> str:
    """The text of an event's announcement in one language (plain: the broadcast escapes it)."""
    tr = ctx.catalogs.translator(locale)
    return tr.label(
        "eva.announce_text",
        title=title_for(locale, event),
        type=type_label(tr, event.type),
        when=fmt_range(tr, ctx.settings.timezone, event.starts_at, event.ends_at),
        place=event.place_name,
        description=description_for(locale, event),
    )


class EventAdmin(Flow):
    """Steps: list → event → shift → registrants | find (check-in by ID or mobile);
    cx / cs confirm cancelling an event / a shift."""

    name = EVENT_ADMIN
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {"page": 0}
        if params.get("eid") is not None:
            ctx.state.data["eid"] = int(params["eid"])
            if params.get("sid") is not None:
                ctx.state.data["sid"] = int(params["sid"])
                await self.show_shift(ctx)
                return
            await self.show_event(ctx)
            return
        await self.show_list(ctx)

    async def show(self, ctx: Context) -> None:
        step = ctx.state.step
        if step in ("event", "cx"):
            await self.show_event(ctx)
        elif step in ("shift", "cs"):
            await self.show_shift(ctx)
        elif step == "regs":
            await self.show_registrants(ctx)
        elif step == "find":
            self.ask_find(ctx)
        else:
            await self.show_list(ctx)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        step = ctx.state.step
        value = pressed_value(inbound)
        if step == "find" and inbound.kind is InboundKind.TEXT:
            await self.find(ctx, inbound.text)
            return
        handler = {
            "list": self.on_list,
            "event": self.on_event,
            "cx": self.on_cancel_event,
            "shift": self.on_shift,
            "cs": self.on_cancel_shift,
            "regs": self.on_registrants,
            "find": self.on_find,
        }.get(step)
        if handler is None:
            await self.show_list(ctx)
        else:
            await handler(ctx, value)

    # --- loading ----------------------------------------------------------------------------
    async def _event(self, ctx: Context) -> Event | None:
        return await store.get_event(ctx.session, int(ctx.state.data.get("eid") or 0))

    async def _shift(self, ctx: Context) -> tuple[Event, Shift] | None:
        event = await self._event(ctx)
        shift = await store.get_shift(ctx.session, int(ctx.state.data.get("sid") or 0))
        if event is None or shift is None or shift.event_id != event.id:
            return None
        return event, shift

    async def _shift_or_event(self, ctx: Context) -> tuple[Event, Shift] | None:
        """The shift being looked at; None, after showing its event, when it is gone."""
        found = await self._shift(ctx)
        if found is None:
            await self.show_event(ctx)
        return found

    # --- list -------------------------------------------------------------------------------
    async def show_list(self, ctx: Context) -> None:
        ctx.set_step("list")
        tr, tz = ctx.tr, ctx.settings.timezone
        page = int(ctx.state.data.get("page", 0))
        events, total = await store.list_events(
            ctx.session,
            now=ctx.now,
            staff_days_back=STAFF_DAYS_BACK,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        pages = max(1, math.ceil(total / PAGE_SIZE))
        lines = [tr.t("eva.title"), tr.tn("ev.count", total)]
        if pages > 1:
            lines.append(tr.t("ev.page", page=page + 1, pages=pages))
        choices: list[Choice] = []
        for event in events:
            title = title_for(tr.locale, event)
            key = "eva.line_cancelled" if event.status != store.PUBLISHED else "eva.line"
            lines.append(
                tr.t(
                    key,
                    id=event.id,
                    title=title,
                    when=fmt_range(tr, tz, event.starts_at, event.ends_at),
                )
            )
            choices.append(
                ctx.choice("list", f"e{event.id}", "eva.btn.event", id=event.id, title=title)
            )
        if page > 0:
            choices.append(ctx.choice("list", "_pv", "ev.btn.prev"))
        if (page + 1) * PAGE_SIZE < total:
            choices.append(ctx.choice("list", "_nx", "ev.btn.next"))
        choices.append(ctx.choice("list", "new", "eva.btn.new"))
        choices.append(ctx.choice("list", "_bk", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_list(self, ctx: Context, value: str) -> None:
        event_id = number_after(value, "e")
        data = ctx.state.data
        if event_id is not None:
            data["eid"] = event_id
            await self.show_event(ctx)
        elif value == "new":
            await ctx.goto(EVENT_FORM)
        elif value == "_bk":
            await ctx.goto(STAFF_PANEL)
        else:
            if value == "_pv":
                data["page"] = max(int(data.get("page", 0)) - 1, 0)
            elif value == "_nx":
                data["page"] = int(data.get("page", 0)) + 1
            await self.show_list(ctx)

    # --- one event --------------------------------------------------------------------------
    async def show_event(self, ctx: Context) -> None:
        ctx.set_step("event")
        tr, tz = ctx.tr, ctx.settings.timezone
        event = await self._event(ctx)
        if event is None:
            await self.show_list(ctx)
            return
        shifts = await store.shifts_of(ctx.session, event.id, include_cancelled=True)
        counted = await store.counts(ctx.session, [s.id for s in shifts])
        live = event.status == store.PUBLISHED
        lines = [
            tr.t(
                "eva.detail",
                id=event.id,
                title=event.title_ar,
                title_en=event.title_en or "-",
                type=type_label(tr, event.type),
                when=fmt_range(tr, tz, event.starts_at, event.ends_at),
                place=event.place_name,
                pin=tr.label("eva.pin_yes" if pin_of(event) else "eva.pin_no"),
            )
        ]
        if not live:
            lines.append(tr.t("eva.event_is_cancelled"))
        lines.append(tr.t("ev.shifts_title") if shifts else tr.t("ev.no_shifts"))
        choices: list[Choice] = []
        for shift in shifts:
            c = counted.get(shift.id, store.ShiftCounts())
            key = "eva.shift_line" if shift.status == store.ACTIVE else "eva.shift_line_cancelled"
            lines.append(
                tr.t(
                    key,
                    when=fmt_range(tr, tz, shift.starts_at, shift.ends_at),
                    confirmed=c.confirmed,
                    capacity=shift.capacity,
                    waiting=c.waitlisted,
                    pending=c.pending,
                )
            )
            if shift.status == store.ACTIVE:
                choices.append(
                    ctx.choice(
                        "event",
                        f"s{shift.id}",
                        "eva.btn.shift",
                        when=fmt_short(tr, tz, shift.starts_at, shift.ends_at),
                        confirmed=c.confirmed,
                        capacity=shift.capacity,
                    )
                )
        if live:
            choices += [
                ctx.choice("event", "as", "eva.btn.add_shift"),
                ctx.choice("event", "ed", "eva.btn.edit"),
                ctx.choice("event", "an", "eva.btn.announce"),
                ctx.choice("event", "mr", "eva.btn.message"),
            ]
        choices.append(ctx.choice("event", "xl", "eva.btn.export"))
        if live:
            choices.append(ctx.choice("event", "cx", "eva.btn.cancel_event"))
        choices.append(ctx.choice("event", "_bk", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_event(self, ctx: Context, value: str) -> None:
        event = await self._event(ctx)
        if event is None:
            await self.show_list(ctx)
            return
        shift_id = number_after(value, "s")
        live = event.status == store.PUBLISHED
        if shift_id is not None:
            ctx.state.data["sid"] = shift_id
            await self.show_shift(ctx)
        elif value == "as" and live:
            await ctx.goto(SHIFT_FORM, {"eid": event.id})
        elif value == "ed" and live:
            await ctx.goto(EVENT_FORM, {"values": event_values(event), "eid": event.id})
        elif value == "an" and live:
            values = {
                "ev": {"id": event.id, "title": event.title_ar},
                "text_ar": announcement_text(ctx, "ar", event),
                "text_en": announcement_text(ctx, "en", event),
                "file": None,
            }
            await ctx.goto(BROADCAST_FORM, {"values": values})
        elif value == "mr" and live:
            target = {"id": event.id, "title": event.title_ar}
            await ctx.goto(BROADCAST_FORM, {"values": {"aud": "event", "aud_event": target}})
        elif value == "xl":
            await self.export(ctx, event)
            await self.show_event(ctx)
        elif value == "cx" and live:
            await self.ask_cancel_event(ctx, event)
        elif value == "_bk":
            await self.show_list(ctx)
        else:
            await self.show_event(ctx)

    async def ask_cancel_event(self, ctx: Context, event: Event) -> None:
        ctx.set_step("cx")
        people = len(await store.registrants(ctx.session, event_id=event.id))
        ctx.reply(
            ctx.tr.tn("eva.cancel_event_q", people, title=event.title_ar),
            [ctx.choice("cx", "y", "eva.btn.yes_cancel"), ctx.choice("cx", "n", "eva.btn.no")],
        )

    async def on_cancel_event(self, ctx: Context, value: str) -> None:
        event = await self._event(ctx)
        if value == "y" and event is not None and event.status == store.PUBLISHED:
            told = await Notices(ctx).cancelled(event, N_("ev.n.event_cancelled"))
            event.status = store.EVENT_CANCELLED
            for shift in await store.shifts_of(ctx.session, event.id):
                shift.status = "cancelled"
            await _audit(ctx, "event.cancelled", f"event:{event.id}", told=told)
            ctx.say("eva.event_cancelled", title=event.title_ar)
            ctx.reply(ctx.tr.tn("eva.told", told))
        await self.show_event(ctx)

    # --- one shift --------------------------------------------------------------------------
    async def show_shift(self, ctx: Context) -> None:
        ctx.set_step("shift")
        tr, tz = ctx.tr, ctx.settings.timezone
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        event, shift = found
        c = (await store.counts(ctx.session, [shift.id]))[shift.id]
        gender = {"f": "esf.gender.f", "m": "esf.gender.m"}.get(
            shift.gender or "", "esf.gender.any"
        )
        lines = [
            tr.t(
                "eva.shift_detail",
                title=event.title_ar,
                when=fmt_range(tr, tz, shift.starts_at, shift.ends_at),
                confirmed=c.confirmed,
                capacity=shift.capacity,
                waiting=c.waitlisted,
                pending=c.pending,
                gender=tr.label(gender),
                skills=tr.label("form.list_sep").join(shift.skills) or "-",
                approval=tr.label(
                    "esf.approval.auto" if shift.auto_confirm else "esf.approval.staff"
                ),
            )
        ]
        active = shift.status == store.ACTIVE and event.status == store.PUBLISHED
        if not active:
            lines.append(tr.t("eva.shift_is_cancelled"))
        choices = [
            ctx.choice("shift", "rg", "eva.btn.registrants"),
            ctx.choice("shift", "ci", "eva.btn.find"),
        ]
        if active:
            choices += [
                ctx.choice("shift", "es", "eva.btn.edit_shift"),
                ctx.choice("shift", "cs", "eva.btn.cancel_shift"),
            ]
        choices.append(ctx.choice("shift", "_bk", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_shift(self, ctx: Context, value: str) -> None:
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        event, shift = found
        active = shift.status == store.ACTIVE and event.status == store.PUBLISHED
        if value == "rg":
            ctx.state.data["rpage"] = 0
            await self.show_registrants(ctx)
        elif value == "ci":
            self.ask_find(ctx)
        elif value == "es" and active:
            await ctx.goto(
                SHIFT_FORM, {"values": shift_values(shift), "eid": event.id, "sid": shift.id}
            )
        elif value == "cs" and active:
            ctx.set_step("cs")
            people = len(await store.registrants(ctx.session, shift_id=shift.id))
            ctx.reply(
                ctx.tr.tn("eva.cancel_shift_q", people),
                [ctx.choice("cs", "y", "eva.btn.yes_cancel"), ctx.choice("cs", "n", "eva.btn.no")],
            )
        elif value == "_bk":
            await self.show_event(ctx)
        else:
            await self.show_shift(ctx)

    async def on_cancel_shift(self, ctx: Context, value: str) -> None:
        found = await self._shift(ctx)
        if value == "y" and found is not None and found[1].status == store.ACTIVE:
            event, shift = found
            told = await Notices(ctx).cancelled(event, N_("ev.n.shift_cancelled"), shift)
            shift.status = "cancelled"
            await _audit(ctx, "shift.cancelled", f"shift:{shift.id}", told=told)
            ctx.say("eva.shift_cancelled")
            ctx.reply(ctx.tr.tn("eva.told", told))
        await self.show_shift(ctx)

    # --- registrants, approval, attendance ----------------------------------------------------
    async def show_registrants(self, ctx: Context) -> None:
        ctx.set_step("regs")
        tr, tz = ctx.tr, ctx.settings.timezone
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        _, shift = found
        people = await store.registrants(ctx.session, shift_id=shift.id)
        page = int(ctx.state.data.get("rpage", 0))
        pages = max(1, math.ceil(len(people) / REGISTRANTS_PAGE))
        page = min(page, pages - 1)
        ctx.state.data["rpage"] = page
        lines = [tr.t("eva.registrants_title"), tr.tn("eva.registrants_count", len(people))]
        if pages > 1:
            lines.append(tr.t("ev.page", page=page + 1, pages=pages))
        choices: list[Choice] = []
        position = 0
        positions: dict[int, int] = {}
        for r in people:
            if r.registration.status == WAITLISTED:
                position += 1
                positions[r.registration.id] = position
        start = page * REGISTRANTS_PAGE
        for number, r in enumerate(people[start : start + REGISTRANTS_PAGE], start=start + 1):
            reg, name = r.registration, r.volunteer.full_name
            status = tr.label(STATUS_KEYS[reg.status])
            if reg.id in positions:
                status = tr.label("ev.status.waitlisted_n", n=positions[reg.id])
            attendance = []
            if reg.checked_in_at is not None:
                attendance.append(tr.label("eva.in_at", time=fmt_time(tr, tz, reg.checked_in_at)))
            if reg.checked_out_at is not None:
                attendance.append(tr.label("eva.out_at", time=fmt_time(tr, tz, reg.checked_out_at)))
            lines.append(
                tr.t(
                    "eva.registrant_line",
                    n=number,
                    name=name,
                    status=status,
                    attendance=" ".join(attendance),
                )
            )
            rid = reg.id
            if reg.status == PENDING:
                choices.append(ctx.choice("regs", f"a{rid}", "eva.btn.approve", name=name))
                choices.append(ctx.choice("regs", f"j{rid}", "eva.btn.reject", name=name))
            elif reg.status == CONFIRMED and reg.checked_in_at is None:
                choices.append(ctx.choice("regs", f"i{rid}", "eva.btn.check_in", name=name))
            elif reg.status == CONFIRMED and reg.checked_out_at is None:
                choices.append(ctx.choice("regs", f"o{rid}", "eva.btn.check_out", name=name))
        if page > 0:
            choices.append(ctx.choice("regs", "_pv", "ev.btn.prev"))
        if page + 1 < pages:
            choices.append(ctx.choice("regs", "_nx", "ev.btn.next"))
        choices.append(ctx.choice("regs", "_bk", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_registrants(self, ctx: Context, value: str) -> None:
        data = ctx.state.data
        if value == "_bk":
            await self.show_shift(ctx)
            return
        if value in ("_pv", "_nx"):
            data["rpage"] = max(int(data.get("rpage", 0)) + (1 if value == "_nx" else -1), 0)
            await self.show_registrants(ctx)
            return
        found = await self._shift(ctx)
        action, rest = value[:1], value[1:]
        reg = await store.get_registration(ctx.session, int(rest)) if rest.isdigit() else None
        if found is None or reg is None or reg.shift_id != found[1].id:
            await self.show_registrants(ctx)
            return
        event, shift = found
        if action == "a":
            await self.approve(ctx, event, shift, reg)
        elif action == "j":
            await self.reject(ctx, event, shift, reg)
        elif action in ("i", "o"):
            await self.attendance(ctx, shift, reg, "in" if action == "i" else "out")
        await self.show_registrants(ctx)

    async def approve(
        self, ctx: Context, event: Event, shift: Shift, reg: ShiftRegistration
    ) -> None:
        notices = Notices(ctx)
        volunteer, user = await notices.person(reg)
        if reg.status != PENDING:
            ctx.say("eva.err.not_pending", name=volunteer.full_name)
            return
        outcome = await store.approve(ctx.session, reg, shift, ctx.now)
        if outcome == CONFIRMED:
            await notices.about(user, reg, event, shift, N_("ev.n.approved"), "approved")
            await notices.schedule_reminders(user, reg, event, shift)
            ctx.say("eva.approved", name=volunteer.full_name)
        else:
            position = await store.waitlist_position(ctx.session, reg)
            await notices.about(
                user, reg, event, shift, N_("ev.n.approved_waitlist"), "approved", position=position
            )
            ctx.say("eva.approved_waitlist", name=volunteer.full_name, position=position)
        await _audit(ctx, "registration.approved", f"registration:{reg.id}", outcome=outcome)

    async def reject(
        self, ctx: Context, event: Event, shift: Shift, reg: ShiftRegistration
    ) -> None:
        notices = Notices(ctx)
        volunteer, user = await notices.person(reg)
        if reg.status != PENDING:
            ctx.say("eva.err.not_pending", name=volunteer.full_name)
            return
        promoted = await store.cancel(ctx.session, reg, shift, ctx.now)
        await notices.about(user, reg, event, shift, N_("ev.n.rejected"), "rejected")
        await notices.promoted(promoted, event, shift)
        await _audit(ctx, "registration.rejected", f"registration:{reg.id}")
        ctx.say("eva.rejected", name=volunteer.full_name)

    async def attendance(
        self, ctx: Context, shift: Shift, reg: ShiftRegistration, wanted: str | None
    ) -> None:
        """Check in, or check out: `wanted` from a button; None (typed ID) toggles."""
        tr, tz = ctx.tr, ctx.settings.timezone
        volunteer, _ = await Notices(ctx).person(reg)
        name = volunteer.full_name
        if reg.status != CONFIRMED:
            ctx.say("eva.err.not_confirmed", name=name, status=tr.label(STATUS_KEYS[reg.status]))
        elif reg.checked_in_at is None and wanted != "out":
            opens = shift.starts_at - CHECKIN_OPENS
            if ctx.now < opens:
                ctx.say("eva.err.too_early", when=fmt_dt(tr, tz, opens))
                return
            reg.checked_in_at = ctx.now
            await _audit(ctx, "attendance.check_in", f"registration:{reg.id}")
            ctx.say("eva.checked_in", name=name, time=fmt_time(tr, tz, ctx.now))
        elif reg.checked_in_at is not None and reg.checked_out_at is None and wanted != "in":
            reg.checked_out_at = ctx.now
            await _audit(ctx, "attendance.check_out", f"registration:{reg.id}")
            hours = fmt_hours(store.hours_of(reg, shift, ctx.now))
            ctx.say("eva.checked_out", name=name, time=fmt_time(tr, tz, ctx.now), hours=hours)
        elif reg.checked_out_at is not None:
            ctx.say("eva.already_out", name=name)
        elif reg.checked_in_at is not None:
            ctx.say("eva.already_in", name=name)
        else:
            ctx.say("eva.not_in", name=name)

    def ask_find(self, ctx: Context) -> None:
        ctx.set_step("find")
        ctx.reply(
            ctx.tr.t("eva.find_prompt"),
            [
                ctx.choice("find", "rg", "eva.btn.registrants"),
                ctx.choice("find", "_bk", "form.back"),
            ],
        )

    async def on_find(self, ctx: Context, value: str) -> None:
        if value == "rg":
            ctx.state.data["rpage"] = 0
            await self.show_registrants(ctx)
        elif value == "_bk":
            await self.show_shift(ctx)
        else:
            self.ask_find(ctx)

    async def find(self, ctx: Context, text: str) -> None:
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        _, shift = found
        national_id = mobile = None
        try:
            national_id = parse_national_id(text)
        except Invalid:
            try:
                mobile = parse_mobile(text)
            except Invalid:
                ctx.say("eva.err.id_or_mobile")
                self.ask_find(ctx)
                return
        people = await store.find_registrants(
            ctx.session, shift.id, national_id=national_id, mobile=mobile
        )
        # A shared family mobile: only the volunteers confirmed and not yet checked out count.
        open_ones = [
            p
            for p in people
            if p.registration.status == CONFIRMED and p.registration.checked_out_at is None
        ]
        if not people:
            ctx.say("eva.err.not_registered")
        elif len(people) == 1:
            await self.attendance(ctx, shift, people[0].registration, None)
        elif len(open_ones) == 1:
            await self.attendance(ctx, shift, open_ones[0].registration, None)
        else:
            ctx.say("eva.err.shared_mobile")
        self.ask_find(ctx)

    # --- export -----------------------------------------------------------------------------
    async def export(self, ctx: Context, event: Event) -> None:
        tr = ctx.tr
        zone = ctx.timezone
        people = await store.registrants(ctx.session, event_id=event.id)
        rows = []
        positions: dict[int, int] = {}
        for r in people:
            reg, shift, volunteer = r.registration, r.shift, r.volunteer
            position = None
            if reg.status == WAITLISTED:
                position = positions[shift.id] = positions.get(shift.id, 0) + 1
            gender_key = "vol.gender.female" if volunteer.gender == "f" else "vol.gender.male"
            rows.append(
                [
                    shift.starts_at.astimezone(zone),
                    volunteer.full_name,
                    volunteer.national_id,
                    volunteer.mobile,
                    tr.label(gender_key),
                    tr.label(STATUS_KEYS[reg.status]),
                    position,
                    reg.created_at.astimezone(zone),
                    reg.checked_in_at.astimezone(zone) if reg.checked_in_at else None,
                    reg.checked_out_at.astimezone(zone) if reg.checked_out_at else None,
                    round(store.hours_of(reg, shift, ctx.now), 2),
                    reg.rating,
                ]
            )
        headers = [tr.label(key) for key in EXPORT_COLUMNS]
        name = f"event-{event.id}"
        ctx.reply(
            tr.tn("eva.exported", len(rows), title=event.title_ar),
            attachment=Attachment(
                kind="document",
                filename=f"{name}.xlsx",
                data=to_xlsx(tr.label("eva.x.sheet"), headers, rows),
            ),
        )
        ctx.reply(
            tr.t("eva.export_csv"),
            attachment=Attachment(
                kind="document", filename=f"{name}.csv", data=to_csv(headers, rows)
            ),
        )
        await _audit(ctx, "event.exported", f"event:{event.id}", rows=len(rows))


async def open_admin(ctx: Context) -> None:
    await ctx.goto(EVENT_ADMIN)


async def new_event(ctx: Context) -> None:
    await ctx.goto(EVENT_FORM)
