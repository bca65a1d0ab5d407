"""Plugs the initiatives' chat flows into the app: the representative's main-menu entries
(shown only to confirmed representatives of approved partners), the /initiative command, the
notice's "answer" button and the staff panel's review entry."""

from __future__ import annotations

from bot.core.choice_ids import ChoiceRef
from bot.core.flow import BotApp, Command, Context, MenuEntry
from bot.handlers.initiatives.common import STAFF_REVIEW
from bot.handlers.initiatives.event_form import InitiativeEventForm
from bot.handlers.initiatives.form import ProposeForm
from bot.handlers.initiatives.mine import (
    InfoAnswer,
    MyInitiatives,
    mine_entry,
    mine_label,
    on_info,
    propose_entry,
    propose_label,
)
from bot.handlers.initiatives.staff import StaffReview
from bot.services.initiative_notices import INFO_PREFIX, STAFF_PREFIX


async def _review(ctx: Context) -> None:
    await ctx.goto(STAFF_REVIEW)


async def _open_for_staff(ctx: Context, ref: ChoiceRef) -> None:
    """The staff notice's button: the initiative in the chat's review (a staff-only flow:
    someone else pressing a forged button is refused by the flow's mark)."""
    await ctx.goto(STAFF_REVIEW, {"iid": int(ref.value) if ref.value.isdigit() else 0})


def register(app: BotApp) -> None:
    for flow in (
        ProposeForm(),
        MyInitiatives(),
        InfoAnswer(),
        StaffReview(),
        InitiativeEventForm(),
    ):
        app.add_flow(flow)
    app.add_global_choice(INFO_PREFIX, on_info)
    app.add_global_choice(STAFF_PREFIX, _open_for_staff)
    app.add_menu_entry(MenuEntry("ini", propose_label, propose_entry, order=30))
    app.add_menu_entry(MenuEntry("inm", mine_label, mine_entry, order=31))
    app.add_command(Command("initiative", propose_entry, "cmd.initiative"))
    app.add_menu_entry(
        MenuEntry("irv", "ini.staff.review", _review, order=25, staff_only=True), staff=True
    )
