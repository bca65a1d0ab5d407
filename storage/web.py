"""Queries for the web workspace's login links and sessions (rows in storage/models_web.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, User
from storage.models_web import WebLink, WebSession


async def add_link(
    session: AsyncSession, token_hash: str, user_id: int, now: datetime, expires_at: datetime
) -> WebLink:
    link = WebLink(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at)
    session.add(link)
    await session.flush()
    return link


async def link_for_update(session: AsyncSession, token_hash: str) -> WebLink | None:
    """The link with this hash, locked: two tabs redeeming it at once open one session."""
    stmt = select(WebLink).where(WebLink.token_hash == token_hash).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_session(
    session: AsyncSession, session_hash: str, user_id: int, now: datetime
) -> WebSession:
    row = WebSession(session_hash=session_hash, user_id=user_id, created_at=now, last_seen_at=now)
    session.add(row)
    await session.flush()
    return row


async def find_session(session: AsyncSession, session_hash: str) -> WebSession | None:
    stmt = select(WebSession).where(WebSession.session_hash == session_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def end_session(session: AsyncSession, session_hash: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.session_hash == session_hash))


async def end_user_sessions(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))


async def prune(session: AsyncSession, links_before: datetime, idle_before: datetime) -> None:
    """Forget expired links and idle sessions (housekeeping; redeeming judges them anyway)."""
    await session.execute(delete(WebLink).where(WebLink.expires_at < links_before))
    await session.execute(delete(WebSession).where(WebSession.last_seen_at < idle_before))


async def user_and_identities(session: AsyncSession, user_id: int) -> tuple[User, list[str]] | None:
    """The user and their "channel:id" identities (ADMIN_IDS names people that way)."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    stmt = select(ChannelIdentity.channel, ChannelIdentity.external_id).where(
        ChannelIdentity.user_id == user_id
    )
    rows = (await session.execute(stmt)).all()
    return user, [f"{channel}:{external}" for channel, external in rows]
