"""The rows the engine reads and writes on every update, in SQLAlchemy Core.

An update's transaction runs on a plain `AsyncConnection`: the person is loaded as a row, not as
ORM instances, and the few fields the engine changes itself (last seen, chat id, "reachable
again", a new conversation) are explicit statements. The ORM session costs more per statement
than the statement itself (issue 18's profile), so a step gets one only when it asks
(`bot.core.flow.Context.session`), bound to the same connection and transaction; the person's
row then becomes an ORM instance without a query (`attach_user`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.direct_writes import DirectWrites
from storage.hot_statements import HotStatement
from storage.models import ChannelIdentity, Conversation, User
from storage.people import first_gender, stored_gender_columns

_users = cast(Table, User.__table__)
_identities = cast(Table, ChannelIdentity.__table__)
_conversations = cast(Table, Conversation.__table__)
USER_COLUMNS = tuple(c.name for c in _users.c)
# A person's own columns written by a step (language, privacy consent): one UPDATE each time,
# not the unit of work's flush (storage/direct_writes.py).
USER_WRITES = DirectWrites(User)


@dataclass(slots=True)
class ConversationRow:
    flow: str
    step: str
    data: dict[str, Any] | None
    version: int


@dataclass(slots=True)
class PersonRow:
    """One query's answer: the person (every column of `users`, so an ORM instance can be
    made of it), the identity they write from, their conversation and stored gender."""

    user: dict[str, Any]
    identity_id: int
    chat_id: str | None
    last_seen_at: datetime | None
    conversation: ConversationRow | None
    gender: str | None  # as storage.people.genders_of would answer


_LOAD = HotStatement(
    select(
        *_users.c,
        _identities.c.id.label("identity_id"),
        _identities.c.chat_id,
        _identities.c.last_seen_at,
        _conversations.c.flow,
        _conversations.c.step,
        _conversations.c.data,
        _conversations.c.version,
        *stored_gender_columns(_users.c.id),
    )
    .select_from(_identities)
    .join(_users, _users.c.id == _identities.c.user_id)
    .outerjoin(_conversations, _conversations.c.user_id == _users.c.id)
    .where(
        _identities.c.channel == bindparam("b_channel"),
        _identities.c.external_id == bindparam("b_external"),
    )
)
_N = len(USER_COLUMNS)


async def load_person(conn: AsyncConnection, channel: str, external_id: str) -> PersonRow | None:
    """The person writing from (channel, external_id), or None for someone new."""
    row = (await _LOAD.execute(conn, {"b_channel": channel, "b_external": external_id})).first()
    if row is None:
        return None
    user = dict(zip(USER_COLUMNS, row[:_N], strict=True))
    identity_id, chat_id, last_seen, flow, step, data, version, g1, g2 = row[_N:]
    conversation = None if flow is None else ConversationRow(flow, step, data, version)
    return PersonRow(user, identity_id, chat_id, last_seen, conversation, first_gender(g1, g2))


_NEW_USER = insert(_users).returning(*_users.c)
_NEW_IDENTITY = insert(_identities).returning(_identities.c.id)


async def create_person(
    conn: AsyncConnection, channel: str, external_id: str, chat_id: str | None, seen_at: datetime
) -> PersonRow:
    """Someone's first message: the person and their identity, seen now."""
    row = (
        await conn.execute(
            _NEW_USER,
            {"role": "user", "opted_out_announcements": False, "unreachable": False},
        )
    ).one()
    user = dict(zip(USER_COLUMNS, row, strict=True))
    identity_id = (
        await conn.execute(
            _NEW_IDENTITY,
            {
                "channel": channel,
                "external_id": external_id,
                "chat_id": chat_id,
                "user_id": user["id"],
                "last_seen_at": seen_at,
            },
        )
    ).scalar_one()
    return PersonRow(user, identity_id, chat_id, seen_at, None, None)


_TOUCH_IDENTITY = HotStatement(
    update(_identities)
    .where(_identities.c.id == bindparam("b_id"))
    .values(
        chat_id=bindparam("b_chat"),
        last_seen_at=bindparam("b_seen", type_=_identities.c.last_seen_at.type),
    )
)
_REACHABLE = HotStatement(
    update(_users).where(_users.c.id == bindparam("b_id")).values(unreachable=False)
)


async def touch_identity(
    conn: AsyncConnection, person: PersonRow, chat_id: str | None, seen_at: datetime | None
) -> None:
    """Write a changed chat id and/or last-seen time (None: keep it) in one statement."""
    chat = chat_id or person.chat_id
    seen = seen_at or person.last_seen_at
    if chat == person.chat_id and seen == person.last_seen_at:
        return
    params = {"b_id": person.identity_id, "b_chat": chat, "b_seen": seen}
    await _TOUCH_IDENTITY.execute(conn, params)
    person.chat_id, person.last_seen_at = chat, seen


async def mark_reachable(conn: AsyncConnection, person: PersonRow) -> None:
    """They just wrote to us: a platform's earlier refusal no longer holds."""
    await _REACHABLE.execute(conn, {"b_id": person.user["id"]})
    person.user["unreachable"] = False


def attach_user(session: AsyncSession, user: Mapping[str, Any]) -> User:
    """The loaded row as a persistent ORM instance of `session`, without a query: services that
    ask the session for this person get this instance, and what they change is flushed."""
    instance = User(**user)
    make_transient_to_detached(instance)  # "as if just loaded": no pending changes
    session.add(instance)
    return instance
