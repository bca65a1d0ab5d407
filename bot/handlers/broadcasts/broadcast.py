"""Staff broadcasts: a form to compose one (audience, Arabic and optional English text, an
optional photo or document, now or later), a preview exactly as recipients will see it, and
the staff panel where scheduled broadcasts can be cancelled and one being sent can be stopped.
The rules (who may, what fits, when) are `bot.services.broadcasts`; delivery is the outbox's
job."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.choice_ids import pressed_value
from bot.core.date_input import moment_examples, parse_moment
from bot.core.flow import BotApp, Command, Context, Flow, MenuEntry
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.messages import Attachment, Choice, Inbound
from bot.core.pager import current_page, page_choices, page_line, turn
from bot.core.render import broadcast_text
from bot.core.text import isolate
from bot.core.validators import Invalid, parse_announcement
from bot.handlers.common import DISTRICT_OPTIONS, INTERESTS, parse_district, show_district
from bot.handlers.events.common import (
    open_event_choice,
    parse_event_number,
)
from bot.handlers.staff.panel import STAFF_PANEL
from bot.services import broadcasts as service
from bot.services.errors import ServiceError
from storage import events as event_store
from storage.models_partners import PARTNER_TYPES

BROADCAST_FORM = "bc"
SCHEDULED = "bcl"
PREVIEW_CHARS = 60
PAGE_SIZE = 8


class F(StrEnum):
    """The form's fields (each also the step that asks it)."""

    EVENT_BUTTON = "ev"  # present only when staff announce an event: the text gets its button
    AUDIENCE = "aud"
    DISTRICT = "district"
    INTEREST = "interest"
    AUDIENCE_EVENT = "aud_event"
    PARTNER_TYPE = "ptype"
    TEXT_AR = "text_ar"
    TEXT_EN = "text_en"
    FILE = "file"
    WHEN = "when"
    AT = "at"


class When(StrEnum):
    NOW = "now"
    LATER = "later"


class Aud(StrEnum):
    ALL = "all"
    VOLUNTEERS = "volunteers"
    FAMILIES = "families"
    DISTRICT = "district"
    INTEREST = "interest"
    EVENT = "event"
    PARTNERS = "partners"
    PARTNER_TYPE = "partner_type"


EVENT_NUMBER_STEPS = frozenset({F.EVENT_BUTTON, F.AUDIENCE_EVENT})
AUDIENCE_OPTIONS = tuple(Option(kind, f"bc.aud.{kind}") for kind in Aud)
PARTNER_TYPE_OPTIONS = tuple(Option(t, f"ptn.type.{t}") for t in PARTNER_TYPES)
WHEN_OPTIONS = (Option(When.NOW, "bc.when.now"), Option(When.LATER, "bc.when.later"))


_REFUSED_FIELD = {"err.datetime.past": F.AT, "bc.err.event_unknown": F.AUDIENCE_EVENT}


class ListStep(StrEnum):
    LIST = "list"


BACK = "back"
CANCEL_PREFIX = "x"  # + a scheduled broadcast's id
STOP_PREFIX = "s"  # + the id of one being sent
PAGE_KEY = "page"


def audience_of(values: Values) -> dict[str, Any]:
    kind = values[F.AUDIENCE]
    if kind == Aud.DISTRICT:
        return {"kind": kind, "value": values[F.DISTRICT]}
    if kind == Aud.INTEREST:
        return {"kind": kind, "value": values[F.INTEREST]}
    if kind == Aud.EVENT:
        return {"kind": kind, "value": str(values[F.AUDIENCE_EVENT]["id"])}
    if kind == Aud.PARTNER_TYPE:
        return {"kind": kind, "value": values[F.PARTNER_TYPE]}
    return {"kind": kind}


async def _event_ref(ctx: Context, text: str) -> dict[str, Any]:
    """An event by its number (staff see the numbers in their events list)."""
    event = await event_store.get_event(ctx.session, parse_event_number(text))
    if event is None:
        raise Invalid("bc.err.event_unknown")
    return {"id": event.id, "title": event.title_ar}


