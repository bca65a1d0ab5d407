"""Staff review of initiatives in chat (from the staff panel): the queue, paged → one initiative
→ approve, reject with a note, or ask the partner a question. The steps are
`bot.handlers.review_flow`'s; the decisions are `bot.services.initiatives`' rules (audited,
told to the partner's representatives)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

from bot.core.flow import Context
from bot.core.messages import Choice
from bot.handlers.initiatives.common import (
    EVENT_FORM,
    STAFF_REVIEW,
    initiative_lines,
    say_error,
)
from bot.handlers.review_flow import Action, ReviewFlow, Step
from bot.services import initiatives as svc
from bot.services.errors import ServiceError
from storage.models_partners import APPROVED, SUBMITTED

QUEUE_SHOWN = 10
OPEN_EVENT = "ev"  # an approved initiative: open an event for it


class StaffReview(ReviewFlow):
    name = STAFF_REVIEW
    key = "iid"
    open_prefix = "i"
    messages = "ini.rev"
    note_max = svc.NOTE_MAX

    async def queue_pages(self, ctx: Context) -> int:
        total, _ = await svc.review_queue(ctx.unit, SUBMITTED, 0, 0)
        return max(-(-total // QUEUE_SHOWN), 1)

    async def queue_screen(self, ctx: Context, page: int) -> tuple[list[str], list[Choice]]:
        total, found = await svc.review_queue(ctx.unit, SUBMITTED, page * QUEUE_SHOWN, QUEUE_SHOWN)
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
            choices.append(self.open_choice(ctx, initiative.id, "ini.rev.open_n", id=initiative.id))
        return lines, choices

    async def item_screen(self, ctx: Context, item_id: int) -> tuple[list[str], Sequence[Action]]:
        initiative, partner = await svc.initiative_for_staff(ctx.unit, item_id)
        lines = [
            ctx.tr.t("ini.rev.partner", partner=partner.name_ar),
            *initiative_lines(ctx, initiative),
            ctx.tr.t("ini.rev.provides", provides=initiative.partner_provides),
        ]
        status = initiative.status
        allowed = (
            (Action.APPROVE, svc.CAN_APPROVE),
            (Action.ASK, svc.CAN_ASK),
            (Action.REJECT, svc.CAN_REJECT),
        )
        return lines, [action for action, statuses in allowed if status in statuses]

    def decide(self, ctx: Context, action: Action, item_id: int, text: str) -> Awaitable[Any]:
        if action == Action.APPROVE:
            return svc.approve_initiative(ctx.unit, item_id)
        if action == Action.REJECT:
            return svc.reject_initiative(ctx.unit, item_id, text)
        return svc.ask_information(ctx.unit, item_id, text)

    async def item_buttons(self, ctx: Context, item_id: int) -> list[Choice]:
        # An approved initiative gets its events from here, as on the web page.
        initiative, _partner = await svc.initiative_for_staff(ctx.unit, item_id)
        if initiative.status != APPROVED:
            return []
        return [ctx.choice(Step.ITEM, OPEN_EVENT, "ini.ev.open")]

    async def on_item_press(self, ctx: Context, item_id: int, value: str) -> bool:
        # Offered only while approved (the service checks again when the form is sent).
        if value != OPEN_EVENT or not await self.item_buttons(ctx, item_id):
            return False
        await ctx.goto(EVENT_FORM, {"iid": item_id})
        return True

    def say_error(self, ctx: Context, err: ServiceError) -> None:
        say_error(ctx, err)
