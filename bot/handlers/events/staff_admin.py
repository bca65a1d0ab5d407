"""Staff and events, the panel: the list of events, an event, a shift, cancelling either, and
announcing an event through the broadcast form. The forms are in `staff_forms`, the screens for
a shift's people (registrants, check-in, exports) in `staff_registrants`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.choice_ids import number_after, pressed_value
from bot.core.dates import fmt_range, fmt_short_range
from bot.core.flow import Context
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.pager import current_page, page_choices, page_line, turn
from bot.handlers.broadcasts.broadcast import BROADCAST_FORM
from bot.handlers.broadcasts.broadcast import F as BroadcastField
from bot.handlers.events.common import (
    BACK,
    EVENT_ADMIN,
    EVENT_FORM,
    NO,
    PAGE_SIZE,
    SHIFT_FORM,
    YES,
    description_for,
    pin_of,
    title_for,
    type_label,
)
from bot.handlers.events.staff_forms import (
    STAFF_DAYS_BACK,
    event_values,
    shift_values,
)
from bot.handlers.events.staff_registrants import (
    OPEN_EVENT,
    OPEN_SHIFT,
    REGISTRANTS_PAGE_KEY,
    TO_REGISTRANTS,
    RegistrantScreens,
    Step,
)
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services import events as service
from bot.services.errors import ServiceError
from bot.services.event_notices import place_for
from storage import events as store
from storage import registrations as reg_store
from storage.models_events import Event

# Choice values of the panel's screens.
NEW_EVENT = "new"
ADD_SHIFT, EDIT_EVENT, ANNOUNCE, MESSAGE_REGISTRANTS = "as", "ed", "an", "mr"
EXPORT, CANCEL_EVENT = "xl", "cx"
FIND, EDIT_SHIFT, CANCEL_SHIFT = "ci", "es", "cs"


# --- the staff's events panel ---------------------------------------------------------------------
def announcement_text(ctx: Context, locale: str, event: Event) -> str:
    """The text of an event's announcement in one language (plain: the broadcast escapes it)."""
    tr = ctx.catalogs.translator(locale)
    return tr.label(
        "eva.announce_text",
        title=title_for(locale, event),
        type=type_label(tr, event.type),
        when=fmt_range(tr, event.starts_at, event.ends_at, ctx.settings.timezone),
        place=place_for(locale, event),
        description=description_for(locale, event),
    )


