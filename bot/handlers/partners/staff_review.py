"""Staff review of partner organisations in chat: the organisations waiting (new or answered)
and the representatives waiting; approve, reject with a note or ask for information; confirm or
reject a representative. The rules, audit rows and notices are `bot.services.partners`'."""

from __future__ import annotations

from collections.abc import Awaitable
from enum import StrEnum
from typing import Any

from bot.core.flow import Context, Flow, number_after, pressed_value
from bot.core.messages import Inbound, InboundKind
from bot.core.text import isolate
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.partners.common import (
    BACK,
    REVIEW,
    areas_label,
    say_error,
    show_name,
    status_label,
    type_label,
)
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services import partners as svc
from bot.services.errors import ServiceError
from storage.models_partners import ID_NONE, INFO, SUBMITTED

SHOWN = 10
OPEN = "p"  # "p<id>": open a partner
MEMBER_OK = "mk"  # "mk<id>": confirm a representative
MEMBER_NO = "mn"  # "mn<id>": reject a representative


class Step(StrEnum):
    QUEUE = "q"
    PARTNER = "p"
    NOTE = "rn"  # why it is rejected (typed)
    QUESTION = "iq"  # what the representatives are asked (typed)


class Action(StrEnum):
    APPROVE = "ap"
    REJECT = "rj"
    ASK = "in"


TEXT_PROMPTS = {Step.NOTE: "ptn.rev.note_q", Step.QUESTION: "ptn.rev.ask_q"}


