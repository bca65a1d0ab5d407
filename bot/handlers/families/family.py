"""What a family sees: the families menu, the list of open sites, "my requests", and the
buttons of the notices (confirm or decline an offered stall, answer a question from staff)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.flow import (
    ALL_STEPS,
    ChoiceRef,
    Context,
    Flow,
    choice_id,
    number_after,
    pressed_value,
)
from bot.core.messages import Choice, Inbound, InboundKind, Location
from bot.core.unit import Unit
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.common import show_district
from bot.handlers.families.common import (
    INFO_PREFIX,
    OFFER_PREFIX,
    Notifier,
    expire_offer,
    pass_on,
    site_name,
    stall_label,
    status_label,
)
from bot.handlers.families.forms import (
    FAMILIES_MENU,
    FAMILY_FORM,
    MY_REQUESTS,
    REQUEST_FORM,
    FamilyForm,
    eligibility_problem,
    family_values,
)
from storage import families as fam
from storage.models_families import (
    ACTIVE_STATUSES,
    APPROVED,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HOLDS_STALL,
    NEEDS_INFO,
    REJECTED,
    UNDER_REVIEW,
    Site,
    StallRequest,
)

SITE_PICKER = "fsp"
INFO_ANSWER = "fia"
MY_REQUESTS_SHOWN = 10
INFO_REPLY_MAX = 1000


# --- the families menu ---------------------------------------------------------------------------
class FamiliesMenu(Flow):
    name = FAMILIES_MENU

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step("main")
        family = await fam.family_for_user(ctx.session, ctx.user.id)
        lines = [ctx.tr.t("fam.menu_title")]
        choices = []
        if family is None:
            lines.append(ctx.tr.t("fam.menu_unregistered"))
            resume = FAMILY_FORM in ctx.state.drafts
            choices.append(
                ctx.choice("main", "reg", "fam.menu.continue" if resume else "fam.menu.register")
            )
        else:
            lines.append(ctx.tr.t("fam.menu_registered", name=family.family_name))
            choices += [
                ctx.choice("main", "req", "fam.menu.request"),
                ctx.choice("main", "my", "fam.menu.my_requests"),
                ctx.choice("main", "reg", "fam.menu.edit"),
            ]
        choices.append(ctx.choice("main", "back", "fam.menu.back"))
        ctx.reply("\n".join(lines), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value == "reg":
            await ctx.goto(FAMILY_FORM)
        elif value == "req":
            await ctx.goto(SITE_PICKER)
        elif value == "my":
            await ctx.goto(MY_REQUESTS)
        elif value == "back":
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
    return "\n".join(lines)


class SitePicker(Flow):
    name = SITE_PICKER

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step("pick")
        sites = await fam.open_sites(ctx.session, ctx.now, ctx.today)
        if not sites:
            ctx.reply(ctx.tr.t("fam.sites.none"), [ctx.choice("pick", "back", "form.back")])
            return
        for site in sites:
            ctx.reply(await site_description(ctx, site))
            site_location(ctx, site)
        choices = [
            ctx.choice("pick", f"s{s.id}", "fam.sites.pick", name=site_name(s, ctx.tr.locale))
            for s in sites
        ]
        choices.append(ctx.choice("pick", "back", "form.back"))
        ctx.reply(ctx.tr.t("fam.sites.choose"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        site_id = number_after(value, "s")
        if value == "back":
            await ctx.goto(FAMILIES_MENU)
            return
        if site_id is None:
            ctx.say("form.err.use_choices")
            await self.show(ctx)
            return
        family = await fam.family_for_user(ctx.session, ctx.user.id)
        site = await fam.get_site(ctx.session, site_id)
        if family is None:
            ctx.say("fam.err.register_first")
            await ctx.goto(FAMILIES_MENU)
            return
        problem = "fam.err.site_closed" if site is None else eligibility_problem(ctx, site, family)
        if problem is None and site is not None:
            existing = await fam.active_request(ctx.session, family.id, site.id)
            if existing is not None:
                problem = "fam.err.already_requested"
        if problem is not None:
            ctx.say(problem)
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
    if request.status == APPROVED and request.offer_expires_at is not None:
        until = ctx.fmt_datetime(request.offer_expires_at)
        lines.append(tr.t("fam.my.offer_until", until=until))
    if request.status == NEEDS_INFO and request.info_request:
        lines.append(tr.t("fam.my.question", question=request.info_request))
    if request.status == REJECTED:
        reason = tr.label(f"fam.reason.{request.reject_reason or 'other'}")
        lines.append(tr.t("fam.my.reason", reason=reason))
    return lines


def global_choice(ctx: Context, prefix: str, step: str, request_id: int, label: str) -> Choice:
    return Choice(choice_id(prefix, step, str(request_id)), ctx.tr.label(label, id=request_id))


class MyRequests(Flow):
    name = MY_REQUESTS

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step("list")
        family = await fam.family_for_user(ctx.session, ctx.user.id)
        if family is None:
            ctx.say("fam.err.register_first")
            await ctx.goto(FAMILIES_MENU)
            return
        found = await fam.family_requests(ctx.session, family.id)
        if not found:
            ctx.reply(ctx.tr.t("fam.my.none"), [ctx.choice("list", "back", "form.back")])
            return
        blocks = [ctx.tr.tn("fam.my.title", len(found))]
        choices: list[Choice] = []
        for request, site in found[:MY_REQUESTS_SHOWN]:
            blocks.append("\n".join(request_lines(ctx, request, site)))
            if request.status == APPROVED:
                choices.append(
                    global_choice(ctx, OFFER_PREFIX, "ok", request.id, "fam.my.confirm_n")
                )
                choices.append(
                    global_choice(ctx, OFFER_PREFIX, "no", request.id, "fam.my.decline_n")
                )
            elif request.status == NEEDS_INFO:
                choices.append(global_choice(ctx, INFO_PREFIX, "a", request.id, "fam.my.answer_n"))
            if request.status in ACTIVE_STATUSES and request.status != APPROVED:
                choices.append(
                    ctx.choice("list", f"x{request.id}", "fam.my.cancel_n", id=request.id)
                )
        choices.append(ctx.choice("list", "back", "form.back"))
        ctx.reply("\n\n".join(blocks), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step = ctx.state.step
        if value == "back":
            await ctx.goto(FAMILIES_MENU)
        elif step == "list" and (request_id := number_after(value, "x")) is not None:
            ctx.set_step("cx")
            ctx.state.data["cx"] = request_id
            ctx.reply(
                ctx.tr.t("fam.my.cancel_confirm", id=request_id),
                [
                    ctx.choice("cx", "yes", "fam.my.cancel_yes"),
                    ctx.choice("cx", "no", "fam.my.cancel_no"),
                ],
            )
        elif step == "cx" and value in ("yes", "no"):
            request_id = int(ctx.state.data.pop("cx", 0))
            if value == "yes":
                await cancel_request(ctx, request_id)
            await self.show(ctx)
        else:
            ctx.say("form.err.use_choices")
            await self.show(ctx)


async def own_request(ctx: Context, request_id: int) -> tuple[StallRequest, Site] | None:
    """The request, locked, if it belongs to this person's family."""
    family = await fam.family_for_user(ctx.session, ctx.user.id)
    request = await fam.get_request(ctx.session, request_id, lock=True)
    if family is None or request is None or request.family_id != family.id:
        return None
    site = await fam.get_site(ctx.session, request.site_id)
    return None if site is None else (request, site)


