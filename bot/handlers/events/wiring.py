"""Events and volunteer shifts (issue 6): staff publish events with shifts, volunteers register
(with waitlists), get reminded, and their hours are counted.

The package holds the chat screens only: `common` (names, display, the thank-you job),
`browse` and `my_shifts` (volunteers), `staff_admin`, `staff_forms` and `staff_registrants`
(staff); this module plugs them into the app. The rules are services: `bot.services.events`,
`.registrations`, `.attendance` and `.event_notices`.
"""

from __future__ import annotations

from bot.core.flow import BotApp, Command, Context, MenuEntry, PeriodicJob
from bot.handlers.events.browse import EventsFlow
from bot.handlers.events.common import (
    EVENT_ADMIN,
    EVENTS,
    MY_SHIFTS,
    OPEN,
    RATE,
    THANK_YOU_JOB_SECONDS,
    send_thank_yous,
)
from bot.handlers.events.my_shifts import (
    MyShiftsFlow,
    menu_hours,
    my_data_lines,
    on_open,
    on_rate,
)
from bot.handlers.events.staff_admin import EventAdmin, new_event, open_admin
from bot.handlers.events.staff_forms import EventForm, ShiftForm
from bot.services.registrations import release_person

THANK_YOU_JOB_ID = "events.thank_you"
MENU_HOURS = "evh"  # menu entries that open no flow of their own
MENU_NEW_EVENT = "evn"


async def _events(ctx: Context) -> None:
    await ctx.goto(EVENTS)


async def _my_shifts(ctx: Context) -> None:
    await ctx.goto(MY_SHIFTS)


def register(app: BotApp) -> None:
    app.add_flow(EventsFlow())
    app.add_flow(MyShiftsFlow())
    app.add_flow(EventAdmin())
    app.add_flow(EventForm())
    app.add_flow(ShiftForm())
    app.add_global_choice(OPEN, on_open)
    app.add_global_choice(RATE, on_rate)
    app.add_menu_entry(MenuEntry(EVENTS, "menu.events", _events, order=20))
    app.add_menu_entry(MenuEntry(MY_SHIFTS, "menu.my_shifts", _my_shifts, order=21))
    app.add_menu_entry(MenuEntry(MENU_HOURS, "menu.my_hours", menu_hours, order=22))
    app.add_menu_entry(
        MenuEntry(EVENT_ADMIN, "staff.events", open_admin, order=20, staff_only=True), staff=True
    )
    app.add_menu_entry(
        MenuEntry(MENU_NEW_EVENT, "staff.new_event", new_event, order=21, staff_only=True),
        staff=True,
    )
    app.add_command(Command("events", _events, "cmd.events"))
    app.add_command(Command("myshifts", _my_shifts, "cmd.myshifts"))
    app.add_command(Command("myhours", menu_hours, "cmd.myhours"))
    app.data_sections.append(my_data_lines)
    app.before_delete.append(release_person)
    app.add_periodic(PeriodicJob(THANK_YOU_JOB_ID, THANK_YOU_JOB_SECONDS, send_thank_yous))
