"""Staff tools for productive families, the review queue of stall requests: approve with a
stall number, reject with a reason, ask the family for information, waitlist. Every decision is
written to the audit log and told to the family."""

from __future__ import annotations

from collections.abc import Coroutine
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import number_after, pressed_value
from bot.core.flow import Context, Flow
from bot.core.messages import Attachment, Inbound, InboundKind
from bot.core.pager import Page, page_choices, page_line, turn
from bot.core.text import isolate, mask_national_id
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.common import show_district
from bot.handlers.families.common import (
    BACK,
    CATEGORIES,
    NEEDS,
    REJECT_REASONS,
    say_error,
    status_label,
)
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services import families as svc
from bot.services import reserved_stalls
from bot.services.errors import ServiceError
from bot.services.family_notices import site_name, staff_wording, stall_label
from storage import families as fam
from storage.models_families import (
    APPROVED,
    CONFIRMED,
    NEEDS_INFO,
    SUBMITTED,
    UNDER_REVIEW,
    WAITLISTED,
    Family,
    Site,
    StallRequest,
)

REVIEW = "frv"

QUEUE_SHOWN = 10  # a page of the review queue
WAITLIST_SHOWN = 5  # ... and of the waiting list, on the same screen
NUMBERS_SHOWN = 30
HISTORY_SHOWN = 6
NOTE_MAX = 500
QUEUE_PAGE = "qpage"
NUMBERS_PAGE = "npage"


class Step(StrEnum):
    QUEUE = "q"
    REQUEST = "rq"  # one request and what staff may do with it
    NUMBER = "num"  # which stall to offer
    REASON = "rr"  # why it is rejected
    NOTE = "rn"  # a note to the rejection (typed, may be skipped)
    QUESTION = "iq"  # what the family is asked (typed)
    RELEASE = "rl"  # why a held stall is taken back (typed, told to the family)


class Action(StrEnum):
    APPROVE = "ap"
    WAITLIST = "wl"
    ASK = "in"
    REJECT = "rj"
    RELEASE = "rel"


TEXT_PROMPTS = {
    Step.NOTE: "fam.rev.note_q",
    Step.QUESTION: "fam.rev.ask_q",
    Step.RELEASE: "fam.rev.release_q",
}

OPEN = "r"  # "r<id>": open request <id>
NUMBER = "n"  # "n<number>": offer that stall
AUTO = "auto"  # offer the lowest free stall
SKIP = "_s"  # no note


