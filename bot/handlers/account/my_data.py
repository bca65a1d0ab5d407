"""PDPL rights in the chat: see everything stored about you, correct it, delete it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.core.choice_ids import pressed_value
from bot.core.flow import BotApp, Command, Context, Flow
from bot.core.messages import Inbound
from bot.handlers.common import MY_DATA
from bot.handlers.volunteers.signup import VOLUNTEER_FORM, VolunteerForm, volunteer_values
from bot.services import access_needs, people
from bot.services.family_notices import site_name

__all__ = ["MY_DATA", "MyDataFlow", "register"]


class Step(StrEnum):
    MAIN = "main"
    DELETE = "del"  # asking to confirm the deletion


class Press(StrEnum):
    EDIT = "edit"
    WITHDRAW = "wacc"  # withdraw the access-needs consent: the needs are deleted
    DELETE = "del"
    BACK = "back"
    YES = "yes"
    NO = "no"


class MyDataFlow(Flow):
    name = MY_DATA

    def __init__(self, form: VolunteerForm) -> None:
        self.form = form

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == Step.DELETE:
            await self._ask_delete(ctx)
            return
        ctx.set_step(Step.MAIN)
        tr = ctx.tr
        user = ctx.user
        stored = await people.stored_data(ctx.unit, user.id)
        lines = [tr.t("mydata.title")]
        lines.append(tr.t("mydata.language", value=tr.label("lang.name")))
        if user.consent_at is not None:
            lines.append(
                tr.t(
                    "mydata.consent",
                    version=user.consent_version or "",
                    when=ctx.fmt_datetime(user.consent_at),
                )
            )
        if ctx.is_staff:
            lines.append(tr.t("mydata.role", value=tr.label(f"role.{ctx.role}")))
        volunteer = stored.volunteer
        choices = []
        if volunteer is None:
            lines.append(tr.t("mydata.no_profile"))
        else:
            lines.append(tr.t("mydata.profile"))
            lines += self.form.summary_lines(ctx, volunteer_values(volunteer, ctx.today))
            choices.append(ctx.choice(Step.MAIN, Press.EDIT, "mydata.correct"))
            if volunteer.access_consent_at is not None:
                choices.append(ctx.choice(Step.MAIN, Press.WITHDRAW, "acc.btn.withdraw"))
        for section in ctx.app.data_sections:
            lines += await section(ctx)
        lines.append(tr.t("mydata.rights"))
        choices += [
            ctx.choice(Step.MAIN, Press.DELETE, "mydata.delete"),
            ctx.choice(Step.MAIN, Press.BACK, "mydata.back"),
        ]
        ctx.reply("\n".join(lines), choices)

    async def _ask_delete(self, ctx: Context) -> None:
        ctx.set_step(Step.DELETE)
        ctx.reply(
            await deletion_warning(ctx),
            [
                ctx.choice(Step.DELETE, Press.YES, "mydata.delete_yes"),
                ctx.choice(Step.DELETE, Press.NO, "mydata.delete_no"),
            ],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if ctx.state.step == Step.DELETE:
            if value == Press.YES:
                await self._delete(ctx)
            elif value == Press.NO:
                ctx.set_step(Step.MAIN)
                await self.show(ctx)
            else:
                await self._ask_delete(ctx)
            return
        if value == Press.EDIT:
            volunteer = (await people.stored_data(ctx.unit, ctx.user.id)).volunteer
            if volunteer is not None:
                values = volunteer_values(volunteer, ctx.today)
                await ctx.goto(VOLUNTEER_FORM, {"values": values})
                return
        if value == Press.WITHDRAW:
            if await access_needs.withdraw_consent(ctx.unit, ctx.user.id):
                ctx.say("acc.withdrawn")
            await self.show(ctx)
        elif value == Press.DELETE:
            await self._ask_delete(ctx)
        elif value == Press.BACK:
            await ctx.home()
        else:
            await self.show(ctx)

    async def _delete(self, ctx: Context) -> None:
        await people.delete_person(ctx.unit, ctx.user.id, ctx.app.before_delete)
        ctx.user_deleted = True
        ctx.say("mydata.deleted")


async def deletion_warning(ctx: Context) -> str:
    """The question before deleting, naming what this person has (only what exists), and first
    of all any stall their family holds: it passes to the next family waiting, and the staff
    are told."""
    tr = ctx.tr
    held = await people.holdings(ctx.unit, ctx.user.id)
    lines = [tr.t("mydata.delete_confirm")]
    for request, site in held.held_stalls:
        lines.append(
            tr.t(
                "mydata.delete_stall",
                stall=request.stall_number or "",
                site=site_name(site, tr.locale),
                start=ctx.fmt_date(request.start_date),
                end=ctx.fmt_date(request.end_date),
            )
        )
    lines.append(tr.t("mydata.delete_account"))
    if held.volunteer:
        lines.append(tr.t("mydata.delete_profile"))
    if held.upcoming_registrations:
        lines.append(tr.tn("mydata.delete_registrations", held.upcoming_registrations))
    if held.family_name is not None:
        lines.append(tr.t("mydata.delete_family", name=held.family_name))
    if held.stall_requests:
        lines.append(tr.tn("mydata.delete_requests", held.stall_requests))
    lines.append(tr.t("mydata.delete_final"))
    return "\n".join(lines)


async def cmd_my_data(ctx: Context) -> None:
    await ctx.goto(MY_DATA)


def register(app: BotApp, form: VolunteerForm) -> None:
    app.add_flow(MyDataFlow(form))
    app.add_command(Command("mydata", cmd_my_data, "cmd.mydata"))
