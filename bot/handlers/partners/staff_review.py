"""Staff review of partner organisations in chat: the organisations waiting (new or answered)
and the representatives waiting, paged; approve, reject with a note or ask for information;
confirm or reject a representative. The steps are `bot.handlers.review_flow`'s; the rules, audit
rows and notices are `bot.services.partners`'."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

from bot.core.choice_ids import number_after
from bot.core.flow import Context
from bot.core.messages import Choice
from bot.core.text import isolate
from bot.handlers.partners.common import (
    REVIEW,
    areas_label,
    say_error,
    show_name,
    status_label,
    type_label,
)
from bot.handlers.review_flow import Action, ReviewFlow, Step
from bot.services import partners as svc
from bot.services.errors import ServiceError
from storage.models_partners import ID_NONE

SHOWN = 10  # organisations a page, and representatives a page on the same screen
MEMBER_OK = "mk"  # "mk<id>": confirm a representative
MEMBER_NO = "mn"  # "mn<id>": reject a representative


class PartnerReview(ReviewFlow):
    name = REVIEW
    key = "pid"
    open_prefix = "p"
    messages = "ptn.rev"
    note_max = svc.NOTE_MAX
    reopen_after_decision = False

    async def queue_pages(self, ctx: Context) -> int:
        # One pager turns both lists: page n shows the n-th slice of each.
        waiting = await svc.count_partners(ctx.unit, svc.CAN_DECIDE)
        members = len(await svc.pending_members(ctx.unit))
        return max(-(-waiting // SHOWN), -(-members // SHOWN), 1)

    async def queue_screen(self, ctx: Context, page: int) -> tuple[list[str], list[Choice]]:
        tr = ctx.tr
        total = await svc.count_partners(ctx.unit, svc.CAN_DECIDE)
        waiting = await svc.list_partners(ctx.unit, svc.CAN_DECIDE, page * SHOWN, SHOWN)
        lines = [tr.t("ptn.rev.title"), tr.tn("ptn.rev.waiting", total)]
        choices = []
        for partner in waiting:
            name = show_name(ctx, partner)
            lines.append(
                tr.t(
                    "ptn.rev.item",
                    id=partner.id,
                    name=name,
                    type=type_label(ctx, partner.type),
                    status=status_label(ctx, partner.status),
                )
            )
            choices.append(
                self.open_choice(ctx, partner.id, "ptn.rev.open", id=partner.id, name=name)
            )
        pending = list(await svc.pending_members(ctx.unit))[page * SHOWN : (page + 1) * SHOWN]
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
        return lines, choices

    async def item_screen(self, ctx: Context, item_id: int) -> tuple[list[str], Sequence[Action]]:
        found = await svc.partner_file(ctx.unit, item_id)
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
        decidable = partner.status in svc.CAN_DECIDE
        return lines, (Action.APPROVE, Action.ASK, Action.REJECT) if decidable else ()

    def decide(self, ctx: Context, action: Action, item_id: int, text: str) -> Awaitable[Any]:
        if action == Action.APPROVE:
            return svc.approve_partner(ctx.unit, item_id)
        if action == Action.REJECT:
            return svc.reject_partner(ctx.unit, item_id, text)
        return svc.ask_partner_info(ctx.unit, item_id, text)

    async def on_queue_press(self, ctx: Context, value: str) -> bool:
        for prefix, confirm, done in (
            (MEMBER_OK, True, "ptn.rev.done.member_ok"),
            (MEMBER_NO, False, "ptn.rev.done.member_no"),
        ):
            if (member_id := number_after(value, prefix)) is not None:
                await self.run(ctx, svc.decide_member(ctx.unit, member_id, confirm), done, 0)
                return True
        return False

    def say_error(self, ctx: Context, err: ServiceError) -> None:
        say_error(ctx, err)
