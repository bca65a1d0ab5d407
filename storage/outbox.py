"""Outbox and broadcast queries (DESIGN.md §4).

A notification is inserted in the same transaction as its cause, under a unique idempotency
key, so a second insert is impossible. Senders claim due rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several senders split the work; SQLite has one sender) and mark each row only
after the platform accepted the message.

Stopping a broadcast that is sending (`stop_broadcast`) cancels its rows not sent yet; a row a
sender holds at that moment ('sending') may still go out, and the broadcast stays 'stopping'
until such rows are settled, then becomes 'stopped' and its creator gets the summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import (
    AuditLog,
    Broadcast,
    ChannelIdentity,
    OutboxMessage,
    User,
    Volunteer,
    utcnow,
)

# Outcomes a broadcast summary counts.
SENT, BLOCKED, FAILED, SKIPPED, PENDING, SENDING = (
    "sent",
    "blocked",
    "failed",
    "skipped",
    "pending",
    "sending",
)
CANCELLED = "cancelled"  # a stopped broadcast's rows that were not sent
# Broadcast statuses: scheduled → sending → done, or scheduled → cancelled (before sending),
# or sending → stopping (rows in flight) → stopped.
STOPPING, STOPPED = "stopping", "stopped"
# A temporary failure's first time, kept in the row's payload (no column for it): retries go
# on until the sender's retry window after it.
RETRYING_SINCE = "retrying_since"


# Payload key of the platform's message ids, set when the platform accepted the message.
PROVIDER_IDS = "provider_ids"


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _most_recent_first(identities: Any) -> tuple[Any, Any]:
    """A person may be on several channels: reach them where they wrote from most recently
    (the newest identity when none has written yet)."""
    return identities.c.last_seen_at.desc().nulls_last(), identities.c.id.desc()


def _latest_identity_id() -> Any:
    """The id of `User`'s identity to reach them on, for a set-based query."""
    inner = ChannelIdentity.__table__.alias("ci2")
    return (
        select(inner.c.id)
        .where(inner.c.user_id == User.id)
        .order_by(*_most_recent_first(inner))
        .limit(1)
        .scalar_subquery()
    )


