"""Staff tools for productive families, the review queue of stall requests: approve with a
stall number, reject with a reason, ask the family for information, waitlist. Every decision is
written to the audit log and told to the family."""

from __future__ import annotations

from typing import Any

from bot.core.flow import Context, Flow, number_after, pressed_value
from bot.core.messages import Attachment, Inbound, InboundKind
from bot.core.text import isolate, mask_national_id
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.common import show_district
from bot.handlers.families.common import (
    CATEGORIES,
    NEEDS,
    REJECT_REASONS,
    Notifier,
    offer_hours,
    site_name,
    stall_label,
    status_label,
)
from bot.handlers.staff.panel import STAFF_PANEL
from storage import families as fam
from storage.models_families import (
    APPROVED,
    CONFIRMED,
    NEEDS_INFO,
    REJECTED,
    SUBMITTED,
    UNDER_REVIEW,
    WAITLISTED,
    Family,
    Site,
    StallRequest,
)

REVIEW = "frv"

QUEUE_SHOWN = 10
WAITLIST_SHOWN = 5
NUMBERS_SHOWN = 30
HISTORY_SHOWN = 6
NOTE_MAX = 500

CAN_APPROVE = (SUBMITTED, UNDER_REVIEW, WAITLISTED)
CAN_REJECT = (SUBMITTED, UNDER_REVIEW, NEEDS_INFO, WAITLISTED)
CAN_ASK = (SUBMITTED, UNDER_REVIEW)
CAN_WAITLIST = (SUBMITTED, UNDER_REVIEW)