class PartnerReview(Flow):
    name = REVIEW
    staff_only = True
    typed_steps = frozenset({Step.NOTE, Step.QUESTION})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if params.get("pid"):
            await self._open(ctx, int(params["pid"]))
        else:
            await self._queue(ctx)

    async def show(self, ctx: Context) -> None:
        step, pid = ctx.state.step, int(ctx.state.data.get("pid", 0))
        if step in (Step.NOTE, Step.QUESTION) and pid:
            self._ask_text(ctx, Step(step))
        elif step == Step.PARTNER and pid:
            await self._open(ctx, pid)
        else:
            await self._queue(ctx)

    async def _queue(self, ctx: Context) -> None:
        ctx.set_step(Step.QUEUE)
        ctx.state.data = {}
        tr = ctx.tr
        waiting = [
            *await svc.list_partners(ctx.unit, SUBMITTED, limit=SHOWN),
            *await svc.list_partners(ctx.unit, INFO, limit=SHOWN),
        ]
        lines = [tr.t("ptn.rev.title"), tr.tn("ptn.rev.waiting", len(waiting))]
        choices = []
        for partner in waiting:
            lines.append(
                tr.t(
                    "ptn.rev.item",
                    id=partner.id,
                    name=show_name(ctx, partner),
                    type=type_label(ctx, partner.type),
                    status=status_label(ctx, partner.status),
                )
            )
            choices.append(
                ctx.choice(
                    Step.QUEUE,
                    f"{OPEN}{partner.id}",
                    "ptn.rev.open",
                    id=partner.id,
                    name=show_name(ctx, partner),
                )
            )
        pending = list(await svc.pending_members(ctx.unit))[:SHOWN]
        if pending:
            lines.append(tr.t("ptn.rev.members_title"))
        for member, partner, _user in pending:
            name = member.name or partner.contact_name
            lines.append(tr.t("ptn.rev.member", name=name, org=show_name(ctx, partner)))
            choices.append(
                ctx.choice(Step.QUEUE, f"{MEMBER_OK}{member.id}", "ptn.rev.member_ok", name=name)
            )
            choices.append(
                ctx.choice(Step.QUEUE, f"{MEMBER_NO}{member.id}", "ptn.rev.member_no", name=name)
            )
        choices.append(ctx.choice(Step.QUEUE, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def _open(self, ctx: Context, pid: int) -> None:
        try:
            found = await svc.partner_file(ctx.unit, pid)
        except ServiceError as err:
            say_error(ctx, err)
            await self._queue(ctx)
            return
        ctx.set_step(Step.PARTNER)
        ctx.state.data = {"pid": pid}
        partner, tr = found.partner, ctx.tr
        if partner.id_kind == ID_NONE:
            number = tr.t("ptn.rev.department", department=partner.department or "")
        else:
            number = tr.t(
                "ptn.rev.number",
                number=isolate(partner.reg_number or ""),
                kind=tr.label(f"ptn.id_kind.{partner.id_kind}"),
            )
        lines = [
            tr.t(
                "ptn.rev.detail",
                id=partner.id,
                name=partner.name_ar,
                name_en=partner.name_en or "—",
                type=type_label(ctx, partner.type),
                status=status_label(ctx, partner.status),
                number=number,
                contact=partner.contact_name,
                mobile=isolate(partner.contact_mobile),
                areas=areas_label(ctx, partner.areas),
                submitted=ctx.fmt_datetime(partner.created_at),
            )
        ]
        if partner.info_request:
            lines.append(tr.t("ptn.rev.question", question=partner.info_request))
        if partner.info_reply:
            lines.append(tr.t("ptn.rev.answer", answer=partner.info_reply))
        for member, _user in found.members:
            lines.append(
                tr.t(
                    "ptn.rev.rep",
                    name=member.name or partner.contact_name,
                    status=tr.label(f"ptn.member.{member.status}"),
                )
            )
        choices = []
        if partner.status in svc.CAN_DECIDE:
            choices += [
                ctx.choice(Step.PARTNER, Action.APPROVE, "ptn.rev.approve"),
                ctx.choice(Step.PARTNER, Action.ASK, "ptn.rev.ask"),
                ctx.choice(Step.PARTNER, Action.REJECT, "ptn.rev.reject"),
            ]
        choices.append(ctx.choice(Step.PARTNER, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    def _ask_text(self, ctx: Context, step: Step) -> None:
        ctx.set_step(step)
        ctx.reply(ctx.tr.t(TEXT_PROMPTS[step]), [ctx.choice(step, BACK, "form.back")])

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step, pid = ctx.state.step, int(ctx.state.data.get("pid", 0))
        if step == Step.QUEUE:
            await self._on_queue(ctx, value)
        elif value == BACK:
            await (self._queue(ctx) if step == Step.PARTNER else self._open(ctx, pid))
        elif step == Step.PARTNER and value == Action.APPROVE:
            await self._decide(ctx, svc.approve_partner(ctx.unit, pid), "ptn.rev.done.approved")
        elif step == Step.PARTNER and value in (Action.REJECT, Action.ASK):
            self._ask_text(ctx, Step.NOTE if value == Action.REJECT else Step.QUESTION)
        elif step in (Step.NOTE, Step.QUESTION):
            await self._on_text(ctx, inbound, Step(step), pid)
        else:
            await self.show(ctx)

    async def _on_queue(self, ctx: Context, value: str) -> None:
        if value == BACK:
            await ctx.goto(STAFF_PANEL)
        elif (pid := number_after(value, OPEN)) is not None:
            await self._open(ctx, pid)
        elif (mid := number_after(value, MEMBER_OK)) is not None:
            await self._decide(
                ctx, svc.decide_member(ctx.unit, mid, True), "ptn.rev.done.member_ok"
            )
        elif (mid := number_after(value, MEMBER_NO)) is not None:
            await self._decide(
                ctx, svc.decide_member(ctx.unit, mid, False), "ptn.rev.done.member_no"
            )
        else:
            await self._queue(ctx)

    async def _on_text(self, ctx: Context, inbound: Inbound, step: Step, pid: int) -> None:
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            text = parse_announcement(inbound.text, limit=svc.NOTE_MAX)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            self._ask_text(ctx, step)
            return
        if step == Step.NOTE:
            await self._decide(
                ctx, svc.reject_partner(ctx.unit, pid, text), "ptn.rev.done.rejected"
            )
        else:
            await self._decide(ctx, svc.ask_partner_info(ctx.unit, pid, text), "ptn.rev.done.info")

    async def _decide(self, ctx: Context, decision: Awaitable[Any], done: str) -> None:
        try:
            await decision
        except ServiceError as err:
            say_error(ctx, err)
        else:
            ctx.say(done)
        await self._queue(ctx)