async def cancel_request(ctx: Context, request_id: int) -> None:
    found = await own_request(ctx, request_id)
    if found is None or found[0].status not in ACTIVE_STATUSES:
        ctx.say("fam.my.cannot_cancel", id=request_id)
        return
    request, site = found
    held = request.status in HOLDS_STALL
    await fam.set_status(ctx.session, request, CANCELLED, ctx.actor, ctx.now)
    ctx.say("fam.my.cancelled", id=request_id)
    if held:
        await pass_on(Notifier(ctx.unit), site, request.stall_type, ctx.now)


# --- the offer's buttons (they work whatever step the family is on) ------------------------------
async def on_offer(ctx: Context, ref: ChoiceRef) -> None:
    request_id = int(ref.value) if ref.value.isdigit() else 0
    found = await own_request(ctx, request_id)
    if found is None:
        ctx.say("fam.offer.unknown")
    elif ref.step == "ok":
        await confirm_offer(ctx, *found)
    elif ref.step == "no":
        if found[0].status in HOLDS_STALL:
            ctx.reply(
                ctx.tr.t("fam.offer.decline_confirm", id=request_id),
                [
                    global_choice(ctx, OFFER_PREFIX, "dx", request_id, "fam.offer.decline_yes"),
                    global_choice(ctx, OFFER_PREFIX, "keep", request_id, "fam.offer.decline_no"),
                ],
            )
            return
        ctx.say("fam.offer.closed", status=status_label(ctx.tr, found[0].status))
    elif ref.step == "dx":
        await decline_offer(ctx, *found)
    else:
        ctx.say("fam.offer.kept")
    await ctx.show_current()


