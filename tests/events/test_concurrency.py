"""Races for places, arbitrated by the database (two engines, as two processes would be): the
last place goes to exactly one volunteer and the other is waitlisted; two cancellations at the
same moment promote two different people. On PostgreSQL both transactions are made to read the
free places before either writes (a barrier), so the unique seat index has to decide; SQLite
serializes writers (BEGIN IMMEDIATE), which the same tests cover there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core.engine import Engine
from storage import events as event_store
from storage import registrations as store
from storage.db import Database
from storage.models import Volunteer
from tests.conftest import Clock, DatabaseFactory
from tests.events.support import (
    open_event,
    open_my_registration,
    outbox_rows,
    register_or_wait,
    registrations,
    seed_event,
    status_of,
    volunteers,
)
from tests.support import Chat


def race_at(monkeypatch: pytest.MonkeyPatch, db: Database, name: str, parties: int = 2) -> None:
    """Make the first `parties` calls of storage.registrations.<name> wait for each other
    (PostgreSQL: SQLite would only block the second writer until the first commits)."""
    if db.is_sqlite:
        return
    original: Callable[..., Awaitable[Any]] = getattr(store, name)
    barrier = asyncio.Barrier(parties)
    calls = {"n": 0}

    async def racing(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] <= parties:
            await asyncio.wait_for(barrier.wait(), 10)
        return result

    monkeypatch.setattr(store, name, racing)


async def test_the_last_place_goes_to_exactly_one(
    engine: Engine,
    make_engine: Callable[..., Engine],
    db_factory: DatabaseFactory,
    db: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    shift_id = seeded.shift_ids[0]
    first, second = await volunteers(engine, "race1", "race2")
    for chat in (first, second):
        await open_event(chat, seeded.event_id)
    # each through its own engine and connection pool: only the database can arbitrate
    first.engine = make_engine(db_factory.open())
    second.engine = make_engine(db_factory.open())
    race_at(monkeypatch, db, "free_seat")
    await asyncio.gather(first.press(f"s{shift_id}"), second.press(f"s{shift_id}"))
    statuses = [await status_of(db, u) for u in ("race1", "race2")]
    assert sorted(map(str, statuses)) == sorted([str({shift_id: "confirmed"}), "{}"])
    loser = second if statuses[0] else first
    assert loser.offers(f"w{shift_id}")  # the other is offered the waitlist
    await loser.press(f"w{shift_id}")
    assert "وترتيبك 1" in loser.text
    regs = await registrations(db, shift_id)
    assert sorted(r.status for r in regs) == ["confirmed", "waitlisted"]
    assert [r.seat for r in regs if r.status == "confirmed"] == [1]


async def test_racing_registrations_in_storage_one_seat_one_waitlist(
    engine: Engine,
    db_factory: DatabaseFactory,
    db: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 1}])
    await volunteers(engine, "s1", "s2")
    async with db.sessions() as session:
        people = list((await session.execute(Volunteer.__table__.select())).all())
    race_at(monkeypatch, db, "free_seat")

    async def one(volunteer_id: int) -> str:
        database = db_factory.open()
        async with database.transaction() as session:
            event = await event_store.get_event(session, seeded.event_id)
            shift = await event_store.get_shift(session, seeded.shift_ids[0])
            volunteer = await session.get(Volunteer, volunteer_id)
            assert event and shift and volunteer
            outcome = await store.register(
                session, event, shift, volunteer, clock.now, waitlist_ok=True
            )
            return outcome.registration.status

    outcomes = await asyncio.gather(*(one(p.id) for p in people))
    assert sorted(outcomes) == ["confirmed", "waitlisted"]


async def test_two_cancel_at_once_and_two_are_promoted(
    engine: Engine,
    make_engine: Callable[..., Engine],
    db_factory: DatabaseFactory,
    db: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = await seed_event(db, clock.now, shifts=[{"start": 0, "hours": 3, "capacity": 2}])
    shift_id = seeded.shift_ids[0]
    chats = await volunteers(engine, "q1", "q2", "q3", "q4", "q5")
    for chat in chats:
        await register_or_wait(chat, seeded.event_id, shift_id)
    assert [await status_of(db, u) for u in ("q3", "q4", "q5")] == [{shift_id: "waitlisted"}] * 3
    leaving = chats[:2]
    for chat in leaving:
        await open_my_registration(chat)
        await chat.press("x")
    leaving[0].engine = make_engine(db_factory.open())
    leaving[1].engine = make_engine(db_factory.open())
    race_at(monkeypatch, db, "cancel")
    await asyncio.gather(*(chat.press("y") for chat in leaving))
    assert [await status_of(db, u) for u in ("q1", "q2")] == [{}, {}]
    assert [await status_of(db, u) for u in ("q3", "q4")] == [{shift_id: "confirmed"}] * 2
    assert await status_of(db, "q5") == {shift_id: "waitlisted"}
    live = [r for r in await registrations(db, shift_id) if r.status == "confirmed"]
    assert sorted(r.seat or 0 for r in live) == [1, 2]
    promoted = [r for r in await outbox_rows(db) if r.idempotency_key.endswith(":promoted")]
    assert len(promoted) == 2 and len({r.user_id for r in promoted}) == 2
    q5 = Chat(engine, user="q5")
    await q5.send("/myshifts")
    assert "في قائمة الانتظار (ترتيبك 1)" in q5.text
