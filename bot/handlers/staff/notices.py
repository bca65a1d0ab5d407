"""Staff notices of new work (issue 13 §4), the chat side: the buttons in those notices, the
screen where a staff member chooses each notice or one daily digest, and the digest job. The
rules (who is told, when, what the digest counts) are in `bot.services.staff_notices`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import ChoiceRef, pressed_value
from bot.core.flow import BotApp, Context, Flow, JobEnv, MenuEntry, PeriodicJob
from bot.core.messages import Inbound
from bot.core.unit import Actor, Unit
from bot.handlers.broadcasts.broadcast import SCHEDULED
from bot.handlers.events.common import EVENT_ADMIN
from bot.handlers.events.staff_registrants import RegistrantScreens
from bot.handlers.families.staff_review import REVIEW
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services import staff_notices as svc
from bot.services.errors import ServiceError
from storage import events as event_store

PREFERENCES_FLOW = "stnp"
MENU_VALUE = "stn"
DIGEST_JOB_ID = "staff.digest"
DIGEST_JOB_SECONDS = 300.0  # the digest goes out within five minutes of its hour
BACK = "back"
PREFERENCE_LABELS = {svc.EACH: "stn.pref.each", svc.DIGEST: "stn.pref.digest"}


class Step(StrEnum):
    PICK = "pick"  # the preference screen's one step


async def on_notice_button(ctx: Context, ref: ChoiceRef) -> None:
    """A button in a staff notice: open the work it is about in the staff flow that does it."""
    if not ctx.is_staff:
        # Checked here rather than with `staff_only=True` on the prefix: the same answer as
        # the engine's, and each flow these buttons open is itself staff only.
        ctx.say("staff.only")
        await ctx.show_current()
        return
    target = int(ref.value) if ref.value.isdigit() else 0
    if ref.step == svc.OPEN_REQUEST:
        await ctx.goto(REVIEW, {"rid": target})
    elif ref.step == svc.OPEN_SHIFT:
        await _open_registrants(ctx, target)
    elif ref.step == svc.OPEN_BROADCAST:
        await ctx.goto(SCHEDULED)
    else:
        await ctx.show_current()


async def _open_registrants(ctx: Context, shift_id: int) -> None:
    shift = await event_store.get_shift(ctx.session, shift_id)
    if shift is None:
        ctx.say("ev.err.gone")
        await ctx.goto(EVENT_ADMIN)
        return
    await ctx.goto(EVENT_ADMIN, {"eid": shift.event_id, "sid": shift.id})
    flow = ctx.app.flows[EVENT_ADMIN]
    if ctx.state.flow == EVENT_ADMIN and isinstance(flow, RegistrantScreens):
        # The panel opens at the shift; the notice is about its registrants, so the shift's
        # screen is replaced by theirs (one message, where "back" leads to the shift).
        ctx.replies.pop()
        await flow.show_registrants(ctx)


class NoticePreferences(Flow):
    """Each notice as it happens, or one daily digest."""

    name = PREFERENCES_FLOW
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(Step.PICK)
        current = svc.notice_preference(ctx.orm_user)
        text = ctx.tr.t("stn.pref.title", current=ctx.tr.label(PREFERENCE_LABELS[current]))
        choices = [
            ctx.choice(Step.PICK, value, label) for value, label in PREFERENCE_LABELS.items()
        ]
        choices.append(ctx.choice(Step.PICK, BACK, "mydata.back"))
        ctx.reply(text, choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value == BACK:
            await ctx.goto(STAFF_PANEL)
            return
        if value in PREFERENCE_LABELS:
            try:
                chosen = await svc.set_notice_preference(ctx.unit, value)
            except ServiceError as err:
                ctx.say(err.msgid, **err.params)
            else:
                ctx.say("stn.pref.saved", choice=ctx.tr.label(PREFERENCE_LABELS[chosen]))
                await ctx.goto(STAFF_PANEL)
                return
        await self.show(ctx)


async def send_digests(env: JobEnv, now: datetime) -> int:
    """The periodic job: the daily digests that are due, in one transaction acted by the
    system; returns how many it queued."""
    async with env.db.transaction() as session:
        return await svc.send_digests(
            Unit(session, Actor.system(), now, env.catalogs, env.settings)
        )


async def _preferences(ctx: Context) -> None:
    await ctx.goto(PREFERENCES_FLOW)


def register(app: BotApp) -> None:
    app.add_flow(NoticePreferences())
    app.add_global_choice(svc.PREFIX, on_notice_button)
    app.add_menu_entry(
        MenuEntry(MENU_VALUE, "stn.menu", _preferences, order=80, staff_only=True), staff=True
    )
    app.add_periodic(PeriodicJob(DIGEST_JOB_ID, DIGEST_JOB_SECONDS, send_digests))
