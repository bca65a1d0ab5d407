"""PDPL rights in the chat: see everything stored about you, correct it, delete it."""

from __future__ import annotations

from typing import Any

from bot.core.flow import BotApp, Command, Context, Flow, pressed_value
from bot.core.messages import Inbound
from bot.core.unit import Unit
from bot.handlers.volunteers.signup import VOLUNTEER_FORM, VolunteerForm, volunteer_values
from storage import inbound
from storage import repositories as repo

MY_DATA = "md"


class MyDataFlow(Flow):
    name = MY_DATA

    def __init__(self, form: VolunteerForm) -> None:
        self.form = form

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == "del":
            self._ask_delete(ctx)
            return
        ctx.set_step("main")
        tr = ctx.tr
        user = ctx.user
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
        volunteer = await repo.volunteer_for_user(ctx.session, user.id)
        choices = []
        if volunteer is None:
            lines.append(tr.t("mydata.no_profile"))
        else:
            lines.append(tr.t("mydata.profile"))
            lines += self.form.summary_lines(ctx, volunteer_values(volunteer, ctx.today))
            choices.append(ctx.choice("main", "edit", "mydata.correct"))
        for section in ctx.app.data_sections:
            lines += await section(ctx)
        lines.append(tr.t("mydata.rights"))
        choices += [
            ctx.choice("main", "del", "mydata.delete"),
            ctx.choice("main", "back", "mydata.back"),
        ]
        ctx.reply("\n".join(lines), choices)

    def _ask_delete(self, ctx: Context) -> None:
        ctx.set_step("del")
        ctx.reply(
            ctx.tr.t("mydata.delete_confirm"),
            [
                ctx.choice("del", "yes", "mydata.delete_yes"),
                ctx.choice("del", "no", "mydata.delete_no"),
            ],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if ctx.state.step == "del":
            if value == "yes":
                await self._delete(ctx)
            elif value == "no":
                ctx.set_step("main")
                await self.show(ctx)
            else:
                self._ask_delete(ctx)
            return
        if value == "edit":
            volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
            if volunteer is not None:
                values = volunteer_values(volunteer, ctx.today)
                await ctx.goto(VOLUNTEER_FORM, {"values": values})
                return
        if value == "del":
            self._ask_delete(ctx)
        elif value == "back":
            await ctx.home()
        else:
            await self.show(ctx)

    async def _delete(self, ctx: Context) -> None:
        user_id = ctx.user.id
        for release in ctx.app.before_delete:
            await release(ctx.unit, user_id)
        await repo.delete_user(ctx.session, user_id)
        # The loaded rows are gone; forget them so the commit does not try to update them.
        ctx.session.expunge_all()
        await repo.add_audit(ctx.session, f"user:{user_id}", "user.deleted_own_data")
        ctx.user_deleted = True
        ctx.say("mydata.deleted")


async def purge_stored_bodies(unit: Unit, user_id: int) -> None:
    """Webhook bodies not yet processed (or kept after failing) hold the person's number,
    name and words: they go at once, with everything else."""
    await inbound.purge_person(unit.session, user_id)


async def cmd_my_data(ctx: Context) -> None:
    await ctx.goto(MY_DATA)


def register(app: BotApp, form: VolunteerForm) -> None:
    app.add_flow(MyDataFlow(form))
    app.add_command(Command("mydata", cmd_my_data, "cmd.mydata"))
    app.before_delete.append(purge_stored_bodies)
