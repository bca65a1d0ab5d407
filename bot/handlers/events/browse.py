"""Volunteers and events, browsing: upcoming events (paged, by type and dates), one event with
the places left in its shifts, registering for a shift or joining its waitlist; with the
display of a registration's status that "my shifts" uses too."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import number_after, pressed_value
from bot.core.date_input import parse_days, range_examples
from bot.core.dates import day_start, fmt_datetime, fmt_range, fmt_short_range
from bot.core.flow import Context, Flow
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.pager import current_page, page_choices, page_line, turn
from bot.core.validators import Invalid
from bot.handlers.access.browse_filter import ask_access, on_access, wanted
from bot.handlers.access.common import access_line
from bot.handlers.events.common import (
    BACK,
    CANCEL_CUTOFF,
    EVENT_TYPE_OPTIONS,
    EVENTS,
    HOME,
    MY_SHIFTS,
    PAGE_SIZE,
    TO_MY_SHIFTS,
    description_for,
    location_of,
    say_refusal,
    shift_params,
    title_for,
    type_label,
)
from bot.handlers.initiatives.event_card import STALL_HERE, extras, request_stall_here
from bot.handlers.volunteers.signup import VOLUNTEER_FORM
from bot.services import registrations as service
from bot.services.access import describe, offers_all, shift_features
from bot.services.errors import NotFound, ServiceError
from bot.services.event_notices import place_for
from bot.services.registrations import STATUS_KEYS
from storage import events as store
from storage import registrations as reg_store
from storage import repositories as repo
from storage.models_events import CONFIRMED, PENDING, WAITLISTED, ShiftRegistration

DATE_PRESETS = ("today", "weekend", "week", "month")
FRIDAY, SATURDAY = 4, 5


class Step(StrEnum):
    LIST = "list"
    TYPE = "ftype"  # filter by type
    DATES = "fdate"  # filter by dates
    ACCESS = "facc"  # filter by accessibility features
    EVENT = "event"
    FULL = "full"  # the shift is full: join its waitlist?


# Choice values (ids are "<prefix><id>" for an event or a shift).
OPEN_EVENT = "e"
REGISTER = "s"
JOIN_WAITLIST = "w"
FILTER_TYPE, FILTER_DATES, FILTER_CLEAR, FILTER_ACCESS = "_ft", "_fd", "_fx", "_fa"
ANY = "_all"
SIGN_UP = "vol"


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
        position = await reg_store.waitlist_position(ctx.session, reg)
        return ctx.tr.label("ev.status.waitlisted_n", n=position)
    return ctx.tr.label(STATUS_KEYS[reg.status])


async def refusal(ctx: Context, refused: service.StandsInTheWay) -> None:
    """Say which registration stands in the way."""
    other = refused.other
    if refused.reason == "duplicate":
        ctx.say("ev.err.duplicate", status=await status_text(ctx, other))
        return
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


# --- browsing -------------------------------------------------------------------------------------
class EventsFlow(Flow):
    """List → event (shifts with places left) → register or join the waitlist."""

    name = EVENTS
    text_steps = frozenset({Step.DATES})  # a range of days may be typed

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
        if step in (Step.EVENT, Step.FULL):
            await self.show_event(ctx, pin=False)
        elif step == Step.TYPE:
            self.ask_type(ctx)
        elif step == Step.DATES:
            self.ask_dates(ctx)
        elif step == Step.ACCESS:
            ask_access(ctx, Step.ACCESS)
        else:
            await self.show_list(ctx)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        step = ctx.state.step
        value = pressed_value(inbound)
        if value == HOME:
            await ctx.home()
        elif value == TO_MY_SHIFTS:
            await ctx.goto(MY_SHIFTS)
        elif step == Step.LIST:
            await self.on_list(ctx, value)
        elif step == Step.TYPE:
            await self.on_type(ctx, value)
        elif step == Step.DATES:
            await self.on_dates(ctx, inbound, value)
        elif step == Step.ACCESS:
            if on_access(ctx, Step.ACCESS, value):
                await self.show_list(ctx)
        elif step == Step.EVENT:
            await self.on_event(ctx, value)
        elif step == Step.FULL:
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
        if wanted(filters):
            parts.append(describe(ctx.tr, wanted(filters)))
        return ctx.tr.label("form.list_sep").join(parts) if parts else None

    async def show_list(self, ctx: Context) -> None:
        ctx.set_step(Step.LIST)
        tr, tz = ctx.tr, ctx.settings.timezone
        data = ctx.state.data
        filters: dict[str, Any] = data.setdefault("filters", {})
        requested = int(data.get("page", 0))
        date_from = date_to = None
        if filters.get("from"):
            date_from = day_start(date.fromisoformat(filters["from"]), tz)
            date_to = day_start(date.fromisoformat(filters["to"]) + timedelta(days=1), tz)
        query: dict[str, Any] = {
            "now": ctx.now,
            "event_type": filters.get("type"),
            "date_from": date_from,
            "date_to": date_to,
            "access": wanted(filters),
            "limit": PAGE_SIZE,
        }
        events, total = await store.list_events(ctx.session, offset=requested * PAGE_SIZE, **query)
        page = current_page(ctx, total, PAGE_SIZE)
        if page.number != requested:  # the list shrank meanwhile: its last page
            events, total = await store.list_events(ctx.session, offset=page.offset, **query)
        lines = [tr.t("ev.list_title")]
        described = self._filters_text(ctx, filters)
        if described:
            lines.append(tr.t("ev.filters", value=described))
        choices: list[Choice] = []
        if not events:
            lines.append(tr.t("ev.none_filtered" if described else "ev.none"))
        else:
            lines.append(tr.tn("ev.count", total))
            if (line := page_line(ctx, page)) is not None:
                lines.append(line)
        for number, event in enumerate(events, start=page.first_number()):
            title = title_for(tr.locale, event)
            lines.append(
                tr.t(
                    "ev.list_line",
                    n=number,
                    title=title,
                    type=type_label(tr, event.type),
                    when=fmt_range(tr, event.starts_at, event.ends_at, tz),
                    place=place_for(tr.locale, event),
                )
            )
            choices.append(
                ctx.choice(
                    Step.LIST, f"{OPEN_EVENT}{event.id}", "ev.btn.event", n=number, title=title
                )
            )
        choices += page_choices(ctx, Step.LIST, page)
        choices.append(ctx.choice(Step.LIST, FILTER_TYPE, "ev.btn.filter_type"))
        choices.append(ctx.choice(Step.LIST, FILTER_DATES, "ev.btn.filter_dates"))
        choices.append(ctx.choice(Step.LIST, FILTER_ACCESS, "acc.btn.filter"))
        if described:
            choices.append(ctx.choice(Step.LIST, FILTER_CLEAR, "ev.btn.filter_clear"))
        choices.append(ctx.choice(Step.LIST, TO_MY_SHIFTS, "ev.btn.my_shifts"))
        choices.append(ctx.choice(Step.LIST, HOME, "mydata.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_list(self, ctx: Context, value: str) -> None:
        data = ctx.state.data
        event_id = number_after(value, OPEN_EVENT)
        if event_id is not None:
            data["eid"] = event_id
            await self.show_event(ctx, pin=True)
            return
        if turn(ctx, value):
            pass
        elif value == FILTER_TYPE:
            self.ask_type(ctx)
            return
        elif value == FILTER_DATES:
            self.ask_dates(ctx)
            return
        elif value == FILTER_ACCESS:
            ask_access(ctx, Step.ACCESS)
            return
        elif value == FILTER_CLEAR:
            data["filters"], data["page"] = {}, 0
        else:
            ctx.say("form.err.use_choices")
        await self.show_list(ctx)

    # --- filters ----------------------------------------------------------------------------
    def ask_type(self, ctx: Context) -> None:
        ctx.set_step(Step.TYPE)
        choices = [ctx.choice(Step.TYPE, o.value, o.label) for o in EVENT_TYPE_OPTIONS]
        choices.append(ctx.choice(Step.TYPE, ANY, "ev.filter.any_type"))
        choices.append(ctx.choice(Step.TYPE, BACK, "form.back"))
        ctx.reply(ctx.tr.t("ev.q.type"), choices)

    async def on_type(self, ctx: Context, value: str) -> None:
        filters = ctx.state.data.setdefault("filters", {})
        if value in {o.value for o in EVENT_TYPE_OPTIONS}:
            filters["type"] = value
        elif value == ANY:
            filters.pop("type", None)
        elif value != BACK:
            ctx.say("form.err.use_choices")
            self.ask_type(ctx)
            return
        ctx.state.data["page"] = 0
        await self.show_list(ctx)

    def ask_dates(self, ctx: Context) -> None:
        ctx.set_step(Step.DATES)
        choices = [ctx.choice(Step.DATES, p, f"ev.filter.{p}") for p in DATE_PRESETS]
        choices.append(ctx.choice(Step.DATES, ANY, "ev.filter.any_date"))
        choices.append(ctx.choice(Step.DATES, BACK, "form.back"))
        ctx.reply(ctx.tr.t("ev.q.dates", examples=range_examples(ctx.tr, ctx.today)), choices)

    async def on_dates(self, ctx: Context, inbound: Inbound, value: str) -> None:
        filters = ctx.state.data.setdefault("filters", {})
        if inbound.kind is InboundKind.TEXT:
            try:
                start, end = parse_days(inbound.text, ctx.today)
            except Invalid as err:
                ctx.say(err.msgid, **err.params)
                self.ask_dates(ctx)
                return
            filters["from"], filters["to"] = start.isoformat(), end.isoformat()
        elif value in DATE_PRESETS:
            start, end = preset_range(value, ctx.today)
            filters["from"], filters["to"] = start.isoformat(), end.isoformat()
        elif value == ANY:
            filters.pop("from", None)
            filters.pop("to", None)
        elif value != BACK:
            ctx.say("form.err.use_choices")
            self.ask_dates(ctx)
            return
        ctx.state.data["page"] = 0
        await self.show_list(ctx)

    # --- one event --------------------------------------------------------------------------
    async def show_event(self, ctx: Context, *, pin: bool) -> None:
        ctx.set_step(Step.EVENT)
        tr, tz = ctx.tr, ctx.settings.timezone
        event = await store.get_event(ctx.session, int(ctx.state.data.get("eid", 0)))
        if event is None or event.status != store.PUBLISHED:
            ctx.say("ev.err.gone")
            await self.show_list(ctx)
            return
        shifts = await store.shifts_of(ctx.session, event.id)
        looking_for = wanted(ctx.state.data.get("filters") or {})
        if looking_for:  # the filter shows only the shifts offering every feature asked for
            shifts = [s for s in shifts if offers_all(shift_features(event, s), looking_for)]
        counted = await reg_store.counts(ctx.session, [s.id for s in shifts])
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        mine: dict[int, ShiftRegistration] = {}
        if volunteer is not None:
            for reg, shift, _ in await reg_store.volunteer_registrations(ctx.session, volunteer.id):
                if shift.event_id == event.id:
                    mine[shift.id] = reg
        lines = [
            tr.t(
                "ev.detail",
                title=title_for(tr.locale, event),
                type=type_label(tr, event.type),
                when=fmt_range(tr, event.starts_at, event.ends_at, tz),
                place=place_for(tr.locale, event),
                description=description_for(tr.locale, event),
            ),
        ]
        # A partner initiative's event names its partner; one hosting a market offers stalls.
        extra_lines, extra_choices = await extras(ctx, event, Step.EVENT)
        lines += extra_lines
        if (line := access_line(ctx, event.access)) is not None:
            lines.append(line)
        lines.append(tr.t("ev.shifts_title") if shifts else tr.t("ev.no_shifts"))
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
            if extra := [f for f in shift_features(event, shift) if f not in (event.access or ())]:
                notes.append(tr.label("acc.note.shift", features=describe(tr, extra)))
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
                choices.append(ctx.choice(Step.EVENT, f"{REGISTER}{shift.id}", label, when=when))
        choices += extra_choices
        if volunteer is None:
            lines.append(tr.t("ev.need_profile"))
            choices.append(ctx.choice(Step.EVENT, SIGN_UP, "ev.btn.signup"))
        choices.append(ctx.choice(Step.EVENT, TO_MY_SHIFTS, "ev.btn.my_shifts"))
        choices.append(ctx.choice(Step.EVENT, BACK, "ev.btn.all_events"))
        ctx.reply("\n".join(lines), choices, location=location_of(event) if pin else None)

    async def on_event(self, ctx: Context, value: str) -> None:
        shift_id = number_after(value, REGISTER)
        site_id = number_after(value, STALL_HERE)
        if shift_id is not None:
            await self.register(ctx, shift_id, waitlist_ok=False)
        elif site_id is not None:
            if not await request_stall_here(ctx, site_id):
                await self.show_event(ctx, pin=False)
        elif value == SIGN_UP:
            await ctx.goto(VOLUNTEER_FORM)
        elif value == BACK:
            await self.show_list(ctx)
        else:
            ctx.say("form.err.use_choices")
            await self.show_event(ctx, pin=False)

    async def on_full(self, ctx: Context, value: str) -> None:
        shift_id = number_after(value, JOIN_WAITLIST)
        if shift_id is not None:
            await self.register(ctx, shift_id, waitlist_ok=True)
        else:
            await self.show_event(ctx, pin=False)

    async def register(self, ctx: Context, shift_id: int, *, waitlist_ok: bool) -> None:
        try:
            done = await service.register_for_shift(
                ctx.unit, shift_id, waitlist_ok=waitlist_ok, event_id=ctx.state.data.get("eid")
            )
        except service.ShiftFull as full:
            self.ask_waitlist(ctx, full.shift_id, full.waiting)
            return
        except service.StandsInTheWay as refused:
            await refusal(ctx, refused)
        except service.NoProfile as err:
            ctx.say(err.msgid)
        except NotFound:
            pass  # a button of a shift that is gone: the event as it is now says enough
        except ServiceError as err:
            say_refusal(ctx, err)
        else:
            reg, shift, tr, tz = done.registration, done.shift, ctx.tr, ctx.settings.timezone
            params = shift_params(tr, tz, done.event, shift)
            if reg.status == CONFIRMED:
                until = fmt_datetime(tr, shift.starts_at - CANCEL_CUTOFF, tz)
                ctx.say("ev.registered", until=until, **params)
            elif reg.status == PENDING:
                ctx.say("ev.requested", **params)
            else:
                ctx.say("ev.waitlisted", position=done.position or 1, **params)
        await self.show_event(ctx, pin=False)

    def ask_waitlist(self, ctx: Context, shift_id: int, waiting: int) -> None:
        ctx.set_step(Step.FULL)
        ctx.reply(
            ctx.tr.t("ev.full_ask", position=waiting + 1),
            [
                ctx.choice(Step.FULL, f"{JOIN_WAITLIST}{shift_id}", "ev.btn.join_waitlist"),
                ctx.choice(Step.FULL, BACK, "form.back"),
            ],
        )
