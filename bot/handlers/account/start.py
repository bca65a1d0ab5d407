"""First contact: the language question and the privacy notice (PDPL: notice before collection),
and the commands every user has: /start /menu /help /language /cancel."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.core.choice_ids import pressed_value
from bot.core.flow import BotApp, Command, Context, Flow, Gate
from bot.core.i18n import Translator
from bot.core.messages import Choice, Inbound
from bot.core.text import clean_input, isolate, rtl_lines
from bot.handlers.account.menu import say_help
from bot.handlers.common import LANGUAGE
from bot.services import people

PRIVACY = "pv"

__all__ = ["LANGUAGE", "PRIVACY"]


class Step(StrEnum):
    PICK = "pick"  # the language question
    NOTICE = "notice"  # the privacy notice


ACCEPT, DECLINE = "yes", "no"


class LanguageFlow(Flow):
    name = LANGUAGE

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(Step.PICK)
        # Asked before we know the language: the question is in both, the hinted one first.
        order = [ctx.tr.locale, *(loc for loc in ctx.catalogs.locales if loc != ctx.tr.locale)]
        translators = [ctx.catalogs.translator(loc) for loc in order]
        # The platform's display name is whatever the person typed there: strip bidi controls
        # and isolate it so it cannot reorder the rest of the line.
        name = clean_input(ctx.inbound.display_name or "")[:64]

        def prompt(tr: Translator) -> str:
            text = tr.t("lang.prompt")
            if name:
                text = tr.t("lang.hello", name=isolate(name)) + " " + text
            return rtl_lines(text) if tr.locale == "ar" else text

        text = "\n\n".join(prompt(tr) for tr in translators)
        choices = [
            Choice(ctx.choice(Step.PICK, tr.locale, "lang.name").id, tr.label("lang.name"))
            for tr in sorted(translators, key=lambda t: ctx.catalogs.locales.index(t.locale))
        ]
        ctx.reply(text, choices, bidi_done=True)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        locale = pressed_value(inbound)
        if locale not in ctx.catalogs.locales:
            await self.show(ctx)
            return
        await ctx.use_locale(locale)
        ctx.say("lang.set")
        ctx.state.data = {}
        await ctx.home()


class PrivacyFlow(Flow):
    name = PRIVACY

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(Step.NOTICE)
        ctx.reply(
            ctx.tr.t("privacy.notice", version=ctx.settings.privacy_notice_version),
            [
                ctx.choice(Step.NOTICE, ACCEPT, "privacy.accept"),
                ctx.choice(Step.NOTICE, DECLINE, "privacy.decline"),
            ],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        answer = pressed_value(inbound)
        if answer == ACCEPT:
            await people.accept_privacy_notice(ctx.unit, ctx.user.id)
            ctx.say("privacy.thanks")
            await ctx.home()
        elif answer == DECLINE:
            ctx.say("privacy.declined")
            await self.show(ctx)
        else:
            await self.show(ctx)


def _needs_language(ctx: Context) -> bool:
    return ctx.user.locale is None


def _needs_consent(ctx: Context) -> bool:
    return ctx.user.consent_version != ctx.settings.privacy_notice_version


async def cmd_start(ctx: Context) -> None:
    payload = ctx.inbound.args.strip()
    for handler in ctx.app.start_payloads if payload else ():
        if await handler(ctx, payload):
            # A deep link (a shift's check-in QR) is answered where the person is: a form in
            # progress resumes; unanswered language or privacy questions come first.
            pending = any(g.pending(ctx) for g in ctx.app.gates)
            await ctx.home() if pending else await ctx.show_current()
            return
    await ctx.home()


async def cmd_help(ctx: Context) -> None:
    say_help(ctx)
    await ctx.home() if any(g.pending(ctx) for g in ctx.app.gates) else await ctx.show_current()


async def cmd_language(ctx: Context) -> None:
    await ctx.goto(LANGUAGE)


async def cmd_cancel(ctx: Context) -> None:
    flow = ctx.app.flows.get(ctx.state.flow)
    if flow is not None and flow.keeps_draft and ctx.state.data:
        ctx.state.drafts.pop(flow.name, None)
        ctx.state.data = {}
        ctx.say("form.cancelled")
    else:
        ctx.say("cancel.nothing")
    await ctx.close_flow()


def register(app: BotApp) -> None:
    app.add_flow(LanguageFlow())
    app.add_flow(PrivacyFlow())
    app.add_gate(Gate(LANGUAGE, _needs_language))
    app.add_gate(Gate(PRIVACY, _needs_consent))
    app.add_command(Command("start", cmd_start, "cmd.start", before_gates=True))
    app.add_command(Command("menu", cmd_start, "cmd.menu"))
    app.add_command(Command("help", cmd_help, "cmd.help", before_gates=True))
    app.add_command(Command("language", cmd_language, "cmd.language", before_gates=True))
    app.add_command(Command("cancel", cmd_cancel, "cmd.cancel"))
