"""WhatsApp workers cooperate (issue 16 item 6): stored bodies are claimed with a lease, so
several workers process each body once, a dead worker's claims are taken over when their
lease runs out, and one sender's bodies are handled in the order they were stored whichever
worker holds them. On SQLite and, with TEST_DATABASE_URL, on PostgreSQL (where two workers
are two Database objects: two connection pools, as two processes would have)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.whatsapp import messages_in
from bot.core.engine import Engine
from bot.process.whatsapp import LEASE, WhatsAppService
from fakes.whatsapp_api import FakeWhatsAppServer
from storage import inbound
from storage.db import Database
from storage.models_channels import InboundWork
from tests.channels.whatsapp.support import make_service, serve
from tests.conftest import Clock, DatabaseFactory

SENDERS = [f"96650000{n:04d}" for n in range(1, 13)]


def other_db(db_factory: DatabaseFactory, db: Database) -> Database:
    """The second worker's database: its own pool on PostgreSQL; on SQLite the same object
    (one writer per process is what SQLite allows; the claims still run their one path)."""
    return db if db.is_sqlite else db_factory.open()


def counting(service: WhatsAppService, seen: Counter[str], monkeypatch: Any) -> None:
    """Count how often each message reaches the channel (the engine's deduplication would
    hide a second processing from the replies)."""
    original = service.channel.process

    async def process(payload: dict[str, Any]) -> None:
        for message, _ in messages_in(payload):
            seen[str(message["id"])] += 1
        await original(payload)

    monkeypatch.setattr(service.channel, "process", process)


async def stored(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count(InboundWork.id)))).scalar_one())


async def test_two_claimers_polling_at_once_never_claim_the_same_body(
    db_factory: DatabaseFactory, db: Database, clock: Clock
) -> None:
    async with db.transaction() as session:
        ids = [await inbound.store(session, "whatsapp", {"n": n}, "s") for n in range(120)]
    second = other_db(db_factory, db)

    async def claimer(database: Database, name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with database.transaction() as session:
                batch = await inbound.claim(session, "whatsapp", name, clock(), LEASE, 7)
            if not batch:
                return got
            got += [c.id for c in batch]
            await asyncio.sleep(0)

    first_got, second_got = await asyncio.gather(claimer(db, "w1"), claimer(second, "w2"))
    assert not set(first_got) & set(second_got)
    assert sorted(first_got + second_got) == ids


async def test_a_claim_whose_lease_ran_out_is_taken_over(
    fake: FakeWhatsAppServer, make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    service = make_service(fake, make_engine)
    try:
        async with serve(service) as url:
            for wa_id in SENDERS[:3]:
                assert await fake.post_webhook(url, fake.user_text(wa_id, "مرحبا")) == 200
            async with db.transaction() as session:  # a worker that then died
                held = await inbound.claim(session, "whatsapp", "dead:1", clock(), LEASE)
            assert len(held) == 3
            assert await service.process_pending() == 0  # the lease still holds
            assert await stored(db) == 3
            clock.now += LEASE - timedelta(seconds=1)
            assert await service.process_pending() == 0
            clock.now += timedelta(seconds=2)
            assert await service.process_pending() == 3
    finally:
        await service.client.close()
    assert await stored(db) == 0  # processed bodies are deleted
    assert all(fake.messages_to(wa_id) for wa_id in SENDERS[:3])


async def test_a_worker_renews_the_lease_of_what_it_holds(db: Database, clock: Clock) -> None:
    async with db.transaction() as session:
        await inbound.store(session, "whatsapp", {"n": 1}, "s")
        await inbound.claim(session, "whatsapp", "w1", clock(), LEASE)
    clock.now += LEASE - timedelta(seconds=5)
    async with db.transaction() as session:
        assert await inbound.renew(session, "w1", clock(), LEASE) == 1
    clock.now += timedelta(seconds=30)  # past the first lease, within the renewed one
    async with db.transaction() as session:
        assert await inbound.claim(session, "whatsapp", "w2", clock(), LEASE) == []


async def test_two_workers_process_every_body_exactly_once(
    fake: FakeWhatsAppServer,
    make_engine: Callable[..., Engine],
    db_factory: DatabaseFactory,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = make_service(fake, make_engine, whatsapp_sender_rate=1000)
    second = make_service(fake, make_engine, other_db(db_factory, db), whatsapp_sender_rate=1000)
    seen: Counter[str] = Counter()
    counting(first, seen, monkeypatch)
    counting(second, seen, monkeypatch)
    try:
        async with serve(first) as url:
            for round_ in range(4):
                for wa_id in SENDERS:
                    body = fake.user_text(wa_id, f"{round_}")
                    assert await fake.post_webhook(url, body) == 200
            for _ in range(20):  # a body may wait a round for its sender's earlier one
                await asyncio.gather(first.process_pending(), second.process_pending())
                if not await stored(db):
                    break
    finally:
        await first.client.close()
        await second.client.close()
    assert await stored(db) == 0
    assert len(seen) == 4 * len(SENDERS)
    assert set(seen.values()) == {1}, [n for n in seen.values() if n != 1]


async def test_a_sender_s_body_waits_while_another_worker_holds_their_earlier_one(
    fake: FakeWhatsAppServer, make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    """Per-person order across workers: the second message of a sender is not handled while
    the first is in another worker's hands; once that one is done, the second follows."""
    service = make_service(fake, make_engine)
    sender, bystander = SENDERS[0], SENDERS[1]
    try:
        async with serve(service) as url:
            assert await fake.post_webhook(url, fake.user_text(sender, "مرحبا")) == 200
            async with db.transaction() as session:  # another, live worker takes the first
                (first,) = await inbound.claim(session, "whatsapp", "other:1", clock(), LEASE)
            assert await fake.post_webhook(url, fake.user_text(sender, "1")) == 200
            assert await fake.post_webhook(url, fake.user_text(bystander, "مرحبا")) == 200
            assert await service.process_pending() == 1  # the bystander only
            assert not fake.messages_to(sender)
            assert await stored(db) == 2
            async with db.transaction() as session:  # the other worker gives it back
                await inbound.release(session, "other:1", first.id)
            assert await service.process_pending() == 2
    finally:
        await service.client.close()
    assert await stored(db) == 0
    assert fake.messages_to(sender)


async def test_a_stopping_worker_gives_back_what_it_did_not_get_to(
    db: Database, clock: Clock
) -> None:
    async with db.transaction() as session:
        for n in range(3):
            await inbound.store(session, "whatsapp", {"n": n}, "s")
        await inbound.claim(session, "whatsapp", "w1", clock(), LEASE)
        await inbound.release(session, "w1")
    async with db.transaction() as session:
        assert len(await inbound.claim(session, "whatsapp", "w2", clock(), LEASE)) == 3


async def test_a_claim_in_progress_does_not_hold_up_another_worker(
    db_factory: DatabaseFactory, db: Database, clock: Clock
) -> None:
    """PostgreSQL: rows another worker is claiming right now are skipped, not waited for."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: claims never run side by side")
    async with db.transaction() as session:
        ids = [await inbound.store(session, "whatsapp", {"n": n}, "s") for n in range(10)]
    second = other_db(db_factory, db)
    async with db.transaction() as session:
        mine = await inbound.claim(session, "whatsapp", "w1", clock(), LEASE, 4)
        async with asyncio.timeout(5), second.transaction() as other:  # w1 not committed yet
            theirs = await inbound.claim(other, "whatsapp", "w2", clock(), LEASE, 4)
    assert [c.id for c in mine] == ids[:4]
    assert [c.id for c in theirs] == ids[4:8]
