"""Agreements with partners in chat: for now only the daily job that reminds staff before an
agreement ends and expires it after (`bot.services.agreements`); staff record agreements in
the web workspace."""

from __future__ import annotations

from datetime import datetime

from bot.core.flow import BotApp, JobEnv, PeriodicJob
from bot.core.unit import Actor, Unit
from bot.services import agreements as svc

REMINDER_JOB_ID = "agreements.remind_and_expire"
# Hourly: the work is daily (local days; the reminders' keys keep each to once), but a
# process restarted late in a day should not wait a day for it.
REMINDER_JOB_SECONDS = 3600.0


async def remind_and_expire(env: JobEnv, now: datetime) -> int:
    """The periodic job, in one transaction acted by the system: how many reminders queued."""
    async with env.db.transaction() as session:
        return await svc.remind_and_expire(
            Unit(session, Actor.system(), now, env.catalogs, env.settings)
        )


def register(app: BotApp) -> None:
    app.add_periodic(PeriodicJob(REMINDER_JOB_ID, REMINDER_JOB_SECONDS, remind_and_expire))
