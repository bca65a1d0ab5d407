"""The stall request form (issue 5 §3): a family asks for a stall type and days at one site,
each day checked against the site's dates."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from bot.core.date_input import day_examples, parse_day
from bot.core.flow import Context
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.validators import Invalid
from bot.handlers.common import show_iso_date
from bot.handlers.families.common import (
    FAMILIES_MENU,
    MY_REQUESTS,
    REQUEST_FORM,
    STALL_OPTIONS,
    error_params,
)
from bot.services import families as svc
from bot.services import reserved_stalls
from bot.services.errors import ServiceError
from bot.services.families import FieldProblem
from bot.services.family_notices import site_name
from storage import families as fam


class RequestField(StrEnum):
    """The stall request form's questions."""

    STALL_TYPE = "stype"
    START = "from"
    END = "until"
    DISABILITY = "dis"  # only at a site with reserved stalls; health data, with consent
    PROOF = "proof"  # asked only after a "yes"


# Which question to ask again when a service refuses a value (its name for it → the form's).
REQUEST_PROBLEMS = {
    "stall_type": RequestField.STALL_TYPE,
    "start": RequestField.START,
    "end": RequestField.END,
}

SAME_DAY = "same"
TO_END = "last"
END_OPTIONS = (Option(SAME_DAY, "fam.req.same_day"), Option(TO_END, "fam.req.to_end"))
YES, NO = "yes", "no"
DISABILITY_OPTIONS = (Option(YES, "fam.disability.yes"), Option(NO, "fam.disability.no"))
RESERVED = "_res"  # a hidden value: the site keeps reserved stalls, so the question is asked


def _site_reserves(values: Values) -> bool:
    return bool(values.get(RESERVED))


def _stated(values: Values) -> bool:
    return _site_reserves(values) and values.get(RequestField.DISABILITY) == YES


def _proof(ctx: Context, text: str) -> str:
    try:
        return reserved_stalls.clean_proof(text)
    except ServiceError as err:
        raise Invalid(err.msgid, **err.params) from None


def _site_range(ctx: Context) -> tuple[date, date]:
    start, end = ctx.state.data["range"]
    return date.fromisoformat(start), date.fromisoformat(end)


def _stall_types(ctx: Context) -> list[Option]:
    caps: dict[str, int] = ctx.state.data.get("caps", {})
    return [o for o in STALL_OPTIONS if caps.get(o.value, 0) > 0]


def _within_site(ctx: Context, day: date) -> date:
    first, last = _site_range(ctx)
    if not first <= day <= last:
        raise Invalid("fam.err.date_range", start=ctx.fmt_date(first), end=ctx.fmt_date(last))
    if day < ctx.today:
        raise Invalid("fam.err.date_past")
    return day


def _start_date(ctx: Context, text: str) -> str:
    return _within_site(ctx, parse_day(text, ctx.today)).isoformat()


def _start_examples(ctx: Context) -> dict[str, object]:
    # The site's first day, or today once the site has opened: an example that would be accepted.
    return {"examples": day_examples(ctx.tr, ctx.today, _site_range(ctx)[0])}


def _end_date(ctx: Context, text: str) -> str:
    day = _within_site(ctx, parse_day(text, ctx.today))
    start = ctx.state.data.get("v", {}).get(RequestField.START)
    if start and day < date.fromisoformat(start):
        raise Invalid("fam.err.end_before_start")
    return day.isoformat()


def end_day(ctx: Context, values: Values) -> date:
    value = values[RequestField.END]
    if value == SAME_DAY:
        return date.fromisoformat(values[RequestField.START])
    if value == TO_END:
        return _site_range(ctx)[1]
    return date.fromisoformat(value)


def _show_end(ctx: Context, value: str) -> str:
    values = ctx.state.data.get("v", {})
    if value in (SAME_DAY, TO_END) and values.get(RequestField.START):
        return ctx.fmt_date(end_day(ctx, {**values, RequestField.END: value}))
    return ctx.fmt_date(date.fromisoformat(value))


