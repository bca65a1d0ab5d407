"""Staff review of initiatives in chat (from the staff panel): the queue → one initiative →
approve, reject with a note, or ask the partner a question. The decisions are
`bot.services.initiatives`' rules (audited, told to the partner's representatives)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.core.flow import Context, Flow, number_after, pressed_value
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.initiatives.common import (
    BACK,
    STAFF_REVIEW,
    initiative_lines,
    say_error,
)
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services import initiatives as svc
from bot.services.errors import ServiceError
from storage import initiatives as store
from storage.models_partners import SUBMITTED

QUEUE_SHOWN = 10
OPEN = "i"  # "i<id>": open initiative <id>
CANCEL_TYPING = "_c"


class Step(StrEnum):
    QUEUE = "q"
    ONE = "one"
    NOTE = "note"  # why it is rejected (typed, told to the partner)
    QUESTION = "ask"  # what the partner is asked (typed)


class Action(StrEnum):
    APPROVE = "ap"
    REJECT = "rj"
    ASK = "in"


class StaffReview(Flow):
    name = STAFF_REVIEW
    staff_only = True
    typed_steps = frozenset({Step.NOTE, Step.QUESTION})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if params.get("iid"):
            await self._open(ctx, int(params["iid"]))
        else:
            await self._queue(ctx)

    async def show(self, ctx: Context) -> None:
        step = ctx.state.step
        iid = int(ctx.state.data.get("iid", 0))
        if step in (Step.NOTE, Step.QUESTION) and iid:
            self._ask_text(ctx, Step(step))
        elif step == Step.ONE and iid:
            await self._open(ctx, iid)
        else:
            await self._queue(ctx)

    async def _queue(self, ctx: Context) -> None:
        ctx.set_step(Step.QUEUE)
        ctx.state.data = {}
        found = await store.list_initiatives(ctx.session, SUBMITTED, 0, QUEUE_SHOWN)
        total = await store.count_initiatives(ctx.session, SUBMITTED)
        lines = [ctx.tr.tn("ini.rev.queue_title", total)]
        choices: list[Choice] = []
        for initiative, partner in found:
            lines.append(
                ctx.tr.t(
                    "ini.rev.queue_line",
                    id=initiative.id,
                    title=initiative.title,
                    partner=partner.name_ar,
                )
            )
            iid = initiative.id
            choices.append(ctx.choice(Step.QUEUE, f"{OPEN}{iid}", "ini.rev.open_n", id=iid))
        choices.append(ctx.choice(Step.QUEUE, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def _open(self, ctx: Context, iid: int) -> None:
        try:
            initiative, partner = await svc.initiative_for_staff(ctx.unit, iid)
        except ServiceError as err:
            say_error(ctx, err)
            await self._queue(ctx)
            return
        ctx.set_step(Step.ONE)
        ctx.state.data["iid"] = iid
        lines = [
            ctx.tr.t("ini.rev.partner", partner=partner.name_ar),
            *initiative_lines(ctx, initiative),
        ]
        lines.append(ctx.tr.t("ini.rev.provides", provides=initiative.partner_provides))
        choices: list[Choice] = []
        status = initiative.status
        if status in svc.CAN_APPROVE:
            choices.append(ctx.choice(Step.ONE, Action.APPROVE, "ini.rev.approve"))
        if status in svc.CAN_ASK:
            choices.append(ctx.choice(Step.ONE, Action.ASK, "ini.rev.ask"))
        if status in svc.CAN_REJECT:
            choices.append(ctx.choice(Step.ONE, Action.REJECT, "ini.rev.reject"))
        choices.append(ctx.choice(Step.ONE, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    def _ask_text(self, ctx: Context, step: Step) -> None:
        ctx.set_step(step)
        prompt = "ini.rev.note_q" if step == Step.NOTE else "ini.rev.ask_q"
        ctx.reply(ctx.tr.t(prompt), [ctx.choice(step, CANCEL_TYPING, "form.cancel")])

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        step = ctx.state.step
        value = pressed_value(inbound)
        iid = int(ctx.state.data.get("iid", 0))
        if step == Step.QUEUE:
            opened = number_after(value, OPEN)
            if opened is not None:
                await self._open(ctx, opened)
            elif value == BACK:
                await ctx.goto(STAFF_PANEL)
            else:
                ctx.say("form.err.use_choices")
                await self._queue(ctx)
        elif step == Step.ONE:
            await self._on_action(ctx, iid, value)
        elif step in (Step.NOTE, Step.QUESTION):
            await self._on_text(ctx, Step(step), iid, inbound, value)
        else:
            await self._queue(ctx)

    async def _on_action(self, ctx: Context, iid: int, value: str) -> None:
        if value == Action.APPROVE:
            try:
                await svc.approve_initiative(ctx.unit, iid)
                ctx.say("ini.rev.done.approved", id=iid)
            except ServiceError as err:
                say_error(ctx, err)
            await self._open(ctx, iid)
        elif value == Action.REJECT:
            self._ask_text(ctx, Step.NOTE)
        elif value == Action.ASK:
            self._ask_text(ctx, Step.QUESTION)
        elif value == BACK:
            await self._queue(ctx)
        else:
            ctx.say("form.err.use_choices")
            await self._open(ctx, iid)

    async def _on_text(
        self, ctx: Context, step: Step, iid: int, inbound: Inbound, value: str
    ) -> None:
        if value == CANCEL_TYPING:
            await self._open(ctx, iid)
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            text = parse_announcement(inbound.text, limit=svc.NOTE_MAX)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            self._ask_text(ctx, step)
            return
        try:
            if step == Step.NOTE:
                await svc.reject_initiative(ctx.unit, iid, text)
                ctx.say("ini.rev.done.rejected", id=iid)
            else:
                await svc.ask_information(ctx.unit, iid, text)
                ctx.say("ini.rev.done.info", id=iid)
        except ServiceError as err:
            say_error(ctx, err)
        await self._open(ctx, iid)
