"""The "propose an initiative" form (issue 15 item 2): title, category, district, dates,
volunteers wanted and what the partner provides, then a summary to confirm. The rules are
`bot.services.initiatives`'; the form asks again, keeping the other answers, when one breaks
them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from bot.core.date_input import day_examples, parse_day
from bot.core.flow import Context
from bot.core.forms import Field, FieldError, FieldKind, Form, Values
from bot.core.text import clean_input
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.common import DISTRICT_OPTIONS, parse_district, show_district, show_iso_date
from bot.handlers.initiatives.common import (
    CATEGORY_OPTIONS,
    MY_INITIATIVES,
    PROPOSE_FORM,
    say_error,
)
from bot.services import initiatives as svc
from bot.services.families import FieldProblem


class F(StrEnum):
    TITLE = "title"
    CATEGORY = "category"
    DISTRICT = "district"
    START = "start"
    END = "end"
    VOLUNTEERS = "volunteers"
    PROVIDES = "provides"


def _title(ctx: Context, text: str) -> str:
    title = clean_input(text)
    if not svc.TITLE_MIN <= len(title) <= svc.TITLE_MAX:
        raise Invalid("ini.err.title", min=svc.TITLE_MIN, max=svc.TITLE_MAX)
    return title


def _start(ctx: Context, text: str) -> str:
    day = parse_day(text, ctx.today)
    if day < ctx.today:
        raise Invalid("ini.err.date_past")
    return day.isoformat()


def _end(ctx: Context, text: str) -> str:
    day = parse_day(text, ctx.today)
    if day < ctx.today:
        raise Invalid("ini.err.date_past")
    start = ctx.state.data.get("v", {}).get(F.START)
    if start and day < date.fromisoformat(start):
        raise Invalid("ini.err.end_before_start")
    return day.isoformat()


def _examples(ctx: Context) -> dict[str, object]:
    return {"examples": day_examples(ctx.tr, ctx.today)}


def _volunteers(ctx: Context, text: str) -> int:
    digits = clean_input(text)
    if not digits.isdigit() or not 1 <= int(digits) <= svc.VOLUNTEERS_MAX:
        raise Invalid("ini.err.volunteers", max=svc.VOLUNTEERS_MAX)
    return int(digits)


def _provides(ctx: Context, text: str) -> str:
    return parse_announcement(text, limit=svc.PROVIDES_MAX)


class ProposeForm(Form):
    name = PROPOSE_FORM
    intro = "ini.form.intro"
    summary_title = "ini.form.summary_title"
    fields = (
        Field(F.TITLE, "ini.q.title", "ini.f.title", parse=_title),
        Field(F.CATEGORY, "ini.q.category", "ini.f.category", FieldKind.CHOICE, CATEGORY_OPTIONS),
        Field(
            F.DISTRICT,
            "ini.q.district",
            "ini.f.district",
            FieldKind.CHOICE,
            DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
        ),
        Field(
            F.START,
            "ini.q.start",
            "ini.f.start",
            parse=_start,
            render=show_iso_date,
            prompt_params=_examples,
        ),
        Field(
            F.END,
            "ini.q.end",
            "ini.f.end",
            parse=_end,
            render=show_iso_date,
            prompt_params=_examples,
        ),
        Field(F.VOLUNTEERS, "ini.q.volunteers", "ini.f.volunteers", parse=_volunteers),
        Field(F.PROVIDES, "ini.q.provides", "ini.f.provides", parse=_provides),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        try:
            await svc.require_representative(ctx.unit)
        except svc.NotRepresentative as err:
            say_error(ctx, err)
            await ctx.home()
            return
        await super().start(ctx, params)

    async def submit(self, ctx: Context, values: Values) -> None:
        draft = svc.InitiativeDraft(
            title=values[F.TITLE],
            category=values[F.CATEGORY],
            district=values[F.DISTRICT],
            start=date.fromisoformat(values[F.START]),
            end=date.fromisoformat(values[F.END]),
            volunteers=int(values[F.VOLUNTEERS]),
            provides=values[F.PROVIDES],
        )
        try:
            initiative = await svc.propose_initiative(ctx.unit, draft)
        except svc.NotRepresentative as err:
            ctx.state.data = {}
            ctx.state.drafts.pop(self.name, None)
            say_error(ctx, err)
            await ctx.home()
            return
        except FieldProblem as err:
            raise FieldError(err.field or F.TITLE, err.msgid, **err.params) from None
        ctx.state.data = {}
        ctx.say("ini.form.submitted", id=initiative.id, title=initiative.title)
        await ctx.goto(MY_INITIATIVES)
