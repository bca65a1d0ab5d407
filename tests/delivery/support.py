"""Many recipients quickly: bulk inserts of users with a Telegram identity each; broadcasts;
a sender against the fake Bot API on a fixed clock, and readers of what it did."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select

from bot.channels.telegram_transport import TelegramTransport
from bot.core.i18n import Catalogs
from bot.delivery.sender import DeliveryConfig, OutboxSender, fan_out_due
from bot.process.telegram_libs import open_client
from fakes.telegram_api import FakeTelegramServer
from storage import broadcasts
from storage.db import Database
from storage.models import Broadcast, ChannelIdentity, OutboxMessage, User, utcnow
from tests.support import NOTICE_VERSION

FIRST_CHAT = 100_000
# The Telegram client library the senders of the running test use; tests/delivery/conftest.py
# sets it from the `transport` fixture, so every sender test runs on aiogram and on PTB.
LIBRARY = ["aiogram"]


def telegram_transport(token: str, base_url: str) -> TelegramTransport:
    return TelegramTransport(open_client(LIBRARY[0], token, base_url))


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
                                "consent_version": NOTICE_VERSION,
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


NOON_RIYADH = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def make_sender(
    db: Database,
    catalogs: Catalogs,
    fake: FakeTelegramServer,
    clock: Callable[[], datetime] | None = None,
    **config: Any,
) -> OutboxSender:
    # Quiet hours off unless a test asks for them: tests must not depend on the wall clock.
    defaults: dict[str, Any] = {
        "per_second": 400.0,
        "per_chat_per_second": 1.0,
        "quiet_start": time(0, 0),
        "quiet_end": time(0, 0),
    }
    conf = DeliveryConfig(**{**defaults, **config})
    return OutboxSender(
        db,
        catalogs,
        {"telegram": telegram_transport(fake.token, fake.base_url)},
        conf,
        clock=clock or (lambda: NOON_RIYADH),
    )


def running_from(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs in real seconds (the loop's monotonic time):
    real waits such as retry_after pass, and the date still is not today's."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    return lambda: start + timedelta(seconds=loop.time() - began)


async def close(sender: OutboxSender) -> None:
    for transport in sender.transports.values():
        await transport.close()  # type: ignore[attr-defined]


async def drain_once(db: Database, catalogs: Catalogs, fake: FakeTelegramServer, **kw: Any) -> None:
    """A fresh sender (`make_sender` options) sends what is due once, then closes."""
    sender = make_sender(db, catalogs, fake, **kw)
    try:
        await sender.drain()
    finally:
        await close(sender)


async def one_recipient(db: Database, fake: FakeTelegramServer, chat: int) -> tuple[int, int]:
    """A consented Telegram user the fake knows: (chat id, user id)."""
    [chat] = await known_recipients(db, fake, 1, first=chat)
    return chat, await user_id_for_chat(db, chat)


async def broadcast_fanned_out(db: Database) -> int:
    """A broadcast to everyone, due at NOON_RIYADH and fanned out into its rows: its id."""
    broadcast_id = await add_broadcast(db, at=NOON_RIYADH)
    await fan_out_due(db, NOON_RIYADH)
    return broadcast_id


def delivered(fake: FakeTelegramServer) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in fake.calls("sendMessage") if c.ok)


async def summary_sent(db: Database, broadcast_id: int) -> bool:
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.idempotency_key == f"b{broadcast_id}:summary"
                )
            )
        ).scalar_one_or_none()
    return row is not None and row.status == "sent"


async def statuses(db: Database, broadcast_id: int) -> dict[str, int]:
    async with db.sessions() as session:
        return await broadcasts.broadcast_counts(session, broadcast_id)
