"""Staff broadcasts: a form to compose one (audience, Arabic and optional English text, an
optional photo or document, now or later), a preview exactly as recipients will see it, and
the staff panel where scheduled broadcasts can be cancelled and one being sent can be stopped.
Delivery is the outbox's job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.flow import BotApp, Command, Context, Flow, MenuEntry, pressed_value
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.html_split import utf16_len
from bot.core.messages import Attachment, Inbound
from bot.core.render import broadcast_text
from bot.core.validators import ANNOUNCEMENT_MAX_CHARS, Invalid, parse_announcement, parse_send_time
from bot.handlers.common import DISTRICT_OPTIONS, INTERESTS, parse_district, show_district
from bot.handlers.events.common import (
    open_event_choice,
    parse_event_number,
)
from bot.handlers.staff.panel import STAFF_PANEL
from storage import broadcasts
from storage import events as event_store
from storage.models import Broadcast

BROADCAST_FORM = "bc"
SCHEDULED = "bcl"
PREVIEW_CHARS = 60
EVENT_NUMBER_STEPS = frozenset({"ev", "aud_event"})

AUDIENCE_OPTIONS = tuple(
    Option(kind, f"bc.aud.{kind}")
    for kind in ("all", "volunteers", "families", "district", "interest", "event")
)
WHEN_OPTIONS = (Option("now", "bc.when.now"), Option("later", "bc.when.later"))


def audience_of(values: Values) -> dict[str, Any]:
    kind = values["aud"]
    if kind == "district":
        return {"kind": kind, "value": values["district"]}
    if kind == "interest":
        return {"kind": kind, "value": values["interest"]}
    if kind == "event":
        return {"kind": kind, "value": str(values["aud_event"]["id"])}
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
    ref = values.get("ev")
    return [open_event_choice(ref["id"])] if ref else []


def _text(ctx: Context, text: str) -> str:
    cleaned = parse_announcement(text)
    # Telegram measures in UTF-16 units (an emoji is two): counted that way, an announcement
    # that passes here fits one message, with room for the direction marks added to it.
    length = utf16_len(cleaned)
    if length > ANNOUNCEMENT_MAX_CHARS:
        raise Invalid("bc.err.too_long", length=length, limit=ANNOUNCEMENT_MAX_CHARS)
    return cleaned


def _send_time(ctx: Context, text: str) -> str:
    return parse_send_time(text, ctx.now, ctx.timezone).isoformat()


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
    if audience["kind"] == "district" and value:
        return f"{label}: {show_district(ctx, value)}"
    if audience["kind"] == "interest" and value:
        return f"{label}: {ctx.tr.label(f'vol.interest.{value}')}"
    if audience["kind"] == "event" and value:
        return f"{label}: #{value}"
    return label


class BroadcastForm(Form):
    name = BROADCAST_FORM
    staff_only = True
    number_steps = EVENT_NUMBER_STEPS
    intro = "bc.intro"
    summary_title = "bc.summary_title"
    fields = (
        # Present only when staff announce an event (the announcement gets its button).
        Field(
            "ev",
            "bc.q.event_button",
            "bc.f.event_button",
            parse=_event_ref,
            render=_show_event,
            required=False,
            when=lambda v: "ev" in v,
        ),
        Field("aud", "bc.q.audience", "bc.f.audience", FieldKind.CHOICE, AUDIENCE_OPTIONS),
        Field(
            "district",
            "bc.q.district",
            "bc.f.district",
            FieldKind.CHOICE,
            DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
            when=lambda v: v.get("aud") == "district",
        ),
        Field(
            "interest",
            "bc.q.interest",
            "bc.f.interest",
            FieldKind.CHOICE,
            INTERESTS,
            when=lambda v: v.get("aud") == "interest",
        ),
        Field(
            "aud_event",
            "bc.q.event",
            "bc.f.event",
            parse=_event_ref,
            render=_show_event,
            when=lambda v: v.get("aud") == "event",
        ),
        Field("text_ar", "bc.q.text_ar", "bc.f.text_ar", parse=_text, render=_short),
        Field(
            "text_en", "bc.q.text_en", "bc.f.text_en", parse=_text, render=_short, required=False
        ),
        Field("file", "bc.q.file", "bc.f.file", FieldKind.FILE, required=False, render=_show_file),
        Field("when", "bc.q.when", "bc.f.when", FieldKind.CHOICE, WHEN_OPTIONS),
        Field(
            "at",
            "bc.q.at",
            "bc.f.at",
            parse=_send_time,
            render=_show_at,
            when=lambda v: v.get("when") == "later",
        ),
    )

    async def before_summary(self, ctx: Context, values: Values) -> None:
        """The preview: each language version exactly as its readers will get it."""
        file = values.get("file")
        attachment = Attachment(kind=file["kind"], file_id=file["file_id"]) if file else None
        ctx.say("bc.preview_ar")
        ctx.reply(
            broadcast_text(values["text_ar"], values.get("text_en"), "ar"),
            attachment=attachment,
            bidi_done=True,
        )
        if values.get("text_en"):
            ctx.say("bc.preview_en")
            ctx.reply(
                broadcast_text(values["text_ar"], values["text_en"], "en"),
                attachment=attachment,
                bidi_done=True,
            )
        count = await broadcasts.count_audience(ctx.session, audience_of(values))
        ctx.reply(ctx.tr.tn("bc.recipients", count))

    async def submit(self, ctx: Context, values: Values) -> None:
        at = datetime.fromisoformat(values["at"]) if values.get("when") == "later" else ctx.now
        if values.get("when") == "later" and at <= ctx.now:
            raise FieldError("at", "err.datetime.past")
        attachment = values.get("file")
        if _event_buttons(values):
            attachment = {**(attachment or {}), "choices": _event_buttons(values)}
        broadcast = Broadcast(
            created_by=ctx.user.id,
            audience=audience_of(values),
            text_ar=values["text_ar"],
            text_en=values.get("text_en"),
            attachment=attachment,
            scheduled_at=at,
            status="scheduled",
            recipients=0,
        )
        ctx.session.add(broadcast)
        await ctx.session.flush()
        if at <= ctx.now:
            # Due now: the rows are written in this very transaction (DESIGN.md §4).
            broadcast.recipients = await broadcasts.fan_out(ctx.session, broadcast, ctx.now)
            broadcast.status = "sending"
            ctx.wake_sender()
            ctx.reply(ctx.tr.tn("bc.sending", broadcast.recipients, id=broadcast.id))
        else:
            ctx.say("bc.scheduled", id=broadcast.id, when=ctx.fmt_datetime(at))
        await ctx.audit(
            "broadcast.created",
            f"broadcast:{broadcast.id}",
            audience=broadcast.audience,
            scheduled_at=at.isoformat(),
        )
        ctx.state.data = {}
        await ctx.goto(STAFF_PANEL)


class ScheduledBroadcasts(Flow):
    """The broadcasts waiting for their time, each with a cancel button, and those being sent,
    each with a stop button."""

    name = SCHEDULED
    staff_only = True

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        await self.show(ctx)

    async def show(self, ctx: Context) -> None:
        ctx.set_step("list")
        scheduled = await broadcasts.scheduled_broadcasts(ctx.session)
        lines = [
            ctx.tr.t("staff.scheduled_title"),
            ctx.tr.tn("staff.scheduled_count", len(scheduled)),
        ]
        choices = []
        for broadcast in scheduled:
            lines.append(
                ctx.tr.t(
                    "staff.scheduled_line",
                    id=broadcast.id,
                    when=ctx.fmt_datetime(broadcast.scheduled_at),
                    audience=describe_audience(ctx, broadcast.audience),
                    text=_short(ctx, broadcast.text_ar),
                )
            )
            choices.append(ctx.choice("list", f"x{broadcast.id}", "staff.cancel_n", n=broadcast.id))
        await self._show_sending(ctx, lines, choices)
        choices.append(ctx.choice("list", "back", "form.back"))
        ctx.reply("\n".join(lines), choices)

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        value = pressed_value(inbound)
        if value.startswith("x") and value[1:].isdigit():
            await self._cancel(ctx, int(value[1:]))
        elif value.startswith("s") and value[1:].isdigit():
            await self._stop(ctx, int(value[1:]))
        elif value == "back":
            await ctx.goto(STAFF_PANEL)
        else:
            await self.show(ctx)

    async def _cancel(self, ctx: Context, broadcast_id: int) -> None:
        broadcast = await ctx.session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.status != "scheduled":
            ctx.say("staff.cancel_too_late", id=broadcast_id)
        else:
            broadcast.status = "cancelled"
            await ctx.audit("broadcast.cancelled", f"broadcast:{broadcast_id}")
            ctx.say("staff.cancelled", id=broadcast_id)
        await self.show(ctx)

    async def _show_sending(self, ctx: Context, lines: list[str], choices: list[Any]) -> None:
        for broadcast in await broadcasts.sending_broadcasts(ctx.session):
            counts = await broadcasts.broadcast_counts(ctx.session, broadcast.id)
            total = sum(counts.values())
            lines.append(
                ctx.tr.t(
                    "staff.sending_line",
                    id=broadcast.id,
                    done=total - broadcasts.open_count(counts),
                    total=total,
                    audience=describe_audience(ctx, broadcast.audience),
                    text=_short(ctx, broadcast.text_ar),
                )
            )
            choices.append(ctx.choice("list", f"s{broadcast.id}", "staff.stop_n", n=broadcast.id))

    async def _stop(self, ctx: Context, broadcast_id: int) -> None:
        stopped = await broadcasts.stop_broadcast(
            ctx.session, broadcast_id, f"user:{ctx.user.id}", ctx.now
        )
        if stopped is None:
            ctx.say("staff.stop_too_late", id=broadcast_id)
        else:
            ctx.wake_sender()  # the sender settles it and sends the summary
            ctx.reply(
                ctx.tr.tn(
                    "staff.stopped", stopped.sent, id=broadcast_id, cancelled=stopped.cancelled
                )
            )
            if stopped.in_flight:
                ctx.say("staff.stopped_in_flight")
        await self.show(ctx)


async def cmd_broadcast(ctx: Context) -> None:
    await ctx.goto(BROADCAST_FORM)


async def _scheduled(ctx: Context) -> None:
    await ctx.goto(SCHEDULED)


def register(app: BotApp) -> None:
    app.add_flow(BroadcastForm())
    app.add_flow(ScheduledBroadcasts())
    app.add_command(Command("broadcast", cmd_broadcast, "cmd.broadcast", staff_only=True))
    app.add_menu_entry(
        MenuEntry("bc", "staff.new_broadcast", cmd_broadcast, order=10, staff_only=True),
        staff=True,
    )
    app.add_menu_entry(
        MenuEntry("bcl", "staff.scheduled", _scheduled, order=11, staff_only=True), staff=True
    )
