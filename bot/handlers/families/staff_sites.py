"""Staff tools for productive families, the sites: the list, one site (open/close, edit,
export to a spreadsheet) and the form that creates or edits a site. Every staff action is written
to the audit log."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.choice_ids import number_after, pressed_value
from bot.core.date_input import parse_day
from bot.core.flow import Context, Flow
from bot.core.forms import Field, FieldError, FieldKind, Form, Values
from bot.core.messages import Attachment, Inbound
from bot.core.pager import current_page, page_choices, page_line, turn
from bot.core.text import clean_input
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.access.common import ACCESS_FIELD, access_field
from bot.handlers.common import DISTRICT_OPTIONS, parse_district, show_district, show_iso_date
from bot.handlers.families.common import (
    BACK,
    FEES,
    YES_NO,
    error_params,
    parse_short_text,
    say_error,
    status_label,
)
from bot.handlers.families.family import site_description, site_location
from bot.handlers.families.staff_review import REVIEW
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services.errors import ServiceError
from bot.services.families import FieldProblem
from bot.services.family_notices import site_name, stall_label
from bot.services.family_reports import FORMATS, export_requests
from bot.services.family_sites import (
    MAX_STALLS,
    SiteData,
    save_site,
    set_site_open,
)
from storage import families as fam
from storage.models_families import HOLDS_STALL, Site

SITES_ADMIN = "fsa"
SITE_FORM = "fsf"

SITES_SHOWN = 20
SITE_NAME_MAX = 120
FEE_NOTE_MAX = 200
SETUP_NOTE_MAX = 200  # as on the web's site form


class SiteField(StrEnum):
    """The site form's questions."""

    NAME_AR = "name_ar"
    NAME_EN = "name_en"
    DISTRICT = "district"
    PIN = "pin"
    FOOD = "food"
    NONFOOD = "nonfood"
    FIRST = "first"
    LAST = "last"
    DEADLINE = "deadline"
    FEE = "fee"
    FEE_NOTE = "fee_note"
    SETUP = "setup"
    SAUDI = "saudi"
    WOMEN = "women"
    ACCESS = ACCESS_FIELD
    RESERVED = "reserved"  # stalls kept for families with a person with a disability


COUNT_FIELDS = frozenset({SiteField.FOOD, SiteField.NONFOOD, SiteField.RESERVED})  # typed numbers
# Which question to ask again when the service refuses a value (its name → the form's).
SITE_PROBLEMS = {
    "food_stalls": SiteField.FOOD,
    "nonfood_stalls": SiteField.NONFOOD,
    "end_date": SiteField.LAST,
    "deadline_day": SiteField.DEADLINE,
    "reserved": SiteField.RESERVED,
}
YES, NO = "yes", "no"  # the values of YES_NO


class Step(StrEnum):
    LIST = "list"
    SITE = "site"
    HELD = "held"  # the stalls families hold at the site, each opened to manage it


class SiteAction(StrEnum):
    NEW = "new"
    EDIT = "edit"
    CLOSE = "close"
    REOPEN = "reopen"
    HELD = "held"


OPEN_SITE = "s"  # "s<id>": show site <id>
OPEN_REQUEST = "r"  # "r<id>": open stall request <id> to manage it
HELD_SHOWN = 10
HELD_PAGE = "hpage"


