"""Staff open an event for an approved initiative in chat, as on its web page: the place, when
it starts and ends, and how many volunteers its one shift needs; then the event's own staff
screen (to publish it, add shifts). The rules are `initiatives.open_event_for_initiative`'s —
the same call as the web's; the questions and their checks are the events' staff forms'."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.flow import Context
from bot.core.forms import Field, FieldError, Form, Values
from bot.handlers.events.common import EVENT_ADMIN
from bot.handlers.events.staff_forms import (
    capacity_answer,
    line_answer,
    shift_ends_answer,
    show_moment,
    starts_answer,
    starts_examples,
)
from bot.handlers.initiatives.common import EVENT_FORM, STAFF_REVIEW, say_error
from bot.services import initiatives as svc
from bot.services.errors import ServiceError
from bot.services.events import InvalidValue

FIELDS = ("place", "starts", "ends", "cap")


class InitiativeEventForm(Form):
    name = EVENT_FORM
    staff_only = True
    intro = "ini.ev.intro"
    summary_title = "ini.ev.summary_title"
    fields = (
        Field("place", "evf.q.place", "evf.f.place", parse=line_answer),
        Field(
            "starts",
            "evf.q.starts",
            "evf.f.starts",
            parse=starts_answer,
            render=show_moment,
            prompt_params=starts_examples,
        ),
        Field("ends", "evf.q.ends", "evf.f.ends", parse=shift_ends_answer, render=show_moment),
        Field("cap", "esf.q.capacity", "esf.f.capacity", parse=capacity_answer),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        # A draft left for another initiative is not this one's.
        draft = ctx.state.drafts.get(self.name)
        if draft and draft["data"].get("iid") != int(params.get("iid", 0)):
            ctx.state.drafts.pop(self.name, None)
        await super().start(ctx, params)

    async def prepare(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data["iid"] = int(params.get("iid", 0))

    async def submit(self, ctx: Context, values: Values) -> None:
        iid = int(ctx.state.data.get("iid", 0))
        try:
            event = await svc.open_event_for_initiative(
                ctx.unit,
                iid,
                place=values["place"],
                starts_at=datetime.fromisoformat(values["starts"]),
                ends_at=datetime.fromisoformat(values["ends"]),
                capacity=int(values["cap"]),
            )
        except InvalidValue as err:
            field = err.field if err.field in FIELDS else "starts"
            raise FieldError(field, err.msgid, **err.params) from None
        except ServiceError as err:
            # No longer approved, or gone: said, and back to the initiative.
            ctx.state.data = {}
            say_error(ctx, err)
            await ctx.goto(STAFF_REVIEW, {"iid": iid})
            return
        ctx.state.data = {}
        ctx.say("ini.ev.opened", id=iid)
        await ctx.goto(EVENT_ADMIN, {"eid": event.id})