class StallRequestForm(Form):
    """Started for one site (`params["site"]`), which the site list has already checked."""

    name = REQUEST_FORM
    summary_title = "fam.req.summary_title"
    fields = (
        Field(
            RequestField.STALL_TYPE,
            "fam.q.stall_type",
            "fam.f.stall_type",
            FieldKind.CHOICE,
            _stall_types,
        ),
        Field(
            RequestField.START,
            "fam.q.start",
            "fam.f.start",
            parse=_start_date,
            render=show_iso_date,
            prompt_params=_start_examples,
        ),
        Field(
            RequestField.END,
            "fam.q.end",
            "fam.f.end",
            FieldKind.CHOICE,
            END_OPTIONS,
            parse=_end_date,
            render=_show_end,
        ),
        Field(
            RequestField.DISABILITY,
            "fam.q.disability",
            "fam.f.disability",
            FieldKind.CHOICE,
            DISABILITY_OPTIONS,
            when=_site_reserves,
        ),
        Field(
            RequestField.PROOF,
            "fam.q.disability_proof",
            "fam.f.disability_proof",
            parse=_proof,
            when=_stated,
        ),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        site = await fam.get_site(ctx.session, int(params.get("site", 0)))
        if site is None:
            await ctx.goto(FAMILIES_MENU)
            return
        ctx.say(
            "fam.req.site_intro",
            site=site_name(site, ctx.tr.locale),
            start=ctx.fmt_date(site.start_date),
            end=ctx.fmt_date(site.end_date),
            deadline=ctx.fmt_datetime(site.deadline),
        )
        draft = ctx.state.drafts.pop(self.name, None)
        if draft and draft["data"].get("site") == site.id:
            ctx.state.data, ctx.state.step = draft["data"], draft["step"]
            ctx.say("form.resumed")
            await self.show(ctx)
            return
        # The site's facts are in place before the first question (its stall types).
        ctx.state.data = {
            "v": {RESERVED: True} if site.reserved_stalls else {},
            "edit": False,
            "site": site.id,
            "range": [site.start_date.isoformat(), site.end_date.isoformat()],
            "caps": {"food": site.food_stalls, "nonfood": site.nonfood_stalls},
        }
        await self._ask(ctx, self.fields[0])

    def summary_lines(self, ctx: Context, values: Values) -> list[str]:
        name = ctx.state.data.get("site_name", "")
        line = ctx.tr.t("form.summary_line", label=ctx.tr.label("fam.f.site"), value=name)
        return [line, *super().summary_lines(ctx, values)]

    async def before_summary(self, ctx: Context, values: Values) -> None:
        site = await fam.get_site(ctx.session, int(ctx.state.data.get("site", 0)))
        ctx.state.data["site_name"] = site_name(site, ctx.tr.locale) if site else ""

    async def submit(self, ctx: Context, values: Values) -> None:
        site_id = int(ctx.state.data.get("site", 0))
        start, end = date.fromisoformat(values[RequestField.START]), end_day(ctx, values)
        try:
            request = await svc.submit_request(
                ctx.unit, site_id, values[RequestField.STALL_TYPE], start, end
            )
        except FieldProblem as err:
            if err.field is None:  # the site or the family cannot go on with this request
                await self._abandon(ctx, err.msgid)
                return
            field = REQUEST_PROBLEMS.get(err.field, RequestField.STALL_TYPE)
            raise FieldError(field, err.msgid, **error_params(ctx, err)) from None
        # The final values hold only the questions that applied (the hidden flag is gone).
        if values.get(RequestField.DISABILITY) == YES and values.get(RequestField.PROOF):
            await reserved_stalls.declare(ctx.unit, request, values[RequestField.PROOF])
        site = await fam.get_site(ctx.session, site_id)
        assert site is not None
        ctx.state.data = {}
        ctx.say("fam.req.submitted", id=request.id, site=site_name(site, ctx.tr.locale))
        await ctx.goto(MY_REQUESTS)

    async def _abandon(self, ctx: Context, msgid: str) -> None:
        ctx.state.data = {}
        ctx.state.drafts.pop(self.name, None)
        ctx.say(msgid)
        await ctx.goto(FAMILIES_MENU)