def _show_event(ctx: Context, value: dict[str, Any]) -> str:
    return ctx.tr.label("bc.event_ref", id=value["id"], title=value["title"])


def _event_buttons(values: Values) -> list[dict[str, Any]]:
    """An event's announcement carries a button that opens the event."""
    ref = values.get(F.EVENT_BUTTON)
    return [open_event_choice(ref["id"])] if ref else []


def _text(ctx: Context, text: str) -> str:
    """Checked as it is typed (the service checks it again on submit)."""
    cleaned = parse_announcement(text)
    try:
        service.check_text(cleaned)
    except ServiceError as err:
        raise Invalid(err.msgid, **err.params) from None
    return cleaned


def _send_time(ctx: Context, text: str) -> str:
    # Typed as staff say it ("tomorrow 6 pm", "20 Rajab 9 am") as well as in numbers.
    moment = parse_moment(text, ctx.settings.timezone, today=ctx.today)
    if moment <= ctx.now:
        raise Invalid("err.datetime.past")
    return moment.isoformat()


def _send_time_examples(ctx: Context) -> dict[str, object]:
    return {"examples": moment_examples(ctx.tr, ctx.today)}


def _short(ctx: Context, value: str) -> str:
    line = value.replace("\n", " ")
    return line if len(line) <= PREVIEW_CHARS else line[:PREVIEW_CHARS] + "…"


def _show_file(ctx: Context, value: dict[str, Any]) -> str:
    return ctx.tr.label(f"bc.file.{value['kind']}")


def _show_at(ctx: Context, value: str) -> str:
    return ctx.fmt_datetime(datetime.fromisoformat(value))


def describe_audience(ctx: Context, audience: dict[str, Any]) -> str:
    label = ctx.tr.label(f"bc.aud.{audience['kind']}")
    value = audience.get("value")
    if audience["kind"] == Aud.DISTRICT and value:
        return f"{label}: {show_district(ctx, value)}"
    if audience["kind"] == Aud.INTEREST and value:
        return f"{label}: {ctx.tr.label(f'vol.interest.{value}')}"
    if audience["kind"] == Aud.EVENT and value:
        return f"{label}: #{value}"
    if audience["kind"] == Aud.PARTNER_TYPE and value:
        return f"{label}: {ctx.tr.label(f'ptn.type.{value}')}"
    return label


def _later(values: Values) -> bool:
    return values.get(F.WHEN) == When.LATER


