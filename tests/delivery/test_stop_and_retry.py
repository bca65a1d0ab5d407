"""The sender stops between messages, waits out 429s and outages on the injected clock, stops a
broadcast staff halt mid-way, re-checks opt-outs at send time, and keeps WhatsApp's window."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bot.channels.whatsapp import labels_for
from bot.channels.whatsapp_client import WhatsAppClient
from bot.channels.whatsapp_transport import WhatsAppTransport
from bot.core.i18n import Catalogs
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.sender import DeliveryConfig, OutboxSender, fan_out_due
from fakes.telegram_api import FakeTelegramServer
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import broadcasts, outbox
from storage import repositories as repo
from storage.db import Database
from storage.models import Broadcast, OutboxMessage, User
from tests.conftest import Clock
from tests.delivery.support import (
    NOON_RIYADH,
    add_broadcast,
    broadcast_fanned_out,
    close,
    delivered,
    known_recipients,
    make_sender,
    statuses,
    summary_sent,
    telegram_transport,
    user_id_for_chat,
)
from tests.support import NOTICE_VERSION

NO_QUIET: dict[str, Any] = {"quiet_start": NOON_RIYADH.time(), "quiet_end": NOON_RIYADH.time()}


def clocked_sender(
    db: Database,
    catalogs: Catalogs,
    clock: Clock,
    base_url: str,
    token: str = "123456:TEST",
    **config: Any,
) -> OutboxSender:
    """A Telegram sender living on `clock`: its rate limiter waits by moving the clock on."""

    async def sleep(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)

    conf = DeliveryConfig(**{"per_second": 400.0, **NO_QUIET, **config})
    limiter = RateLimiter(
        conf.per_second,
        conf.per_chat_per_second,
        clock=lambda: clock.now.timestamp(),
        sleep=sleep,
    )
    return OutboxSender(
        db,
        catalogs,
        {"telegram": telegram_transport(token, base_url)},
        conf,
        clock=clock,
        limiter=limiter,
    )


def refused_url() -> str:
    """An address where nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def rows_by_chat(db: Database, broadcast_id: int) -> dict[int, OutboxMessage]:
    async with db.sessions() as session:
        found = await session.execute(
            select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
        )
        return {int(r.chat_id): r for r in found.scalars()}


# --- stop -----------------------------------------------------------------------------------


async def test_a_stop_mid_broadcast_of_10000_ends_promptly_and_loses_nothing(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 10_000)
    broadcast_id = await broadcast_fanned_out(db)
    # 10,000 at 300/s would take more than half a minute.
    sender = make_sender(db, catalogs, fake, per_second=300.0)
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    try:
        await fake.wait_for(lambda: len(fake.calls("sendMessage")) >= 300, timeout=60)
        stop.set()
        await asyncio.wait_for(running, timeout=5)  # the message in hand, then out
    finally:
        running.cancel()
        await close(sender)
    counts = await statuses(db, broadcast_id)
    sent = delivered(fake)
    assert set(counts) == {"sent", "pending"}, counts  # none failed, none left 'sending'
    assert counts["sent"] + counts["pending"] == len(chats)
    assert counts["sent"] == sum(sent.values()) and max(sent.values()) == 1
    assert counts["pending"] > 5_000  # it did stop, long before the end


