"""What a family sees: the families menu, the list of open sites, "my requests", and the
buttons of the notices (confirm or decline an offered stall, answer a question from staff)."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import ChoiceRef, choice_id, number_after, pressed_value
from bot.core.flow import ALL_STEPS, Context, Flow
from bot.core.messages import Choice, Inbound, InboundKind, Location
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.access.common import access_line
from bot.handlers.common import show_district
from bot.handlers.families.common import (
    BACK,
    FAMILIES_MENU,
    FAMILY_FORM,
    MY_REQUESTS,
    REQUEST_FORM,
    say_error,
    status_label,
)
from bot.handlers.families.family_form import FamilyForm, family_values
from bot.services import families as svc
from bot.services.errors import ServiceError
from bot.services.family_notices import (
    INFO_ANSWER_STEP,
    INFO_PREFIX,
    OFFER_CONFIRM,
    OFFER_DECLINE,
    OFFER_DECLINE_SURE,
    OFFER_KEEP,
    OFFER_PREFIX,
    offer_facts,
    reason_label,
    site_name,
    stall_label,
)
from bot.services.family_sites import sites_for_family
from storage import families as fam
from storage.models_families import (
    ACTIVE_STATUSES,
    APPROVED,
    HOLDS_STALL,
    NEEDS_INFO,
    REJECTED,
    Site,
    StallRequest,
)

SITE_PICKER = "fsp"
INFO_ANSWER = "fia"
MY_REQUESTS_SHOWN = 10
INFO_REPLY_MAX = 1000


class MenuStep(StrEnum):
    MAIN = "main"


class MenuChoice(StrEnum):
    REGISTER = "reg"  # or correct the registration
    REQUEST = "req"
    MY_REQUESTS = "my"


PICK = "pick"  # the site picker's one step; a site is "s<id>"
SITE_VALUE = "s"


class MyStep(StrEnum):
    LIST = "list"
    CANCEL = "cx"  # "are you sure?" about cancelling a request


CANCEL_VALUE = "x"  # "x<id>": cancel request <id>
YES, NO = "yes", "no"
ASK = "ask"  # the information answer's one step
CANCEL_TYPING = "_c"


# --- the families menu ---------------------------------------------------------------------------
class FamiliesMenu(Flow):
    name = FAMILIES_MENU

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        step = MenuStep.MAIN
        ctx.set_step(step)
        family = await fam.family_for_user(ctx.session, ctx.user.id)
        lines = [ctx.tr.t("fam.menu_title")]
        choices = []
        if family is None:
            lines.append(ctx.tr.t("fam.menu_unregistered"))
            resume = FAMILY_FORM in ctx.state.drafts
            label = "fam.menu.continue" if resume else "fam.menu.register"
            choices.append(ctx.choice(step, MenuChoice.REGISTER, label))
        else:
            lines.append(ctx.tr.t("fam.menu_registered", name=family.family_name))
            choices += [
                ctx.choice(step, MenuChoice.REQUEST, "fam.menu.request"),
                ctx.choice(step, MenuChoice.MY_REQUESTS, "fam.menu.my_requests"),
                ctx.choice(step, MenuChoice.REGISTER, "fam.menu.edit"),
            ]
        choices.append(ctx.choice(step, BACK, "fam.menu.back"))
        ctx.reply("\n".join(lines), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value == MenuChoice.REGISTER:
            await ctx.goto(FAMILY_FORM)
        elif value == MenuChoice.REQUEST:
            await ctx.goto(SITE_PICKER)
        elif value == MenuChoice.MY_REQUESTS:
            await ctx.goto(MY_REQUESTS)
        elif value == BACK:
            await ctx.home()
        else:
            ctx.say("form.err.use_choices")
            await self.show(ctx)


async def families_entry(ctx: Context) -> None:
    await ctx.goto(FAMILIES_MENU)


# --- open sites ----------------------------------------------------------------------------------
async def site_description(ctx: Context, site: Site) -> str:
    tr = ctx.tr
    free = {t: len(await fam.free_numbers(ctx.session, site, t)) for t in fam.STALL_TYPES}
    lines = [
        tr.t(
            "fam.sites.line",
            name=site_name(site, tr.locale),
            district=show_district(ctx, site.district),
            start=ctx.fmt_date(site.start_date),
            end=ctx.fmt_date(site.end_date),
            deadline=ctx.fmt_datetime(site.deadline),
            fee=tr.label(f"fam.fee.{site.fee}"),
            food=free["food"],
            nonfood=free["nonfood"],
        )
    ]
    if site.fee_note:
        lines.append(tr.t("fam.sites.fee_note", note=site.fee_note))
    if site.saudi_only:
        lines.append(tr.t("fam.sites.saudi_only"))
    if site.women_only:
        lines.append(tr.t("fam.sites.women_only"))
    if (line := access_line(ctx, site.access)) is not None:
        lines.append(line)
    if site.reserved_stalls:
        lines.append(tr.tn("acc.reserved_line", site.reserved_stalls))
    return "\n".join(lines)


class SitePicker(Flow):
    name = SITE_PICKER

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        """Only the sites this family may apply to get a button; the others are named with
        the rule that keeps the family out (nationality, stall type, a request already made),
        so nobody chooses a site only to be refused after."""
        ctx.set_step(PICK)
        try:
            chances = await sites_for_family(ctx.unit)
        except svc.NotRegistered as err:
            say_error(ctx, err)
            await ctx.goto(FAMILIES_MENU)
            return
        back = ctx.choice(PICK, BACK, "form.back")
        if not chances:
            ctx.reply(ctx.tr.t("fam.sites.none"), [back])
            return
        eligible = [c.site for c in chances if c.problem is None]
        for site in eligible:
            ctx.reply(await site_description(ctx, site))
            site_location(ctx, site)
        others = [
            ctx.tr.t(
                "fam.sites.other_line",
                name=site_name(c.site, ctx.tr.locale),
                why=ctx.tr.t(c.problem),
            )
            for c in chances
            if c.problem is not None
        ]
        if not eligible:
            ctx.reply("\n".join([ctx.tr.t("fam.sites.none_for_you"), *others]), [back])
            return
        if others:
            ctx.reply("\n".join([ctx.tr.t("fam.sites.others_title"), *others]))
        choices = [
            ctx.choice(
                PICK, f"{SITE_VALUE}{s.id}", "fam.sites.pick", name=site_name(s, ctx.tr.locale)
            )
            for s in eligible
        ]
        choices.append(back)
        ctx.reply(ctx.tr.t("fam.sites.choose"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        site_id = number_after(value, SITE_VALUE)
        if value == BACK:
            await ctx.goto(FAMILIES_MENU)
            return
        if site_id is None:
            ctx.say("form.err.use_choices")
            await self.show(ctx)
            return
        try:
            await svc.check_can_apply(ctx.unit, site_id)
        except svc.NotRegistered as err:
            say_error(ctx, err)
            await ctx.goto(FAMILIES_MENU)
            return
        except ServiceError as err:
            say_error(ctx, err)
            await self.show(ctx)
            return
        await ctx.goto(REQUEST_FORM, {"site": site_id})


def site_location(ctx: Context, site: Site) -> None:
    """The site's pin, when staff set one, right after its description."""
    if site.latitude is None or site.longitude is None or not ctx.replies:
        return
    last = ctx.replies[-1]
    ctx.replies[-1] = replace(last, location=Location(site.latitude, site.longitude))