async def confirm_offer(ctx: Context, request: StallRequest, site: Site) -> None:
    """Confirmed in time: the stall is the family's. Late: honoured only while nobody is
    waiting for that type of stall and one is free (the stall may have gone already)."""
    notifier = Notifier(ctx.unit)
    actor = ctx.actor
    name = site_name(site, ctx.tr.locale)
    if request.status == CONFIRMED:
        ctx.say("fam.offer.already", stall=request.stall_number, site=name)
        return
    if request.status not in (APPROVED, EXPIRED):
        ctx.say("fam.offer.closed", status=status_label(ctx.tr, request.status))
        return
    waiting = await fam.has_waitlist(ctx.session, site.id, request.stall_type)
    in_time = request.offer_expires_at is not None and ctx.now <= request.offer_expires_at
    if request.status == APPROVED and (in_time or not waiting):
        await fam.confirm_offer(ctx.session, request, actor, ctx.now)
    elif request.status == APPROVED:
        await expire_offer(notifier, request, site, ctx.now)  # what the periodic job would do
        ctx.say("fam.offer.too_late", site=name)
        return
    else:  # expired: take a free stall if there is still one
        other = await fam.active_request(ctx.session, request.family_id, site.id)
        if waiting or other is not None or site.end_date < ctx.today:
            ctx.say("fam.offer.too_late", site=name)
            return
        change = await fam.allocate(
            ctx.session,
            request,
            site,
            status=CONFIRMED,
            actor=actor,
            now=ctx.now,
            offer_hours=0,
        )
        if change is None:
            ctx.say("fam.offer.too_late", site=name)
            return
    ctx.say(
        "fam.offer.confirmed",
        stall=request.stall_number,
        type=stall_label(ctx.tr, request.stall_type),
        site=name,
        start=ctx.fmt_date(request.start_date),
        end=ctx.fmt_date(request.end_date),
    )


async def decline_offer(ctx: Context, request: StallRequest, site: Site) -> None:
    if request.status not in HOLDS_STALL:
        ctx.say("fam.offer.closed", status=status_label(ctx.tr, request.status))
        return
    number = request.stall_number
    await fam.set_status(
        ctx.session, request, CANCELLED, ctx.actor, ctx.now, f"declined stall {number}"
    )
    ctx.say("fam.offer.declined", id=request.id)
    await pass_on(Notifier(ctx.unit), site, request.stall_type, ctx.now)


# --- "my data" (PDPL) and deleting it ------------------------------------------------------
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


async def release_stalls(unit: Unit, user_id: int) -> None:
    """Before a person deletes their data: the stalls their family holds go to the waiting
    list (the rows themselves go with the deletion's cascade)."""
    family = await fam.family_for_user(unit.session, user_id)
    if family is None:
        return
    notifier = Notifier(unit)
    for request, site in await fam.family_requests(unit.session, family.id):
        if request.status in HOLDS_STALL:
            await fam.set_status(
                unit.session, request, CANCELLED, unit.actor.label, unit.now, "data deleted"
            )
            await pass_on(notifier, site, request.stall_type, unit.now)


# --- answering a question from staff -------------------------------------------------------------
async def on_info(ctx: Context, ref: ChoiceRef) -> None:
    request_id = int(ref.value) if ref.value.isdigit() else 0
    found = await own_request(ctx, request_id)
    if found is None or found[0].status != NEEDS_INFO:
        ctx.say("fam.info.not_needed")
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
        ctx.set_step("ask")
        request = await fam.get_request(ctx.session, int(ctx.state.data.get("rid", 0)))
        question = request.info_request if request is not None else ""
        ctx.reply(
            ctx.tr.t("fam.info.prompt", id=ctx.state.data.get("rid"), question=question or ""),
            [ctx.choice("ask", "_c", "form.cancel")],
        )

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        if pressed_value(inbound) == "_c":
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
        found = await own_request(ctx, request_id)
        ctx.state.data = {}
        if found is None or found[0].status != NEEDS_INFO:
            ctx.say("fam.info.not_needed")
        else:
            request = found[0]
            request.info_reply = answer
            await fam.set_status(ctx.session, request, UNDER_REVIEW, ctx.actor, ctx.now)
            ctx.say("fam.info.thanks", id=request_id)
        await ctx.home()
