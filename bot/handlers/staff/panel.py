"""The staff panel: features put their staff tools on it (`add_menu_entry(..., staff=True)`).

Others who try a staff command are answered politely and nothing changes: the engine checks
`staff_only` on commands, and on every update for the flows marked `staff_only` (so a role
removed while a staff screen is open closes it).
"""

from __future__ import annotations

from typing import Any

from bot.core.choice_ids import pressed_value
from bot.core.flow import BotApp, Command, Context, Flow
from bot.core.messages import Inbound
from bot.handlers.account.menu import run_entry, show_entries
from bot.handlers.common import STAFF_PANEL
from bot.services import volunteers

__all__ = ["STAFF_PANEL", "StaffPanel", "register"]

MAIN = "main"  # the panel's one step
BACK = "back"


class StaffPanel(Flow):
    name = STAFF_PANEL
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(MAIN)
        count = await volunteers.count_volunteers(ctx.unit)
        text = "\n".join([ctx.tr.t("staff.panel_title"), ctx.tr.tn("staff.volunteer_count", count)])
        choices = await show_entries(ctx, MAIN, ctx.app.staff_menu)
        choices.append(ctx.choice(MAIN, BACK, "mydata.back"))
        ctx.reply(text, choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value == BACK:
            await ctx.home()
        elif not await run_entry(ctx, ctx.app.staff_menu, value):
            await self.show(ctx)


async def cmd_staff(ctx: Context) -> None:
    await ctx.goto(STAFF_PANEL)


def register(app: BotApp) -> None:
    app.add_flow(StaffPanel())
    app.staff_home = STAFF_PANEL
    app.add_command(Command("staff", cmd_staff, "cmd.staff", staff_only=True))
