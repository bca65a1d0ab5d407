"""Many recipients quickly: bulk inserts of users with a Telegram identity each; broadcasts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from storage.models import Broadcast, ChannelIdentity, User, utcnow

FIRST_CHAT = 100_000


async def seed_recipients(
    db: Database, count: int, *, locale: str = "ar", first: int = FIRST_CHAT
) -> list[int]:
    """Users who accepted the notice, reachable on Telegram at chat ids first..first+count-1.
    Returns the chat ids."""
    now = utcnow()
    chats = list(range(first, first + count))
    async with db.transaction() as session:
        for start in range(0, count, 500):
            part = chats[start : start + 500]
            ids = (
                (
                    await session.execute(
                        insert(User).returning(User.id),
                        [
                            {
                                "locale": locale,
                                "role": "user",
                                "consent_version": "2026-11",
                                "consent_at": now,
                                "opted_out_announcements": False,
                                "unreachable": False,
                                "created_at": now,
                            }
                            for _ in part
                        ],
                    )
                )
                .scalars()
                .all()
            )
            await session.execute(
                insert(ChannelIdentity),
                [
                    {
                        "channel": "telegram",
                        "external_id": str(chat),
                        "chat_id": str(chat),
                        "user_id": uid,
                        "last_seen_at": now,
                    }
                    for chat, uid in zip(part, ids, strict=True)
                ],
            )
    return chats


async def known_recipients(
    db: Database, fake: FakeTelegramServer, count: int, **kw: Any
) -> list[int]:
    """`seed_recipients` (same options), each chat also known to the fake Bot API."""
    chats = await seed_recipients(db, count, **kw)
    for chat in chats:
        fake.known_chat(chat)
    return chats


async def user_id_for_chat(db: Database, chat: int) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    select(ChannelIdentity.user_id).where(
                        ChannelIdentity.channel == "telegram",
                        ChannelIdentity.external_id == str(chat),
                    )
                )
            ).scalar_one()
        )


async def add_broadcast(
    db: Database,
    *,
    text_ar: str = "إعلان: حملة تشجير يوم السبت",
    text_en: str | None = "Announcement: tree planting on Saturday",
    audience: dict[str, str] | None = None,
    created_by: int | None = None,
    at: datetime | None = None,
) -> int:
    async with db.transaction() as session:
        broadcast = Broadcast(
            created_by=created_by,
            audience=audience or {"kind": "all"},
            text_ar=text_ar,
            text_en=text_en,
            scheduled_at=at or utcnow(),
            status="scheduled",
            recipients=0,
        )
        session.add(broadcast)
        await session.flush()
        return broadcast.id
