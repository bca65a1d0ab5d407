"""What an event's chat screen adds for partner initiatives: the partner's name on an event
opened for one of its initiatives, and, for a registered family, "request a stall here" on an
event that hosts a market site (leading into the families' own stall request flow)."""

from __future__ import annotations

from bot.core.flow import Context
from bot.core.messages import Choice
from bot.handlers.families.common import REQUEST_FORM
from bot.handlers.initiatives.common import say_error
from bot.services import families as family_service
from bot.services.errors import ServiceError
from bot.services.family_notices import site_name
from storage import families as fam
from storage import initiatives as store
from storage.models_events import Event

STALL_HERE = "st"  # "st<site id>": request a stall at that site


async def extras(ctx: Context, event: Event, step: str) -> tuple[list[str], list[Choice]]:
    """Lines and buttons to add to the event's screen."""
    lines: list[str] = []
    choices: list[Choice] = []
    partner = await store.partner_of_event(ctx.session, event)
    if partner is not None:
        name = partner.name_en if ctx.tr.locale == "en" and partner.name_en else partner.name_ar
        lines.append(ctx.tr.t("ini.event.partner", partner=name))
    sites = await store.sites_of_event(ctx.session, event.id)
    if sites and await fam.family_for_user(ctx.session, ctx.user.id) is not None:
        for site in sites:
            choices.append(
                ctx.choice(
                    step,
                    f"{STALL_HERE}{site.id}",
                    "ini.event.stall_here",
                    site=site_name(site, ctx.tr.locale),
                )
            )
    return lines, choices


async def request_stall_here(ctx: Context, site_id: int) -> bool:
    """Into the stall request form for the site, when the family may apply there now; False
    (with the reason said) when it may not."""
    try:
        await family_service.check_can_apply(ctx.unit, site_id)
    except ServiceError as err:
        say_error(ctx, err)
        return False
    await ctx.goto(REQUEST_FORM, {"site": site_id})
    return True
