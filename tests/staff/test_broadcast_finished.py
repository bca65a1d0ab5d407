"""A finished broadcast is told to its creator once: the sender's summary carries the staff
notice's link to the broadcast's page and its button (issue 13 §4), no second message."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update

from bot.core.i18n import Catalogs
from bot.delivery.sender import fan_out_due
from fakes.telegram_api import FakeTelegramServer
from storage import broadcasts
from storage.db import Database
from storage.models import OutboxMessage, User
from tests.delivery.support import (
    NOON_RIYADH,
    add_broadcast,
    close,
    delivered,
    known_recipients,
    make_sender,
    user_id_for_chat,
)

BASE = "https://staff.example.sa"


async def test_the_summary_is_the_staff_notice_with_link_and_button(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 2, first=35)
    creator = await user_id_for_chat(db, chats[0])
    async with db.transaction() as session:
        await session.execute(update(User).values(opted_out_announcements=True))
    broadcast_id = await add_broadcast(db, at=NOON_RIYADH, created_by=creator)
    await fan_out_due(db, NOON_RIYADH)
    sender = make_sender(db, catalogs, fake, web_base_url=BASE)
    try:
        await sender.drain()  # finishes the broadcast and queues the summary
        await sender.drain()  # sends it
    finally:
        await close(sender)
    async with db.sessions() as session:
        mine = (OutboxMessage.user_id == creator, OutboxMessage.broadcast_id.is_(None))
        stmt = select(OutboxMessage).where(*mine)
        [summary] = (await session.execute(stmt)).scalars().all()
    assert summary.idempotency_key == f"b{broadcast_id}:summary"
    assert summary.payload["params"]["link"] == f"{BASE}/broadcasts/{broadcast_id}"
    assert [c["id"] for c in summary.payload["choices"]] == [f"stn:bc:{broadcast_id}"]
    assert delivered(fake) == Counter({chats[0]: 1})  # one message to the creator
    [sent] = [c for c in fake.calls("sendMessage") if c.ok]
    assert f"{BASE}/broadcasts/{broadcast_id}" in str(sent.params["text"])


async def test_a_stopped_broadcasts_summary_links_to_its_page_with_the_button(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    chats = await known_recipients(db, fake, 4, first=60)
    creator = await user_id_for_chat(db, chats[0])
    broadcast_id = await add_broadcast(db, at=NOON_RIYADH, created_by=creator)
    await fan_out_due(db, NOON_RIYADH)
    async with db.transaction() as session:  # stopped before anything went out
        assert await broadcasts.stop_broadcast(session, broadcast_id, "user:1", NOON_RIYADH)
    sender = make_sender(db, catalogs, fake, web_base_url=BASE)
    try:
        await sender.drain()  # settles the stop and queues the summary
        await sender.drain()  # sends it
    finally:
        await close(sender)
    async with db.sessions() as session:
        mine = (OutboxMessage.user_id == creator, OutboxMessage.broadcast_id.is_(None))
        [summary] = (await session.execute(select(OutboxMessage).where(*mine))).scalars().all()
    assert summary.payload["key"] == "broadcast.stopped"
    assert summary.payload["params"]["link"] == f"{BASE}/broadcasts/{broadcast_id}"
    assert [c["id"] for c in summary.payload["choices"]] == [f"stn:bc:{broadcast_id}"]
    [sent] = [c for c in fake.calls("sendMessage") if c.ok]
    assert f"{BASE}/broadcasts/{broadcast_id}" in str(sent.params["text"])
