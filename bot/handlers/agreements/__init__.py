"""Agreements with partners in chat: `/agreements`, a read-only list for staff (those not
expired, ending soonest first, with the link to the web workspace where they are recorded), and
the daily job that reminds staff before an agreement ends and expires it after
(`bot.services.agreements`)."""

from __future__ import annotations

from datetime import datetime

from bot.core.dates import fmt_date
from bot.core.flow import BotApp, Command, Context, JobEnv, PeriodicJob
from bot.core.unit import Actor, Unit
from bot.services import agreements as svc
from bot.services.errors import ServiceError
from storage.agreements import EXPIRED

REMINDER_JOB_ID = "agreements.remind_and_expire"
# Hourly: the work is daily (local days; the reminders' keys keep each to once), but a
# process restarted late in a day should not wait a day for it.
REMINDER_JOB_SECONDS = 3600.0
LISTED = 10  # agreements shown in chat; the web lists them all


async def cmd_agreements(ctx: Context) -> None:
    try:
        found = await svc.list_agreements(ctx.unit)
    except ServiceError as err:
        ctx.say(err.msgid, **err.params)
        return
    current = [(a, p) for a, p in found if a.status != EXPIRED]
    if not current:
        ctx.say("agr.chat.none")
        return
    tr = ctx.tr
    lines = [
        tr.label(
            "agr.chat.line",
            title=a.title,
            partner=svc.partner_name(p, tr.locale),
            end=fmt_date(tr, a.end_date),
            status=tr.label(f"agr.status.{a.status}"),
        )
        for a, p in current[:LISTED]
    ]
    link = f"{str(ctx.unit.settings.web_base_url).rstrip('/')}/agreements"
    ctx.say("agr.chat.list", lines="\n".join(lines), link=link)


async def remind_and_expire(env: JobEnv, now: datetime) -> int:
    """The periodic job, in one transaction acted by the system: how many reminders queued."""
    async with env.db.transaction() as session:
        return await svc.remind_and_expire(
            Unit(session, Actor.system(), now, env.catalogs, env.settings)
        )


def register(app: BotApp) -> None:
    app.add_command(Command("agreements", cmd_agreements, "cmd.agreements", staff_only=True))
    app.add_periodic(PeriodicJob(REMINDER_JOB_ID, REMINDER_JOB_SECONDS, remind_and_expire))
