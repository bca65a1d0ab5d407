"""Volunteers and events, their own shifts: "my shifts" with a calendar file and the map pin,
cancelling before the cut-off, "my hours", rating a shift afterwards, the lines of "my data",
and the buttons in event notices."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.calendar import CalendarEntry, build_ics, map_url
from bot.core.choice_ids import ChoiceRef, number_after, pressed_value
from bot.core.contact import contact_text
from bot.core.dates import fmt_datetime, fmt_range, fmt_short_range, hours_text
from bot.core.flow import Context, Flow
from bot.core.messages import Attachment, Choice, Inbound
from bot.handlers.access.common import access_line
from bot.handlers.events.browse import status_text
from bot.handlers.events.common import (
    BACK,
    CANCEL_CUTOFF,
    EVENTS,
    HOME,
    MY_SHIFTS,
    NO,
    OPEN_EVENT,
    OPEN_MY_SHIFTS,
    YES,
    description_for,
    location_of,
    pin_of,
    say_refusal,
    title_for,
)
from bot.services import attendance
from bot.services import registrations as service
from bot.services.access import shift_features
from bot.services.errors import NotFound, ServiceError
from bot.services.event_notices import place_for
from storage import attendance as hours_store
from storage import registrations as store
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


class Step(StrEnum):
    LIST = "list"
    REGISTRATION = "reg"
    CONFIRM_CANCEL = "cx"


# Choice values.
OPEN_REGISTRATION = "r"  # "r<registration id>"
CANCEL = "x"
TO_EVENTS = "_ev"
HOURS = "_hr"

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
        location=place_for(locale, event),
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
        if ctx.state.step in (Step.REGISTRATION, Step.CONFIRM_CANCEL):
            await self.show_reg(ctx, with_files=False)
        else:
            await self.show_list(ctx)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step = ctx.state.step
        if value == HOME:
            await ctx.home()
        elif value == TO_EVENTS:
            await ctx.goto(EVENTS)
        elif value == HOURS:
            await show_hours(ctx)
            await self.show_list(ctx)
        elif step == Step.LIST:
            reg_id = number_after(value, OPEN_REGISTRATION)
            if reg_id is None:
                ctx.say("form.err.use_choices")
                await self.show_list(ctx)
                return
            ctx.state.data["rid"] = reg_id
            await self.show_reg(ctx, with_files=True)
        elif step == Step.REGISTRATION:
            if value == CANCEL:
                await self.ask_cancel(ctx)
            elif value == BACK:
                await self.show_list(ctx)
            else:
                await self.show_reg(ctx, with_files=False)
        elif step == Step.CONFIRM_CANCEL:
            if value == YES:
                await self.cancel(ctx)
            else:
                await self.show_reg(ctx, with_files=False)
        else:
            await self.show_list(ctx)

    async def show_list(self, ctx: Context) -> None:
        ctx.set_step(Step.LIST)
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
            choices.append(
                ctx.choice(
                    Step.LIST,
                    f"{OPEN_REGISTRATION}{reg.id}",
                    "ev.btn.my_shift",
                    n=number,
                    title=title,
                    when=fmt_short_range(tr, shift.starts_at, shift.ends_at, tz),
                )
            )
        choices.append(ctx.choice(Step.LIST, TO_EVENTS, "ev.btn.all_events"))
        choices.append(ctx.choice(Step.LIST, HOURS, "ev.btn.my_hours"))
        choices.append(ctx.choice(Step.LIST, HOME, "mydata.back"))
        ctx.reply("\n".join(lines), choices)

    async def _mine(self, ctx: Context) -> tuple[ShiftRegistration, Shift, Event] | None:
        return await service.own_registration(ctx.unit, int(ctx.state.data.get("rid", 0)))

    async def show_reg(self, ctx: Context, *, with_files: bool) -> None:
        ctx.set_step(Step.REGISTRATION)
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
                place=place_for(tr.locale, event),
                status=await status_text(ctx, reg),
            )
        ]
        if (line := access_line(ctx, shift_features(event, shift))) is not None:
            lines.append(line)
        choices = []
        if service.can_cancel(reg, shift, ctx.now):
            if reg.status == CONFIRMED:
                lines.append(
                    tr.t(
                        "ev.cancel_rule",
                        until=fmt_datetime(tr, shift.starts_at - CANCEL_CUTOFF, tz),
                    )
                )
            choices.append(ctx.choice(Step.REGISTRATION, CANCEL, "ev.btn.cancel_reg"))
        elif reg.status == CONFIRMED and shift.starts_at > ctx.now:
            lines.append(tr.t("ev.cancel_closed", contact=contact_text(tr, ctx.settings)))
        if with_files and reg.status != CANCELLED:
            lines.append(tr.t("ev.calendar_hint"))
        choices.append(ctx.choice(Step.REGISTRATION, BACK, "form.back"))
        ctx.reply(
            "\n".join(lines),
            choices,
            attachment=calendar_file(ctx, reg, shift, event) if with_files else None,
            location=location_of(event) if with_files else None,
        )

    async def ask_cancel(self, ctx: Context) -> None:
        found = await self._mine(ctx)
        if found is None:
            await self.show_list(ctx)
            return
        reg, shift, event = found
        if not service.can_cancel(reg, shift, ctx.now):
            ctx.say("ev.cancel_closed")
            await self.show_reg(ctx, with_files=False)
            return
        ctx.set_step(Step.CONFIRM_CANCEL)
        ctx.reply(
            ctx.tr.t("ev.cancel_q", title=title_for(ctx.tr.locale, event)),
            [
                ctx.choice(Step.CONFIRM_CANCEL, YES, "ev.btn.cancel_yes"),
                ctx.choice(Step.CONFIRM_CANCEL, NO, "ev.btn.cancel_no"),
            ],
        )

    async def cancel(self, ctx: Context) -> None:
        try:
            done = await service.cancel_registration(ctx.unit, int(ctx.state.data.get("rid", 0)))
        except NotFound:
            await self.show_list(ctx)  # not theirs, or gone
            return
        except ServiceError as err:
            say_refusal(ctx, err)
            await self.show_reg(ctx, with_files=False)
            return
        ctx.say("ev.cancelled_own", title=title_for(ctx.tr.locale, done.event))
        await self.show_list(ctx)


# --- hours, ratings, buttons in notices -----------------------------------------------------------
def hours_total(ctx: Context, attended: list[tuple[Shift, Event, float]]) -> str:
    """The "N hours over M shifts" line, from `storage.attendance.counted_shifts`; before any
    shift counts, "no hours counted yet" (English has no zero plural form to say it with)."""
    if not attended:
        return ctx.tr.t("ev.hours_none")
    total = sum((hours for _, _, hours in attended), 0.0)
    return ctx.tr.tn("ev.hours_total", len(attended), hours=hours_text(ctx.tr, total))


async def show_hours(ctx: Context) -> None:
    tr = ctx.tr
    volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
    if volunteer is None:
        ctx.say("ev.hours_no_profile")
        return
    attended = hours_store.counted_shifts(
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
                hours=hours_text(tr, hours),
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
        hours_total(ctx, hours_store.counted_shifts(registrations, ctx.now)),
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


async def menu_hours(ctx: Context) -> None:
    await show_hours(ctx)
    await ctx.show_current()


async def on_rate(ctx: Context, ref: ChoiceRef) -> None:
    """A star button from the thank-you notice: "evr:<registration>:<1-5>"."""
    stars = int(ref.value) if ref.value.isdigit() else 0
    reg_id = int(ref.step) if ref.step.isdigit() else 0
    try:
        stars = await attendance.rate_shift(ctx.unit, reg_id, stars)
    except ServiceError as err:
        say_refusal(ctx, err)
    else:
        ctx.say("ev.rated", n=stars)
    await ctx.show_current()


async def on_open(ctx: Context, ref: ChoiceRef) -> None:
    """Buttons in announcements and notices: open an event, or "my shifts"."""
    if ref.step == OPEN_EVENT and ref.value.isdigit():
        await ctx.goto(EVENTS, {"event": int(ref.value)})
    elif ref.step == OPEN_MY_SHIFTS:
        await ctx.goto(MY_SHIFTS)
    else:
        await ctx.show_current()
