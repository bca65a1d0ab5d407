"""Senders beside each other (issue 16): a row a sender claimed and left unsent past the lease
(its process died, or a long 429 pause) is taken back by another sender while both run, and the
first one, if alive, does not send it again: its claim is renewed right before each send."""

from __future__ import annotations

from datetime import timedelta

from bot.core.i18n import Catalogs
from fakes.telegram_api import FakeTelegramServer
from storage import outbox
from storage.db import Database
from tests.delivery.support import (
    NOON_RIYADH,
    add_broadcast,
    close,
    delivered,
    known_recipients,
    make_sender,
)


async def test_a_row_taken_back_after_the_lease_is_sent_once(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    from bot.delivery.sender import fan_out_due

    chats = await known_recipients(db, fake, 3)
    await add_broadcast(db, at=NOON_RIYADH)
    await fan_out_due(db, NOON_RIYADH)
    now = {"t": NOON_RIYADH}
    first = make_sender(db, catalogs, fake, clock=lambda: now["t"])
    second = make_sender(db, catalogs, fake, clock=lambda: now["t"])
    try:
        # The first sender claims the batch, then stalls (a pause, a frozen process).
        async with db.transaction() as session:
            batch = await outbox.claim(session, ["telegram"], now["t"], 10, quiet_hours=False)
        assert len(batch) == 3
        first._claimed_at = now["t"]
        # Past the lease, the other sender's periodic recovery takes the rows back and sends.
        now["t"] += first.config.lease + timedelta(seconds=1)
        assert await second.recover(at_start=False) == 3
        assert await second.drain() == 3
        # The first sender wakes up: its claim is gone, it sends nothing.
        for row in batch:
            assert await first._deliver(row)
        assert delivered(fake) == {chat: 1 for chat in chats}
    finally:
        await close(first)
        await close(second)


async def test_rows_within_the_lease_stay_with_their_sender(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    from bot.delivery.sender import fan_out_due

    chats = await known_recipients(db, fake, 2)
    await add_broadcast(db, at=NOON_RIYADH)
    await fan_out_due(db, NOON_RIYADH)
    sender = make_sender(db, catalogs, fake)
    try:
        async with db.transaction() as session:
            batch = await outbox.claim(session, ["telegram"], NOON_RIYADH, 10, quiet_hours=False)
        sender._claimed_at = NOON_RIYADH
        assert await sender.recover(at_start=False) == 0  # not past the lease: still its own
        for row in batch:
            assert await sender._deliver(row)
        assert delivered(fake) == {chat: 1 for chat in chats}
    finally:
        await close(sender)
