"""Staff broadcasts (DESIGN.md §4): create one (now or later), cancel one still scheduled, stop
one being sent, turn the due ones into outbox rows (the job), and the counts staff see.

The chat form and the `broadcast` command both create through `create_broadcast`; the form
checks the texts as they are typed, and the service checks them again, so no door can queue an
announcement that does not fit one message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, select

from bot.core.html_split import utf16_len
from bot.core.unit import Unit
from bot.core.validators import ANNOUNCEMENT_MAX_CHARS
from bot.services.errors import Conflict, NotFound, ServiceError, require_staff
from storage import broadcasts as store
from storage import events as event_store
from storage.broadcasts import AUDIENCES, VALUED_AUDIENCES, Stopped
from storage.models import Broadcast, OutboxMessage, Volunteer
from storage.models_partners import PARTNER_TYPES

__all__ = [
    "AUDIENCES",
    "OUTCOMES",
    "PARTNER_TYPES",
    "VALUED_AUDIENCES",
    "BroadcastDraft",
    "BroadcastLine",
    "Created",
    "Progress",
    "Stopped",
    "broadcast_line",
    "cancel_broadcast",
    "check_audience",
    "check_text",
    "count_broadcasts",
    "count_recipients",
    "create_broadcast",
    "fan_out_due",
    "in_quiet_hours",
    "interests_in_use",
    "list_broadcasts",
    "quiet_until",
    "reached_recipients",
    "scheduled_broadcasts",
    "sending_broadcasts",
    "stop_broadcast",
]

SCHEDULED, SENDING, CANCELLED = "scheduled", "sending", "cancelled"


@dataclass(frozen=True)
class BroadcastDraft:
    """What staff composed. `at` None: send now; `attachment` a file (`kind`, `file_id`) and/or
    the buttons that go with the text (`choices`)."""

    audience: dict[str, Any]
    text_ar: str
    text_en: str | None = None
    attachment: dict[str, Any] | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Created:
    id: int
    scheduled_at: datetime
    sending: bool  # due now: its outbox rows exist already
    recipients: int  # rows written when sending; else how many the audience reaches now


@dataclass(frozen=True)
class Progress:
    """A broadcast being sent, with how far it got."""

    broadcast: Broadcast
    done: int
    total: int
    counts: dict[str, int] = field(default_factory=dict)


def check_text(text: str | None, *, required: bool = True) -> None:
    """An announcement must say something and fit one Telegram message: counted in UTF-16
    units (an emoji is two), with room for the direction marks added to it."""
    if text is None or not text.strip():
        if required:
            raise ServiceError("err.empty")
        return
    length = utf16_len(text)
    if length > ANNOUNCEMENT_MAX_CHARS:
        raise ServiceError("bc.err.too_long", length=length, limit=ANNOUNCEMENT_MAX_CHARS)


def check_audience(audience: dict[str, Any]) -> None:
    """A known kind, with a value exactly for the kinds that name one thing."""
    kind = audience.get("kind")
    valued = kind in VALUED_AUDIENCES
    if kind not in AUDIENCES or valued != bool(audience.get("value")):
        # No chat screen can compose such an audience (only a typo at the CLI, which says so).
        raise ServiceError("err.internal", audience=str(audience))
    if kind == "event" and not str(audience["value"]).isdigit():
        raise NotFound("bc.err.event_unknown")
    if kind == "partner_type" and audience["value"] not in PARTNER_TYPES:
        raise ServiceError("err.internal", audience=str(audience))


async def count_recipients(unit: Unit, audience: dict[str, Any]) -> int:
    """How many people an audience reaches now (consented, with a chat)."""
    return await store.count_audience(unit.session, audience)


async def reached_recipients(unit: Unit, audience: dict[str, Any]) -> int:
    """How many an audience reaches now; none: refused, an announcement to nobody is not
    worth confirming (the door explains and lets staff choose another audience)."""
    count = await count_recipients(unit, audience)
    if count == 0:
        raise Conflict("bc.err.nobody")
    return count


async def create_broadcast(unit: Unit, draft: BroadcastDraft) -> Created:
    """Schedule a broadcast, or, due now, write its outbox rows in this very transaction
    (DESIGN.md §4) and ask for the sender to be woken."""
    require_staff(unit.actor)
    check_audience(draft.audience)
    check_text(draft.text_ar)
    check_text(draft.text_en, required=False)
    if draft.audience["kind"] == "event" and not await _event_exists(unit, draft.audience):
        raise NotFound("bc.err.event_unknown")
    if draft.at is not None and draft.at <= unit.now:
        raise Conflict("err.datetime.past")
    # Every door (chat, web, CLI) is refused an announcement to nobody, here once.
    counted = await reached_recipients(unit, draft.audience)
    at = draft.at or unit.now
    broadcast = Broadcast(
        created_by=unit.actor.user_id,
        audience=draft.audience,
        text_ar=draft.text_ar,
        text_en=draft.text_en or None,
        attachment=draft.attachment,
        scheduled_at=at,
        status=SCHEDULED,
        recipients=0,
    )
    unit.session.add(broadcast)
    await unit.session.flush()
    sending = at <= unit.now
    if sending:
        await _start(unit, broadcast)
        recipients = broadcast.recipients
    else:
        recipients = counted
    await unit.audit(
        "broadcast.created",
        f"broadcast:{broadcast.id}",
        audience=broadcast.audience,
        scheduled_at=at.isoformat(),
    )
    return Created(broadcast.id, at, sending, recipients)


async def _event_exists(unit: Unit, audience: dict[str, Any]) -> bool:
    return await event_store.get_event(unit.session, int(audience["value"])) is not None


async def _start(unit: Unit, broadcast: Broadcast) -> None:
    broadcast.recipients = await store.fan_out(unit.session, broadcast, unit.now)
    broadcast.status = SENDING
    unit.notifier.wake_requested = True


async def fan_out_due(unit: Unit) -> list[int]:
    """Turn every broadcast whose time has come into outbox rows (the periodic job; one that
    fell due while the process was down is picked up at the next run). Returns their ids."""
    started: list[int] = []
    for broadcast in await store.due_broadcasts(unit.session, unit.now):
        await _start(unit, broadcast)
        started.append(broadcast.id)
    return started


async def cancel_broadcast(unit: Unit, broadcast_id: int) -> None:
    """Cancel a broadcast still waiting for its time; too late once it is being sent."""
    require_staff(unit.actor)
    broadcast = await unit.session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status != SCHEDULED:
        raise Conflict("staff.cancel_too_late", id=broadcast_id)
    broadcast.status = CANCELLED
    await unit.audit("broadcast.cancelled", f"broadcast:{broadcast_id}")


async def stop_broadcast(unit: Unit, broadcast_id: int) -> Stopped:
    """Stop a broadcast being sent: what was not sent yet will not be; a message a sender holds
    at this moment may still go out (`Stopped.in_flight`). The sender settles it and sends its
    creator the summary, so it is woken."""
    require_staff(unit.actor)
    stopped = await store.stop_sending(unit.session, broadcast_id)
    if stopped is None:
        raise Conflict("staff.stop_too_late", id=broadcast_id)
    await unit.audit(
        "broadcast.stopped",
        f"broadcast:{broadcast_id}",
        sent=stopped.sent,
        cancelled=stopped.cancelled,
    )
    unit.notifier.wake_requested = True
    return stopped


async def scheduled_broadcasts(unit: Unit) -> Sequence[Broadcast]:
    """Broadcasts waiting for their time, oldest first."""
    return await store.scheduled_broadcasts(unit.session)


async def sending_broadcasts(unit: Unit) -> list[Progress]:
    """Broadcasts being sent, each with how many of its rows are finished."""
    result = []
    for broadcast in await store.sending_broadcasts(unit.session):
        counts = await store.broadcast_counts(unit.session, broadcast.id)
        total = sum(counts.values())
        result.append(Progress(broadcast, total - store.open_count(counts), total, counts))
    return result


# --- what the web workspace reads (issue 13) --------------------------------------------------
# The outcomes a finished row can have, in the order staff read them.
OUTCOMES = ("sent", "blocked", "failed", "skipped")


@dataclass(frozen=True)
class BroadcastLine:
    """One broadcast of the history, with its rows counted by status."""

    broadcast: Broadcast
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.total - store.open_count(self.counts)

    @property
    def percent(self) -> int:
        """How far the sending got; a broadcast with no rows is as far as it will go."""
        return 100 if not self.total else self.done * 100 // self.total


async def count_broadcasts(unit: Unit) -> int:
    require_staff(unit.actor)
    return int((await unit.session.execute(select(func.count(Broadcast.id)))).scalar_one())


async def list_broadcasts(unit: Unit, offset: int, size: int) -> list[BroadcastLine]:
    """The history, newest first, each with its outcomes."""
    require_staff(unit.actor)
    stmt = select(Broadcast).order_by(Broadcast.id.desc()).offset(offset).limit(size)
    rows = (await unit.session.execute(stmt)).scalars().all()
    counts = await _counts_of(unit, [b.id for b in rows])
    return [BroadcastLine(b, counts.get(b.id, {})) for b in rows]


async def broadcast_line(unit: Unit, broadcast_id: int) -> BroadcastLine:
    """One broadcast with its progress; NotFound when there is none with that number."""
    require_staff(unit.actor)
    broadcast = await unit.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound("web.bc.unknown", id=broadcast_id)
    return BroadcastLine(broadcast, await store.broadcast_counts(unit.session, broadcast_id))


async def _counts_of(unit: Unit, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """`broadcast_counts` of several broadcasts in one query."""
    if not ids:
        return {}
    rows = await unit.session.execute(
        select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.broadcast_id.in_(ids))
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
    )
    found: dict[int, dict[str, int]] = {}
    for broadcast_id, status, n in rows.all():
        found.setdefault(int(broadcast_id or 0), {})[str(status)] = int(n)
    return found


def in_quiet_hours(unit: Unit, at: datetime) -> bool:
    """Whether a moment falls in QUIET_HOURS (local time), when broadcasts are held back."""
    start, end = unit.settings.quiet_window()
    local = at.astimezone(ZoneInfo(unit.timezone)).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(unit: Unit, at: datetime) -> datetime | None:
    """When a broadcast due at `at` really starts going out: None when `at` is outside quiet
    hours, else the end of that quiet window (UTC) — the sender holds announcements until
    then."""
    if not in_quiet_hours(unit, at):
        return None
    zone = ZoneInfo(unit.timezone)
    local = at.astimezone(zone)
    _, end = unit.settings.quiet_window()
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(UTC)


async def interests_in_use(unit: Unit) -> list[str]:
    """The interest codes volunteers chose, for the web's audience picker: an interest nobody
    has would reach no one. Distinct lists are read, so the work grows with the combinations,
    not with the volunteers."""
    require_staff(unit.actor)
    stmt = select(cast(Volunteer.interests, String)).distinct()
    found: set[str] = set()
    for (raw,) in (await unit.session.execute(stmt)).all():
        if raw:
            found.update(str(code) for code in json.loads(raw))
    return sorted(found)
