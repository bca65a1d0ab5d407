"""What a partner's representative sees: the main-menu entries (only for confirmed
representatives of an approved partner), "my initiatives" with their statuses, and answering
a question from staff (from the notice's button or from the list)."""

from __future__ import annotations

from typing import Any

from bot.core.choice_ids import ChoiceRef, number_after, pressed_value
from bot.core.flow import ALL_STEPS, Context, Flow
from bot.core.labels import person_facts
from bot.core.messages import Choice, Inbound, InboundKind
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.initiatives.common import (
    BACK,
    INFO_ANSWER,
    MY_INITIATIVES,
    PROPOSE_FORM,
    initiative_lines,
    say_error,
)
from bot.services import initiatives as svc
from bot.services.errors import ServiceError
from storage import initiatives as store
from storage.models_partners import INFO

LIST = "list"
ASK = "ask"
ANSWER = "a"  # "a<id>": answer staff's question about initiative <id>
PROPOSE = "new"
CANCEL_TYPING = "_c"
WITHDRAW = "w"  # "w<id>": withdraw initiative <id> (asked to confirm)
CONFIRM_WITHDRAW = "wc"
YES, NO = "y", "n"


# --- the main menu's entries ---------------------------------------------------------------------
async def _is_representative(ctx: Context) -> bool:
    # The same question as the partners' own entry, asked once per menu.
    return (await person_facts(ctx)).represents_partner


async def propose_label(ctx: Context) -> str | None:
    return "ini.menu.propose" if await _is_representative(ctx) else None


async def mine_label(ctx: Context) -> str | None:
    return "ini.menu.mine" if await _is_representative(ctx) else None


async def propose_entry(ctx: Context) -> None:
    """The menu entry and the /initiative command: others are told politely who may."""
    if not await _is_representative(ctx):
        ctx.say("ini.err.not_representative")
        await ctx.show_current()
        return
    await ctx.goto(PROPOSE_FORM)


async def mine_entry(ctx: Context) -> None:
    await ctx.goto(MY_INITIATIVES)


# --- my initiatives ------------------------------------------------------------------------------
class MyInitiatives(Flow):
    name = MY_INITIATIVES

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == CONFIRM_WITHDRAW and ctx.state.data.get("iid"):
            await self._ask_withdraw(ctx, int(ctx.state.data["iid"]))
            return
        ctx.set_step(LIST)
        try:
            found = await svc.my_initiatives(ctx.unit)
        except ServiceError as err:
            say_error(ctx, err)
            await ctx.home()
            return
        choices: list[Choice] = []
        title = ctx.tr.tn("ini.my.title", len(found)) if found else ctx.tr.t("ini.my.none")
        blocks = [title]
        for initiative in found:
            blocks.append("\n".join(initiative_lines(ctx, initiative)))
            if initiative.status == INFO:
                choices.append(
                    ctx.choice(
                        LIST, f"{ANSWER}{initiative.id}", "ini.my.answer_n", id=initiative.id
                    )
                )
            if initiative.status in svc.CAN_WITHDRAW:
                choices.append(
                    ctx.choice(
                        LIST, f"{WITHDRAW}{initiative.id}", "ini.my.withdraw_n", id=initiative.id
                    )
                )
        choices.append(ctx.choice(LIST, PROPOSE, "ini.menu.propose"))
        choices.append(ctx.choice(LIST, BACK, "form.back"))
        ctx.reply("\n\n".join(blocks), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if ctx.state.step == CONFIRM_WITHDRAW:
            await self._on_confirm(ctx, value)
            return
        initiative_id = number_after(value, ANSWER)
        withdrawn = number_after(value, WITHDRAW)
        if initiative_id is not None:
            await _open_answer(ctx, initiative_id)
        elif withdrawn is not None:
            await self._ask_withdraw(ctx, withdrawn)
        elif value == PROPOSE:
            await ctx.goto(PROPOSE_FORM)
        elif value == BACK:
            await ctx.home()
        else:
            ctx.say("form.err.use_choices")
            await self.show(ctx)

    async def _ask_withdraw(self, ctx: Context, initiative_id: int) -> None:
        """Withdrawing cannot be undone (the partner proposes it again): asked to confirm."""
        try:
            initiative = await svc.own_initiative(ctx.unit, initiative_id)
        except ServiceError as err:
            say_error(ctx, err)
            ctx.state.data = {}
            ctx.set_step(LIST)
            await self.show(ctx)
            return
        ctx.set_step(CONFIRM_WITHDRAW)
        ctx.state.data = {"iid": initiative_id}
        ctx.reply(
            ctx.tr.t("ini.withdraw.confirm_q", id=initiative.id, title=initiative.title),
            [
                ctx.choice(CONFIRM_WITHDRAW, YES, "ini.withdraw.yes"),
                ctx.choice(CONFIRM_WITHDRAW, NO, "ini.withdraw.no"),
            ],
        )

    async def _on_confirm(self, ctx: Context, value: str) -> None:
        initiative_id = int(ctx.state.data.get("iid", 0))
        if value not in (YES, NO):
            ctx.say("form.err.use_choices")
            await self._ask_withdraw(ctx, initiative_id)
            return
        ctx.state.data = {}
        ctx.set_step(LIST)
        if value == YES:
            try:
                await svc.withdraw_initiative(ctx.unit, initiative_id)
            except ServiceError as err:
                say_error(ctx, err)
            else:
                ctx.say("ini.withdraw.done", id=initiative_id)
        await self.show(ctx)


# --- answering a question from staff -------------------------------------------------------------
async def _open_answer(ctx: Context, initiative_id: int) -> None:
    try:
        await svc.check_needs_info(ctx.unit, initiative_id)
    except ServiceError as err:
        say_error(ctx, err)
        await ctx.show_current()
        return
    await ctx.goto(INFO_ANSWER, {"iid": initiative_id})


async def on_info(ctx: Context, ref: ChoiceRef) -> None:
    """The notice's "answer" button, whatever step the representative is on."""
    await _open_answer(ctx, int(ref.value) if ref.value.isdigit() else 0)


class InfoAnswer(Flow):
    name = INFO_ANSWER
    # Typed, even if it looks like the number of a button.
    typed_steps = frozenset({ALL_STEPS})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {"iid": int(params.get("iid", 0))}
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(ASK)
        initiative_id = int(ctx.state.data.get("iid", 0))
        initiative = await store.get_initiative(ctx.session, initiative_id)
        question = initiative.info_request if initiative is not None else ""
        ctx.reply(
            ctx.tr.t("ini.info.prompt", id=initiative_id, question=question or ""),
            [ctx.choice(ASK, CANCEL_TYPING, "form.cancel")],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        if pressed_value(inbound) == CANCEL_TYPING:
            ctx.state.data = {}
            ctx.say("ini.info.cancelled")
            await ctx.goto(MY_INITIATIVES)
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            answer = parse_announcement(inbound.text, limit=svc.REPLY_MAX)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            await self.show(ctx)
            return
        initiative_id = int(ctx.state.data.get("iid", 0))
        ctx.state.data = {}
        try:
            await svc.answer_information(ctx.unit, initiative_id, answer)
            ctx.say("ini.info.thanks", id=initiative_id)
        except ServiceError as err:
            say_error(ctx, err)
        await ctx.goto(MY_INITIATIVES)