# --- the review queue ----------------------------------------------------------------------------
class Review(Flow):
    """Steps: q (queue) → rq (one request) → num (stall number) | rr (reason) → rn (note) |
    iq (question for the family)."""

    name = REVIEW
    staff_only = True
    typed_steps = frozenset({"rn", "iq"})  # a note, a question: typed text

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if params.get("rid"):
            await self._open(ctx, int(params["rid"]))
        else:
            await self._queue(ctx)

    async def show(self, ctx: Context) -> None:
        step = ctx.state.step
        rid = int(ctx.state.data.get("rid", 0))
        if step == "q" or not rid:
            await self._queue(ctx)
        elif step == "num":
            await self._numbers(ctx, rid)
        elif step == "rr":
            self._reasons(ctx)
        elif step in ("rn", "iq"):
            self._ask_text(ctx, step)
        else:
            await self._open(ctx, rid)

    # --- views -------------------------------------------------------------------------------
    async def _queue(self, ctx: Context) -> None:
        ctx.set_step("q")
        ctx.state.data = {}
        tr = ctx.tr
        counts = await fam.status_counts(ctx.session)
        pending = counts.get(SUBMITTED, 0) + counts.get(UNDER_REVIEW, 0)
        lines = [
            tr.t("fam.rev.title"),
            tr.tn("fam.rev.pending", pending),
            tr.t(
                "fam.rev.counts",
                new=counts.get(SUBMITTED, 0),
                review=counts.get(UNDER_REVIEW, 0),
                info=counts.get(NEEDS_INFO, 0),
                waiting=counts.get(WAITLISTED, 0),
                offered=counts.get(APPROVED, 0),
                confirmed=counts.get(CONFIRMED, 0),
            ),
        ]
        choices = []
        for request, family, site in await fam.review_queue(ctx.session, QUEUE_SHOWN):
            lines.append(self._item(ctx, request, family, site))
            choices.append(
                ctx.choice(
                    "q", f"r{request.id}", "fam.rev.open_n", id=request.id, name=family.family_name
                )
            )
        waiting = await fam.waitlist(ctx.session, WAITLIST_SHOWN)
        if waiting:
            lines.append(tr.t("fam.rev.waitlist_title"))
        for request, family, site in waiting:
            lines.append(self._item(ctx, request, family, site))
            choices.append(
                ctx.choice(
                    "q", f"r{request.id}", "fam.rev.open_n", id=request.id, name=family.family_name
                )
            )
        choices.append(ctx.choice("q", "back", "form.back"))
        ctx.reply("\n".join(lines), choices)

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
        request = await fam.get_request(ctx.session, rid, lock=True)
        if request is None:
            ctx.say("fam.rev.gone")
            await self._queue(ctx)
            return
        site = await fam.get_site(ctx.session, request.site_id)
        family = await ctx.session.get(Family, request.family_id)
        assert site is not None and family is not None
        if request.status == SUBMITTED:
            # Opening a new request is the start of its review; the family is told.
            change = await fam.set_status(ctx.session, request, UNDER_REVIEW, ctx.actor, ctx.now)
            await Notifier(ctx.unit).changed(request, site, change)
            await ctx.audit("stall_request.review", f"stall_request:{rid}")
        ctx.set_step("rq")
        ctx.state.data = {"rid": rid}
        ctx.reply(await self._details(ctx, request, family, site))
        for index, photo in enumerate(family.photos, start=1):
            # A platform's file id only means something on that platform.
            if photo.get("channel") == ctx.inbound.channel and photo.get("file_id"):
                ctx.reply(
                    ctx.tr.t("fam.rev.photo", n=index),
                    attachment=Attachment(kind="photo", file_id=photo["file_id"]),
                )
        choices = []
        if request.status in CAN_APPROVE:
            choices.append(ctx.choice("rq", "ap", "fam.rev.approve"))
        if request.status in CAN_WAITLIST:
            choices.append(ctx.choice("rq", "wl", "fam.rev.waitlist"))
        if request.status in CAN_ASK:
            choices.append(ctx.choice("rq", "in", "fam.rev.ask"))
        if request.status in CAN_REJECT:
            choices.append(ctx.choice("rq", "rj", "fam.rev.reject"))
        choices.append(ctx.choice("rq", "back", "form.back"))
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
                    status=status_label(tr, change.to_status),
                )
            )
        return "\n".join(lines)

    async def _numbers(self, ctx: Context, rid: int) -> None:
        request = await fam.get_request(ctx.session, rid)
        site = await fam.get_site(ctx.session, request.site_id) if request else None
        if request is None or site is None:
            await self._queue(ctx)
            return
        free = await fam.free_numbers(ctx.session, site, request.stall_type)
        if not free:
            ctx.say("fam.rev.no_stall")
            await self._open(ctx, rid)
            return
        ctx.set_step("num")
        choices = [ctx.choice("num", f"n{n}", "fam.rev.stall_n", n=n) for n in free[:NUMBERS_SHOWN]]
        choices.append(ctx.choice("num", "auto", "fam.rev.stall_auto"))
        choices.append(ctx.choice("num", "back", "form.back"))
        ctx.reply(
            ctx.tr.tn(
                "fam.rev.pick_number", len(free), type=stall_label(ctx.tr, request.stall_type)
            ),
            choices,
        )

    def _reasons(self, ctx: Context) -> None:
        ctx.set_step("rr")
        choices = [ctx.choice("rr", o.value, o.label) for o in REJECT_REASONS]
        choices.append(ctx.choice("rr", "back", "form.back"))
        ctx.reply(ctx.tr.t("fam.rev.reason_q"), choices)

    def _ask_text(self, ctx: Context, step: str) -> None:
        ctx.set_step(step)
        choices = []
        if step == "rn":
            choices.append(ctx.choice(step, "_s", "form.skip"))
        choices.append(ctx.choice(step, "back", "form.back"))
        ctx.reply(ctx.tr.t("fam.rev.note_q" if step == "rn" else "fam.rev.ask_q"), choices)

    # --- input -------------------------------------------------------------------------------
    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        step = ctx.state.step
        rid = int(ctx.state.data.get("rid", 0))
        if step == "q":
            opened = number_after(value, "r")
            if value == "back":
                await ctx.goto(STAFF_PANEL)
            elif opened is not None:
                await self._open(ctx, opened)
            else:
                await self._queue(ctx)
        elif value == "back":
            await (self._queue(ctx) if step == "rq" else self._open(ctx, rid))
        elif step == "rq":
            await self._on_action(ctx, rid, value)
        elif step == "num" and (value == "auto" or number_after(value, "n") is not None):
            await self._approve(ctx, rid, number_after(value, "n"))
        elif step == "rr" and value in {o.value for o in REJECT_REASONS}:
            ctx.state.data["reason"] = value
            self._ask_text(ctx, "rn")
        elif step in ("rn", "iq"):
            await self._on_text(ctx, inbound, step, rid, value)
        else:
            await self.show(ctx)

    async def _on_action(self, ctx: Context, rid: int, value: str | None) -> None:
        if value == "ap":
            await self._numbers(ctx, rid)
        elif value == "rj":
            self._reasons(ctx)
        elif value == "in":
            self._ask_text(ctx, "iq")
        elif value == "wl":
            await self._decide(ctx, rid, WAITLISTED, CAN_WAITLIST)
        else:
            await self._open(ctx, rid)

    async def _on_text(
        self, ctx: Context, inbound: Inbound, step: str, rid: int, value: str | None
    ) -> None:
        if step == "rn" and value == "_s":
            await self._decide(ctx, rid, REJECTED, CAN_REJECT)
            return
        try:
            if inbound.kind is not InboundKind.TEXT:
                raise Invalid("err.expected_text")
            text = parse_announcement(inbound.text, limit=NOTE_MAX)
        except Invalid as err:
            ctx.say(err.msgid, **err.params)
            self._ask_text(ctx, step)
            return
        if step == "rn":
            await self._decide(ctx, rid, REJECTED, CAN_REJECT, note=text)
        else:
            await self._decide(ctx, rid, NEEDS_INFO, CAN_ASK, note=text)

    # --- decisions -----------------------------------------------------------------------------
    async def _locked(
        self, ctx: Context, rid: int, allowed: tuple[str, ...]
    ) -> tuple[StallRequest, Site] | None:
        """The request, locked and re-read: another staff member may have decided meanwhile."""
        request = await fam.get_request(ctx.session, rid, lock=True)
        site = await fam.get_site(ctx.session, request.site_id) if request else None
        if request is None or site is None:
            ctx.say("fam.rev.gone")
            await self._queue(ctx)
            return None
        if request.status not in allowed:
            ctx.say("fam.rev.changed", id=rid, status=status_label(ctx.tr, request.status))
            await self._queue(ctx)
            return None
        return request, site

    async def _approve(self, ctx: Context, rid: int, wanted: int | None) -> None:
        found = await self._locked(ctx, rid, CAN_APPROVE)
        if found is None:
            return
        request, site = found
        change = await fam.allocate(
            ctx.session,
            request,
            site,
            status=APPROVED,
            actor=ctx.actor,
            now=ctx.now,
            offer_hours=offer_hours(ctx.settings),
            preferred=wanted,
        )
        if change is None:
            ctx.say("fam.rev.no_stall")
            await self._open(ctx, rid)
            return
        if wanted is not None and request.stall_number != wanted:
            ctx.say("fam.rev.number_taken", wanted=wanted, stall=request.stall_number)
        await Notifier(ctx.unit).changed(request, site, change)
        await ctx.audit(
            "stall_request.approved", f"stall_request:{rid}", stall=request.stall_number
        )
        assert request.offer_expires_at is not None
        ctx.say(
            "fam.rev.approved",
            id=rid,
            stall=request.stall_number,
            until=ctx.fmt_datetime(request.offer_expires_at),
        )
        await self._queue(ctx)

    async def _decide(
        self,
        ctx: Context,
        rid: int,
        status: str,
        allowed: tuple[str, ...],
        note: str | None = None,
    ) -> None:
        reason = ctx.state.data.get("reason")
        found = await self._locked(ctx, rid, allowed)
        if found is None:
            return
        request, site = found
        if status == REJECTED:
            request.reject_reason = reason or "other"
            request.reject_note = note
        elif status == NEEDS_INFO:
            request.info_request = note
            request.info_reply = None
        change = await fam.set_status(
            ctx.session,
            request,
            status,
            ctx.actor,
            ctx.now,
            reason if status == REJECTED else None,
        )
        await Notifier(ctx.unit).changed(request, site, change)
        details: dict[str, Any] = {"reason": reason} if status == REJECTED else {}
        await ctx.audit(f"stall_request.{status}", f"stall_request:{rid}", **details)
        ctx.say(f"fam.rev.done.{status}", id=rid)
        await self._queue(ctx)
