"""Staff and events, the panel: the list of events, an event, a shift, cancelling either, and
announcing an event through the broadcast form. The forms are in `staff_forms`, the screens for
a shift's people (registrants, check-in, exports) in `staff_registrants`."""

from __future__ import annotations

import math
from typing import Any

from bot.core.dates import fmt_range, fmt_short_range
from bot.core.flow import Context, number_after, pressed_value
from bot.core.i18n import N_
from bot.core.messages import Choice, Inbound, InboundKind
from bot.handlers.broadcasts.broadcast import BROADCAST_FORM
from bot.handlers.events.common import (
    EVENT_ADMIN,
    EVENT_FORM,
    PAGE_SIZE,
    SHIFT_FORM,
    Notices,
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
from bot.handlers.events.staff_registrants import RegistrantScreens
from bot.handlers.staff.panel import STAFF_PANEL
from storage import events as store
from storage.models_events import Event


# --- the staff's events panel ---------------------------------------------------------------------
def announcement_text(ctx: Context, locale: str, event: Event) -> str:
    """The text of an event's announcement in one language (plain: the broadcast escapes it)."""
    tr = ctx.catalogs.translator(locale)
    return tr.label(
        "eva.announce_text",
        title=title_for(locale, event),
        type=type_label(tr, event.type),
        when=fmt_range(tr, event.starts_at, event.ends_at, ctx.settings.timezone),
        place=event.place_name,
        description=description_for(locale, event),
    )


class EventAdmin(RegistrantScreens):
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
                    when=fmt_range(tr, event.starts_at, event.ends_at, tz),
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
                when=fmt_range(tr, event.starts_at, event.ends_at, tz),
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
                        "event",
                        f"s{shift.id}",
                        "eva.btn.shift",
                        when=fmt_short_range(tr, shift.starts_at, shift.ends_at, tz),
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
            told = await Notices(ctx.unit).cancelled(event, N_("ev.n.event_cancelled"))
            event.status = store.EVENT_CANCELLED
            for shift in await store.shifts_of(ctx.session, event.id):
                shift.status = "cancelled"
            await ctx.audit("event.cancelled", f"event:{event.id}", told=told)
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
            told = await Notices(ctx.unit).cancelled(event, N_("ev.n.shift_cancelled"), shift)
            shift.status = "cancelled"
            await ctx.audit("shift.cancelled", f"shift:{shift.id}", told=told)
            ctx.say("eva.shift_cancelled")
            ctx.reply(ctx.tr.tn("eva.told", told))
        await self.show_shift(ctx)


async def open_admin(ctx: Context) -> None:
    await ctx.goto(EVENT_ADMIN)


async def new_event(ctx: Context) -> None:
    await ctx.goto(EVENT_FORM)
