"""`/dashboard` (staff only): a one-time link to the web workspace, for the person asking."""

from __future__ import annotations

from bot.core.flow import BotApp, Command, Context
from bot.services import web_access
from bot.services.errors import ServiceError


async def cmd_dashboard(ctx: Context) -> None:
    try:
        link = await web_access.issue_link(ctx.unit, ctx.user.id)
    except ServiceError as err:
        ctx.say(err.msgid, **err.params)
        return
    ctx.say("web.dashboard_link", link=link)


def register(app: BotApp) -> None:
    app.add_command(Command("dashboard", cmd_dashboard, "cmd.dashboard", staff_only=True))
