"""Accepted rows are marked sent in small batches (issue 18): never before the platform
accepted them, all of them in the end, and a sender that dies with a batch unwritten sends at
most `DeliveryConfig.crash_resend_bound` messages again after a restart, nobody lost."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.core.messages import Outbound
from bot.delivery.sender import DeliveryConfig, OutboxSender
from bot.delivery.transport import Delivery, Transport
from fakes.telegram_api import FakeTelegramServer
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from tests.delivery.support import (
    NOON_RIYADH,
    broadcast_fanned_out,
    close,
    delivered,
    known_recipients,
    make_sender,
    statuses,
    user_id_for_chat,
)


class Died(BaseException):
    """The sender's process ends here: nothing after it runs (not even a `finally`'s write)."""


class Watching:
    """The sender's own transport, plus what a test needs to see at each send."""

    def __init__(self, inner: Transport, db: Database) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.close = inner.close  # type: ignore[attr-defined]
        self.db = db
        self.sent_before: list[int] = []  # rows already 'sent' when each send began
        self.die_after: int | None = None
        self.accepted = 0
        self.dead = False

    async def send(
        self, chat_id: str, message: Outbound, delivery: Delivery
    ) -> Sequence[str] | None:
        async with self.db.sessions() as session:
            self.sent_before.append(
                len(
                    (
                        await session.execute(
                            select(OutboxMessage.id).where(
                                OutboxMessage.chat_id == chat_id,
                                OutboxMessage.status == outbox.SENT,
                            )
                        )
                    ).all()
                )
            )
        if self.dead:
            raise Died
        ids = await self.inner.send(chat_id, message, delivery)
        self.accepted += 1
        if self.dead or (self.die_after is not None and self.accepted >= self.die_after):
            # Accepted by the platform, and the process ends before it hears so: this row and
            # every one accepted but not yet marked stay 'sending' in the database.
            self.dead = True
            raise Died
        return ids


def watched(sender: OutboxSender, db: Database) -> Watching:
    watching = Watching(sender.transports["telegram"], db)
    sender.transports["telegram"] = watching
    return watching


async def test_rows_are_marked_sent_only_after_acceptance_and_all_in_the_end(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 45)
    broadcast_id = await broadcast_fanned_out(db)
    sender = make_sender(db, catalogs, fake, mark_batch=7, mark_interval=60.0)
    watching = watched(sender, db)
    try:
        await sender.drain()
    finally:
        await close(sender)
    assert watching.sent_before == [0] * len(chats), "no row was sent before its send"
    assert delivered(fake) == {chat: 1 for chat in chats}
    assert await statuses(db, broadcast_id) == {"sent": len(chats)}


async def test_a_sent_rows_secrets_are_scrubbed_in_the_same_update(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    [chat] = await known_recipients(db, fake, 1)
    user_id = await user_id_for_chat(db, chat)
    async with db.transaction() as session:
        payload = outbox.notice_payload("err.internal", {"code": "123456", "kept": "x"})
        payload[outbox.SECRET_PARAMS] = ["code"]
        await outbox.enqueue(
            session, user_id, kind="notice", key="k1", payload=payload, due_at=NOON_RIYADH
        )
    sender = make_sender(db, catalogs, fake)
    try:
        await sender.drain()
    finally:
        await close(sender)
    async with db.sessions() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert row.status == outbox.SENT
    assert row.payload["params"] == {"kept": "x"}
    assert row.payload[outbox.SECRET_PARAMS] == []


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_sender_that_dies_resends_at_most_the_bound(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer, concurrency: int
) -> None:
    chats = await known_recipients(db, fake, 120)
    broadcast_id = await broadcast_fanned_out(db)
    config: dict[str, Any] = {"mark_batch": 10, "mark_interval": 60.0, "concurrency": concurrency}
    first = make_sender(db, catalogs, fake, **config)
    watching = watched(first, db)
    seed = random.SystemRandom().randrange(2**32)
    watching.die_after = random.Random(seed).randint(15, 45)
    mark_while_alive = first._mark_accepted

    async def mark_unless_dead() -> None:
        if not watching.dead:  # a dead process writes nothing more
            await mark_while_alive()

    first._mark_accepted = mark_unless_dead  # type: ignore[method-assign]
    with pytest.raises(Died):
        await first.drain()
    await asyncio.sleep(0.3)  # sends that were in flight at the death end (and die too)
    await close(first)

    # The restart comes after the dead sender's lease (PostgreSQL recovers by lease; SQLite
    # takes back every 'sending' row at start).
    later = NOON_RIYADH + DeliveryConfig.lease + timedelta(seconds=1)
    second = make_sender(db, catalogs, fake, clock=lambda: later, **config)
    try:
        await second.recover()
        await second.drain()
    finally:
        await close(second)
    counts = delivered(fake)
    assert set(counts) == set(chats), f"nobody is lost (seed {seed})"
    again = sum(n - 1 for n in counts.values())
    bound = second.config.crash_resend_bound
    assert again <= bound, f"{again} sent again, more than {bound} (seed {seed})"
    assert max(counts.values()) <= 2
    assert await statuses(db, broadcast_id) == {"sent": len(chats)}
