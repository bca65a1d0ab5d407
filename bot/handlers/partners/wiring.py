"""Plugs the partner flows into the app: the main-menu entries, the staff panel entry, the
button of a question notice and the "my data" section."""

from __future__ import annotations

from bot.core.flow import BotApp, Context, MenuEntry
from bot.core.labels import person_facts
from bot.handlers.partners.common import MY_ORGANISATION, PARTNERS_MENU, REVIEW
from bot.handlers.partners.member import (
    InfoAnswer,
    Join,
    MyOrganisation,
    PartnersMenu,
    my_data_lines,
    on_info,
)
from bot.handlers.partners.register_form import PartnerForm
from bot.handlers.partners.staff_review import PartnerReview
from bot.services import partners as svc


async def _menu(ctx: Context) -> None:
    await ctx.goto(PARTNERS_MENU)


async def _mine(ctx: Context) -> None:
    await ctx.goto(MY_ORGANISATION)


async def _mine_label(ctx: Context) -> str | None:
    # Only a confirmed representative of an approved partner acts for it.
    return "ptn.my.menu_entry" if (await person_facts(ctx)).represents_partner else None


async def _review(ctx: Context) -> None:
    await ctx.goto(REVIEW)


def register(app: BotApp) -> None:
    for flow in (
        PartnersMenu(),
        PartnerForm(),
        Join(),
        MyOrganisation(),
        InfoAnswer(),
        PartnerReview(),
    ):
        app.add_flow(flow)
    app.add_global_choice(svc.INFO_PREFIX, on_info)
    app.add_menu_entry(MenuEntry("ptn", "ptn.menu_entry", _menu, order=30))
    app.add_menu_entry(MenuEntry("pto", _mine_label, _mine, order=31))
    app.add_menu_entry(
        MenuEntry("prv", "ptn.staff.review", _review, order=25, staff_only=True), staff=True
    )
    app.data_sections.append(my_data_lines)