# --- my requests ---------------------------------------------------------------------------------
def request_lines(ctx: Context, request: StallRequest, site: Site) -> list[str]:
    tr = ctx.tr
    lines = [
        tr.t(
            "fam.my.line",
            id=request.id,
            site=site_name(site, tr.locale),
            status=status_label(tr, request.status),
            start=ctx.fmt_date(request.start_date),
            end=ctx.fmt_date(request.end_date),
            type=stall_label(tr, request.stall_type),
        )
    ]
    if request.status in HOLDS_STALL and request.stall_number is not None:
        lines.append(tr.t("fam.my.stall", stall=request.stall_number))
        facts = offer_facts(tr, site)
        lines += [
            tr.t("fam.my.fee", fee=facts["fee"]),
            tr.t("fam.my.where", where=facts["where"]),
            tr.t("fam.my.setup", setup=facts["setup"]),
        ]
    if request.status == APPROVED and request.offer_expires_at is not None:
        until = ctx.fmt_datetime(request.offer_expires_at)
        lines.append(tr.t("fam.my.offer_until", until=until))
    if request.status == NEEDS_INFO and request.info_request:
        lines.append(tr.t("fam.my.question", question=request.info_request))
    if request.status == REJECTED:
        lines.append(tr.t("fam.my.reason", reason=reason_label(tr, request.reject_reason)))
        if request.reject_note:  # told in the notice too, but notices scroll away
            lines.append(tr.t("fam.my.note", note=request.reject_note))
    return lines


