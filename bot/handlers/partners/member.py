"""What a partner's people see: the partners menu (register, join, their standing), joining an
organisation as a representative, "my organisation", and answering a question from staff."""

from __future__ import annotations

from typing import Any

from bot.core.choice_ids import ChoiceRef, number_after, pressed_value
from bot.core.flow import ALL_STEPS, Context, Flow
from bot.core.messages import Inbound, InboundKind
from bot.core.validators import Invalid, parse_announcement, parse_name
from bot.handlers.partners.common import (
    BACK,
    INFO_ANSWER,
    JOIN,
    MY_ORGANISATION,
    PARTNER_FORM,
    PARTNERS_MENU,
    say_error,
    show_name,
    status_label,
    type_label,
)
from bot.services import partners as svc
from bot.services.errors import ServiceError
from storage import partners as store

REGISTER, JOIN_ONE, MINE = "reg", "join", "mine"
WITHDRAW = "w"  # "w<id>": withdraw the registration of organisation <id> (asked to confirm)
YES, NO = "y", "n"
PICK = "g"  # "g<id>": a government body picked by name
ASK = "a"
CANCEL = "x"


class PartnersMenu(Flow):
    name = PARTNERS_MENU

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == "wc" and ctx.state.data.get("pid"):
            await self._ask_withdraw(ctx, int(ctx.state.data["pid"]))
            return
        ctx.set_step("m")
        lines = [ctx.tr.t("ptn.menu_title")]
        withdrawable = []
        for member, partner in await svc.my_memberships(ctx.unit):
            lines.append(
                ctx.tr.t(
                    "ptn.menu_line",
                    name=show_name(ctx, partner),
                    status=status_label(ctx, partner.status),
                    member=ctx.tr.label(f"ptn.member.{member.status}"),
                )
            )
            if await svc.can_withdraw(ctx.unit, partner):
                withdrawable.append(partner)
        choices = [
            ctx.choice("m", REGISTER, "ptn.menu.register"),
            ctx.choice("m", JOIN_ONE, "ptn.menu.join"),
        ]
        choices += [
            ctx.choice("m", f"{WITHDRAW}{p.id}", "ptn.menu.withdraw", name=show_name(ctx, p))
            for p in withdrawable
        ]
        if await svc.acting_for(ctx.unit):
            choices.append(ctx.choice("m", MINE, "ptn.my.menu_entry"))
        choices.append(ctx.choice("m", BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if ctx.state.step == "wc":
            if value in (YES, NO):
                await self._withdraw(ctx, value == YES)
            else:
                ctx.say("form.err.use_choices")
                await self._ask_withdraw(ctx, int(ctx.state.data.get("pid", 0)))
            return
        target = {REGISTER: PARTNER_FORM, JOIN_ONE: JOIN, MINE: MY_ORGANISATION}.get(value)
        if target:
            await ctx.goto(target)
        elif value == BACK:
            await ctx.home()
        elif (pid := number_after(value, WITHDRAW)) is not None:
            await self._ask_withdraw(ctx, pid)
        else:
            await self.show(ctx)

    async def _ask_withdraw(self, ctx: Context, partner_id: int) -> None:
        """Withdrawing cannot be undone (the person registers again): asked to confirm."""
        partner = await store.get_partner(ctx.session, partner_id)
        if partner is None or not await svc.can_withdraw(ctx.unit, partner):
            ctx.say("ptn.err.not_pending")
            ctx.state.data = {}
            ctx.set_step("m")
            await self.show(ctx)
            return
        ctx.set_step("wc")
        ctx.state.data = {"pid": partner_id}
        ctx.reply(
            ctx.tr.t("ptn.withdraw.confirm_q", name=show_name(ctx, partner)),
            [
                ctx.choice("wc", YES, "ptn.withdraw.yes"),
                ctx.choice("wc", NO, "ptn.withdraw.no"),
            ],
        )

    async def _withdraw(self, ctx: Context, confirmed: bool) -> None:
        partner_id = int(ctx.state.data.pop("pid", 0))
        ctx.set_step("m")
        if confirmed:
            try:
                partner = await svc.withdraw_partner(ctx.unit, partner_id)
            except ServiceError as err:
                say_error(ctx, err)
            else:
                ctx.say("ptn.withdraw.done", name=show_name(ctx, partner))
        await self.show(ctx)


class Join(Flow):
    """Steps: which organisation (a unified number typed, or a government body picked) →
    the person's name → asked; staff confirm or reject."""

    name = JOIN
    typed_steps = frozenset({ALL_STEPS})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.data.get("pid"):
            ctx.set_step("name")
            ctx.reply(ctx.tr.t("ptn.join.name_q"), [ctx.choice("name", CANCEL, "form.cancel")])
            return
        ctx.set_step("which")
        choices = [
            ctx.choice("which", f"{PICK}{p.id}", "ptn.join.pick", name=show_name(ctx, p))
            for p in await svc.joinable_government(ctx.unit)
        ]
        choices.append(ctx.choice("which", CANCEL, "form.cancel"))
        ctx.reply(ctx.tr.t("ptn.join.which_q"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value == CANCEL:
            ctx.state.data = {}
            await ctx.goto(PARTNERS_MENU)
            return
        try:
            if ctx.state.step == "name":
                await self._join(ctx, inbound)
                return
            picked = number_after(value, PICK)
            if picked is None:
                if inbound.kind is not InboundKind.TEXT:
                    raise Invalid("err.expected_text")
                _kind, number = svc.parse_reg_number(inbound.text)
                partner = await svc.registered_with(ctx.unit, number)
                if partner is None:
                    raise Invalid("ptn.err.not_found")
                picked = partner.id
            ctx.state.data["pid"] = picked
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
        await self.show(ctx)

    async def _join(self, ctx: Context, inbound: Inbound) -> None:
        if inbound.kind is not InboundKind.TEXT:
            raise Invalid("err.expected_text")
        name = parse_name(inbound.text)
        try:
            await svc.join_partner(ctx.unit, int(ctx.state.data["pid"]), name)
        except ServiceError as err:
            say_error(ctx, err)
        else:
            ctx.say("ptn.join.asked")
        ctx.state.data = {}
        await ctx.goto(PARTNERS_MENU)


class MyOrganisation(Flow):
    """Read-only: each organisation the person acts for, its representatives and initiatives."""

    name = MY_ORGANISATION

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step("v")
        found = await svc.my_organisations(ctx.unit)
        if not found:
            ctx.say("ptn.my.none")
            await ctx.home()
            return
        tr = ctx.tr
        lines: list[str] = []
        sep = tr.label("form.list_sep")
        for org in found:
            lines.append(
                tr.t(
                    "ptn.my.org",
                    name=show_name(ctx, org.partner),
                    type=type_label(ctx, org.partner.type),
                    status=status_label(ctx, org.partner.status),
                    reps=sep.join(org.representatives),
                )
            )
            lines.append(tr.tn("ptn.my.initiatives", len(org.initiatives)))
            for initiative in org.initiatives:
                lines.append(
                    tr.t(
                        "ptn.my.initiative",
                        title=initiative.title,
                        status=status_label(ctx, initiative.status),
                    )
                )
        ctx.reply("\n".join(lines), [ctx.choice("v", BACK, "form.back")])

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        if pressed_value(inbound) == BACK:
            await ctx.home()
        else:
            await self.show(ctx)


async def on_info(ctx: Context, ref: ChoiceRef) -> None:
    """The button of a question notice: answer it, if staff are still waiting."""
    partner_id = int(ref.value) if ref.value.isdigit() else 0
    try:
        await svc.check_info_needed(ctx.unit, partner_id)
    except ServiceError as err:
        say_error(ctx, err)
        await ctx.show_current()
        return
    await ctx.goto(INFO_ANSWER, {"pid": partner_id})


class InfoAnswer(Flow):
    name = INFO_ANSWER
    typed_steps = frozenset({ALL_STEPS})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {"pid": int(params.get("pid", 0))}
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(ASK)
        partner = await store.get_partner(ctx.session, int(ctx.state.data.get("pid", 0)))
        question = partner.info_request if partner is not None else ""
        ctx.reply(
            ctx.tr.t("ptn.info.prompt", question=question or ""),
            [ctx.choice(ASK, CANCEL, "form.cancel")],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        if pressed_value(inbound) == CANCEL:
            ctx.state.data = {}
            await ctx.home()
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            answer = parse_announcement(inbound.text, limit=svc.REPLY_MAX)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            await self.show(ctx)
            return
        try:
            await svc.answer_partner_info(ctx.unit, int(ctx.state.data.get("pid", 0)), answer)
        except ServiceError as err:
            say_error(ctx, err)
        else:
            ctx.say("ptn.info.thanks")
        ctx.state.data = {}
        await ctx.home()


async def my_data_lines(ctx: Context) -> list[str]:
    """For "my data": each organisation the person registered or asked to act for."""
    found = await svc.my_memberships(ctx.unit)
    if not found:
        return []
    lines = [ctx.tr.t("ptn.mydata_title")]
    for member, partner in found:
        lines.append(
            ctx.tr.t(
                "ptn.menu_line",
                name=show_name(ctx, partner),
                status=status_label(ctx, partner.status),
                member=ctx.tr.label(f"ptn.member.{member.status}"),
            )
        )
    return lines