async def test_a_stop_ends_a_slow_batch_between_messages(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    await known_recipients(db, fake, 50, first=100)
    broadcast_id = await broadcast_fanned_out(db)
    sender = make_sender(db, catalogs, fake, per_second=10.0)  # one batch: five seconds
    stop = asyncio.Event()
    running = asyncio.create_task(sender.drain(stop=stop))
    try:
        await fake.wait_for(lambda: len(fake.calls("sendMessage")) >= 3, timeout=10)
        stop.set()
        await asyncio.wait_for(running, timeout=1.5)
    finally:
        running.cancel()
        await close(sender)
    counts = await statuses(db, broadcast_id)
    assert counts["sent"] == len(fake.calls("sendMessage")) < 20
    assert counts["pending"] == 50 - counts["sent"]


async def test_a_stop_during_a_long_429_pause_returns_at_once(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    await known_recipients(db, fake, 2, first=200)
    broadcast_id = await broadcast_fanned_out(db)
    fake.fail_next("sendMessage", error_code=429, retry_after=600)
    sender = make_sender(db, catalogs, fake)  # the real limiter: it would sleep 10 minutes
    stop = asyncio.Event()
    running = asyncio.create_task(sender.drain(stop=stop))
    try:
        await fake.wait_for(lambda: fake.calls("sendMessage"), timeout=10)
        await asyncio.sleep(0.2)  # the second row is waiting out the pause
        stop.set()
        await asyncio.wait_for(running, timeout=5)
    finally:
        running.cancel()
        await close(sender)
    assert await statuses(db, broadcast_id) == {"pending": 2}
    assert [c.status for c in fake.calls("sendMessage")] == [429]


# --- 429 and outages on the injected clock ----------------------------------------------------


async def test_retry_after_is_waited_out_before_the_chat_is_tried_again(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer, clock: Clock
) -> None:
    fake.clock = lambda: clock.now.timestamp()  # the fake and the sender share one clock
    limited, other = await known_recipients(db, fake, 2, first=300)
    broadcast_id = await broadcast_fanned_out(db)
    fake.fail_next("sendMessage", error_code=429, retry_after=30, chat_id=limited)
    refused_at = clock.now.timestamp()
    sender = clocked_sender(db, catalogs, clock, fake.base_url, fake.token)
    try:
        # Bounded: a sender that ignored retry_after would be refused again and again.
        await asyncio.wait_for(sender.drain(limit=20), timeout=20)
    finally:
        await close(sender)
    calls = [c for c in fake.calls("sendMessage") if int(c.params["chat_id"]) == limited]
    assert [c.status for c in calls] == [429, 200], "one refusal, then a send after the wait"
    assert calls[1].time >= refused_at + 30
    assert await statuses(db, broadcast_id) == {"sent": 2}
    assert delivered(fake) == Counter({limited: 1, other: 1})


async def test_an_outage_is_retried_for_hours_then_fails_with_the_reason(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer, clock: Clock
) -> None:
    back, down = await known_recipients(db, fake, 2, first=400)
    broadcast_id = await broadcast_fanned_out(db)
    config: dict[str, Any] = {"max_attempts": 3, "retry_window": timedelta(hours=6)}
    start = clock.now

    async def drain_until(sender: OutboxSender, hours: float) -> None:
        try:
            while clock.now < start + timedelta(hours=hours):
                await sender.drain()
                clock.now += timedelta(minutes=10)
        finally:
            await close(sender)

    # Three hours with the Bot API unreachable (connection refused).
    await drain_until(clocked_sender(db, catalogs, clock, refused_url(), **config), 3)
    rows = await rows_by_chat(db, broadcast_id)
    assert {rows[back].status, rows[down].status} == {"pending"}
    assert rows[back].attempts > 3, "max_attempts does not end a temporary outage"
    # The API is back, but one chat keeps getting 502 for good.
    fake.fail_next("sendMessage", error_code=502, times=1_000, chat_id=down)
    live = clocked_sender(db, catalogs, clock, fake.base_url, fake.token, **config)
    await drain_until(live, 5 + 5 / 6)
    rows = await rows_by_chat(db, broadcast_id)
    assert rows[back].status == "sent" and delivered(fake)[back] == 1
    assert rows[down].status == "pending", "still inside the 6 hours"
    await drain_until(clocked_sender(db, catalogs, clock, fake.base_url, fake.token, **config), 7)
    rows = await rows_by_chat(db, broadcast_id)
    assert rows[down].status == "failed"
    error = rows[down].last_error
    assert error is not None and "Bad Gateway" in error


# --- staff stop a broadcast being sent -------------------------------------------------------


async def test_stopping_a_broadcast_cancels_what_is_not_sent_and_reports_to_its_creator(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 6, first=500)
    creator_chat = chats[0]
    creator = await user_id_for_chat(db, creator_chat)
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == creator).values(locale="en"))
    broadcast_id = await add_broadcast(db, at=NOON_RIYADH, created_by=creator)
    sender = make_sender(db, catalogs, fake)
    try:
        await fan_out_due(db, NOON_RIYADH)
        await sender.drain(limit=2)  # two went out
        in_flight = next(
            r for c, r in (await rows_by_chat(db, broadcast_id)).items() if r.status == "pending"
        )
        async with db.transaction() as session:  # another sender holds one at this moment
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == in_flight.id)
                .values(status="sending")
            )
            stopped = await broadcasts.stop_broadcast(session, broadcast_id, "user:1", NOON_RIYADH)
        assert stopped == broadcasts.Stopped(broadcast_id, sent=2, cancelled=3, in_flight=1)
        async with db.transaction() as session:
            assert (
                await broadcasts.stop_broadcast(session, broadcast_id, "user:1", NOON_RIYADH)
                is None
            )
        assert await statuses(db, broadcast_id) == {"sent": 2, "cancelled": 3, "sending": 1}

        await sender.drain()
        assert not await summary_sent(db, broadcast_id), "waits for the row in flight"
        # That row met a 429 and was queued again: the stop holds, it is not sent.
        async with db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == in_flight.id)
                .values(status="pending")
            )
        await sender.drain()
        await sender.drain()  # the summary
    finally:
        await close(sender)
    assert await statuses(db, broadcast_id) == {"sent": 2, "cancelled": 4}
    async with db.sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None and broadcast.status == "stopped"
    assert await summary_sent(db, broadcast_id)
    summary = [m["text"] for m in fake.messages_to(creator_chat) if "stopped" in m["text"]]
    assert [text.splitlines()[0] for text in summary] == [
        f"⏹️ Broadcast {broadcast_id} was stopped. It reached 2 recipients of 6; 4 will not get it."
    ]