class BroadcastForm(Form):
    name = BROADCAST_FORM
    staff_only = True
    number_steps = EVENT_NUMBER_STEPS
    intro = "bc.intro"
    summary_title = "bc.summary_title"
    confirm_label = "bc.send"
    fields = (
        Field(
            F.EVENT_BUTTON,
            "bc.q.event_button",
            "bc.f.event_button",
            parse=_event_ref,
            render=_show_event,
            required=False,
            when=lambda v: F.EVENT_BUTTON in v,
        ),
        Field(F.AUDIENCE, "bc.q.audience", "bc.f.audience", FieldKind.CHOICE, AUDIENCE_OPTIONS),
        Field(
            F.DISTRICT,
            "bc.q.district",
            "bc.f.district",
            FieldKind.CHOICE,
            DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
            when=lambda v: v.get(F.AUDIENCE) == Aud.DISTRICT,
        ),
        Field(
            F.INTEREST,
            "bc.q.interest",
            "bc.f.interest",
            FieldKind.CHOICE,
            INTERESTS,
            when=lambda v: v.get(F.AUDIENCE) == Aud.INTEREST,
        ),
        Field(
            F.AUDIENCE_EVENT,
            "bc.q.event",
            "bc.f.event",
            parse=_event_ref,
            render=_show_event,
            when=lambda v: v.get(F.AUDIENCE) == Aud.EVENT,
        ),
        Field(
            F.PARTNER_TYPE,
            "bc.q.partner_type",
            "bc.f.partner_type",
            FieldKind.CHOICE,
            PARTNER_TYPE_OPTIONS,
            when=lambda v: v.get(F.AUDIENCE) == Aud.PARTNER_TYPE,
        ),
        Field(F.TEXT_AR, "bc.q.text_ar", "bc.f.text_ar", parse=_text, render=_short),
        Field(
            F.TEXT_EN, "bc.q.text_en", "bc.f.text_en", parse=_text, render=_short, required=False
        ),
        Field(F.FILE, "bc.q.file", "bc.f.file", FieldKind.FILE, required=False, render=_show_file),
        Field(F.WHEN, "bc.q.when", "bc.f.when", FieldKind.CHOICE, WHEN_OPTIONS),
        Field(
            F.AT,
            "bc.q.at",
            "bc.f.at",
            parse=_send_time,
            render=_show_at,
            when=_later,
            prompt_params=_send_time_examples,
        ),
    )

    async def _reached(self, ctx: Context, values: Values) -> int:
        """How many the audience reaches; nobody: back to the audience choice, with the
        narrowing answer (district, interest, event) forgotten so that it is asked again."""
        try:
            return await service.reached_recipients(ctx.unit, audience_of(values))
        except ServiceError as err:
            for narrowing in (F.DISTRICT, F.INTEREST, F.AUDIENCE_EVENT, F.PARTNER_TYPE):
                self._values(ctx).pop(narrowing, None)
            raise FieldError(F.AUDIENCE, err.msgid, **err.params) from None

    async def before_summary(self, ctx: Context, values: Values) -> None:
        """The preview: each language version exactly as its readers will get it, how many
        it reaches (nobody: back to the audience, nothing to confirm) and, inside quiet
        hours, that it will wait."""
        count = await self._reached(ctx, values)
        file = values.get(F.FILE)
        attachment = Attachment(kind=file["kind"], file_id=file["file_id"]) if file else None
        ctx.say("bc.preview_ar")
        ctx.reply(
            broadcast_text(values[F.TEXT_AR], values.get(F.TEXT_EN), "ar"),
            attachment=attachment,
            bidi_done=True,
        )
        if values.get(F.TEXT_EN):
            ctx.say("bc.preview_en")
            ctx.reply(
                broadcast_text(values[F.TEXT_AR], values[F.TEXT_EN], "en"),
                attachment=attachment,
                bidi_done=True,
            )
        ctx.reply(ctx.tr.tn("bc.recipients", count))
        at = datetime.fromisoformat(values[F.AT]) if _later(values) else ctx.now
        if (until := service.quiet_until(ctx.unit, at)) is not None:
            hours = isolate(ctx.unit.settings.quiet_hours)
            ctx.say("bc.quiet_wait", hours=hours, when=ctx.fmt_datetime(until))

    async def submit(self, ctx: Context, values: Values) -> None:
        await self._reached(ctx, values)  # people may have stopped announcements meanwhile
        attachment = values.get(F.FILE)
        if _event_buttons(values):
            attachment = {**(attachment or {}), "choices": _event_buttons(values)}
        draft = service.BroadcastDraft(
            audience=audience_of(values),
            text_ar=values[F.TEXT_AR],
            text_en=values.get(F.TEXT_EN),
            attachment=attachment,
            at=datetime.fromisoformat(values[F.AT]) if _later(values) else None,
        )
        try:
            created = await service.create_broadcast(ctx.unit, draft)
        except ServiceError as err:
            # Back to the answer the rule refused (the time passed, the event was deleted).
            field = _REFUSED_FIELD.get(err.msgid, F.TEXT_AR)
            raise FieldError(field, err.msgid, **err.params) from None
        if created.sending:
            ctx.reply(ctx.tr.tn("bc.sending", created.recipients, id=created.id))
        else:
            ctx.say("bc.scheduled", id=created.id, when=ctx.fmt_datetime(created.scheduled_at))
        ctx.state.data = {}
        await ctx.goto(STAFF_PANEL)


