"""Volunteers and events, their own shifts: "my shifts" with a calendar file and the map pin,
cancelling before the cut-off, "my hours", rating a shift afterwards, the lines of "my data",
and the buttons in event notices."""

from __future__ import annotations

from typing import Any

from bot.calendar import CalendarEntry, build_ics, map_url
from bot.core.dates import fmt_datetime, fmt_hours, fmt_range
from bot.core.flow import ChoiceRef, Context, Flow, number_after, pressed_value
from bot.core.messages import Attachment, Choice, Inbound
from bot.core.unit import Unit
from bot.handlers.events.browse import location_of, status_text
from bot.handlers.events.common import (
    CANCEL_CUTOFF,
    EVENTS,
    MY_SHIFTS,
    RATINGS,
    Notices,
    description_for,
    pin_of,
    title_for,
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

RECENT_HOURS_LINES = 10


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
                    when=fmt_range(tr, shift.starts_at, shift.ends_at, tz),
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
                when=fmt_range(tr, shift.starts_at, shift.ends_at, tz),
                place=event.place_name,
                status=await status_text(ctx, reg),
            )
        ]
        choices = []
        if self._can_cancel(ctx, reg, shift):
            if reg.status == CONFIRMED:
                lines.append(
                    tr.t(
                        "ev.cancel_rule",
                        until=fmt_datetime(tr, shift.starts_at - CANCEL_CUTOFF, tz),
                    )
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
        notices = Notices(ctx.unit)
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


async def release_places(unit: Unit, user_id: int) -> None:
    """Before a volunteer deletes their data: cancel what they hold so the waitlist moves."""
    volunteer = await repo.volunteer_for_user(unit.session, user_id)
    if volunteer is None:
        return
    notices = Notices(unit)
    for reg, shift, event in await store.volunteer_registrations(unit.session, volunteer.id):
        await notices.withdraw_reminders(reg, "data deleted")
        if shift.starts_at > unit.now:
            promoted = await store.cancel(unit.session, reg, shift, unit.now)
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
