"""Certificates of volunteer hours in chat (issue 15 item 6): a volunteer asks for one (all
hours or a period) and gets the PDF; anyone verifies a code with /verify CODE or the Arabic word
for "verify" and the code (catalog key `cert.words.verify`).
The rules are `bot.services.certificates`; the PDF is `bot.certificates_pdf`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import partial
from typing import Any

from bot.certificates_pdf import render_certificate
from bot.core.choice_ids import pressed_value
from bot.core.date_input import parse_days, range_examples
from bot.core.dates import fmt_date, fmt_datetime, hours_text, local_day
from bot.core.flow import BotApp, Command, Context, Flow, MenuEntry
from bot.core.labels import person_facts
from bot.core.messages import Attachment, Inbound
from bot.core.throttle import Throttle
from bot.core.validators import Invalid
from bot.services import certificates as service
from bot.services.errors import ServiceError
from storage import repositories as repo

CERTIFICATE = "crt"  # the flow, and its menu entry
VERIFY = "verify"  # the command


class Step(StrEnum):
    SCOPE = "scope"
    PERIOD = "period"


ALL, PERIOD, HOME = "all", "per", "_mn"


class CertificateFlow(Flow):
    name = CERTIFICATE
    text_steps = frozenset({Step.PERIOD})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if await repo.volunteer_for_user(ctx.session, ctx.user.id) is None:
            ctx.say("cert.err.no_profile")
            await ctx.home()
            return
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == Step.PERIOD:
            ctx.set_step(Step.PERIOD)
            ctx.reply(
                ctx.tr.t("cert.q.period", examples=range_examples(ctx.tr, ctx.today)),
                [ctx.choice(Step.PERIOD, HOME, "mydata.back")],
            )
            return
        ctx.set_step(Step.SCOPE)
        choices = [
            ctx.choice(Step.SCOPE, ALL, "cert.btn.all"),
            ctx.choice(Step.SCOPE, PERIOD, "cert.btn.period"),
            ctx.choice(Step.SCOPE, HOME, "mydata.back"),
        ]
        ctx.reply(ctx.tr.t("cert.q.scope"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value == HOME:
            await ctx.home()
        elif ctx.state.step == Step.SCOPE and value == ALL:
            await self.issue(ctx, None)
        elif ctx.state.step == Step.SCOPE and value == PERIOD:
            ctx.set_step(Step.PERIOD)
            await self.show(ctx)
        elif ctx.state.step == Step.PERIOD and not value:
            try:
                period = parse_days(inbound.text, ctx.today)
            except Invalid as err:
                ctx.say(err.msgid, **err.params)
                await self.show(ctx)
                return
            await self.issue(ctx, period)
        else:
            await self.show(ctx)

    async def issue(self, ctx: Context, period: tuple[date, date] | None) -> None:
        try:
            issued = await service.issue_certificate(ctx.unit, period)
        except ServiceError as err:
            ctx.say(err.msgid, **err.params)
            await self.show(ctx)
            return
        cert = issued.certificate
        pdf = render_certificate(ctx.tr, issued, ctx.settings.timezone)
        caption = ctx.tr.t(
            "cert.done",
            hours=hours_text(ctx.tr, cert.total_hours),
            first=fmt_date(ctx.tr, cert.period_from),
            last=fmt_date(ctx.tr, cert.period_to),
            code=service.display_code(cert.code),
            url=issued.verify_url,
        )
        ctx.reply(caption, attachment=Attachment("document", filename=pdf.filename, data=pdf.data))
        await ctx.home()


async def verify(ctx: Context, throttle: Throttle) -> None:
    """/verify CODE (or the word "verify" in Arabic, then the code): for anyone, registered
    or not; a person checking too many codes in a short time is asked to wait."""
    code = ctx.inbound.args.strip()
    tr = ctx.tr
    if not code:
        ctx.say("cert.q.verify_code")
    else:
        try:
            found = await service.verify_limited(ctx.unit, throttle, f"user:{ctx.user.id}", code)
        except ServiceError as err:
            ctx.say(err.msgid, **err.params)
        else:
            shown = service.display_code(found.code)
            if found.status == service.REVOKED:
                ctx.say("cert.verify.revoked", code=shown)
            else:
                ctx.say(
                    "cert.verify.valid",
                    code=shown,
                    name=found.masked_name,
                    hours=hours_text(tr, found.total_hours),
                    first=fmt_date(tr, found.period_from),
                    last=fmt_date(tr, found.period_to),
                    issued=fmt_datetime(tr, found.issued_at, ctx.settings.timezone),
                )
    await ctx.show_current()


async def my_data_lines(ctx: Context) -> list[str]:
    """For "my data": each certificate kept about this person, with its code and status."""
    tr = ctx.tr
    lines = []
    for cert in await service.own_certificates(ctx.unit):
        lines.append(
            tr.t(
                "cert.mydata_line",
                code=service.display_code(cert.code),
                hours=hours_text(tr, cert.total_hours),
                day=fmt_date(tr, local_day(cert.issued_at, ctx.settings.timezone)),
                status=tr.label(
                    "cert.web.revoked" if cert.revoked_at is not None else "cert.web.valid"
                ),
            )
        )
    return [tr.t("cert.mydata_title"), *lines] if lines else []


async def _menu_label(ctx: Context) -> str | None:
    """Only volunteers have hours to certify."""
    return "menu.certificate" if (await person_facts(ctx)).is_volunteer else None


async def _open(ctx: Context) -> None:
    await ctx.goto(CERTIFICATE)


def register(app: BotApp) -> None:
    app.add_flow(CertificateFlow())
    app.add_menu_entry(MenuEntry(CERTIFICATE, _menu_label, _open, order=23))
    throttle = service.verify_throttle()  # this app's (one per process)
    app.add_command(
        Command(VERIFY, partial(verify, throttle=throttle), "cmd.verify", before_gates=True)
    )
    app.typed_commands["cert.words.verify"] = VERIFY
    app.data_sections.append(my_data_lines)
