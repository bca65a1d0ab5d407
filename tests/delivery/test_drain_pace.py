"""How a drain keeps paid-broadcast pace without changing what anyone sees.

Progress is checked at most once a `progress_interval` while a drain runs, and always at its
end: the 25/50/75 % notes and the summary still go out once each (the sender's monotonic clock
is driven by the test; no timing is measured). The next batch is claimed while the last rows of
the one in hand are in flight: a stop returns it to the queue, nothing lost or doubled."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.delivery.sender import OutboxSender, config_from_settings, fan_out_due
from bot.settings import load_settings
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from storage.models import OutboxMessage
from tests.delivery.support import (
    NOON_RIYADH,
    add_broadcast,
    close,
    make_sender,
    seed_recipients,
    statuses,
    user_id_for_chat,
)
from tests.delivery.support import delivered as delivered_counts

STAFF_CHAT = 99


async def broadcast_by_staff(db: Database, fake: FakeTelegramServer, n: int) -> int:
    """A broadcast to `n` recipients and its creator (also in the audience), fanned out."""
    chats = await seed_recipients(db, n)
    [staff_chat] = await seed_recipients(db, 1, first=STAFF_CHAT)
    for chat in [*chats, staff_chat]:
        fake.known_chat(chat)
    staff = await user_id_for_chat(db, staff_chat)
    broadcast_id = await add_broadcast(db, created_by=staff, at=NOON_RIYADH)
    await fan_out_due(db, NOON_RIYADH)
    return broadcast_id


async def notes_of(db: Database, broadcast_id: int) -> list[str]:
    """The idempotency keys of the notes queued for the broadcast's creator."""
    async with db.sessions() as session:
        keys = await session.execute(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.startswith(f"b{broadcast_id}:")
            )
        )
        # The broadcast's own rows are `b<id>:u<user>`; its notes `b<id>:p<percent>`, `:summary`.
        return sorted(k for k in keys.scalars().all() if not k.startswith(f"b{broadcast_id}:u"))


def advance_per_message(sender: OutboxSender, now: list[float], seconds: float) -> None:
    """Each message the platform is asked to send moves the sender's monotonic clock on."""
    transport: Any = sender.transports["telegram"]
    send = transport.send

    async def timed_send(*args: Any, **kwargs: Any) -> Any:
        now[0] += seconds
        return await send(*args, **kwargs)

    transport.send = timed_send
    sender.monotonic = lambda: now[0]


async def test_progress_is_not_counted_after_every_batch_within_a_second(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    broadcast_id = await broadcast_by_staff(db, fake, 199)
    sender = make_sender(db, catalogs, fake, per_second=1000.0, batch=10)
    advance_per_message(sender, [0.0], 0.0)  # the whole drain within one instant
    try:
        await sender.drain()  # 20 batches: checked after the first and at the end only
    finally:
        await close(sender)
    assert await statuses(db, broadcast_id) == {"sent": 200}
    # After every batch, the 25, 50 and 75 % notes would have been queued on the way.
    assert await notes_of(db, broadcast_id) == [f"b{broadcast_id}:summary"]


async def test_notes_still_go_out_once_each_as_the_seconds_pass(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    broadcast_id = await broadcast_by_staff(db, fake, 199)
    sender = make_sender(db, catalogs, fake, per_second=1000.0, batch=10)
    advance_per_message(sender, [0.0], 0.1)  # a batch of 10 takes a second: checked after each
    try:
        await sender.drain()
        await sender.drain()  # the notes queued to the creator go out
    finally:
        await close(sender)
    assert await statuses(db, broadcast_id) == {"sent": 200}
    keys = [f"b{broadcast_id}:{suffix}" for suffix in ("p25", "p50", "p75", "summary")]
    assert await notes_of(db, broadcast_id) == keys
    async with db.sessions() as session:
        notes = await session.execute(
            select(OutboxMessage.status).where(OutboxMessage.idempotency_key.in_(keys))
        )
        assert sorted(notes.scalars().all()) == ["sent"] * 4
    staff_messages = [m for m in fake.messages_to(STAFF_CHAT) if m.get("from", {}).get("is_bot")]
    assert len(staff_messages) == 5  # the broadcast itself, three notes, the summary


async def test_a_stop_returns_the_batch_claimed_ahead(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    broadcast_id = await broadcast_by_staff(db, fake, 59)
    sender = make_sender(db, catalogs, fake, per_second=1000.0, batch=10, concurrency=2)
    stop = asyncio.Event()
    transport: Any = sender.transports["telegram"]
    send, sends = transport.send, [0]

    async def stop_at_the_tenth(*args: Any, **kwargs: Any) -> Any:
        sends[0] += 1
        if sends[0] == 10:  # the first batch's last row: the next batch is claimed meanwhile
            stop.set()
        return await send(*args, **kwargs)

    transport.send = stop_at_the_tenth
    try:
        assert await sender.drain(stop=stop) == 10
        # Nothing is left 'sending': the batch claimed ahead went back to the queue.
        assert await statuses(db, broadcast_id) == {"sent": 10, "pending": 50}
        transport.send = send
        await sender.drain()
    finally:
        await close(sender)
    assert await statuses(db, broadcast_id) == {"sent": 60}
    counts = delivered_counts(fake)
    # Each recipient once; the staff member who sent it (a recipient too) also gets the
    # summary, in the drain that finished the broadcast.
    assert counts.pop(STAFF_CHAT) == 2
    assert sorted(counts.values()) == [1] * 59, "each recipient once"


def test_a_batch_is_longer_at_paid_rates_only() -> None:
    assert config_from_settings(load_settings()).batch == 50
    paid = config_from_settings(load_settings(telegram_paid_broadcast=True))
    assert (paid.per_second, paid.batch) == (1000.0, 200)