def global_choice(ctx: Context, prefix: str, step: str, request_id: int, label: str) -> Choice:
    return Choice(choice_id(prefix, step, str(request_id)), ctx.tr.label(label, id=request_id))


class MyRequests(Flow):
    name = MY_REQUESTS

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(MyStep.LIST)
        family = await fam.family_for_user(ctx.session, ctx.user.id)
        if family is None:
            ctx.say("fam.err.register_first")
            await ctx.goto(FAMILIES_MENU)
            return
        found = await fam.family_requests(ctx.session, family.id)
        if not found:
            ctx.reply(ctx.tr.t("fam.my.none"), [ctx.choice(MyStep.LIST, BACK, "form.back")])
            return
        blocks = [ctx.tr.tn("fam.my.title", len(found))]
        choices: list[Choice] = []
        for request, site in found[:MY_REQUESTS_SHOWN]:
            blocks.append("\n".join(request_lines(ctx, request, site)))
            rid = request.id
            if request.status == APPROVED:
                choices.append(
                    global_choice(ctx, OFFER_PREFIX, OFFER_CONFIRM, rid, "fam.my.confirm_n")
                )
                choices.append(
                    global_choice(ctx, OFFER_PREFIX, OFFER_DECLINE, rid, "fam.my.decline_n")
                )
            elif request.status == NEEDS_INFO:
                choices.append(
                    global_choice(ctx, INFO_PREFIX, INFO_ANSWER_STEP, rid, "fam.my.answer_n")
                )
            if request.status in ACTIVE_STATUSES and request.status != APPROVED:
                choices.append(
                    ctx.choice(MyStep.LIST, f"{CANCEL_VALUE}{rid}", "fam.my.cancel_n", id=rid)
                )
        choices.append(ctx.choice(MyStep.LIST, BACK, "form.back"))
        ctx.reply("\n\n".join(blocks), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step = ctx.state.step
        if value == BACK:
            await ctx.goto(FAMILIES_MENU)
        elif step == MyStep.LIST and (request_id := number_after(value, CANCEL_VALUE)) is not None:
            ctx.set_step(MyStep.CANCEL)
            ctx.state.data[MyStep.CANCEL] = request_id
            ctx.reply(
                ctx.tr.t("fam.my.cancel_confirm", id=request_id),
                [
                    ctx.choice(MyStep.CANCEL, YES, "fam.my.cancel_yes"),
                    ctx.choice(MyStep.CANCEL, NO, "fam.my.cancel_no"),
                ],
            )
        elif step == MyStep.CANCEL and value in (YES, NO):
            request_id = int(ctx.state.data.pop(MyStep.CANCEL, 0))
            if value == YES:
                try:
                    await svc.cancel_request(ctx.unit, request_id)
                    ctx.say("fam.my.cancelled", id=request_id)
                except ServiceError as err:
                    say_error(ctx, err)
            await self.show(ctx)
        else:
            ctx.say("form.err.use_choices")
            await self.show(ctx)


# --- the offer's buttons (they work whatever step the family is on) ------------------------------
async def on_offer(ctx: Context, ref: ChoiceRef) -> None:
    request_id = int(ref.value) if ref.value.isdigit() else 0
    try:
        if ref.step == OFFER_CONFIRM:
            tell_confirmed(ctx, await svc.confirm_offer(ctx.unit, request_id))
        elif ref.step == OFFER_DECLINE:
            request, _ = await svc.offered_request(ctx.unit, request_id)
            if request.status in HOLDS_STALL:
                ctx.reply(
                    ctx.tr.t("fam.offer.decline_confirm", id=request_id),
                    [
                        global_choice(
                            ctx,
                            OFFER_PREFIX,
                            OFFER_DECLINE_SURE,
                            request_id,
                            "fam.offer.decline_yes",
                        ),
                        global_choice(
                            ctx, OFFER_PREFIX, OFFER_KEEP, request_id, "fam.offer.decline_no"
                        ),
                    ],
                )
                return
            ctx.say("fam.offer.closed", status=status_label(ctx.tr, request.status))
        elif ref.step == OFFER_DECLINE_SURE:
            await svc.decline_offer(ctx.unit, request_id)
            ctx.say("fam.offer.declined", id=request_id)
        else:
            await svc.offered_request(ctx.unit, request_id)
            ctx.say("fam.offer.kept")
    except ServiceError as err:
        say_error(ctx, err)
    await ctx.show_current()


def tell_confirmed(ctx: Context, answer: svc.OfferAnswer) -> None:
    request, name = answer.request, site_name(answer.site, ctx.tr.locale)
    if answer.outcome is svc.OfferOutcome.ALREADY:
        ctx.say("fam.offer.already", stall=request.stall_number, site=name)
    elif answer.outcome is svc.OfferOutcome.TOO_LATE:
        ctx.say("fam.offer.too_late", site=name)
    else:
        ctx.say(
            "fam.offer.confirmed",
            stall=request.stall_number,
            type=stall_label(ctx.tr, request.stall_type),
            site=name,
            start=ctx.fmt_date(request.start_date),
            end=ctx.fmt_date(request.end_date),
        )


# --- "my data" (PDPL) ---------------------------------------------------------------------------
async def my_data_lines(ctx: Context) -> list[str]:
    """For "my data": the family's registration and every stall request kept about it."""
    family = await fam.family_for_user(ctx.session, ctx.user.id)
    if family is None:
        return []
    tr = ctx.tr
    lines = [tr.t("fam.mydata_title")]
    form = ctx.app.flows[FAMILY_FORM]
    assert isinstance(form, FamilyForm)
    lines += form.summary_lines(ctx, family_values(family))
    found = await fam.family_requests(ctx.session, family.id)
    lines.append(tr.tn("fam.mydata_requests", len(found)))
    for request, site in found:
        lines.append(
            tr.t(
                "fam.mydata_line",
                id=request.id,
                site=site_name(site, tr.locale),
                start=ctx.fmt_date(request.start_date),
                status=status_label(tr, request.status),
            )
        )
    return lines


# --- answering a question from staff -------------------------------------------------------------
async def on_info(ctx: Context, ref: ChoiceRef) -> None:
    request_id = int(ref.value) if ref.value.isdigit() else 0
    try:
        await svc.check_needs_info(ctx.unit, request_id)
    except ServiceError as err:
        say_error(ctx, err)
        await ctx.show_current()
        return
    await ctx.goto(INFO_ANSWER, {"rid": request_id})


class InfoAnswer(Flow):
    name = INFO_ANSWER
    # Typed, even if it looks like the number of a button ("1" would press "cancel").
    typed_steps = frozenset({ALL_STEPS})

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {"rid": int(params.get("rid", 0))}
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(ASK)
        request = await fam.get_request(ctx.session, int(ctx.state.data.get("rid", 0)))
        question = request.info_request if request is not None else ""
        ctx.reply(
            ctx.tr.t("fam.info.prompt", id=ctx.state.data.get("rid"), question=question or ""),
            [ctx.choice(ASK, CANCEL_TYPING, "form.cancel")],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        if pressed_value(inbound) == CANCEL_TYPING:
            ctx.state.data = {}
            ctx.say("fam.info.cancelled")
            await ctx.home()
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            answer = parse_announcement(inbound.text, limit=INFO_REPLY_MAX)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            await self.show(ctx)
            return
        request_id = int(ctx.state.data.get("rid", 0))
        ctx.state.data = {}
        try:
            await svc.answer_information(ctx.unit, request_id, answer)
            ctx.say("fam.info.thanks", id=request_id)
        except ServiceError as err:
            say_error(ctx, err)
        await ctx.home()