class ScheduledBroadcasts(Flow):
    """The broadcasts waiting for their time (a page at a time), each with a cancel button,
    and those being sent, each with a stop button."""

    name = SCHEDULED
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step(ListStep.LIST)
        scheduled = await service.scheduled_broadcasts(ctx.unit)
        page = current_page(ctx, len(scheduled), PAGE_SIZE, PAGE_KEY)
        lines = [
            ctx.tr.t("staff.scheduled_title"),
            ctx.tr.tn("staff.scheduled_count", len(scheduled)),
        ]
        choices: list[Choice] = []
        for broadcast in page.slice(scheduled):
            lines.append(
                ctx.tr.t(
                    "staff.scheduled_line",
                    id=broadcast.id,
                    when=ctx.fmt_datetime(broadcast.scheduled_at),
                    audience=describe_audience(ctx, broadcast.audience),
                    text=_short(ctx, broadcast.text_ar),
                )
            )
            choices.append(
                ctx.choice(
                    ListStep.LIST,
                    f"{CANCEL_PREFIX}{broadcast.id}",
                    "staff.cancel_n",
                    n=broadcast.id,
                )
            )
        if (line := page_line(ctx, page)) is not None:
            lines.append(line)
        choices += page_choices(ctx, ListStep.LIST, page)
        await self._show_sending(ctx, lines, choices)
        choices.append(ctx.choice(ListStep.LIST, BACK, "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if turn(ctx, value, PAGE_KEY):
            await self.show(ctx)
        elif (broadcast_id := _id_after(value, CANCEL_PREFIX)) is not None:
            await self._cancel(ctx, broadcast_id)
        elif (broadcast_id := _id_after(value, STOP_PREFIX)) is not None:
            await self._stop(ctx, broadcast_id)
        elif value == BACK:
            await ctx.goto(STAFF_PANEL)
        else:
            await self.show(ctx)

    async def _cancel(self, ctx: Context, broadcast_id: int) -> None:
        try:
            await service.cancel_broadcast(ctx.unit, broadcast_id)
        except ServiceError as err:
            ctx.say(err.msgid, **err.params)
        else:
            ctx.say("staff.cancelled", id=broadcast_id)
        await self.show(ctx)

    async def _show_sending(self, ctx: Context, lines: list[str], choices: list[Choice]) -> None:
        for progress in await service.sending_broadcasts(ctx.unit):
            broadcast = progress.broadcast
            lines.append(
                ctx.tr.t(
                    "staff.sending_line",
                    id=broadcast.id,
                    done=progress.done,
                    total=progress.total,
                    audience=describe_audience(ctx, broadcast.audience),
                    text=_short(ctx, broadcast.text_ar),
                )
            )
            stop = f"{STOP_PREFIX}{broadcast.id}"
            choices.append(ctx.choice(ListStep.LIST, stop, "staff.stop_n", n=broadcast.id))

    async def _stop(self, ctx: Context, broadcast_id: int) -> None:
        try:
            stopped = await service.stop_broadcast(ctx.unit, broadcast_id)
        except ServiceError as err:
            ctx.say(err.msgid, **err.params)
        else:
            ctx.reply(
                ctx.tr.tn(
                    "staff.stopped", stopped.sent, id=broadcast_id, cancelled=stopped.cancelled
                )
            )
            if stopped.in_flight:
                ctx.say("staff.stopped_in_flight")
        await self.show(ctx)


def _id_after(value: str, prefix: str) -> int | None:
    """The broadcast id in a button value such as "x12"."""
    rest = value.removeprefix(prefix)
    return int(rest) if rest != value and rest.isdigit() else None


async def cmd_broadcast(ctx: Context) -> None:
    await ctx.goto(BROADCAST_FORM)


async def _scheduled(ctx: Context) -> None:
    await ctx.goto(SCHEDULED)


def register(app: BotApp) -> None:
    app.add_flow(BroadcastForm())
    app.add_flow(ScheduledBroadcasts())
    app.add_command(Command("broadcast", cmd_broadcast, "cmd.broadcast", staff_only=True))
    app.add_menu_entry(
        MenuEntry(BROADCAST_FORM, "staff.new_broadcast", cmd_broadcast, order=10, staff_only=True),
        staff=True,
    )
    app.add_menu_entry(
        MenuEntry(SCHEDULED, "staff.scheduled", _scheduled, order=11, staff_only=True), staff=True
    )
