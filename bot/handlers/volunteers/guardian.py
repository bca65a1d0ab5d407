"""A minor's guardian confirms (bot.services.guardians): the minor types the code sent to the
guardian's number, or is told that the team will confirm with the guardian before the first
shift. Reached after sign-up, by /guardian, and from "my data"."""

from __future__ import annotations

from typing import Any

from bot.core.choice_ids import pressed_value
from bot.core.flow import ALL_STEPS, BotApp, Command, Context, Flow
from bot.core.messages import Inbound, InboundKind
from bot.handlers.common import show_mobile
from bot.handlers.volunteers.signup import GUARDIAN_FLOW
from bot.services import guardians
from bot.services import volunteers as volunteer_service
from bot.services.errors import ServiceError
from bot.services.guardians import CodeCheck, Confirmation

CODE = "code"  # the flow's one step
RESEND, LATER = "again", "later"


class GuardianFlow(Flow):
    name = GUARDIAN_FLOW
    # The code is typed as digits: "1" is a digit of it, never the first button.
    typed_steps = frozenset({ALL_STEPS})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        volunteer = await volunteer_service.volunteer_profile(ctx.unit, ctx.user.id)
        if volunteer is None:
            await ctx.home()
            return
        found = await guardians.state(ctx.unit, volunteer)
        if found in (Confirmation.NOT_NEEDED, Confirmation.CONFIRMED):
            ctx.say("vol.guardian.already_confirmed")
            await ctx.home()
        elif found is Confirmation.CODE_SENT:
            await self.show(ctx)
        else:
            await self._send(ctx)

    async def _send(self, ctx: Context) -> None:
        try:
            sent = await guardians.send_code(ctx.unit)
        except ServiceError as err:  # no more codes: the team confirms
            ctx.say(err.msgid)
            sent = False
        if not sent:
            ctx.say("vol.guardian.staff_will_confirm")
            await ctx.home()
            return
        ctx.say("vol.guardian.code_sent")
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(CODE)
        choices = []
        if await guardians.sends_left(ctx.unit) > 0:
            choices.append(ctx.choice(CODE, RESEND, "vol.guardian.resend"))
        choices.append(ctx.choice(CODE, LATER, "vol.guardian.later"))
        volunteer = await volunteer_service.volunteer_profile(ctx.unit, ctx.user.id)
        mobile = volunteer.guardian_mobile if volunteer else None
        ctx.reply(ctx.tr.t("vol.guardian.q.code", mobile=show_mobile(ctx, mobile or "")), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        pressed = pressed_value(inbound)
        if pressed == RESEND:
            await self._send(ctx)
            return
        if pressed == LATER:
            ctx.say("vol.guardian.later_note")
            await ctx.home()
            return
        if inbound.kind is not InboundKind.TEXT:
            ctx.say("vol.guardian.err.wrong")
            await self.show(ctx)
            return
        result = await guardians.confirm_code(ctx.unit, inbound.text)
        if result.check is CodeCheck.CONFIRMED:
            ctx.say("vol.guardian.confirmed")
            await ctx.home()
        elif result.check is CodeCheck.WRONG:
            ctx.say("vol.guardian.err.wrong")
            await self.show(ctx)
        else:  # locked, expired or none: a new code if one may be sent, else the team
            ctx.say(f"vol.guardian.err.{result.check.value}")
            if await guardians.sends_left(ctx.unit) > 0:
                await self._offer_new(ctx)
            else:
                ctx.say("vol.guardian.staff_will_confirm")
                await ctx.home()

    async def _offer_new(self, ctx: Context) -> None:
        ctx.set_step(CODE)
        ctx.reply(
            ctx.tr.t("vol.guardian.new_code"),
            [
                ctx.choice(CODE, RESEND, "vol.guardian.resend"),
                ctx.choice(CODE, LATER, "vol.guardian.later"),
            ],
        )


async def my_data_lines(ctx: Context) -> list[str]:
    """For "my data": whether the guardian has confirmed (a minor's profile only)."""
    volunteer = await volunteer_service.volunteer_profile(ctx.unit, ctx.user.id)
    if volunteer is None:
        return []
    found = await guardians.state(ctx.unit, volunteer)
    if found is Confirmation.NOT_NEEDED:
        return []
    return [ctx.tr.t(guardians.state_msgid(volunteer, found))]


async def cmd_guardian(ctx: Context) -> None:
    await ctx.goto(GUARDIAN_FLOW)


def register(app: BotApp) -> None:
    app.add_flow(GuardianFlow())
    app.add_command(Command("guardian", cmd_guardian, "cmd.guardian"))
    app.data_sections.append(my_data_lines)
