"""The main menu: where every finished or cancelled flow comes back to."""

from __future__ import annotations

from typing import Any

from bot.core.flow import BotApp, Context, Flow, parse_choice_id
from bot.core.messages import Inbound, InboundKind
from bot.handlers.announcements import set_announcements
from storage import repositories as repo

MENU = "menu"


class MenuFlow(Flow):
    name = MENU

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step("main")
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        choices = []
        if volunteer is not None:
            choices.append(ctx.choice("main", "profile", "menu.my_profile"))
        elif "vol" in ctx.state.drafts:
            choices.append(ctx.choice("main", "vol", "menu.volunteer_continue"))
        else:
            choices.append(ctx.choice("main", "vol", "menu.volunteer"))
        if ctx.user.opted_out_announcements:
            choices.append(ctx.choice("main", "resume", "menu.resume_announcements"))
        else:
            choices.append(ctx.choice("main", "stop", "menu.stop_announcements"))
        choices += [
            ctx.choice("main", "md", "menu.my_data"),
            ctx.choice("main", "lang", "menu.language"),
            ctx.choice("main", "help", "menu.help"),
        ]
        if ctx.is_staff:
            choices.append(ctx.choice("main", "staff", "menu.staff"))
        ctx.reply(ctx.tr.t("menu.title"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        ref = parse_choice_id(inbound.text) if inbound.kind is InboundKind.CHOICE else None
        target = ref.value if ref else None
        if target == "help":
            ctx.say("help.text")
            await self.show(ctx)
        elif target == "staff" and ctx.is_staff:
            await ctx.goto("staff")
        elif target in ("stop", "resume"):
            await set_announcements(ctx, wanted=target == "resume")
            await self.show(ctx)
        elif target == "profile":
            await ctx.goto("md")
        elif target in ("vol", "md", "lang"):
            await ctx.goto(target)
        else:
            ctx.say("menu.not_understood")
            await self.show(ctx)


def register(app: BotApp) -> None:
    app.add_flow(MenuFlow())
