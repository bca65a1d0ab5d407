"""Productive families: registration, stall requests, staff review (issue 5).

The package is split by audience: `forms` (the registration and stall-request forms),
`family` (menu, open sites, "my requests", the buttons of notices), `staff_sites` (sites),
`staff_review` (the review queue) and `common` (what they share); the rules are in
`bot.services.families` (requests), `family_sites` (registration, sites), `family_notices` and
`family_reports` (spreadsheets). This module plugs them into the app, with the periodic expiry
of offers.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.flow import BotApp, Command, Context, JobEnv, MenuEntry, PeriodicJob
from bot.core.unit import Actor, Unit
from bot.handlers.families.family import (
    FamiliesMenu,
    InfoAnswer,
    MyRequests,
    SitePicker,
    families_entry,
    my_data_lines,
    on_info,
    on_offer,
)
from bot.handlers.families.family_form import FamilyForm
from bot.handlers.families.staff_review import REVIEW, Review
from bot.handlers.families.staff_sites import SITES_ADMIN, SiteForm, SitesAdmin
from bot.handlers.families.stall_request_form import StallRequestForm
from bot.services.families import expire_due_offers, release_person
from bot.services.family_notices import INFO_PREFIX, OFFER_PREFIX

EXPIRY_JOB_ID = "families.expire_offers"
EXPIRY_EVERY_SECONDS = 60.0


async def expire_offers(env: JobEnv, now: datetime) -> int:
    """The periodic job: expire unconfirmed offers and pass their stalls on, in one
    transaction acted by the system; returns how many notices it queued."""
    async with env.db.transaction() as session:
        return await expire_due_offers(
            Unit(session, Actor.system(), now, env.catalogs, env.settings)
        )


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
    app.before_delete.append(release_person)