def notice_payload(
    key: str,
    params: dict[str, Any],
    *,
    expires_at: datetime | None = None,
    choices: list[dict[str, Any]] | None = None,
    location: tuple[float, float] | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    """A notification's payload: a message id and its params, rendered in the recipient's
    language when sent. `expires_at`: skipped if it cannot go out before then; `choices`:
    [{"id": global choice id, "label": message id, "params": {...}}]; `location`: a map pin;
    `count`: the message id has plural forms, chosen by this number (`{n}` in the text)."""
    payload: dict[str, Any] = {"key": key, "params": params}
    if count is not None:
        payload["n"] = count
    if expires_at is not None:
        payload["expires_at"] = expires_at.isoformat()
    if choices:
        payload["choices"] = choices
    if location is not None:
        payload["location"] = list(location)
    return payload


async def enqueue(
    session: AsyncSession,
    user_id: int,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    due_at: datetime | None = None,
    announcement: bool = False,
    quiet: bool = False,
    broadcast_id: int | None = None,
) -> bool:
    """Queue one notification; False if that key was queued before (or nowhere to send)."""
    identity = (
        await session.execute(
            select(ChannelIdentity)
            .where(ChannelIdentity.user_id == user_id)
            .order_by(*_most_recent_first(ChannelIdentity.__table__))
            .limit(1)
        )
    ).scalar_one_or_none()
    if identity is None or identity.chat_id is None:
        return False
    values = {
        "idempotency_key": key,
        "user_id": user_id,
        "channel": identity.channel,
        "chat_id": identity.chat_id,
        "kind": kind,
        "payload": payload,
        "broadcast_id": broadcast_id,
        "announcement": announcement,
        "quiet": quiet,
        "status": PENDING,
        "due_at": due_at or utcnow(),
        "attempts": 0,
        "created_at": utcnow(),
    }
    stmt = _insert(session)(OutboxMessage).values(values).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_pending(session: AsyncSession, key_prefix: str, reason: str) -> int:
    """Withdraw queued notifications whose key starts with `key_prefix` (a reminder for a
    registration that was cancelled or moved): they become 'skipped' with the reason."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key.startswith(key_prefix, autoescape=True),
            OutboxMessage.status == PENDING,
        )
        .values(status=SKIPPED, last_error=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- audiences --------------------------------------------------------------------------------
AUDIENCES = ("all", "volunteers", "families", "district", "interest", "event")


Join = tuple[Any, ColumnElement[bool]]


def audience_filter(audience: dict[str, Any]) -> tuple[ColumnElement[bool], list[Join]]:
    """(condition on the joined rows, the joins it needs) for a broadcast audience."""
    from storage.models_events import Shift, ShiftRegistration
    from storage.models_families import Family

    kind = audience.get("kind", "all")
    value = str(audience.get("value") or "")
    volunteer: list[Join] = [(Volunteer, Volunteer.user_id == User.id)]
    if kind == "all":
        return true(), []
    if kind == "volunteers":
        return Volunteer.id.is_not(None), volunteer
    if kind == "families":
        return Family.id.is_not(None), [(Family, Family.user_id == User.id)]
    if kind == "district":
        return Volunteer.district == value, volunteer
    if kind == "interest":
        # Interest codes are ASCII words stored as a JSON list; a quoted match is exact and
        # portable across SQLite and PostgreSQL.
        return cast(Volunteer.interests, String).like(f'%"{value}"%'), volunteer
    if kind == "event":
        # Registrants of event X: confirmed, waiting for approval or on a waitlist.
        if not value.isdigit():
            return false(), []
        joins: list[Join] = [
            *volunteer,
            (ShiftRegistration, ShiftRegistration.volunteer_id == Volunteer.id),
            (Shift, Shift.id == ShiftRegistration.shift_id),
        ]
        live = ShiftRegistration.status.in_(("pending", "confirmed", "waitlisted"))
        return and_(Shift.event_id == int(value), live), joins
    return false(), []


def _recipients(audience: dict[str, Any], *columns: Any) -> Any:
    """`columns` for each person an audience reaches (consented, with a chat), joined with
    the identity they are notified on."""
    condition, joins = audience_filter(audience)
    stmt = (
        select(*columns)
        .join(ChannelIdentity, ChannelIdentity.id == _latest_identity_id())
        .where(User.consent_version.is_not(None), ChannelIdentity.chat_id.is_not(None), condition)
    )
    for target, on in joins:
        stmt = stmt.join(target, on)
    return stmt.distinct()


async def count_audience(session: AsyncSession, audience: dict[str, Any]) -> int:
    stmt = select(func.count()).select_from(_recipients(audience, User.id).subquery())
    return int((await session.execute(stmt)).scalar_one())


async def fan_out(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """One outbox row per recipient in one statement; stopped or unreachable people get a
    'skipped' row so the summary accounts for everyone."""
    skip = or_(User.opted_out_announcements, User.unreachable)
    source = _recipients(
        broadcast.audience,
        literal(f"b{broadcast.id}:u") + cast(User.id, String),
        User.id,
        ChannelIdentity.channel,
        ChannelIdentity.chat_id,
        literal("broadcast"),
        literal({"broadcast_id": broadcast.id}, type_=OutboxMessage.payload.type),
        literal(broadcast.id),
        true(),
        true(),
        case((skip, literal(SKIPPED)), else_=literal(PENDING)),
        literal(now, type_=OutboxMessage.due_at.type),
        literal(0),
        case(
            (User.opted_out_announcements, literal("opted out")),
            (User.unreachable, literal("unreachable")),
            else_=None,
        ),
        literal(now, type_=OutboxMessage.created_at.type),
    )
    columns = [
        "idempotency_key",
        "user_id",
        "channel",
        "chat_id",
        "kind",
        "payload",
        "broadcast_id",
        "announcement",
        "quiet",
        "status",
        "due_at",
        "attempts",
        "last_error",
        "created_at",
    ]
    stmt = _insert(session)(OutboxMessage).from_select(columns, source).on_conflict_do_nothing()
    await session.execute(stmt)
    total = await session.execute(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.broadcast_id == broadcast.id)
    )
    return int(total.scalar_one())


# --- the sender's side --------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    id: int
    user_id: int
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    announcement: bool
    attempts: int
    broadcast_id: int | None
    locale: str | None
    opted_out: bool
    last_inbound_at: datetime | None = None
    broadcast_status: str | None = None  # read when claimed: a stop made since then counts


async def recover(session: AsyncSession, claimed_before: datetime, channels: list[str]) -> int:
    """Rows a dead sender had claimed go back to the queue."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == SENDING,
            OutboxMessage.claimed_at < claimed_before,
            OutboxMessage.channel.in_(channels),
        )
        .values(status=PENDING)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    channels: Iterable[str],
    now: datetime,
    limit: int,
    quiet_hours: bool,
) -> list[Claimed]:
    conditions = [
        OutboxMessage.status == PENDING,
        OutboxMessage.due_at <= now,
        OutboxMessage.channel.in_(list(channels)),
    ]
    if quiet_hours:
        conditions.append(OutboxMessage.quiet.is_(False))
    ids = (
        select(OutboxMessage.id)
        .where(and_(*conditions))
        # Personal notices first: a staff member's progress note must not wait for 10,000
        # announcements queued before it.
        .order_by(OutboxMessage.announcement, OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed_ids = (
        (
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids.scalar_subquery()))
                .values(status=SENDING, claimed_at=now)
                .returning(OutboxMessage.id)
            )
        )
        .scalars()
        .all()
    )
    if not claimed_ids:
        return []
    last_seen = (
        select(func.max(ChannelIdentity.last_seen_at))
        .where(
            ChannelIdentity.user_id == OutboxMessage.user_id,
            ChannelIdentity.channel == OutboxMessage.channel,
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            OutboxMessage, User.locale, User.opted_out_announcements, last_seen, Broadcast.status
        )
        .join(User, User.id == OutboxMessage.user_id)
        .outerjoin(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
        .where(OutboxMessage.id.in_(claimed_ids))
        .order_by(OutboxMessage.announcement, OutboxMessage.due_at, OutboxMessage.id)
    )
    return [
        Claimed(
            id=row.id,
            user_id=row.user_id,
            channel=row.channel,
            chat_id=row.chat_id,
            kind=row.kind,
            payload=row.payload,
            announcement=row.announcement,
            attempts=row.attempts,
            broadcast_id=row.broadcast_id,
            locale=locale,
            opted_out=opted_out,
            last_inbound_at=seen,
            broadcast_status=broadcast_status,
        )
        for row, locale, opted_out, seen, broadcast_status in rows.all()
    ]


async def release(session: AsyncSession, row_ids: Sequence[int]) -> int:
    """Claimed rows a stopping sender did not send go back to the queue as they were."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == SENDING)
        .values(status=PENDING)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    row_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    *,
    provider_ids: Sequence[str] | None = None,
) -> None:
    """`provider_ids`: the platform's ids of the accepted messages, kept in the payload (no
    column of its own) so a failure reported later can be traced back to this row."""
    values: dict[str, Any] = {"status": status, "last_error": error}
    if status == SENT:
        values["sent_at"] = now
    if provider_ids:
        payload = (
            await session.execute(select(OutboxMessage.payload).where(OutboxMessage.id == row_id))
        ).scalar_one()
        values["payload"] = {**payload, PROVIDER_IDS: list(provider_ids)}
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))


async def fail_sent(
    session: AsyncSession, channel: str, provider_id: str, error: str
) -> int | None:
    """A message the platform accepted and later reported undelivered (a WhatsApp `failed`
    status): its sent row becomes failed with the reason. Returns the row's user id, or None
    when no sent row carries that id (a direct reply, or a status seen before)."""
    ids = OutboxMessage.payload[PROVIDER_IDS]
    holds: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        holds = func.jsonb_exists(ids, literal(provider_id, String)).is_(true())
    else:
        each = func.json_each(OutboxMessage.payload, f"$.{PROVIDER_IDS}").table_valued("value")
        holds = exists(select(1).select_from(each).where(each.c.value == provider_id))
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.status == SENT, holds)
        .values(status=FAILED, last_error=error[:300])
        .returning(OutboxMessage.user_id)
    )
    return result.scalars().first()


async def retry_later(
    session: AsyncSession,
    row_id: int,
    due_at: datetime,
    attempts: int,
    error: str,
    payload: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {
        "status": PENDING,
        "due_at": due_at,
        "attempts": attempts,
        "last_error": error[:300],
    }
    if payload is not None:
        values["payload"] = payload
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))


async def mark_user_unreachable(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(unreachable=True))


# --- broadcasts --------------------------------------------------------------------------------
async def due_broadcasts(session: AsyncSession, now: datetime) -> Sequence[Broadcast]:
    return (
        (
            await session.execute(
                select(Broadcast)
                .where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )


async def sending_broadcasts(
    session: AsyncSession, *, stopping: bool = False
) -> Sequence[Broadcast]:
    """Broadcasts being sent (with `stopping`, also those stopped but not yet settled)."""
    wanted = ("sending", STOPPING) if stopping else ("sending",)
    return (
        (
            await session.execute(
                select(Broadcast).where(Broadcast.status.in_(wanted)).order_by(Broadcast.id)
            )
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class Stopped:
    broadcast_id: int
    sent: int  # went out before the stop
    cancelled: int  # will not be sent
    in_flight: int  # held by a sender at this moment: may still go out


async def stop_broadcast(
    session: AsyncSession, broadcast_id: int, actor: str, now: datetime
) -> Stopped | None:
    """Stop a broadcast that is sending: its rows not sent yet become 'cancelled', the
    broadcast 'stopping' (the sender settles it and sends its creator the summary). None when
    it is not sending (unknown, not started, already finished or stopped)."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status != "sending":
        return None
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == PENDING)
        .values(status=CANCELLED, last_error="broadcast stopped")
    )
    broadcast.status = STOPPING
    counts = await broadcast_counts(session, broadcast_id)
    session.add(
        AuditLog(
            actor=actor,
            action="broadcast.stopped",
            target=f"broadcast:{broadcast_id}",
            details={"sent": counts.get(SENT, 0), "cancelled": counts.get(CANCELLED, 0)},
            created_at=now,
        )
    )
    return Stopped(
        broadcast_id,
        sent=counts.get(SENT, 0),
        cancelled=counts.get(CANCELLED, 0),
        in_flight=counts.get(SENDING, 0),
    )


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}


def open_count(counts: dict[str, int]) -> int:
    """Rows of a broadcast not finished yet, from its `broadcast_counts`."""
    return counts.get(PENDING, 0) + counts.get(SENDING, 0)


async def scheduled_broadcasts(session: AsyncSession) -> Sequence[Broadcast]:
    return (
        (
            await session.execute(
                select(Broadcast).where(Broadcast.status == "scheduled").order_by(Broadcast.id)
            )
        )
        .scalars()
        .all()
    )
