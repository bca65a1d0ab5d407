"""Staff entry point. Staff features arrive with later issues; for now a short status panel.

Others who try a staff command are answered politely and nothing changes (the engine checks
`staff_only` before calling the handler).
"""

from __future__ import annotations

from bot.core.flow import BotApp, Command, Context
from storage import repositories as repo


async def cmd_staff(ctx: Context) -> None:
    count = await repo.count_volunteers(ctx.session)
    ctx.reply(
        "\n".join(
            [
                ctx.tr.t("staff.panel_title"),
                ctx.tr.tn("staff.volunteer_count", count),
                ctx.tr.t("staff.coming_soon"),
            ]
        )
    )
    await ctx.show_current()


def register(app: BotApp) -> None:
    app.add_command(Command("staff", cmd_staff, "cmd.staff", staff_only=True))