def test_the_stopped_summary_has_every_arabic_plural(catalogs: Catalogs) -> None:
    tr = catalogs.translator("ar")
    said = {
        n: tr.tn("broadcast.stopped", n, id=7, total=200, cancelled=200 - n, link="")
        for n in (0, 1, 2, 3, 11, 100)
    }
    assert "قبل أن يصل إلى أحد" in said[0]
    assert "مستلم واحد" in said[1]
    assert "مستلمَين" in said[2]
    assert "3 مستلمين" in said[3]
    assert "11 مستلمًا" in said[11]
    assert "100 مستلم." in said[100]
    en = catalogs.translator("en")
    assert "1 recipient of" in en.tn("broadcast.stopped", 1, id=7, total=2, cancelled=1, link="")


# --- opt-out after fan-out --------------------------------------------------------------------


async def test_opting_out_after_fan_out_still_stops_the_broadcast(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    stays, leaves = await known_recipients(db, fake, 2, first=600)
    broadcast_id = await broadcast_fanned_out(db)
    assert await statuses(db, broadcast_id) == {"pending": 2}
    async with db.transaction() as session:
        leaver = await session.get(User, await user_id_for_chat(db, leaves))
        assert leaver is not None
        leaver.opted_out_announcements = True
    sender = make_sender(db, catalogs, fake)
    try:
        await sender.drain()
    finally:
        await close(sender)
    rows = await rows_by_chat(db, broadcast_id)
    assert (rows[leaves].status, rows[leaves].last_error) == ("skipped", "opted out")
    assert delivered(fake) == Counter({stays: 1})


# --- WhatsApp's 24-hour window -----------------------------------------------------------------


async def test_whatsapp_window_edges_23h59_and_24h01(
    db: Database, catalogs: Catalogs, clock: Clock
) -> None:
    inside, outside, no_template = "966500000021", "966500000022", "966500000023"
    async with FakeWhatsAppServer(now=clock.now.timestamp()) as wa:
        wa.enforce_window()
        ages = {inside: timedelta(hours=23, minutes=59), outside: timedelta(hours=24, minutes=1)}
        ages[no_template] = ages[outside]
        for wa_id, age in ages.items():
            wa.now = (clock.now - age).timestamp()
            wa.user_text(wa_id, "مرحبا")  # Meta's window opens here
            async with db.transaction() as session:
                identity, user = await repo.create_user(
                    session, "whatsapp", wa_id, wa_id, locale="ar"
                )
                user.consent_version, user.consent_at = NOTICE_VERSION, clock.now - age
                identity.last_seen_at = clock.now - age  # what the engine records
                await outbox.enqueue(
                    session,
                    user.id,
                    kind="reminder" if wa_id != no_template else "notice",
                    key=f"n:{wa_id}",
                    due_at=clock.now,
                    payload=outbox.notice_payload(
                        "broadcast.progress", {"id": 1, "done": 1, "total": 2}
                    ),
                )
        wa.now = clock.now.timestamp()
        transport = WhatsAppTransport(
            WhatsAppClient(wa.graph_url, wa.phone_number_id, wa.token),
            {"reminder": {"name": "reminder", "language": "ar"}},
            lambda locale: labels_for(catalogs, locale),
            clock=clock,
        )
        sender = OutboxSender(
            db, catalogs, {"whatsapp": transport}, DeliveryConfig(**NO_QUIET), clock=clock
        )
        try:
            await sender.drain()
        finally:
            await transport.client.close()
        assert [m.type for m in wa.messages_to(inside)] == ["text"]
        # Outside the window nothing free-form is even tried: the template goes at once.
        assert [c.kind for c in wa.calls(to=outside)] == ["template"]
        assert wa.calls(to=no_template) == []
    async with db.sessions() as session:
        found = {
            r.chat_id: (r.status, r.last_error)
            for r in (await session.execute(select(OutboxMessage))).scalars()
        }
    assert found[inside] == ("sent", None) and found[outside] == ("sent", None)
    assert found[no_template][0] == "skipped" and "24-hour" in (found[no_template][1] or "")
