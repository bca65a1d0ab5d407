"""Productive families: registration, stall requests, staff review (issue 5).

The package is split by audience: `forms` (the registration and stall-request forms),
`family` (menu, open sites, "my requests", the buttons of notices), `staff_sites` (sites),
`staff_review` (the review queue), `export` (spreadsheets) and `common` (what they share, with
the periodic expiry of offers); this module plugs them into the app.
"""

from __future__ import annotations

from bot.core.flow import BotApp, Command, Context, MenuEntry, PeriodicJob
from bot.handlers.families.common import (
    EXPIRY_JOB_ID,
    INFO_PREFIX,
    OFFER_PREFIX,
    expire_offers,
)
from bot.handlers.families.family import (
    FamiliesMenu,
    InfoAnswer,
    MyRequests,
    SitePicker,
    families_entry,
    my_data_lines,
    on_info,
    on_offer,
    release_stalls,
)
from bot.handlers.families.forms import FamilyForm, StallRequestForm
from bot.handlers.families.staff_review import REVIEW, Review
from bot.handlers.families.staff_sites import SITES_ADMIN, SiteForm, SitesAdmin

EXPIRY_EVERY_SECONDS = 60.0


async def _sites(ctx: Context) -> None:
    await ctx.goto(SITES_ADMIN)


async def _review(ctx: Context) -> None:
    await ctx.goto(REVIEW)


def register(app: BotApp) -> None:
    for flow in (
        FamiliesMenu(),
        FamilyForm(),
        SitePicker(),
        StallRequestForm(),
        MyRequests(),
        InfoAnswer(),
        SitesAdmin(),
        SiteForm(),
        Review(),
    ):
        app.add_flow(flow)
    app.add_global_choice(OFFER_PREFIX, on_offer)
    app.add_global_choice(INFO_PREFIX, on_info)
    app.add_menu_entry(MenuEntry("fam", "fam.menu_entry", families_entry, order=20))
    app.add_menu_entry(
        MenuEntry("frv", "fam.staff.review", _review, order=20, staff_only=True), staff=True
    )
    app.add_menu_entry(
        MenuEntry("fsa", "fam.staff.sites", _sites, order=21, staff_only=True), staff=True
    )
    app.add_command(Command("families", families_entry, "cmd.families"))
    app.add_periodic(PeriodicJob(EXPIRY_JOB_ID, EXPIRY_EVERY_SECONDS, expire_offers))
    app.data_sections.append(my_data_lines)
    app.before_delete.append(release_stalls)
