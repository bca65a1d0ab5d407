"""Stopping and restarting announcements (PDPL art. 25 opt-out). Personal notifications about
one's own requests and shifts keep coming: only broadcasts are stopped."""

from __future__ import annotations

from bot.core.flow import BotApp, Command, Context, MenuEntry
from bot.services import people

ANNOUNCEMENTS = "ann"  # the menu entry that stops or restarts them


async def set_announcements(ctx: Context, wanted: bool) -> None:
    await people.set_announcements(ctx.unit, ctx.user.id, wanted)
    ctx.say("announce.resumed" if wanted else "announce.stopped")


async def cmd_stop(ctx: Context) -> None:
    await set_announcements(ctx, wanted=False)
    await ctx.show_current()


async def cmd_resume(ctx: Context) -> None:
    await set_announcements(ctx, wanted=True)
    await ctx.show_current()


async def _toggle_label(ctx: Context) -> str:
    if ctx.user.opted_out_announcements:
        return "menu.resume_announcements"
    return "menu.stop_announcements"


async def _toggle(ctx: Context) -> None:
    await set_announcements(ctx, wanted=ctx.user.opted_out_announcements)
    await ctx.show_current()


def register(app: BotApp) -> None:
    app.add_menu_entry(MenuEntry(ANNOUNCEMENTS, _toggle_label, _toggle, order=70))
    app.add_command(Command("stop", cmd_stop, "cmd.stop"))
    app.add_command(Command("resume", cmd_resume, "cmd.resume"))
