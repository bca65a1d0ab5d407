"""The main menu: where every finished or cancelled flow comes back to. Features put their
own entries on it (`BotApp.add_menu_entry`)."""

from __future__ import annotations

from typing import Any

from bot.core.choice_ids import pressed_value
from bot.core.flow import BotApp, Context, Flow, MenuEntry
from bot.core.messages import Inbound
from bot.handlers.common import LANGUAGE, MY_DATA, STAFF_PANEL

MENU = "menu"
MAIN = "main"  # the menu's one step
HELP = "help"


async def show_entries(ctx: Context, step: str, entries: list[MenuEntry]) -> list[Any]:
    choices = []
    ctx.label_answers = {}  # the labels only read: one answer per question for all of them
    try:
        for entry in entries:
            label = await entry.label_for(ctx)
            if label is not None:
                choices.append(ctx.choice(step, entry.value, label))
    finally:
        ctx.label_answers = None
    return choices


async def run_entry(ctx: Context, entries: list[MenuEntry], value: str | None) -> bool:
    for entry in entries:
        if entry.value == value and await entry.label_for(ctx) is not None:
            await entry.action(ctx)
            return True
    return False


class MenuFlow(Flow):
    name = MENU

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(MAIN)
        ctx.reply(ctx.tr.t("menu.title"), await show_entries(ctx, MAIN, ctx.app.menu))

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        if not await run_entry(ctx, ctx.app.menu, pressed_value(inbound)):
            ctx.say("menu.not_understood")
            await self.show(ctx)


def say_help(ctx: Context) -> None:
    """What the bot offers volunteers and families, the commands, and the team's contact; staff
    also read what the staff panel does."""
    ctx.say("help.text")
    if ctx.is_staff:
        ctx.say("help.staff")


async def _help(ctx: Context) -> None:
    say_help(ctx)
    await ctx.show_current()


async def _goto_my_data(ctx: Context) -> None:
    await ctx.goto(MY_DATA)


async def _goto_language(ctx: Context) -> None:
    await ctx.goto(LANGUAGE)


async def _goto_staff(ctx: Context) -> None:
    await ctx.goto(STAFF_PANEL)


def register(app: BotApp) -> None:
    app.add_flow(MenuFlow())
    app.add_menu_entry(MenuEntry(MY_DATA, "menu.my_data", _goto_my_data, order=80))
    app.add_menu_entry(MenuEntry(LANGUAGE, "menu.language", _goto_language, order=85))
    app.add_menu_entry(MenuEntry(HELP, "menu.help", _help, order=90))
    app.add_menu_entry(MenuEntry(STAFF_PANEL, "menu.staff", _goto_staff, order=99, staff_only=True))
