"""Volunteers and events: browse upcoming events (paged, by type and dates), see the places
left, register for a shift (or join its waitlist), "my shifts" with a calendar file and the
map pin, cancelling before the cut-off, "my hours", and rating a shift afterwards."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from bot.calendar import CalendarEntry, build_ics, map_url
from bot.core.flow import ChoiceRef, Context, Flow, number_after, pressed_value
from bot.core.messages import Attachment, Choice, Inbound, InboundKind, Location
from bot.core.validators import Invalid
from bot.handlers.events.common import (
    CANCEL_CUTOFF,
    EVENT_TYPE_OPTIONS,
    EVENTS,
    MY_SHIFTS,
    PAGE_SIZE,
    RATINGS,
    STATUS_KEYS,
    Notices,
    day_start,
    description_for,
    fmt_dt,
    fmt_hours,
    fmt_range,
    fmt_short,
    parse_days,
    pin_of,
    shift_params,
    title_for,
    type_label,
)
from storage import events as store
from storage import repositories as repo
from storage.models_events import (
    CANCELLED,
    CONFIRMED,
    PENDING,
    WAITLISTED,
    Event,
    Shift,
    ShiftRegistration,
)

DATE_PRESETS = ("today", "weekend", "week", "month")
FRIDAY, SATURDAY = 4, 5
RECENT_HOURS_LINES = 10


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


def calendar_file(ctx: Context, reg: ShiftRegistration, shift: Shift, event: Event) -> Attachment:
    locale = ctx.tr.locale
    pin = pin_of(event)
    entry = CalendarEntry(
        uid=f"shuraka-registration-{reg.id}@taif",
        title=title_for(locale, event),
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        description=description_for(locale, event),
        location=event.place_name,
        geo=pin,
        url=map_url(*pin) if pin else "",
    )
    return Attachment(
        kind="document",
        filename=f"shift-{shift.id}.ics",
        data=build_ics([entry], ctx.now, ctx.settings.timezone),
        caption=ctx.tr.t("ev.ics_caption"),
    )


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
            when=fmt_range(ctx.tr, ctx.settings.timezone, clash.starts_at, clash.ends_at),
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
                    when=fmt_range(tr, tz, event.starts_at, event.ends_at),
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
                when=fmt_range(tr, tz, event.starts_at, event.ends_at),
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
                    when=fmt_range(tr, tz, shift.starts_at, shift.ends_at),
                    notes=tr.label("form.list_sep").join(notes),
                )
            )
            if is_open and shift.id not in mine:
                label = "ev.btn.register" if left else "ev.btn.register_full"
                when = fmt_short(tr, tz, shift.starts_at, shift.ends_at)
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
                until=fmt_dt(tr, tz, shift.starts_at - CANCEL_CUTOFF),
                **params,
            )
            await Notices(ctx).schedule_reminders(ctx.user, reg, event, shift)
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


# --- my shifts ------------------------------------------------------------------------------------
class MyShiftsFlow(Flow):
    name = MY_SHIFTS

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        await self.show_list(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step in ("reg", "cx"):
            await self.show_reg(ctx, with_files=False)
        else:
            await self.show_list(ctx)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step = ctx.state.step
        if value == "_mn":
            await ctx.home()
        elif value == "_ev":
            await ctx.goto(EVENTS)
        elif value == "_hr":
            await show_hours(ctx)
            await self.show_list(ctx)
        elif step == "list":
            reg_id = number_after(value, "r")
            if reg_id is None:
                ctx.say("form.err.use_choices")
                await self.show_list(ctx)
                return
            ctx.state.data["rid"] = reg_id
            await self.show_reg(ctx, with_files=True)
        elif step == "reg":
            if value == "x":
                await self.ask_cancel(ctx)
            elif value == "_bk":
                await self.show_list(ctx)
            else:
                await self.show_reg(ctx, with_files=False)
        elif step == "cx":
            if value == "y":
                await self.cancel(ctx)
            else:
                await self.show_reg(ctx, with_files=False)
        else:
            await self.show_list(ctx)

    async def show_list(self, ctx: Context) -> None:
        ctx.set_step("list")
        tr, tz = ctx.tr, ctx.settings.timezone
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        lines = [tr.t("ev.my_title")]
        choices: list[Choice] = []
        regs = (
            await store.volunteer_registrations(ctx.session, volunteer.id, ending_after=ctx.now)
            if volunteer is not None
            else []
        )
        if not regs:
            lines.append(tr.t("ev.my_none"))
        for number, (reg, shift, event) in enumerate(regs, start=1):
            title = title_for(tr.locale, event)
            lines.append(
                tr.t(
                    "ev.my_line",
                    n=number,
                    title=title,
                    when=fmt_range(tr, tz, shift.starts_at, shift.ends_at),
                    status=await status_text(ctx, reg),
                )
            )
            choices.append(ctx.choice("list", f"r{reg.id}", "ev.btn.event", n=number, title=title))
        choices.append(ctx.choice("list", "_ev", "ev.btn.all_events"))
        choices.append(ctx.choice("list", "_hr", "ev.btn.my_hours"))
        choices.append(ctx.choice("list", "_mn", "mydata.back"))
        ctx.reply("\n".join(lines), choices)

    async def _mine(self, ctx: Context) -> tuple[ShiftRegistration, Shift, Event] | None:
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        reg = await store.get_registration(ctx.session, int(ctx.state.data.get("rid", 0)))
        if volunteer is None or reg is None or reg.volunteer_id != volunteer.id:
            return None
        shift = await store.get_shift(ctx.session, reg.shift_id)
        event = await store.get_event(ctx.session, shift.event_id) if shift else None
        if shift is None or event is None:
            return None
        return reg, shift, event

    def _can_cancel(self, ctx: Context, reg: ShiftRegistration, shift: Shift) -> bool:
        if reg.status not in store.LIVE or shift.starts_at <= ctx.now:
            return False
        return reg.status != CONFIRMED or ctx.now < shift.starts_at - CANCEL_CUTOFF

    async def _cancellable(self, ctx: Context) -> tuple[ShiftRegistration, Shift, Event] | None:
        """The registration being looked at if it may still be cancelled; else None, after
        showing the list (it is gone) or the registration (too late)."""
        found = await self._mine(ctx)
        if found is None:
            await self.show_list(ctx)
            return None
        reg, shift, _ = found
        if not self._can_cancel(ctx, reg, shift):
            ctx.say("ev.cancel_closed")
            await self.show_reg(ctx, with_files=False)
            return None
        return found

    async def show_reg(self, ctx: Context, *, with_files: bool) -> None:
        ctx.set_step("reg")
        found = await self._mine(ctx)
        if found is None:
            await self.show_list(ctx)
            return
        reg, shift, event = found
        tr, tz = ctx.tr, ctx.settings.timezone
        lines = [
            tr.t(
                "ev.reg_detail",
                title=title_for(tr.locale, event),
                when=fmt_range(tr, tz, shift.starts_at, shift.ends_at),
                place=event.place_name,
                status=await status_text(ctx, reg),
            )
        ]
        choices = []
        if self._can_cancel(ctx, reg, shift):
            if reg.status == CONFIRMED:
                lines.append(
                    tr.t("ev.cancel_rule", until=fmt_dt(tr, tz, shift.starts_at - CANCEL_CUTOFF))
                )
            choices.append(ctx.choice("reg", "x", "ev.btn.cancel_reg"))
        elif reg.status == CONFIRMED and shift.starts_at > ctx.now:
            lines.append(tr.t("ev.cancel_closed"))
        if with_files and reg.status != CANCELLED:
            lines.append(tr.t("ev.calendar_hint"))
        choices.append(ctx.choice("reg", "_bk", "form.back"))
        ctx.reply(
            "\n".join(lines),
            choices,
            attachment=calendar_file(ctx, reg, shift, event) if with_files else None,
            location=location_of(event) if with_files else None,
        )

    async def ask_cancel(self, ctx: Context) -> None:
        found = await self._cancellable(ctx)
        if found is None:
            return
        _, _, event = found
        ctx.set_step("cx")
        ctx.reply(
            ctx.tr.t("ev.cancel_q", title=title_for(ctx.tr.locale, event)),
            [ctx.choice("cx", "y", "ev.btn.cancel_yes"), ctx.choice("cx", "n", "ev.btn.cancel_no")],
        )

    async def cancel(self, ctx: Context) -> None:
        found = await self._cancellable(ctx)
        if found is None:
            return
        reg, shift, event = found
        notices = Notices(ctx)
        await notices.withdraw_reminders(reg, "registration cancelled")
        promoted = await store.cancel(ctx.session, reg, shift, ctx.now)
        await notices.promoted(promoted, event, shift)
        ctx.say("ev.cancelled_own", title=title_for(ctx.tr.locale, event))
        await self.show_list(ctx)


# --- hours, ratings, buttons in notices -----------------------------------------------------------
def hours_total(ctx: Context, attended: list[tuple[Shift, Event, float]]) -> str:
    """The "N hours over M shifts" line, from `store.counted_shifts`."""
    total = sum((hours for _, _, hours in attended), 0.0)
    return ctx.tr.tn("ev.hours_total", len(attended), hours=fmt_hours(total))


async def show_hours(ctx: Context) -> None:
    tr = ctx.tr
    volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
    if volunteer is None:
        ctx.say("ev.hours_no_profile")
        return
    attended = store.counted_shifts(
        await store.volunteer_registrations(ctx.session, volunteer.id, statuses=(CONFIRMED,)),
        ctx.now,
    )
    lines = [tr.t("ev.hours_title"), hours_total(ctx, attended)]
    for shift, event, hours in attended[-RECENT_HOURS_LINES:]:
        lines.append(
            tr.t(
                "ev.hours_line",
                title=title_for(tr.locale, event),
                day=ctx.fmt_date(shift.starts_at.astimezone(ctx.timezone).date()),
                hours=fmt_hours(hours),
            )
        )
    ctx.reply("\n".join(lines))


async def my_data_lines(ctx: Context) -> list[str]:
    """For "my data": every shift registration kept about this person and their hours."""
    volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
    if volunteer is None:
        return []
    registrations = await store.volunteer_registrations(
        ctx.session, volunteer.id, statuses=(PENDING, CONFIRMED, WAITLISTED, CANCELLED)
    )
    if not registrations:
        return []
    tr = ctx.tr
    # Only confirmed, attended shifts count: hours_of is 0 for the other statuses.
    lines = [
        tr.t("ev.mydata_title"),
        hours_total(ctx, store.counted_shifts(registrations, ctx.now)),
    ]
    for reg, shift, event in registrations:
        lines.append(
            tr.t(
                "ev.mydata_line",
                title=title_for(tr.locale, event),
                day=ctx.fmt_date(shift.starts_at.astimezone(ctx.timezone).date()),
                status=await status_text(ctx, reg),
            )
        )
    return lines


async def release_places(ctx: Context) -> None:
    """Before a volunteer deletes their data: cancel what they hold so the waitlist moves."""
    volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
    if volunteer is None:
        return
    notices = Notices(ctx)
    for reg, shift, event in await store.volunteer_registrations(ctx.session, volunteer.id):
        await notices.withdraw_reminders(reg, "data deleted")
        if shift.starts_at > ctx.now:
            promoted = await store.cancel(ctx.session, reg, shift, ctx.now)
            await notices.promoted(promoted, event, shift)


async def menu_hours(ctx: Context) -> None:
    await show_hours(ctx)
    await ctx.show_current()


async def on_rate(ctx: Context, ref: ChoiceRef) -> None:
    """A star button from the thank-you notice: "evr:<registration>:<1-5>"."""
    stars = int(ref.value) if ref.value.isdigit() else 0
    reg = await store.get_registration(ctx.session, int(ref.step)) if ref.step.isdigit() else None
    volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
    shift = await store.get_shift(ctx.session, reg.shift_id) if reg else None
    if (
        stars not in RATINGS
        or reg is None
        or shift is None
        or volunteer is None
        or reg.volunteer_id != volunteer.id
        or reg.status != CONFIRMED
    ):
        ctx.say("ev.err.rate")
    elif shift.ends_at > ctx.now:
        ctx.say("ev.err.rate_early")
    else:
        reg.rating = stars
        reg.updated_at = ctx.now
        ctx.say("ev.rated", n=stars)
    await ctx.show_current()


async def on_open(ctx: Context, ref: ChoiceRef) -> None:
    """Buttons in announcements and notices: open an event, or "my shifts"."""
    if ref.step == "e" and ref.value.isdigit():
        await ctx.goto(EVENTS, {"event": int(ref.value)})
    elif ref.step == "m":
        await ctx.goto(MY_SHIFTS)
    else:
        await ctx.show_current()
