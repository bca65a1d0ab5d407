"""Staff tools for productive families, the sites: the list, one site (open/close, edit,
export to a spreadsheet) and the form that creates or edits a site. Every staff action is written
to the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.date_input import parse_day
from bot.core.dates import end_of_day
from bot.core.flow import Context, Flow, number_after, pressed_value
from bot.core.forms import Field, FieldError, FieldKind, Form, Values
from bot.core.messages import Attachment, Inbound
from bot.core.text import clean_input
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.common import DISTRICT_OPTIONS, parse_district, show_district, show_iso_date
from bot.handlers.families.common import (
    FEES,
    YES_NO,
    Notifier,
    parse_short_text,
    pass_on,
    site_name,
    status_label,
)
from bot.handlers.families.export import FORMATS, export_filename, export_site
from bot.handlers.families.family import site_description, site_location
from bot.handlers.staff.panel import STAFF_PANEL
from storage import families as fam
from storage.models_families import (
    Site,
)

SITES_ADMIN = "fsa"
SITE_FORM = "fsf"

SITES_SHOWN = 20
MAX_STALLS = 500
SITE_NAME_MAX = 120
COUNT_FIELDS = frozenset({"food", "nonfood"})


# --- sites ---------------------------------------------------------------------------------------
class SitesAdmin(Flow):
    name = SITES_ADMIN
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if params.get("site"):
            ctx.state.data["site"] = int(params["site"])
            await self._show_site(ctx)
        else:
            await self._show_list(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == "site":
            await self._show_site(ctx)
        else:
            await self._show_list(ctx)

    async def _show_list(self, ctx: Context) -> None:
        ctx.set_step("list")
        sites = await fam.list_sites(ctx.session)
        lines = [ctx.tr.t("fam.sa.title"), ctx.tr.tn("fam.sa.count", len(sites))]
        choices = []
        for site in sites[:SITES_SHOWN]:
            state = ctx.tr.label("fam.sa.open" if site.is_open else "fam.sa.closed")
            lines.append(
                ctx.tr.t(
                    "fam.sa.line",
                    id=site.id,
                    name=site_name(site, ctx.tr.locale),
                    state=state,
                    start=ctx.fmt_date(site.start_date),
                )
            )
            choices.append(
                ctx.choice(
                    "list",
                    f"s{site.id}",
                    "fam.sa.open_n",
                    id=site.id,
                    name=site_name(site, ctx.tr.locale),
                )
            )
        choices.append(ctx.choice("list", "new", "fam.sa.new"))
        choices.append(ctx.choice("list", "back", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def _show_site(self, ctx: Context) -> None:
        site = await fam.get_site(ctx.session, int(ctx.state.data.get("site", 0)))
        if site is None:
            await self._show_list(ctx)
            return
        ctx.set_step("site")
        counts = await fam.status_counts(ctx.session, site.id)
        held = {t: len(await fam.held_numbers(ctx.session, site.id, t)) for t in fam.STALL_TYPES}
        lines = [
            await site_description(ctx, site),
            ctx.tr.t(
                "fam.sa.capacity",
                food_held=held["food"],
                food=site.food_stalls,
                nonfood_held=held["nonfood"],
                nonfood=site.nonfood_stalls,
            ),
            ctx.tr.t(
                "fam.sa.state",
                state=ctx.tr.label("fam.sa.open" if site.is_open else "fam.sa.closed"),
            ),
            ctx.tr.tn("fam.sa.requests", sum(counts.values())),
        ]
        lines += [
            ctx.tr.t("fam.sa.status_count", status=status_label(ctx.tr, s), n=n)
            for s, n in sorted(counts.items())
        ]
        ctx.reply("\n".join(lines))
        site_location(ctx, site)
        toggle = "close" if site.is_open else "reopen"
        choices = [
            ctx.choice("site", "edit", "fam.sa.edit"),
            ctx.choice("site", toggle, f"fam.sa.{toggle}"),
            ctx.choice("site", "xlsx", "fam.sa.export_xlsx"),
            ctx.choice("site", "csv", "fam.sa.export_csv"),
            ctx.choice("site", "back", "form.back"),
        ]
        ctx.reply(ctx.tr.t("fam.sa.actions"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if ctx.state.step == "list":
            site_id = number_after(value, "s")
            if value == "new":
                await ctx.goto(SITE_FORM, {"new": True})
            elif value == "back":
                await ctx.goto(STAFF_PANEL)
            elif site_id is not None:
                ctx.state.data["site"] = site_id
                await self._show_site(ctx)
            else:
                await self._show_list(ctx)
            return
        site = await fam.get_site(ctx.session, int(ctx.state.data.get("site", 0)))
        if site is None or value == "back":
            await self._show_list(ctx)
        elif value == "edit":
            await ctx.goto(SITE_FORM, {"site": site.id})
        elif value in ("close", "reopen"):
            site.is_open = value == "reopen"
            await ctx.audit("site.opened" if site.is_open else "site.closed", f"site:{site.id}")
            ctx.say("fam.sa.reopened" if site.is_open else "fam.sa.closed_done")
            await self._show_site(ctx)
        elif value in FORMATS:
            await self._export(ctx, site, value)
            await self._show_site(ctx)
        else:
            await self._show_site(ctx)

    async def _export(self, ctx: Context, site: Site, fmt: str) -> None:
        # The column headers are Arabic whatever the staff member's language (issue 5 §8).
        arabic = ctx.catalogs.translator("ar")
        data, count = await export_site(
            ctx.session, arabic, site, fmt, ctx.settings.timezone, full_ids=False
        )
        filename = export_filename(site, fmt)
        caption = ctx.tr.tn("fam.sa.exported", count, name=site_name(site, ctx.tr.locale))
        ctx.reply(
            caption,
            attachment=Attachment(kind="document", filename=filename, data=data),
        )
        await ctx.audit("site.exported", f"site:{site.id}", format=fmt, rows=count)


def _site_name(ctx: Context, text: str) -> str:
    return parse_short_text(text, SITE_NAME_MAX)


def _count(ctx: Context, text: str) -> int:
    value = clean_input(text)
    if not value.isdigit() or int(value) > MAX_STALLS:
        raise Invalid("fam.sf.err.count", max=MAX_STALLS)
    return int(value)


def _site_start(ctx: Context, text: str) -> str:
    return parse_day(text).isoformat()


def _site_end(ctx: Context, text: str) -> str:
    day = parse_day(text)
    start = ctx.state.data.get("v", {}).get("first")
    if start and day < date.fromisoformat(start):
        raise Invalid("fam.err.end_before_start")
    return day.isoformat()


def _deadline(ctx: Context, text: str) -> str:
    day = parse_day(text)
    end = ctx.state.data.get("v", {}).get("last")
    if end and day > date.fromisoformat(end):
        raise Invalid("fam.sf.err.deadline_after_end")
    return day.isoformat()


def _fee_note(ctx: Context, text: str) -> str:
    return parse_announcement(text, limit=200)


class SiteForm(Form):
    """A new site, or an existing one (`params["site"]`) to correct."""

    name = SITE_FORM
    staff_only = True
    typed_steps = COUNT_FIELDS
    intro = "fam.sf.intro"
    summary_title = "fam.sf.summary_title"
    fields = (
        Field("name_ar", "fam.sf.q.name_ar", "fam.sf.f.name_ar", parse=_site_name),
        Field("name_en", "fam.sf.q.name_en", "fam.sf.f.name_en", parse=_site_name, required=False),
        Field(
            "district",
            "fam.sf.q.district",
            "fam.sf.f.district",
            FieldKind.CHOICE,
            DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
        ),
        Field(
            "pin",
            "fam.sf.q.pin",
            "fam.sf.f.pin",
            FieldKind.LOCATION,
            required=False,
        ),
        Field("food", "fam.sf.q.food", "fam.sf.f.food", parse=_count),
        Field("nonfood", "fam.sf.q.nonfood", "fam.sf.f.nonfood", parse=_count),
        Field("first", "fam.sf.q.start", "fam.sf.f.start", parse=_site_start, render=show_iso_date),
        Field("last", "fam.sf.q.end", "fam.sf.f.end", parse=_site_end, render=show_iso_date),
        Field(
            "deadline",
            "fam.sf.q.deadline",
            "fam.sf.f.deadline",
            parse=_deadline,
            render=show_iso_date,
        ),
        Field("fee", "fam.sf.q.fee", "fam.sf.f.fee", FieldKind.CHOICE, FEES),
        Field(
            "fee_note", "fam.sf.q.fee_note", "fam.sf.f.fee_note", parse=_fee_note, required=False
        ),
        Field("saudi", "fam.sf.q.saudi", "fam.sf.f.saudi", FieldKind.CHOICE, YES_NO),
        Field("women", "fam.sf.q.women", "fam.sf.f.women", FieldKind.CHOICE, YES_NO),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        site = await fam.get_site(ctx.session, int(params.get("site") or 0))
        draft = ctx.state.drafts.get(self.name)
        editing_draft = bool(draft and draft["data"].get("site_id"))
        if site is not None or (params.get("new") and editing_draft):
            ctx.state.drafts.pop(self.name, None)
        if site is None:
            await super().start(ctx, {})
            return
        await super().start(ctx, {"values": site_values(site, ctx.settings.timezone)})
        ctx.state.data["site_id"] = site.id

    async def submit(self, ctx: Context, values: Values) -> None:
        site_id = ctx.state.data.get("site_id")
        site = await fam.get_site(ctx.session, int(site_id)) if site_id else None
        start, end = date.fromisoformat(values["first"]), date.fromisoformat(values["last"])
        deadline = date.fromisoformat(values["deadline"])
        if values["food"] + values["nonfood"] <= 0:
            raise FieldError("food", "fam.sf.err.no_stalls")
        if end < start:
            raise FieldError("last", "fam.err.end_before_start")
        if deadline > end:
            raise FieldError("deadline", "fam.sf.err.deadline_after_end")
        grown: list[str] = []
        if site is not None:
            for stall_type, field in (("food", "food"), ("nonfood", "nonfood")):
                highest = await fam.highest_held(ctx.session, site.id, stall_type)
                if values[field] < highest:
                    raise FieldError(field, "fam.sf.err.below_held", n=highest)
                if values[field] > site.capacity(stall_type):
                    grown.append(stall_type)
        is_new = site is None
        if site is None:
            site = Site(created_by=ctx.user.id, created_at=ctx.now, is_open=True)
        pin = values.get("pin")
        site.name_ar = values["name_ar"]
        site.name_en = values.get("name_en")
        site.district = values["district"]
        site.latitude, site.longitude = (pin[0], pin[1]) if pin else (None, None)
        site.food_stalls, site.nonfood_stalls = values["food"], values["nonfood"]
        site.start_date, site.end_date = start, end
        site.deadline = end_of_day(deadline, ctx.settings.timezone)
        site.fee = values["fee"]
        site.fee_note = values.get("fee_note")
        site.saudi_only = values["saudi"] == "yes"
        site.women_only = values["women"] == "yes"
        ctx.session.add(site)
        await ctx.session.flush()
        await ctx.audit(
            "site.created" if is_new else "site.updated",
            f"site:{site.id}",
            food=site.food_stalls,
            nonfood=site.nonfood_stalls,
        )
        for stall_type in grown:  # new stalls go to families on the waiting list first
            await pass_on(Notifier(ctx.unit), site, stall_type, ctx.now, ctx.actor)
        ctx.state.data = {}
        ctx.say("fam.sf.saved" if is_new else "fam.sf.updated", name=site.name_ar)
        await ctx.goto(SITES_ADMIN, {"site": site.id})


def site_values(site: Site, timezone: str) -> Values:
    deadline_day = site.deadline.astimezone(ZoneInfo(timezone)).date()
    pin = (
        [site.latitude, site.longitude]
        if site.latitude is not None and site.longitude is not None
        else None
    )
    return {
        "name_ar": site.name_ar,
        "name_en": site.name_en,
        "district": site.district,
        "pin": pin,
        "food": site.food_stalls,
        "nonfood": site.nonfood_stalls,
        "first": site.start_date.isoformat(),
        "last": site.end_date.isoformat(),
        "deadline": deadline_day.isoformat(),
        "fee": site.fee,
        "fee_note": site.fee_note,
        "saudi": "yes" if site.saudi_only else "no",
        "women": "yes" if site.women_only else "no",
    }
