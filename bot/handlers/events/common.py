"""Shared pieces of the events feature's chat screens: flow names, what every screen shows
(titles, types, statuses, an event's pin), how a service's refusal is said, and the periodic
thank-you job. The rules live in `bot.services.events`, `.registrations`, `.attendance` and
`.event_notices`; their constants are re-exported here for the screens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.dates import fmt_datetime
from bot.core.forms import Option
from bot.core.i18n import Translator
from bot.core.messages import Location
from bot.core.text import clean_input
from bot.core.unit import Actor, Unit
from bot.core.validators import Invalid
from bot.services.attendance import RATINGS, thank_attendees
from bot.services.errors import ServiceError
from bot.services.event_notices import (
    MY_SHIFTS_CHOICE,
    OPEN,
    OPEN_EVENT,
    OPEN_MY_SHIFTS,
    RATE,
    REMINDER_OFFSETS,
    description_for,
    open_event_choice,
    pin_of,
    shift_params,
    title_for,
)
from bot.services.events import MAX_CAPACITY, MAX_SHIFT
from bot.services.registrations import CANCEL_CUTOFF, STATUS_KEYS
from storage.models_events import EVENT_TYPES, Event

if TYPE_CHECKING:
    from bot.core.flow import Context, JobEnv

# The rules' constants and the notices' display helpers, re-exported for the screens.
__all__ = [
    "CANCEL_CUTOFF",
    "MAX_CAPACITY",
    "MAX_SHIFT",
    "MY_SHIFTS_CHOICE",
    "OPEN",
    "OPEN_EVENT",
    "OPEN_MY_SHIFTS",
    "RATE",
    "RATINGS",
    "REMINDER_OFFSETS",
    "description_for",
    "open_event_choice",
    "pin_of",
    "shift_params",
    "title_for",
]

# Flow names (short: they are part of every button id).
EVENTS = "ev"  # volunteers browse events
MY_SHIFTS = "evm"  # a volunteer's registrations
EVENT_ADMIN = "eva"  # staff: events, shifts, registrants, attendance
EVENT_FORM = "evf"  # staff: create or edit an event
SHIFT_FORM = "esf"  # staff: create or edit a shift

# Choice values every events screen uses alike.
BACK = "_bk"
HOME = "_mn"  # the main menu
TO_MY_SHIFTS = "_my"
YES, NO = "y", "n"

THANK_YOU_JOB_SECONDS = 300.0
PAGE_SIZE = 5

EVENT_TYPE_OPTIONS = tuple(Option(code, f"ev.type.{code}") for code in EVENT_TYPES)


# --- display --------------------------------------------------------------------------------------
def type_label(tr: Translator, code: str) -> str:
    return tr.label(f"ev.type.{code}")


def location_of(event: Event) -> Location | None:
    pin = pin_of(event)
    return Location(pin[0], pin[1]) if pin else None


def parse_event_number(text: str) -> int:
    cleaned = clean_input(text).lstrip("#").strip()
    if not cleaned.isdigit():
        raise Invalid("ev.err.event_number")
    return int(cleaned)


def say_refusal(ctx: Context, err: ServiceError) -> None:
    """Say why a service refused, in the reader's language: a `status` parameter is a
    registration status, a datetime is shown in the reader's calendar and zone."""
    params: dict[str, Any] = {}
    for key, value in err.params.items():
        if key == "status" and value in STATUS_KEYS:
            value = ctx.tr.label(STATUS_KEYS[value])
        elif isinstance(value, datetime):
            value = fmt_datetime(ctx.tr, value, ctx.settings.timezone)
        params[key] = value
    ctx.say(err.msgid, **params)


def change_token(ctx: Context) -> str:
    """Names one change made in one update (the idempotency of "the time has changed")."""
    return f"{ctx.inbound.channel}:{ctx.inbound.update_id}"


# --- the periodic thank-you -----------------------------------------------------------------------
async def send_thank_yous(env: JobEnv, now: datetime) -> int:
    """The thank-you job: its own transaction, acting as the system."""
    async with env.db.transaction() as session:
        unit = Unit(session, Actor.system(), now, env.catalogs, env.settings)
        return await thank_attendees(unit)
