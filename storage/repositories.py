"""Queries the engine and handlers need, each a small function over one session.

The session is the unit of work: callers open it with `Database.transaction()` so that the
conversation state and the domain change it belongs to commit together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import selectinload

from storage.db import connection_of, flushed_connection
from storage.direct_writes import DirectWrites, keep_written
from storage.hot_statements import HotStatement
from storage.models import (
    AuditLog,
    ChannelIdentity,
    Conversation,
    ProcessedUpdate,
    User,
    Volunteer,
    utcnow,
)
from storage.update_rows import USER_WRITES

# The statements of the per-update hot path are built once, with bound parameters: building
# them anew each time made SQLAlchemy recompute cache keys over fresh values on every update.
_processed = cast(Table, ProcessedUpdate.__table__)
_MARK_PROCESSED = {
    name: HotStatement(
        dialect_insert(_processed)
        .values(
            channel=bindparam("b_channel"),
            update_id=bindparam("b_update_id"),
            processed_at=bindparam("b_at", type_=_processed.c.processed_at.type),
        )
        .on_conflict_do_nothing()
    )
    for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def dedupe_key(update_id: str) -> str:
    """What is stored for an update id: its SHA-256. A WhatsApp message id is base64 that
    spells the sender's number, and the key is only ever compared, never read back."""
    return hashlib.sha256(update_id.encode()).hexdigest()


async def mark_processed(
    session: AsyncSession | AsyncConnection, channel: str, update_id: str
) -> bool:
    """Record an update id; False when it was seen before (a re-delivery)."""
    conn = await connection_of(session)
    stmt = _MARK_PROCESSED[conn.dialect.name]
    result = await stmt.execute(
        conn, {"b_channel": channel, "b_update_id": dedupe_key(update_id), "b_at": utcnow()}
    )
    return bool(result.rowcount)


