"""Volunteers and events, browsing: upcoming events (paged, by type and dates), one event with
the places left in its shifts, registering for a shift or joining its waitlist; with the
display of a registration's status and an event's pin that "my shifts" uses too."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from bot.core.date_input import parse_days
from bot.core.dates import day_start, fmt_datetime, fmt_range, fmt_short_range
from bot.core.flow import Context, Flow, number_after, pressed_value
from bot.core.messages import Choice, Inbound, InboundKind, Location
from bot.core.validators import Invalid
from bot.handlers.events.common import (
    CANCEL_CUTOFF,
    EVENT_TYPE_OPTIONS,
    EVENTS,
    MY_SHIFTS,
    PAGE_SIZE,
    STATUS_KEYS,
    Notices,
    description_for,
    pin_of,
    shift_params,
    title_for,
    type_label,
)
from storage import events as store
from storage import repositories as repo
from storage.models_events import (
    CONFIRMED,
    PENDING,
    WAITLISTED,
    Event,
    Shift,
    ShiftRegistration,
)

DATE_PRESETS = ("today", "weekend", "week", "month")
FRIDAY, SATURDAY = 4, 5


def preset_range(preset: str, today: date) -> tuple[date, date]:
    if preset == "today":
        return today, today
    if preset == "weekend":  # the Saudi weekend: Friday and Saturday
        if today.weekday() == SATURDAY:
            return today, today
        friday = today + timedelta(days=(FRIDAY - today.weekday()) % 7)
        return friday, friday + timedelta(days=1)
    if preset == "week":
        return today, today + timedelta(days=6)
    return today, today + timedelta(days=29)


async def status_text(ctx: Context, reg: ShiftRegistration) -> str:
    if reg.status == WAITLISTED:
        position = await store.waitlist_position(ctx.session, reg)
        return ctx.tr.label("ev.status.waitlisted_n", n=position)
    return ctx.tr.label(STATUS_KEYS[reg.status])


def location_of(event: Event) -> Location | None:
    pin = pin_of(event)
    return Location(pin[0], pin[1]) if pin else None


async def refusal(ctx: Context, refused: store.Refused, shift: Shift) -> None:
    """Say why a registration was refused."""
    other = refused.other
    if refused.reason == "duplicate" and other is not None:
        ctx.say("ev.err.duplicate", status=await status_text(ctx, other))
    elif refused.reason == "overlap" and other is not None:
        clash = await store.get_shift(ctx.session, other.shift_id)
        event = await store.get_event(ctx.session, clash.event_id) if clash else None
        if clash is None or event is None:
            ctx.say("ev.err.overlap_plain")
            return
        ctx.say(
            "ev.err.overlap",
            title=title_for(ctx.tr.locale, event),
            when=fmt_range(ctx.tr, clash.starts_at, clash.ends_at, ctx.settings.timezone),
        )
    elif refused.reason == "gender":
        ctx.say("ev.err.women_only" if shift.gender == "f" else "ev.err.men_only")
    elif refused.reason == "closed":
        ctx.say("ev.err.closed")
    else:
        ctx.say("ev.err.busy")


# --- browsing -------------------------------------------------------------------------------------
class EventsFlow(Flow):
    """List → event (shifts with places left) → register or join the waitlist."""

    name = EVENTS

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {"filters": {}, "page": 0}
        event_id = params.get("event")
        if event_id is not None:
            ctx.state.data["eid"] = int(event_id)
            await self.show_event(ctx, pin=True)
            return
        await self.show_list(ctx)

    async def show(self, ctx: Context) -> None:
        step = ctx.state.step
        if step in ("event", "full"):
            await self.show_event(ctx, pin=False)
        elif step == "ftype":
            self.ask_type(ctx)
        elif step == "fdate":
            self.ask_dates(ctx)
        else:
            await self.show_list(ctx)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        step = ctx.state.step
        value = pressed_value(inbound)
        if value == "_mn":
            await ctx.home()
        elif value == "_my":
            await ctx.goto(MY_SHIFTS)
        elif step == "list":
            await self.on_list(ctx, value)
        elif step == "ftype":
            await self.on_type(ctx, value)
        elif step == "fdate":
            await self.on_dates(ctx, inbound, value)
        elif step == "event":
            await self.on_event(ctx, value)
        elif step == "full":
            await self.on_full(ctx, value)
        else:
            await self.show_list(ctx)

    # --- the list ---------------------------------------------------------------------------
    def _filters_text(self, ctx: Context, filters: dict[str, Any]) -> str | None:
        parts = []
        if filters.get("type"):
            parts.append(type_label(ctx.tr, filters["type"]))
        if filters.get("from"):
            start, end = date.fromisoformat(filters["from"]), date.fromisoformat(filters["to"])
            if start == end:
                parts.append(ctx.fmt_date(start))
            else:
                parts.append(
                    ctx.tr.label("ev.range", start=ctx.fmt_date(start), end=ctx.fmt_date(end))
                )
        return ctx.tr.label("form.list_sep").join(parts) if parts else None

    async def show_list(self, ctx: Context) -> None:
        ctx.set_step("list")
        tr, tz = ctx.tr, ctx.settings.timezone
        data = ctx.state.data
        filters: dict[str, Any] = data.setdefault("filters", {})
        page = int(data.get("page", 0))
        date_from = date_to = None
        if filters.get("from"):
            date_from = day_start(date.fromisoformat(filters["from"]), tz)
            date_to = day_start(date.fromisoformat(filters["to"]) + timedelta(days=1), tz)
        query: dict[str, Any] = {
            "now": ctx.now,
            "event_type": filters.get("type"),
            "date_from": date_from,
            "date_to": date_to,
            "limit": PAGE_SIZE,
        }
        events, total = await store.list_events(ctx.session, offset=page * PAGE_SIZE, **query)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if page >= pages:
            page = data["page"] = pages - 1
            events, total = await store.list_events(ctx.session, offset=page * PAGE_SIZE, **query)
        lines = [tr.t("ev.list_title")]
        described = self._filters_text(ctx, filters)
        if described:
            lines.append(tr.t("ev.filters", value=described))
        choices: list[Choice] = []
        if not events:
            lines.append(tr.t("ev.none_filtered" if described else "ev.none"))
        else:
            lines.append(tr.tn("ev.count", total))
            if pages > 1:
                lines.append(tr.t("ev.page", page=page + 1, pages=pages))
        for number, event in enumerate(events, start=page * PAGE_SIZE + 1):
            title = title_for(tr.locale, event)
            lines.append(
                tr.t(
                    "ev.list_line",
                    n=number,
                    title=title,
                    type=type_label(tr, event.type),
                    when=fmt_range(tr, event.starts_at, event.ends_at, tz),
                    place=event.place_name,
                )
            )
            choices.append(
                ctx.choice("list", f"e{event.id}", "ev.btn.event", n=number, title=title)
            )
        if page > 0:
            choices.append(ctx.choice("list", "_pv", "ev.btn.prev"))
        if (page + 1) * PAGE_SIZE < total:
            choices.append(ctx.choice("list", "_nx", "ev.btn.next"))
        choices.append(ctx.choice("list", "_ft", "ev.btn.filter_type"))
        choices.append(ctx.choice("list", "_fd", "ev.btn.filter_dates"))
        if described:
            choices.append(ctx.choice("list", "_fx", "ev.btn.filter_clear"))
        choices.append(ctx.choice("list", "_my", "ev.btn.my_shifts"))
        choices.append(ctx.choice("list", "_mn", "mydata.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_list(self, ctx: Context, value: str) -> None:
        data = ctx.state.data
        event_id = number_after(value, "e")
        if event_id is not None:
            data["eid"] = event_id
            await self.show_event(ctx, pin=True)
            return
        if value == "_pv":
            data["page"] = max(int(data.get("page", 0)) - 1, 0)
        elif value == "_nx":
            data["page"] = int(data.get("page", 0)) + 1
        elif value == "_ft":
            self.ask_type(ctx)
            return
        elif value == "_fd":
            self.ask_dates(ctx)
            return
        elif value == "_fx":
            data["filters"], data["page"] = {}, 0
        else:
            ctx.say("form.err.use_choices")
        await self.show_list(ctx)

    # --- filters ----------------------------------------------------------------------------
    def ask_type(self, ctx: Context) -> None:
        ctx.set_step("ftype")
        choices = [ctx.choice("ftype", o.value, o.label) for o in EVENT_TYPE_OPTIONS]
        choices.append(ctx.choice("ftype", "_all", "ev.filter.any_type"))
        choices.append(ctx.choice("ftype", "_bk", "form.back"))
        ctx.reply(ctx.tr.t("ev.q.type"), choices)

    async def on_type(self, ctx: Context, value: str) -> None:
        filters = ctx.state.data.setdefault("filters", {})
        if value in {o.value for o in EVENT_TYPE_OPTIONS}:
            filters["type"] = value
        elif value == "_all":
            filters.pop("type", None)
        elif value != "_bk":
            ctx.say("form.err.use_choices")
            self.ask_type(ctx)
            return
        ctx.state.data["page"] = 0
        await self.show_list(ctx)

    def ask_dates(self, ctx: Context) -> None:
        ctx.set_step("fdate")
        choices = [ctx.choice("fdate", p, f"ev.filter.{p}") for p in DATE_PRESETS]
        choices.append(ctx.choice("fdate", "_all", "ev.filter.any_date"))
        choices.append(ctx.choice("fdate", "_bk", "form.back"))
        ctx.reply(ctx.tr.t("ev.q.dates"), choices)

    async def on_dates(self, ctx: Context, inbound: Inbound, value: str) -> None:
        filters = ctx.state.data.setdefault("filters", {})
        if inbound.kind is InboundKind.TEXT:
            try:
                start, end = parse_days(inbound.text)
            except Invalid as err:
                ctx.say(err.msgid, **err.params)
                self.ask_dates(ctx)
                return
            filters["from"], filters["to"] = start.isoformat(), end.isoformat()
        elif value in DATE_PRESETS:
            start, end = preset_range(value, ctx.today)
            filters["from"], filters["to"] = start.isoformat(), end.isoformat()
        elif value == "_all":
            filters.pop("from", None)
            filters.pop("to", None)
        elif value != "_bk":
            ctx.say("form.err.use_choices")
            self.ask_dates(ctx)
            return
        ctx.state.data["page"] = 0
        await self.show_list(ctx)

    # --- one event --------------------------------------------------------------------------
    async def show_event(self, ctx: Context, *, pin: bool) -> None:
        ctx.set_step("event")
        tr, tz = ctx.tr, ctx.settings.timezone
        event = await store.get_event(ctx.session, int(ctx.state.data.get("eid", 0)))
        if event is None or event.status != store.PUBLISHED:
            ctx.say("ev.err.gone")
            await self.show_list(ctx)
            return
        shifts = await store.shifts_of(ctx.session, event.id)
        counted = await store.counts(ctx.session, [s.id for s in shifts])
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        mine: dict[int, ShiftRegistration] = {}
        if volunteer is not None:
            for reg, shift, _ in await store.volunteer_registrations(ctx.session, volunteer.id):
                if shift.event_id == event.id:
                    mine[shift.id] = reg
        lines = [
            tr.t(
                "ev.detail",
                title=title_for(tr.locale, event),
                type=type_label(tr, event.type),
                when=fmt_range(tr, event.starts_at, event.ends_at, tz),
                place=event.place_name,
                description=description_for(tr.locale, event),
            ),
            tr.t("ev.shifts_title") if shifts else tr.t("ev.no_shifts"),
        ]
        choices: list[Choice] = []
        for shift in shifts:
            left = counted[shift.id].places_left(shift.capacity)
            is_open = store.is_open(event, shift, ctx.now)
            notes = []
            if not is_open:
                notes.append(tr.label("ev.note.closed"))
            elif left == 0 and shift.id not in mine:
                notes.append(tr.label("ev.note.full"))
            else:
                notes.append(tr.tn("ev.places_left", left))
            if shift.gender:
                notes.append(tr.label(f"ev.note.gender_{shift.gender}"))
            if shift.skills:
                notes.append(
                    tr.label("ev.note.skills", skills=tr.label("form.list_sep").join(shift.skills))
                )
            if not shift.auto_confirm:
                notes.append(tr.label("ev.note.approval"))
            if shift.id in mine:
                notes.append(
                    tr.label("ev.note.mine", status=await status_text(ctx, mine[shift.id]))
                )
            lines.append(
                tr.t(
                    "ev.shift_line",
                    when=fmt_range(tr, shift.starts_at, shift.ends_at, tz),
                    notes=tr.label("form.list_sep").join(notes),
                )
            )
            if is_open and shift.id not in mine:
                label = "ev.btn.register" if left else "ev.btn.register_full"
                when = fmt_short_range(tr, shift.starts_at, shift.ends_at, tz)
                choices.append(ctx.choice("event", f"s{shift.id}", label, when=when))
        if volunteer is None:
            lines.append(tr.t("ev.need_profile"))
            choices.append(ctx.choice("event", "vol", "ev.btn.signup"))
        choices.append(ctx.choice("event", "_my", "ev.btn.my_shifts"))
        choices.append(ctx.choice("event", "_bk", "ev.btn.all_events"))
        ctx.reply("\n".join(lines), choices, location=location_of(event) if pin else None)

    async def on_event(self, ctx: Context, value: str) -> None:
        shift_id = number_after(value, "s")
        if shift_id is not None:
            await self.register(ctx, shift_id, waitlist_ok=False)
        elif value == "vol":
            await ctx.goto("vol")
        elif value == "_bk":
            await self.show_list(ctx)
        else:
            ctx.say("form.err.use_choices")
            await self.show_event(ctx, pin=False)

    async def on_full(self, ctx: Context, value: str) -> None:
        shift_id = number_after(value, "w")
        if shift_id is not None:
            await self.register(ctx, shift_id, waitlist_ok=True)
        else:
            await self.show_event(ctx, pin=False)

    async def register(self, ctx: Context, shift_id: int, *, waitlist_ok: bool) -> None:
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        if volunteer is None:
            ctx.say("ev.need_profile")
            await self.show_event(ctx, pin=False)
            return
        shift = await store.get_shift(ctx.session, shift_id)
        event = await store.get_event(ctx.session, shift.event_id) if shift else None
        if shift is None or event is None or event.id != ctx.state.data.get("eid"):
            await self.show_event(ctx, pin=False)
            return
        try:
            outcome = await store.register(
                ctx.session, event, shift, volunteer, ctx.now, waitlist_ok=waitlist_ok
            )
        except store.Refused as refused:
            if refused.reason == "full":
                self.ask_waitlist(ctx, shift, await store.counts(ctx.session, [shift.id]))
                return
            await refusal(ctx, refused, shift)
            await self.show_event(ctx, pin=False)
            return
        reg = outcome.registration
        tr, tz = ctx.tr, ctx.settings.timezone
        params = shift_params(tr, tz, event, shift)
        if reg.status == CONFIRMED:
            ctx.say(
                "ev.registered",
                until=fmt_datetime(tr, shift.starts_at - CANCEL_CUTOFF, tz),
                **params,
            )
            await Notices(ctx.unit).schedule_reminders(ctx.user, reg, event, shift)
        elif reg.status == PENDING:
            ctx.say("ev.requested", **params)
        else:
            ctx.say("ev.waitlisted", position=outcome.position or 1, **params)
        await self.show_event(ctx, pin=False)

    def ask_waitlist(
        self, ctx: Context, shift: Shift, counted: dict[int, store.ShiftCounts]
    ) -> None:
        ctx.set_step("full")
        position = counted[shift.id].waitlisted + 1
        ctx.reply(
            ctx.tr.t("ev.full_ask", position=position),
            [
                ctx.choice("full", f"w{shift.id}", "ev.btn.join_waitlist"),
                ctx.choice("full", "_bk", "form.back"),
            ],
        )