# --- sites ---------------------------------------------------------------------------------------
class SitesAdmin(Flow):
    name = SITES_ADMIN
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.state.data = {}
        if params.get("site"):
            ctx.state.data["site"] = int(params["site"])
            await (self._show_held(ctx) if params.get("held") else self._show_site(ctx))
        else:
            await self._show_list(ctx)

    async def show(self, ctx: Context) -> None:
        if ctx.state.step == Step.SITE:
            await self._show_site(ctx)
        elif ctx.state.step == Step.HELD:
            await self._show_held(ctx)
        else:
            await self._show_list(ctx)

    async def _show_list(self, ctx: Context) -> None:
        step = Step.LIST
        ctx.set_step(step)
        sites = await fam.list_sites(ctx.session)
        lines = [ctx.tr.t("fam.sa.title"), ctx.tr.tn("fam.sa.count", len(sites))]
        choices = []
        page = current_page(ctx, len(sites), SITES_SHOWN)
        for site in page.slice(sites):
            state = ctx.tr.label("fam.sa.open" if site.is_open else "fam.sa.closed")
            name = site_name(site, ctx.tr.locale)
            lines.append(
                ctx.tr.t(
                    "fam.sa.line",
                    id=site.id,
                    name=name,
                    state=state,
                    start=ctx.fmt_date(site.start_date),
                )
            )
            choices.append(
                ctx.choice(step, f"{OPEN_SITE}{site.id}", "fam.sa.open_n", id=site.id, name=name)
            )
        if (line := page_line(ctx, page)) is not None:
            lines.append(line)
        choices += page_choices(ctx, step, page)
        choices.append(ctx.choice(step, SiteAction.NEW, "fam.sa.new"))
        choices.append(ctx.choice(step, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def _show_site(self, ctx: Context) -> None:
        site = await fam.get_site(ctx.session, int(ctx.state.data.get("site", 0)))
        if site is None:
            await self._show_list(ctx)
            return
        step = Step.SITE
        ctx.set_step(step)
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
        toggle = SiteAction.CLOSE if site.is_open else SiteAction.REOPEN
        choices = [
            ctx.choice(step, SiteAction.HELD, "fam.sa.held", n=sum(held.values())),
            ctx.choice(step, SiteAction.EDIT, "fam.sa.edit"),
            ctx.choice(step, toggle, f"fam.sa.{toggle}"),
            *[ctx.choice(step, fmt, f"fam.sa.export_{fmt}") for fmt in FORMATS],
            ctx.choice(step, BACK, "form.back"),
        ]
        ctx.reply(ctx.tr.t("fam.sa.actions"), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if ctx.state.step == Step.LIST:
            site_id = number_after(value, OPEN_SITE)
            if value == SiteAction.NEW:
                await ctx.goto(SITE_FORM, {"new": True})
            elif value == BACK:
                await ctx.goto(STAFF_PANEL)
            elif site_id is not None:
                ctx.state.data["site"] = site_id
                await self._show_site(ctx)
            else:
                turn(ctx, value)
                await self._show_list(ctx)
            return
        site_id = int(ctx.state.data.get("site", 0))
        if ctx.state.step == Step.HELD:
            await self._on_held(ctx, site_id, value)
            return
        if value == BACK or await fam.get_site(ctx.session, site_id) is None:
            await self._show_list(ctx)
            return
        if value == SiteAction.HELD:
            ctx.state.data.pop(HELD_PAGE, None)
            await self._show_held(ctx)
            return
        try:
            if value == SiteAction.EDIT:
                await ctx.goto(SITE_FORM, {"site": site_id})
                return
            if value in (SiteAction.CLOSE, SiteAction.REOPEN):
                site = await set_site_open(ctx.unit, site_id, value == SiteAction.REOPEN)
                ctx.say("fam.sa.reopened" if site.is_open else "fam.sa.closed_done")
            elif value in FORMATS:
                await self._export(ctx, site_id, value)
        except ServiceError as err:
            say_error(ctx, err)
        await self._show_site(ctx)

    # --- the stalls held at a site ------------------------------------------------------------
    async def _show_held(self, ctx: Context) -> None:
        """Who holds which stall (confirmed, or offered and not yet confirmed), by type and
        number; each opens in the review, where staff may take the stall back."""
        site_id = int(ctx.state.data.get("site", 0))
        site = await fam.get_site(ctx.session, site_id)
        if site is None:
            await self._show_list(ctx)
            return
        step = Step.HELD
        ctx.set_step(step)
        held = [
            (request, family)
            for request, family in await fam.site_requests(ctx.session, site.id)
            if request.status in HOLDS_STALL
        ]
        held.sort(key=lambda pair: (pair[0].stall_type, pair[0].stall_number or 0))
        tr = ctx.tr
        lines = [
            tr.t("fam.sa.held_title", site=site_name(site, tr.locale)),
            tr.tn("fam.sa.held_count", len(held)),
        ]
        choices = []
        page = current_page(ctx, len(held), HELD_SHOWN, HELD_PAGE)
        for request, family in page.slice(held):
            stall = request.stall_number
            lines.append(
                tr.t(
                    "fam.sa.held_line",
                    stall=stall,
                    type=stall_label(tr, request.stall_type),
                    family=family.family_name,
                    id=request.id,
                    status=status_label(tr, request.status),
                )
            )
            choices.append(
                ctx.choice(
                    step,
                    f"{OPEN_REQUEST}{request.id}",
                    "fam.sa.held_open",
                    stall=stall,
                    family=family.family_name,
                )
            )
        if (line := page_line(ctx, page)) is not None:
            lines.append(line)
        choices += page_choices(ctx, step, page)
        choices.append(ctx.choice(step, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def _on_held(self, ctx: Context, site_id: int, value: str) -> None:
        request_id = number_after(value, OPEN_REQUEST)
        if value == BACK:
            await self._show_site(ctx)
        elif request_id is not None:
            back = {"flow": SITES_ADMIN, "params": {"site": site_id, "held": True}}
            await ctx.goto(REVIEW, {"rid": request_id, "back": back})
        else:
            turn(ctx, value, HELD_PAGE)
            await self._show_held(ctx)

    async def _export(self, ctx: Context, site_id: int, fmt: str) -> None:
        # Files sent through a messenger leave the Kingdom: national IDs masked.
        export = await export_requests(ctx.unit, site_id, fmt, full_ids=False)
        name = site_name(export.site, ctx.tr.locale)
        ctx.reply(
            ctx.tr.tn("fam.sa.exported", export.rows, name=name),
            attachment=Attachment(kind="document", filename=export.filename, data=export.data),
        )


def _site_name(ctx: Context, text: str) -> str:
    return parse_short_text(text, SITE_NAME_MAX)


def _count(ctx: Context, text: str) -> int:
    value = clean_input(text)
    if not value.isdigit() or int(value) > MAX_STALLS:
        raise Invalid("fam.sf.err.count", max=MAX_STALLS)
    return int(value)


def _site_start(ctx: Context, text: str) -> str:
    return parse_day(text, ctx.today).isoformat()


def _site_end(ctx: Context, text: str) -> str:
    day = parse_day(text, ctx.today)
    start = ctx.state.data.get("v", {}).get(SiteField.FIRST)
    if start and day < date.fromisoformat(start):
        raise Invalid("fam.err.end_before_start")
    return day.isoformat()


def _deadline(ctx: Context, text: str) -> str:
    day = parse_day(text, ctx.today)
    end = ctx.state.data.get("v", {}).get(SiteField.LAST)
    if end and day > date.fromisoformat(end):
        raise Invalid("fam.sf.err.deadline_after_end")
    return day.isoformat()


def _fee_note(ctx: Context, text: str) -> str:
    return parse_announcement(text, limit=FEE_NOTE_MAX)


def _setup_note(ctx: Context, text: str) -> str:
    return parse_announcement(text, limit=SETUP_NOTE_MAX)


class SiteForm(Form):
    """A new site, or an existing one (`params["site"]`) to correct."""

    name = SITE_FORM
    staff_only = True
    typed_steps = COUNT_FIELDS
    intro = "fam.sf.intro"
    summary_title = "fam.sf.summary_title"
    fields = (
        Field(SiteField.NAME_AR, "fam.sf.q.name_ar", "fam.sf.f.name_ar", parse=_site_name),
        Field(
            SiteField.NAME_EN,
            "fam.sf.q.name_en",
            "fam.sf.f.name_en",
            parse=_site_name,
            required=False,
        ),
        Field(
            SiteField.DISTRICT,
            "fam.sf.q.district",
            "fam.sf.f.district",
            FieldKind.CHOICE,
            DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
        ),
        Field(
            SiteField.PIN,
            "fam.sf.q.pin",
            "fam.sf.f.pin",
            FieldKind.LOCATION,
            required=False,
        ),
        Field(SiteField.FOOD, "fam.sf.q.food", "fam.sf.f.food", parse=_count),
        Field(SiteField.NONFOOD, "fam.sf.q.nonfood", "fam.sf.f.nonfood", parse=_count),
        Field(
            SiteField.FIRST,
            "fam.sf.q.start",
            "fam.sf.f.start",
            parse=_site_start,
            render=show_iso_date,
        ),
        Field(
            SiteField.LAST, "fam.sf.q.end", "fam.sf.f.end", parse=_site_end, render=show_iso_date
        ),
        Field(
            SiteField.DEADLINE,
            "fam.sf.q.deadline",
            "fam.sf.f.deadline",
            parse=_deadline,
            render=show_iso_date,
        ),
        Field(SiteField.FEE, "fam.sf.q.fee", "fam.sf.f.fee", FieldKind.CHOICE, FEES),
        Field(
            SiteField.FEE_NOTE,
            "fam.sf.q.fee_note",
            "fam.sf.f.fee_note",
            parse=_fee_note,
            required=False,
            feminine=True,
        ),
        # When families may set up: told in every offer (without it the offer says to ask).
        Field(
            SiteField.SETUP,
            "fam.sf.q.setup",
            "fam.sf.f.setup",
            parse=_setup_note,
            required=False,
        ),
        Field(SiteField.SAUDI, "fam.sf.q.saudi", "fam.sf.f.saudi", FieldKind.CHOICE, YES_NO),
        Field(SiteField.WOMEN, "fam.sf.q.women", "fam.sf.f.women", FieldKind.CHOICE, YES_NO),
        access_field(),
        Field(SiteField.RESERVED, "acc.q.reserved", "acc.f.reserved", parse=_count, required=False),
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
        pin = values.get(SiteField.PIN)
        data = SiteData(
            name_ar=values[SiteField.NAME_AR],
            name_en=values.get(SiteField.NAME_EN),
            district=values[SiteField.DISTRICT],
            pin=(pin[0], pin[1]) if pin else None,
            food_stalls=values[SiteField.FOOD],
            nonfood_stalls=values[SiteField.NONFOOD],
            start_date=date.fromisoformat(values[SiteField.FIRST]),
            end_date=date.fromisoformat(values[SiteField.LAST]),
            deadline_day=date.fromisoformat(values[SiteField.DEADLINE]),
            fee=values[SiteField.FEE],
            fee_note=values.get(SiteField.FEE_NOTE),
            setup_note=values.get(SiteField.SETUP),
            saudi_only=values[SiteField.SAUDI] == YES,
            women_only=values[SiteField.WOMEN] == YES,
            access=tuple(values.get(SiteField.ACCESS) or ()),
            reserved_stalls=int(values.get(SiteField.RESERVED) or 0),
        )
        try:
            saved = await save_site(ctx.unit, int(site_id) if site_id else None, data)
        except FieldProblem as err:
            field = SITE_PROBLEMS.get(err.field or "", SiteField.NAME_AR)
            raise FieldError(field, err.msgid, **error_params(ctx, err)) from None
        ctx.state.data = {}
        ctx.say("fam.sf.saved" if saved.created else "fam.sf.updated", name=saved.site.name_ar)
        await ctx.goto(SITES_ADMIN, {"site": saved.site.id})


def site_values(site: Site, timezone: str) -> Values:
    deadline_day = site.deadline.astimezone(ZoneInfo(timezone)).date()
    pin = (
        [site.latitude, site.longitude]
        if site.latitude is not None and site.longitude is not None
        else None
    )
    return {
        SiteField.NAME_AR: site.name_ar,
        SiteField.NAME_EN: site.name_en,
        SiteField.DISTRICT: site.district,
        SiteField.PIN: pin,
        SiteField.FOOD: site.food_stalls,
        SiteField.NONFOOD: site.nonfood_stalls,
        SiteField.FIRST: site.start_date.isoformat(),
        SiteField.LAST: site.end_date.isoformat(),
        SiteField.DEADLINE: deadline_day.isoformat(),
        SiteField.FEE: site.fee,
        SiteField.FEE_NOTE: site.fee_note,
        SiteField.SETUP: site.setup_note,
        SiteField.SAUDI: YES if site.saudi_only else NO,
        SiteField.WOMEN: YES if site.women_only else NO,
        SiteField.ACCESS: list(site.access or []) or None,
        SiteField.RESERVED: site.reserved_stalls,
    }