async def prune_processed(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def find_identity(
    session: AsyncSession, channel: str, external_id: str
) -> tuple[ChannelIdentity, User] | None:
    row = (
        await session.execute(
            select(ChannelIdentity, User)
            .join(User, User.id == ChannelIdentity.user_id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def create_user(
    session: AsyncSession,
    channel: str,
    external_id: str,
    chat_id: str | None,
    *,
    locale: str | None = None,
    role: str = "user",
    seen_at: datetime | None = None,
) -> tuple[ChannelIdentity, User]:
    """A new person with their first identity; `seen_at` when they are writing to us now (set
    in the INSERT rather than by an UPDATE right after it)."""
    user = User(locale=locale, role=role, opted_out_announcements=False, unreachable=False)
    session.add(user)
    await session.flush()
    identity = ChannelIdentity(
        channel=channel,
        external_id=external_id,
        chat_id=chat_id,
        user_id=user.id,
        last_seen_at=seen_at,
    )
    session.add(identity)
    await session.flush()
    return identity, user


async def get_conversation(session: AsyncSession, user_id: int) -> Conversation | None:
    return await session.get(Conversation, user_id)


_conversations = cast(Table, Conversation.__table__)
_NEW_CONVERSATION = HotStatement(
    insert(_conversations),
    keys=("user_id", "flow", "step", "data", "pending_replies", "version", "updated_at"),
)
_SAVE_CONVERSATION = HotStatement(
    update(_conversations)
    .where(
        _conversations.c.user_id == bindparam("b_user"),
        _conversations.c.version == bindparam("b_version"),
    )
    .values(
        flow=bindparam("b_flow"),
        step=bindparam("b_step"),
        data=bindparam("b_data", type_=_conversations.c.data.type),
        pending_replies=bindparam("b_pending", type_=_conversations.c.pending_replies.type),
        version=bindparam("b_next"),
        updated_at=bindparam("b_now", type_=_conversations.c.updated_at.type),
    )
)


async def save_conversation(
    session: AsyncSession | AsyncConnection,
    user_id: int,
    *,
    flow: str,
    step: str,
    data: dict[str, Any],
    expected_version: int | None,
    pending: dict[str, Any] | None = None,
) -> bool:
    """Write the state (and the replies still to send, `pending`); False when another
    worker changed it since it was read."""
    conn = await connection_of(session)
    if expected_version is None:
        await _NEW_CONVERSATION.execute(
            conn,
            {
                "user_id": user_id,
                "flow": flow,
                "step": step,
                "data": data,
                "pending_replies": pending,
                "version": 1,
                "updated_at": utcnow(),
            },
        )
        return True
    result = await _SAVE_CONVERSATION.execute(
        conn,
        {
            "b_user": user_id,
            "b_version": expected_version,
            "b_flow": flow,
            "b_step": step,
            "b_data": data,
            "b_pending": pending,
            "b_next": expected_version + 1,
            "b_now": utcnow(),
        },
    )
    return bool(result.rowcount)


# How long a re-delivered update may still get the replies its first handling saved: long
# enough for a platform to retry after a worker restarts, short because the replies may name
# other people (a staff list) and are kept only for this.
PENDING_REPLIES_KEPT = timedelta(minutes=15)

_PENDING_REPLIES = (
    select(
        _conversations.c.pending_replies,
        _conversations.c.user_id,
        _conversations.c.version,
    )
    .join(ChannelIdentity, ChannelIdentity.user_id == _conversations.c.user_id)
    .where(
        ChannelIdentity.channel == bindparam("b_channel"),
        ChannelIdentity.external_id == bindparam("b_external"),
        _conversations.c.updated_at >= bindparam("b_since", type_=_conversations.c.updated_at.type),
    )
)


class PendingReplies(NamedTuple):
    replies: list[Any]  # as bot.core.replay.pack wrote them
    user_id: int
    version: int  # the conversation's, saved with them


async def pending_replies(
    session: AsyncSession | AsyncConnection, channel: str, external_id: str, update_id: str
) -> PendingReplies | None:
    """The replies saved by the first handling of this (re-delivered) update, if they are
    still the person's latest, recent, and not known to have gone out."""
    conn = await connection_of(session)
    row = (
        await conn.execute(
            _PENDING_REPLIES,
            {
                "b_channel": channel,
                "b_external": external_id,
                "b_since": utcnow() - PENDING_REPLIES_KEPT,
            },
        )
    ).first()
    if row is None or not isinstance(row[0], dict) or row[0].get("u") != dedupe_key(update_id):
        return None
    replies = row[0].get("o")
    return PendingReplies(replies, row[1], row[2]) if isinstance(replies, list) else None


async def clear_pending_replies(session: AsyncSession, before: datetime | None = None) -> int:
    """Forget saved replies: those older than `before`, or all of them (someone's data was
    deleted, and a staff member's saved reply may have named them)."""
    stmt = update(_conversations).where(_conversations.c.pending_replies.is_not(None))
    if before is not None:
        stmt = stmt.where(_conversations.c.updated_at < before)
    result = await session.execute(stmt.values(pending_replies=None))
    return int(result.rowcount)  # type: ignore[attr-defined]


_CLEAR_DELIVERED = (
    update(_conversations)
    .where(
        _conversations.c.user_id == bindparam("b_user"),
        _conversations.c.version == bindparam("b_version"),
    )
    .values(pending_replies=None)
)


async def clear_delivered_replies(session: AsyncSession, sent: list[dict[str, int]]) -> None:
    """Replies that went out: [{"b_user": id, "b_version": the version saved with them}]. A
    conversation saved again since (a newer update's replies) is left alone."""
    conn = await session.connection()
    await conn.execute(_CLEAR_DELIVERED, sent)


_VOLUNTEER_FOR_USER = select(Volunteer).where(Volunteer.user_id == bindparam("b_user"))


async def volunteer_for_user(session: AsyncSession, user_id: int) -> Volunteer | None:
    found = await session.execute(_VOLUNTEER_FOR_USER, {"b_user": user_id})
    return found.scalar_one_or_none()


_NEW_VOLUNTEERS = DirectWrites(Volunteer)


async def insert_volunteer(conn: AsyncConnection, volunteer: Volunteer) -> bool:
    """Write a new profile; False when its national ID (or its person) already has one. True
    leaves `volunteer` detached, for the caller's session to adopt (DirectWrites.insert_on)."""
    return await _NEW_VOLUNTEERS.insert_on(conn, volunteer)


_volunteers = cast(Table, Volunteer.__table__)
_NID_HOLDER = select(_volunteers.c.id).where(_volunteers.c.national_id == bindparam("b_nid"))
# Asked as a national ID is typed and again when a sign-up is saved: hot statements.
_NID_TAKEN = HotStatement(_NID_HOLDER.limit(1))
_NID_TAKEN_BY_OTHER = HotStatement(
    _NID_HOLDER.where(_volunteers.c.user_id != bindparam("b_user")).limit(1)
)


async def national_id_taken(
    db: AsyncSession | AsyncConnection, national_id: str, except_user_id: int | None = None
) -> bool:
    conn = await flushed_connection(db)
    if except_user_id is None:
        found = await _NID_TAKEN.execute(conn, {"b_nid": national_id})
    else:
        params = {"b_nid": national_id, "b_user": except_user_id}
        found = await _NID_TAKEN_BY_OTHER.execute(conn, params)
    return found.first() is not None


class ProfileHolders(NamedTuple):
    """Before a profile is saved: the person's own profile, if any, and whether another
    person's profile holds the national ID."""

    own_id: int | None
    national_id_taken: bool


# Both questions in one statement (at most two rows: both columns are unique); a sign-up's
# final save asked them as two, one through the ORM, and was the sign-up's slowest step.
_PROFILE_HOLDERS = HotStatement(
    select(_volunteers.c.id, _volunteers.c.user_id).where(
        or_(
            _volunteers.c.user_id == bindparam("b_user"),
            _volunteers.c.national_id == bindparam("b_nid"),
        )
    )
)


async def profile_holders(
    db: AsyncSession | AsyncConnection, user_id: int, national_id: str
) -> ProfileHolders:
    conn = await flushed_connection(db)
    params = {"b_user": user_id, "b_nid": national_id}
    rows = (await _PROFILE_HOLDERS.execute(conn, params)).rows
    own = next((row[0] for row in rows if row[1] == user_id), None)
    return ProfileHolders(own, any(row[1] != user_id for row in rows))


async def count_volunteers(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(Volunteer.id)))).scalar_one())


async def update_user(session: AsyncSession, user: User, **values: Any) -> None:
    """Write these columns of a loaded person at once, with one UPDATE, and keep them as the
    instance's committed state (no flush of them follows)."""
    conn = await session.connection()
    keep_written(user, await USER_WRITES.update(conn, user.id, values))


async def delete_user(session: AsyncSession, user_id: int) -> None:
    """Delete a person and everything that hangs off them (FK cascades)."""
    await session.execute(delete(User).where(User.id == user_id))


async def add_audit(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """An audit row; `at` is the caller's clock (the database's now when not given)."""
    row = AuditLog(actor=actor, action=action, target=target, details=details or {})
    if at is not None:
        row.created_at = at
    session.add(row)


STAFF_ROLES = ("staff", "admin")


async def set_role(session: AsyncSession, channel: str, external_id: str, role: str) -> User:
    """Give a person a role. Whoever stops being staff also loses their conversation: a staff
    screen they had open (names, phone numbers, a half-written broadcast) is gone, and their
    next message starts from the main menu. Every path that revokes the role comes here."""
    found = await find_identity(session, channel, external_id)
    if found is None:
        _, user = await create_user(session, channel, external_id, None, role=role)
    else:
        user = found[1]
        if user.role in STAFF_ROLES and role not in STAFF_ROLES:
            await reset_conversation(session, user.id)
        user.role = role
    return user


async def reset_conversation(session: AsyncSession, user_id: int) -> None:
    """Forget where a person is in the chat, drafts included. Deleting the row (rather than
    rewriting it) also makes an update being handled at this moment fail its versioned save
    and run again from the fresh state."""
    await session.execute(delete(Conversation).where(Conversation.user_id == user_id))


async def staff_users(session: AsyncSession) -> Sequence[User]:
    stmt = select(User).where(User.role.in_(STAFF_ROLES)).options(selectinload(User.identities))
    return (await session.execute(stmt)).scalars().all()