class EventAdmin(RegistrantScreens):
    """Steps: list → event → shift → registrants | find (check-in by ID or mobile);
    cx / cs confirm cancelling an event / a shift."""

    name = EVENT_ADMIN
    staff_only = True
    text_steps = frozenset({Step.FIND})  # a national ID or mobile, typed

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
        if step in (Step.EVENT, Step.CANCEL_EVENT):
            await self.show_event(ctx)
        elif step in (Step.SHIFT, Step.CANCEL_SHIFT):
            await self.show_shift(ctx)
        elif step == Step.REGISTRANTS:
            await self.show_registrants(ctx)
        elif step == Step.FIND:
            self.ask_find(ctx)
        else:
            await self.show_list(ctx)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        step = ctx.state.step
        value = pressed_value(inbound)
        if step == Step.FIND and inbound.kind is InboundKind.TEXT:
            await self.find(ctx, inbound.text)
            return
        handlers: dict[str, Callable[[Context, str], Awaitable[None]]] = {
            Step.LIST: self.on_list,
            Step.EVENT: self.on_event,
            Step.CANCEL_EVENT: self.on_cancel_event,
            Step.SHIFT: self.on_shift,
            Step.CANCEL_SHIFT: self.on_cancel_shift,
            Step.REGISTRANTS: self.on_registrants,
            Step.FIND: self.on_find,
        }
        handler = handlers.get(step)
        if handler is None:
            await self.show_list(ctx)
        else:
            await handler(ctx, value)

    # --- list -------------------------------------------------------------------------------
    async def show_list(self, ctx: Context) -> None:
        ctx.set_step(Step.LIST)
        tr, tz = ctx.tr, ctx.settings.timezone
        requested = int(ctx.state.data.get("page", 0))
        query: dict[str, Any] = {"now": ctx.now, "staff_days_back": STAFF_DAYS_BACK}
        events, total = await store.list_events(
            ctx.session, offset=requested * PAGE_SIZE, limit=PAGE_SIZE, **query
        )
        page = current_page(ctx, total, PAGE_SIZE)
        if page.number != requested:  # the list shrank meanwhile: its last page
            events, total = await store.list_events(
                ctx.session, offset=page.offset, limit=PAGE_SIZE, **query
            )
        lines = [tr.t("eva.title"), tr.tn("ev.count", total)]
        if (line := page_line(ctx, page)) is not None:
            lines.append(line)
        choices: list[Choice] = []
        for event in events:
            title = title_for(tr.locale, event)
            key = "eva.line_cancelled" if event.status != store.PUBLISHED else "eva.line"
            lines.append(
                tr.t(
                    key,
                    id=event.id,
                    title=title,
                    when=fmt_range(tr, event.starts_at, event.ends_at, tz),
                )
            )
            choices.append(
                ctx.choice(
                    Step.LIST, f"{OPEN_EVENT}{event.id}", "eva.btn.event", id=event.id, title=title
                )
            )
        choices += page_choices(ctx, Step.LIST, page)
        choices.append(ctx.choice(Step.LIST, NEW_EVENT, "eva.btn.new"))
        choices.append(ctx.choice(Step.LIST, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_list(self, ctx: Context, value: str) -> None:
        event_id = number_after(value, OPEN_EVENT)
        if event_id is not None:
            ctx.state.data["eid"] = event_id
            await self.show_event(ctx)
        elif value == NEW_EVENT:
            await ctx.goto(EVENT_FORM)
        elif value == BACK:
            await ctx.goto(STAFF_PANEL)
        else:
            turn(ctx, value)
            await self.show_list(ctx)

    # --- one event --------------------------------------------------------------------------
    async def show_event(self, ctx: Context) -> None:
        ctx.set_step(Step.EVENT)
        tr, tz = ctx.tr, ctx.settings.timezone
        event = await self._event(ctx)
        if event is None:
            await self.show_list(ctx)
            return
        shifts = await store.shifts_of(ctx.session, event.id, include_cancelled=True)
        counted = await reg_store.counts(ctx.session, [s.id for s in shifts])
        live = event.status == store.PUBLISHED
        lines = [
            tr.t(
                "eva.detail",
                id=event.id,
                title=event.title_ar,
                title_en=event.title_en or "-",
                type=type_label(tr, event.type),
                when=fmt_range(tr, event.starts_at, event.ends_at, tz),
                place=place_for(tr.locale, event),
                pin=tr.label("eva.pin_yes" if pin_of(event) else "eva.pin_no"),
            )
        ]
        if not live:
            lines.append(tr.t("eva.event_is_cancelled"))
        lines.append(tr.t("ev.shifts_title") if shifts else tr.t("ev.no_shifts"))
        choices: list[Choice] = []
        for shift in shifts:
            c = counted.get(shift.id, reg_store.ShiftCounts())
            key = "eva.shift_line" if shift.status == store.ACTIVE else "eva.shift_line_cancelled"
            lines.append(
                tr.t(
                    key,
                    when=fmt_range(tr, shift.starts_at, shift.ends_at, tz),
                    confirmed=c.confirmed,
                    capacity=shift.capacity,
                    waiting=c.waitlisted,
                    pending=c.pending,
                )
            )
            if shift.status == store.ACTIVE:
                choices.append(
                    ctx.choice(
                        Step.EVENT,
                        f"{OPEN_SHIFT}{shift.id}",
                        "eva.btn.shift",
                        when=fmt_short_range(tr, shift.starts_at, shift.ends_at, tz),
                        confirmed=c.confirmed,
                        capacity=shift.capacity,
                    )
                )
        if live:
            choices += [
                ctx.choice(Step.EVENT, ADD_SHIFT, "eva.btn.add_shift"),
                ctx.choice(Step.EVENT, EDIT_EVENT, "eva.btn.edit"),
                ctx.choice(Step.EVENT, ANNOUNCE, "eva.btn.announce"),
                ctx.choice(Step.EVENT, MESSAGE_REGISTRANTS, "eva.btn.message"),
            ]
        choices.append(ctx.choice(Step.EVENT, EXPORT, "eva.btn.export"))
        if live:
            choices.append(ctx.choice(Step.EVENT, CANCEL_EVENT, "eva.btn.cancel_event"))
        choices.append(ctx.choice(Step.EVENT, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_event(self, ctx: Context, value: str) -> None:
        event = await self._event(ctx)
        if event is None:
            await self.show_list(ctx)
            return
        shift_id = number_after(value, OPEN_SHIFT)
        live = event.status == store.PUBLISHED
        if shift_id is not None:
            ctx.state.data["sid"] = shift_id
            await self.show_shift(ctx)
        elif value == ADD_SHIFT and live:
            await ctx.goto(SHIFT_FORM, {"eid": event.id})
        elif value == EDIT_EVENT and live:
            await ctx.goto(EVENT_FORM, {"values": event_values(event), "eid": event.id})
        elif value == ANNOUNCE and live:
            values = {
                "ev": {"id": event.id, "title": event.title_ar},
                "text_ar": announcement_text(ctx, "ar", event),
                "text_en": announcement_text(ctx, "en", event),
                "file": None,
            }
            await ctx.goto(BROADCAST_FORM, {"values": values})
        elif value == MESSAGE_REGISTRANTS and live:
            target = {"id": event.id, "title": event.title_ar}
            await ctx.goto(
                BROADCAST_FORM,
                {
                    "values": {
                        BroadcastField.AUDIENCE: "event",
                        BroadcastField.AUDIENCE_EVENT: target,
                    }
                },
            )
        elif value == EXPORT:
            await self.export(ctx, event)
            await self.show_event(ctx)
        elif value == CANCEL_EVENT and live:
            await self.ask_cancel_event(ctx, event)
        elif value == BACK:
            await self.show_list(ctx)
        else:
            await self.show_event(ctx)

    async def ask_cancel_event(self, ctx: Context, event: Event) -> None:
        ctx.set_step(Step.CANCEL_EVENT)
        people = len(await reg_store.registrants(ctx.session, event_id=event.id))
        ctx.reply(
            ctx.tr.tn("eva.cancel_event_q", people, title=event.title_ar),
            [
                ctx.choice(Step.CANCEL_EVENT, YES, "eva.btn.yes_cancel"),
                ctx.choice(Step.CANCEL_EVENT, NO, "eva.btn.no"),
            ],
        )

    async def on_cancel_event(self, ctx: Context, value: str) -> None:
        event = await self._event(ctx)
        if value == YES and event is not None:
            try:
                told = await service.cancel_event(ctx.unit, event.id)
            except ServiceError:
                pass  # cancelled meanwhile: the event's page shows it
            else:
                ctx.say("eva.event_cancelled", title=event.title_ar)
                ctx.reply(ctx.tr.tn("eva.told", told))
        await self.show_event(ctx)

    # --- one shift --------------------------------------------------------------------------
    async def show_shift(self, ctx: Context) -> None:
        ctx.set_step(Step.SHIFT)
        tr, tz = ctx.tr, ctx.settings.timezone
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        event, shift = found
        c = (await reg_store.counts(ctx.session, [shift.id]))[shift.id]
        gender = {"f": "esf.gender.f", "m": "esf.gender.m"}.get(
            shift.gender or "", "esf.gender.any"
        )
        lines = [
            tr.t(
                "eva.shift_detail",
                title=event.title_ar,
                when=fmt_range(tr, shift.starts_at, shift.ends_at, tz),
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
            ctx.choice(Step.SHIFT, TO_REGISTRANTS, "eva.btn.registrants"),
            ctx.choice(Step.SHIFT, FIND, "eva.btn.find"),
        ]
        if active:
            choices += [
                ctx.choice(Step.SHIFT, EDIT_SHIFT, "eva.btn.edit_shift"),
                ctx.choice(Step.SHIFT, CANCEL_SHIFT, "eva.btn.cancel_shift"),
            ]
        choices.append(ctx.choice(Step.SHIFT, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def on_shift(self, ctx: Context, value: str) -> None:
        found = await self._shift_or_event(ctx)
        if found is None:
            return
        event, shift = found
        active = shift.status == store.ACTIVE and event.status == store.PUBLISHED
        if value == TO_REGISTRANTS:
            ctx.state.data[REGISTRANTS_PAGE_KEY] = 0
            await self.show_registrants(ctx)
        elif value == FIND:
            self.ask_find(ctx)
        elif value == EDIT_SHIFT and active:
            await ctx.goto(
                SHIFT_FORM, {"values": shift_values(shift), "eid": event.id, "sid": shift.id}
            )
        elif value == CANCEL_SHIFT and active:
            ctx.set_step(Step.CANCEL_SHIFT)
            people = len(await reg_store.registrants(ctx.session, shift_id=shift.id))
            ctx.reply(
                ctx.tr.tn("eva.cancel_shift_q", people),
                [
                    ctx.choice(Step.CANCEL_SHIFT, YES, "eva.btn.yes_cancel"),
                    ctx.choice(Step.CANCEL_SHIFT, NO, "eva.btn.no"),
                ],
            )
        elif value == BACK:
            await self.show_event(ctx)
        else:
            await self.show_shift(ctx)

    async def on_cancel_shift(self, ctx: Context, value: str) -> None:
        found = await self._shift(ctx)
        if value == YES and found is not None:
            try:
                told = await service.cancel_shift(ctx.unit, found[1].id)
            except ServiceError:
                pass  # cancelled meanwhile: the shift's page shows it
            else:
                ctx.say("eva.shift_cancelled")
                ctx.reply(ctx.tr.tn("eva.told", told))
        await self.show_shift(ctx)


async def open_admin(ctx: Context) -> None:
    await ctx.goto(EVENT_ADMIN)


async def new_event(ctx: Context) -> None:
    await ctx.goto(EVENT_FORM)