# --- the review queue ----------------------------------------------------------------------------
class Review(Flow):
    """Steps: the queue → one request → a stall number | a reason → a note | a question for
    the family. The decisions are `bot.services.families`' rules."""

    name = REVIEW
    staff_only = True
    typed_steps = frozenset({Step.NOTE, Step.QUESTION, Step.RELEASE})  # typed text

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        # `back`: the screen that opened a request ({"flow", "params"}), instead of the queue.
        ctx.state.data = {"back": params["back"]} if params.get("back") else {}
        if params.get("rid"):
            await self._open(ctx, int(params["rid"]))
        else:
            await self._queue(ctx)

    async def show(self, ctx: Context) -> None:
        step = ctx.state.step
        rid = int(ctx.state.data.get("rid", 0))
        if step == Step.QUEUE or not rid:
            await self._queue(ctx)
        elif step == Step.NUMBER:
            await self._numbers(ctx, rid)
        elif step == Step.REASON:
            self._reasons(ctx)
        elif step in (Step.NOTE, Step.QUESTION, Step.RELEASE):
            self._ask_text(ctx, Step(step))
        else:
            await self._open(ctx, rid)

    # --- views -------------------------------------------------------------------------------
    async def _queue(self, ctx: Context) -> None:
        ctx.set_step(Step.QUEUE)
        requested = int(ctx.state.data.get(QUEUE_PAGE, 0))
        ctx.state.data = {}
        tr = ctx.tr
        counts = await fam.status_counts(ctx.session)
        pending = counts.get(SUBMITTED, 0) + counts.get(UNDER_REVIEW, 0)
        waiting_count = counts.get(WAITLISTED, 0)
        # One pager turns both lists: page n shows the n-th slice of each.
        pages = max(-(-pending // QUEUE_SHOWN), -(-waiting_count // WAITLIST_SHOWN), 1)
        page = Page.of(pages, requested, 1)
        ctx.state.data[QUEUE_PAGE] = page.number
        lines = [
            tr.t("fam.rev.title"),
            tr.tn("fam.rev.pending", pending),
            tr.t(
                "fam.rev.counts",
                new=counts.get(SUBMITTED, 0),
                review=counts.get(UNDER_REVIEW, 0),
                info=counts.get(NEEDS_INFO, 0),
                waiting=waiting_count,
                offered=counts.get(APPROVED, 0),
                confirmed=counts.get(CONFIRMED, 0),
            ),
        ]
        choices = []
        queue = await fam.review_queue(ctx.session, QUEUE_SHOWN, page.number * QUEUE_SHOWN)
        for request, family, site in queue:
            lines.append(self._item(ctx, request, family, site))
            choices.append(self._open_choice(ctx, request, family))
        waiting = await fam.waitlist(ctx.session, WAITLIST_SHOWN, page.number * WAITLIST_SHOWN)
        if waiting:
            lines.append(tr.t("fam.rev.waitlist_title"))
        for request, family, site in waiting:
            lines.append(self._item(ctx, request, family, site))
            choices.append(self._open_choice(ctx, request, family))
        if (line := page_line(ctx, page)) is not None:
            lines.append(line)
        choices += page_choices(ctx, Step.QUEUE, page)
        choices.append(ctx.choice(Step.QUEUE, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    def _open_choice(self, ctx: Context, request: StallRequest, family: Family) -> Any:
        return ctx.choice(
            Step.QUEUE,
            f"{OPEN}{request.id}",
            "fam.rev.open_n",
            id=request.id,
            name=family.family_name,
        )

    def _item(self, ctx: Context, request: StallRequest, family: Family, site: Site) -> str:
        return ctx.tr.t(
            "fam.rev.item",
            id=request.id,
            family=family.family_name,
            site=site_name(site, ctx.tr.locale),
            type=stall_label(ctx.tr, request.stall_type),
            status=status_label(ctx.tr, request.status),
            date=ctx.fmt_date(request.created_at.astimezone(ctx.timezone).date()),
        )

    async def _open(self, ctx: Context, rid: int) -> None:
        try:
            reviewed = await svc.start_review(ctx.unit, rid)
        except ServiceError as err:
            say_error(ctx, err)
            await self._leave(ctx)
            return
        request, family, site = reviewed.request, reviewed.family, reviewed.site
        ctx.set_step(Step.REQUEST)
        # Back to the queue lands on the page it was opened from (or to the opening screen).
        kept = {k: ctx.state.data[k] for k in (QUEUE_PAGE, "back") if k in ctx.state.data}
        ctx.state.data = {"rid": rid, **kept}
        ctx.reply(await self._details(ctx, request, family, site))
        for index, photo in enumerate(family.photos, start=1):
            # A platform's file id only means something on that platform.
            if photo.get("channel") == ctx.inbound.channel and photo.get("file_id"):
                ctx.reply(
                    ctx.tr.t("fam.rev.photo", n=index),
                    attachment=Attachment(kind="photo", file_id=photo["file_id"]),
                )
        choices = []
        step = Step.REQUEST
        if request.status in svc.CAN_APPROVE:
            choices.append(ctx.choice(step, Action.APPROVE, "fam.rev.approve"))
        if request.status in svc.CAN_WAITLIST:
            choices.append(ctx.choice(step, Action.WAITLIST, "fam.rev.waitlist"))
        if request.status in svc.CAN_ASK:
            choices.append(ctx.choice(step, Action.ASK, "fam.rev.ask"))
        if request.status in svc.CAN_REJECT:
            choices.append(ctx.choice(step, Action.REJECT, "fam.rev.reject"))
        if request.status in svc.CAN_RELEASE:
            choices.append(ctx.choice(step, Action.RELEASE, "fam.rev.release"))
        choices.append(ctx.choice(step, BACK, "form.back"))
        ctx.reply(ctx.tr.t("fam.rev.actions", id=rid), choices)

    async def _details(
        self, ctx: Context, request: StallRequest, family: Family, site: Site
    ) -> str:
        tr = ctx.tr
        sep = tr.label("form.list_sep")
        cats = [tr.label(o.label) for o in CATEGORIES if o.value in family.categories]
        if family.other_category:
            cats.append(family.other_category)
        needs = [tr.label(o.label) for o in NEEDS if o.value in family.needs]
        lines = [
            tr.t(
                "fam.rev.detail",
                id=request.id,
                status=status_label(tr, request.status),
                site=site_name(site, tr.locale),
                type=stall_label(tr, request.stall_type),
                start=ctx.fmt_date(request.start_date),
                end=ctx.fmt_date(request.end_date),
                submitted=ctx.fmt_datetime(request.created_at),
                family=family.family_name,
                applicant=family.applicant_name,
                gender=tr.label(
                    f"vol.gender.{'female' if family.applicant_gender == 'f' else 'male'}"
                ),
                nid=isolate(mask_national_id(family.national_id)),
                mobile=isolate(family.mobile),
                district=show_district(ctx, family.district),
                categories=sep.join(cats),
                freelance=isolate(family.freelance_doc_number),
                freelance_exp=ctx.fmt_date(family.freelance_doc_expiry),
                description=family.description,
                needs=sep.join(needs) if needs else tr.label("fam.need.none"),
            )
        ]
        if family.health_cert_number and family.health_cert_expiry:
            lines.append(
                tr.t(
                    "fam.rev.health",
                    number=isolate(family.health_cert_number),
                    expiry=ctx.fmt_date(family.health_cert_expiry),
                )
            )
        expiries = [family.freelance_doc_expiry]
        if request.stall_type == "food" and family.health_cert_expiry:
            expiries.append(family.health_cert_expiry)
        if min(expiries) < request.end_date:
            lines.append(tr.t("fam.rev.docs_warning"))
        if request.stall_number is not None:
            lines.append(tr.t("fam.my.stall", stall=request.stall_number))
        if reserved_stalls.declared(request):  # only the reference: the card is seen in person
            key = "acc.rev.verified" if request.disability_verified_at else "acc.rev.stated"
            lines.append(tr.t(key, proof=isolate(request.disability_proof or "")))
        if request.info_request:
            lines.append(tr.t("fam.rev.question", question=request.info_request))
        if request.info_reply:
            lines.append(tr.t("fam.rev.answer", answer=request.info_reply))
        changes = list(await fam.history(ctx.session, request.id))[-HISTORY_SHOWN:]
        if changes:
            lines.append(tr.t("fam.rev.history"))
        for change in changes:
            lines.append(
                tr.t(
                    "fam.rev.history_line",
                    when=ctx.fmt_datetime(change.created_at),
                    status=staff_wording(tr, change),
                )
            )
        return "\n".join(lines)

    async def _numbers(self, ctx: Context, rid: int) -> None:
        request = await fam.get_request(ctx.session, rid)
        site = await fam.get_site(ctx.session, request.site_id) if request else None
        if request is None or site is None:
            await self._queue(ctx)
            return
        free = await reserved_stalls.free_for(ctx.unit, site, request)
        if not free:
            ctx.say("fam.rev.no_stall")
            await self._open(ctx, rid)
            return
        step = Step.NUMBER
        ctx.set_step(step)
        page = Page.of(len(free), int(ctx.state.data.get(NUMBERS_PAGE, 0)), NUMBERS_SHOWN)
        ctx.state.data[NUMBERS_PAGE] = page.number
        choices = [
            ctx.choice(step, f"{NUMBER}{n}", "fam.rev.stall_n", n=n) for n in page.slice(free)
        ]
        choices += page_choices(ctx, step, page)
        choices.append(ctx.choice(step, AUTO, "fam.rev.stall_auto"))
        choices.append(ctx.choice(step, BACK, "form.back"))
        text = ctx.tr.tn(
            "fam.rev.pick_number", len(free), type=stall_label(ctx.tr, request.stall_type)
        )
        if (line := page_line(ctx, page)) is not None:
            text += "\n" + line
        ctx.reply(text, choices)

    def _reasons(self, ctx: Context) -> None:
        step = Step.REASON
        ctx.set_step(step)
        choices = [ctx.choice(step, o.value, o.label) for o in REJECT_REASONS]
        choices.append(ctx.choice(step, BACK, "form.back"))
        ctx.reply(ctx.tr.t("fam.rev.reason_q"), choices)

    def _ask_text(self, ctx: Context, step: Step) -> None:
        ctx.set_step(step)
        choices = []
        if step == Step.NOTE:
            choices.append(ctx.choice(step, SKIP, "form.skip"))
        choices.append(ctx.choice(step, BACK, "form.back"))
        ctx.reply(ctx.tr.t(TEXT_PROMPTS[step]), choices)

    # --- input -------------------------------------------------------------------------------
    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step = ctx.state.step
        rid = int(ctx.state.data.get("rid", 0))
        if step == Step.QUEUE:
            opened = number_after(value, OPEN)
            if value == BACK:
                await ctx.goto(STAFF_PANEL)
            elif opened is not None:
                await self._open(ctx, opened)
            else:
                turn(ctx, value, QUEUE_PAGE)
                await self._queue(ctx)
        elif value == BACK:
            await (self._leave(ctx) if step == Step.REQUEST else self._open(ctx, rid))
        elif step == Step.REQUEST:
            await self._on_action(ctx, rid, value)
        elif step == Step.NUMBER and turn(ctx, value, NUMBERS_PAGE):
            await self._numbers(ctx, rid)
        elif step == Step.NUMBER and (value == AUTO or number_after(value, NUMBER) is not None):
            await self._approve(ctx, rid, number_after(value, NUMBER))
        elif step == Step.REASON and value in {o.value for o in REJECT_REASONS}:
            ctx.state.data["reason"] = value
            self._ask_text(ctx, Step.NOTE)
        elif step in (Step.NOTE, Step.QUESTION, Step.RELEASE):
            await self._on_text(ctx, inbound, Step(step), rid, value)
        else:
            await self.show(ctx)

    async def _on_action(self, ctx: Context, rid: int, value: str | None) -> None:
        if value == Action.APPROVE:
            ctx.state.data.pop(NUMBERS_PAGE, None)
            await self._numbers(ctx, rid)
        elif value == Action.REJECT:
            self._reasons(ctx)
        elif value == Action.ASK:
            self._ask_text(ctx, Step.QUESTION)
        elif value == Action.RELEASE:
            self._ask_text(ctx, Step.RELEASE)
        elif value == Action.WAITLIST:
            await self._decide(ctx, rid, svc.waitlist_request(ctx.unit, rid))
        else:
            await self._open(ctx, rid)

    async def _on_text(
        self, ctx: Context, inbound: Inbound, step: Step, rid: int, value: str | None
    ) -> None:
        reason = ctx.state.data.get("reason")
        if step == Step.NOTE and value == SKIP:
            await self._decide(ctx, rid, svc.reject_request(ctx.unit, rid, reason))
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            limit = svc.RELEASE_REASON_MAX if step == Step.RELEASE else NOTE_MAX
            text = parse_announcement(inbound.text, limit=limit)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            self._ask_text(ctx, step)
            return
        if step == Step.NOTE:
            await self._decide(ctx, rid, svc.reject_request(ctx.unit, rid, reason, text))
        elif step == Step.RELEASE:
            await self._decide(ctx, rid, svc.release_stall(ctx.unit, rid, text), "released")
        else:
            await self._decide(ctx, rid, svc.ask_information(ctx.unit, rid, text))

    # --- decisions -----------------------------------------------------------------------------
    async def _approve(self, ctx: Context, rid: int, wanted: int | None) -> None:
        try:
            offer = await svc.approve_request(ctx.unit, rid, wanted)
        except ServiceError as err:
            say_error(ctx, err)
            if err.msgid == "fam.rev.no_stall":
                await self._open(ctx, rid)
            else:
                await self._leave(ctx)
            return
        request = offer.request
        if offer.number_taken:
            ctx.say("fam.rev.number_taken", wanted=wanted, stall=request.stall_number)
        assert request.offer_expires_at is not None
        ctx.say(
            "fam.rev.approved",
            id=rid,
            stall=request.stall_number,
            until=ctx.fmt_datetime(request.offer_expires_at),
        )
        await self._leave(ctx)

    async def _decide(
        self,
        ctx: Context,
        rid: int,
        decision: Coroutine[Any, Any, StallRequest],
        done: str | None = None,
    ) -> None:
        try:
            request = await decision
        except ServiceError as err:
            say_error(ctx, err)
        else:
            ctx.say(f"fam.rev.done.{done or request.status}", id=rid)
        await self._leave(ctx)

    async def _leave(self, ctx: Context) -> None:
        """Back where the request was opened from: a site's held stalls, or the queue."""
        back = ctx.state.data.get("back")
        if back:
            await ctx.goto(back["flow"], back["params"])
        else:
            await self._queue(ctx)
