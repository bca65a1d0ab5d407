"""The outbox queue (DESIGN.md §4); broadcasts and their audiences are in storage.broadcasts.

A notification is inserted in the same transaction as its cause, under a unique idempotency
key, so a second insert is impossible. Senders claim due rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several senders split the work; SQLite has one sender) and mark each row only
after the platform accepted the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Broadcast, ChannelIdentity, OutboxMessage, User, utcnow

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
# A temporary failure's first time, kept in the row's payload (no column for it): retries go
# on until the sender's retry window after it.
RETRYING_SINCE = "retrying_since"


# Payload key marking a row addressed to someone who is not the row's user (a minor's guardian,
# reached at their own number): the user's last message says nothing about that chat's window,
# and a failure to reach it does not make the user unreachable.
OTHER_ADDRESS = "to_other"

# Payload key naming params that are secrets (a guardian's code): they are removed from the
# row once it reaches an end state, so a sent code is not kept in clear.
SECRET_PARAMS = "secret_params"

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
    address: tuple[str, str] | None = None,
) -> bool:
    """Queue one notification; False if that key was queued before (or nowhere to send).
    `address`: (channel, chat id) of someone else on the user's behalf (their guardian);
    else the user's own most recent chat."""
    if address is not None:
        channel, chat_id = address
        payload = {**payload, OTHER_ADDRESS: True}
    else:
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
        channel, chat_id = identity.channel, identity.chat_id
    values = {
        "idempotency_key": key,
        "user_id": user_id,
        "channel": channel,
        "chat_id": chat_id,
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
            # Only the chat the user wrote from: a row to their guardian has no window open.
            ChannelIdentity.chat_id == OutboxMessage.chat_id,
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


async def renew(session: AsyncSession, row_id: int, claimed_at: datetime, now: datetime) -> bool:
    """Right before sending: True if the row is still this sender's claim (made at
    `claimed_at`), now renewed. False: it stayed claimed past the lease (a long 429 pause)
    and another sender took it back, so sending it here would send it twice."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == SENDING,
            OutboxMessage.claimed_at == claimed_at,
        )
        .values(claimed_at=now)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


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


def sent_payload(payload: dict[str, Any], provider_ids: Sequence[str] | None) -> dict[str, Any]:
    """A sent row's payload as stored: the platform's message ids added, secret params removed
    (what `finish` and `scrub_secrets` write in two statements, computed from the payload read
    when the row was claimed: nothing else writes a row while it is 'sending')."""
    result = dict(payload)
    if provider_ids:
        result[PROVIDER_IDS] = list(provider_ids)
    if result.get(SECRET_PARAMS):
        names = set(result[SECRET_PARAMS])
        params = result.get("params") or {}
        result["params"] = {k: v for k, v in params.items() if k not in names}
        result[SECRET_PARAMS] = []
    return result


_outbox = cast(Table, OutboxMessage.__table__)
_MARK_SENT = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("b_id"))
    .values(
        status=SENT,
        last_error=None,
        sent_at=bindparam("b_at", type_=_outbox.c.sent_at.type),
        payload=bindparam("b_payload", type_=_outbox.c.payload.type),
    )
)


async def mark_sent(
    session: AsyncSession, sent: Sequence[tuple[int, dict[str, Any]]], now: datetime
) -> None:
    """Rows the platform accepted, each with its `sent_payload`: one UPDATE statement run for
    all of them (the sender batches them; see bot.delivery.sender)."""
    if not sent:
        return
    conn = await session.connection()
    await conn.execute(
        _MARK_SENT,
        [{"b_id": row_id, "b_at": now, "b_payload": payload} for row_id, payload in sent],
    )


async def scrub_secrets(session: AsyncSession, row_id: int) -> None:
    """Remove the row's secret params (SECRET_PARAMS) now that it will not be sent again."""
    payload = (
        await session.execute(select(OutboxMessage.payload).where(OutboxMessage.id == row_id))
    ).scalar_one()
    names = set(payload.get(SECRET_PARAMS) or ())
    params = {k: v for k, v in (payload.get("params") or {}).items() if k not in names}
    scrubbed = {**payload, "params": params, SECRET_PARAMS: []}
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(payload=scrubbed)
    )


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
