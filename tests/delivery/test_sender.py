"""The outbox sender against the fake Bot API: exactly once, rate limits, 403, 429, retries."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from bot.channels.telegram_transport import TelegramTransport
from bot.core.i18n import Catalogs
from bot.delivery.sender import fan_out_due
from fakes.telegram_api import FakeTelegramServer
from storage import broadcasts, outbox
from storage.db import Database
from storage.models import Broadcast, ChannelIdentity, OutboxMessage, User, utcnow
from tests.delivery.support import (
    NOON_RIYADH,
    add_broadcast,
    broadcast_fanned_out,
    close,
    delivered,
    drain_once,
    known_recipients,
    make_sender,
    one_recipient,
    running_from,
    seed_recipients,
    statuses,
    summary_sent,
    user_id_for_chat,
)


async def test_a_thousand_recipients_blocked_and_429s(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await seed_recipients(db, 1000)
    staff_chat = 99
    [staff_user] = [
        await user_id_for_chat(db, c) for c in await seed_recipients(db, 1, first=staff_chat)
    ]
    blocked = set(chats[::50])  # 20 people blocked the bot
    for chat in [*chats, staff_chat]:
        fake.known_chat(chat)
    for chat in blocked:
        fake.block(chat)
    fake.emulate_limits(global_per_sec=500, per_chat_per_sec=1)
    fake.fail_next("sendMessage", error_code=429, retry_after=1, times=3)
    broadcast_id = await add_broadcast(db, created_by=staff_user, at=NOON_RIYADH)
    assert await fan_out_due(db, NOON_RIYADH) == [broadcast_id]

    sender = make_sender(db, catalogs, fake, clock=running_from(NOON_RIYADH))
    try:
        for _ in range(20):
            await sender.drain()
            if not (await statuses(db, broadcast_id)).get("pending"):
                break
            await asyncio.sleep(0.3)  # rows waiting for retry_after
        for _ in range(20):  # the staff summary (it may have to wait out a 429 too)
            await sender.drain()
            if await summary_sent(db, broadcast_id):
                break
            await asyncio.sleep(0.3)
    finally:
        await close(sender)

    counts = delivered(fake)
    reachable = [c for c in chats if c not in blocked]
    assert all(counts[c] == 1 for c in reachable), "each reachable recipient exactly once"
    assert all(counts[c] == 0 for c in blocked)
    # The staff member is in the audience too: 980 + 1 delivered.
    assert await statuses(db, broadcast_id) == {"sent": 981, "blocked": 20}
    async with db.sessions() as session:
        unreachable = (
            (await session.execute(select(User.id).where(User.unreachable.is_(True))))
            .scalars()
            .all()
        )
        assert len(unreachable) == 20
        done = await session.get(Broadcast, broadcast_id)
        assert done is not None and done.status == "done"
    summary = [m["text"] for m in fake.messages_to(staff_chat) if m.get("from", {}).get("is_bot")]
    assert any("اكتمل الإعلان" in t and "981" in t and "20" in t for t in summary)
    # Three 429s were answered and waited out; no message was lost to them.
    assert sum(1 for c in fake.calls("sendMessage") if c.status == 429) >= 3


async def test_english_users_get_the_english_text_when_there_is_one(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    [ar_chat] = await known_recipients(db, fake, 1, first=10)
    [en_chat] = await known_recipients(db, fake, 1, first=20, locale="en")
    await add_broadcast(
        db, text_ar="مرحبا <يا> & أهلا", text_en="Hello <there> & welcome", at=NOON_RIYADH
    )
    await fan_out_due(db, NOON_RIYADH)
    await drain_once(db, catalogs, fake)
    texts = {int(c.params["chat_id"]): c.params["text"] for c in fake.calls("sendMessage")}
    assert "Hello &lt;there&gt; &amp; welcome" in texts[en_chat]
    assert "مرحبا &lt;يا&gt; &amp; أهلا" in texts[ar_chat]


async def test_stopped_users_are_skipped_but_get_personal_notices(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 3, first=30)
    stopped = await user_id_for_chat(db, chats[0])
    async with db.transaction() as session:
        await session.execute(
            update(User).where(User.id == stopped).values(opted_out_announcements=True)
        )
        await outbox.enqueue(
            session,
            stopped,
            kind="notice",
            key="t:1",
            due_at=NOON_RIYADH,
            payload={"key": "broadcast.progress", "params": {"id": 1, "done": 1, "total": 2}},
        )
    broadcast_id = await broadcast_fanned_out(db)
    await drain_once(db, catalogs, fake)
    assert await statuses(db, broadcast_id) == {"sent": 2, "skipped": 1}
    counts = delivered(fake)
    assert counts[chats[0]] == 1  # only the personal notice
    assert counts[chats[1]] == counts[chats[2]] == 1


async def test_a_broadcast_everyone_skipped_still_ends_with_its_summary(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 2, first=35)
    creator = await user_id_for_chat(db, chats[0])
    async with db.transaction() as session:
        await session.execute(update(User).values(opted_out_announcements=True))
    broadcast_id = await add_broadcast(db, at=NOON_RIYADH, created_by=creator)
    await fan_out_due(db, NOON_RIYADH)
    assert await statuses(db, broadcast_id) == {"skipped": 2}  # nothing left to claim

    sender = make_sender(db, catalogs, fake)
    try:
        await sender.drain()  # finishes the broadcast and queues the summary
        await sender.drain()  # sends it
    finally:
        await close(sender)
    async with db.sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None and broadcast.status == "done"
    assert await summary_sent(db, broadcast_id)
    assert delivered(fake) == Counter({chats[0]: 1})  # the summary only, to its creator


async def test_broadcasts_and_notices_reach_a_person_where_they_wrote_last(db: Database) -> None:
    [chat] = await seed_recipients(db, 1, first=45)
    user = await user_id_for_chat(db, chat)
    async with db.transaction() as session:  # a newer identity, but last seen a day earlier
        session.add(
            ChannelIdentity(
                channel="whatsapp",
                external_id="966512345678",
                chat_id="966512345678",
                user_id=user,
                last_seen_at=utcnow() - timedelta(days=1),
            )
        )

    async def channels_used() -> set[str]:
        async with db.transaction() as session:
            await outbox.enqueue(session, user, kind="notice", key=f"n{len(keys)}", payload={})
            keys.append(1)
        await fan_out_due(db, NOON_RIYADH)
        async with db.sessions() as session:
            rows = (await session.execute(select(OutboxMessage))).scalars().all()
            return {row.channel for row in rows if row.status == "pending"}

    keys: list[int] = []
    await add_broadcast(db, at=NOON_RIYADH)
    assert await channels_used() == {"telegram"}

    async with db.transaction() as session:  # now they write on WhatsApp
        await session.execute(update(OutboxMessage).values(status="sent"))
        await session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == "whatsapp")
            .values(last_seen_at=utcnow())
        )
    await add_broadcast(db, at=NOON_RIYADH)
    assert await channels_used() == {"whatsapp"}


async def test_quiet_hours_hold_broadcasts_not_notices(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chat, user = await one_recipient(db, fake, 40)
    late = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)  # 23:30 in Riyadh
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            user,
            kind="notice",
            key="t:2",
            payload={"key": "broadcast.progress", "params": {"id": 1, "done": 1, "total": 2}},
            due_at=late,  # on the sender's clock: the wall clock may be any day
        )
    broadcast_id = await add_broadcast(db, at=late)
    await fan_out_due(db, late)
    now = {"t": late}
    sender = make_sender(
        db, catalogs, fake, clock=lambda: now["t"], quiet_start=time(22), quiet_end=time(8)
    )
    try:
        await sender.drain()
        assert await statuses(db, broadcast_id) == {"pending": 1}
        assert delivered(fake)[chat] == 1  # the notice went out
        now["t"] = datetime(2026, 11, 26, 5, 5, tzinfo=UTC)  # 08:05 in Riyadh
        await sender.drain()
    finally:
        await close(sender)
    assert await statuses(db, broadcast_id) == {"sent": 1}


async def test_temporary_failures_back_off_then_fail_with_reason(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 2, first=50)
    broadcast_id = await broadcast_fanned_out(db)
    now = {"t": NOON_RIYADH}
    sender = make_sender(
        db, catalogs, fake, clock=lambda: now["t"], retry_window=timedelta(minutes=7)
    )
    fake.fail_next("sendMessage", error_code=500, times=2, chat_id=chats[0])
    fake.fail_next("sendMessage", error_code=502, times=10, chat_id=chats[1])
    try:
        for _ in range(5):
            await sender.drain()
            now["t"] += timedelta(minutes=5)  # past any backoff
    finally:
        await close(sender)
    async with db.sessions() as session:
        rows = {
            r.chat_id: r
            for r in (await session.execute(select(OutboxMessage))).scalars()
            if r.broadcast_id == broadcast_id
        }
    assert rows[str(chats[0])].status == "sent"
    assert rows[str(chats[1])].status == "failed"
    assert rows[str(chats[1])].attempts == 2 and rows[str(chats[1])].last_error
    assert delivered(fake)[chats[0]] == 1


async def test_fan_out_twice_creates_no_second_row(db: Database) -> None:
    await seed_recipients(db, 5, first=60)
    broadcast_id = await broadcast_fanned_out(db)
    async with db.transaction() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        assert await broadcasts.fan_out(session, broadcast, NOON_RIYADH) == 5
    assert sum((await statuses(db, broadcast_id)).values()) == 5


async def test_a_cancelled_broadcast_sends_nothing_more(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    await known_recipients(db, fake, 3, first=70)
    broadcast_id = await broadcast_fanned_out(db)
    async with db.transaction() as session:
        await session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id).values(status="cancelled")
        )
    await drain_once(db, catalogs, fake)
    assert not fake.calls("sendMessage")
    assert await statuses(db, broadcast_id) == {"skipped": 3}


async def test_an_expired_notice_is_skipped_with_the_reason(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    _, user = await one_recipient(db, fake, 80)
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            user,
            kind="reminder",
            key="r:1",
            due_at=NOON_RIYADH - timedelta(hours=3),
            payload={
                "key": "broadcast.progress",
                "params": {"id": 1, "done": 1, "total": 2},
                "expires_at": (NOON_RIYADH - timedelta(hours=1)).isoformat(),
            },
        )
        await outbox.enqueue(
            session,
            user,
            kind="reminder",
            key="r:2",
            due_at=NOON_RIYADH,
            payload={"key": "broadcast.progress", "params": {"id": 2, "done": 1, "total": 2}},
        )
        assert await outbox.cancel_pending(session, "r:2", "registration cancelled") == 1
    await drain_once(db, catalogs, fake)
    assert not fake.calls("sendMessage")
    async with db.sessions() as session:
        found = {
            r.idempotency_key: (r.status, r.last_error)
            for r in (await session.execute(select(OutboxMessage))).scalars()
        }
    assert found == {"r:1": ("skipped", "expired"), "r:2": ("skipped", "registration cancelled")}


async def test_a_notice_can_carry_buttons_and_a_map_pin(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chat, user = await one_recipient(db, fake, 90)
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            user,
            kind="notice",
            key="n:1",
            due_at=NOON_RIYADH,
            payload={
                "key": "broadcast.progress",
                "params": {"id": 1, "done": 1, "total": 2},
                "choices": [{"id": "rt:7:5", "label": "staff.cancel_n", "params": {"n": 5}}],
                "location": [21.27, 40.41],
            },
        )
    await drain_once(db, catalogs, fake)
    messages = [m for m in fake.messages_to(chat) if m.get("from", {}).get("is_bot")]
    button = messages[0]["reply_markup"]["inline_keyboard"][0][0]
    assert button["callback_data"] == "rt:7:5" and "5" in button["text"]
    assert messages[1]["location"] == {"latitude": 21.27, "longitude": 40.41}


async def test_paid_broadcasts_are_asked_for_announcements_only(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    _, user = await one_recipient(db, fake, 95)
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            user,
            kind="notice",
            key="n:paid",
            due_at=NOON_RIYADH,
            payload={"key": "broadcast.progress", "params": {"id": 1, "done": 1, "total": 2}},
        )
    await broadcast_fanned_out(db)
    sender = make_sender(db, catalogs, fake)
    transport = sender.transports["telegram"]
    assert isinstance(transport, TelegramTransport)
    transport.paid_broadcast = True
    try:
        await sender.drain()
    finally:
        await close(sender)
    flags = [c.params.get("allow_paid_broadcast") for c in fake.calls("sendMessage")]
    assert flags == [None, True]  # the personal notice first, then the paid announcement
