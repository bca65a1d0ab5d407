"""Capacity is never exceeded: concurrent staff approvals and concurrent confirmations end
with exactly one allocation (SQLite and PostgreSQL), and a lost race inside `allocate` is
caught in a savepoint and retried with the next number."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.flow import JobEnv
from bot.core.i18n import Catalogs
from bot.handlers.families.wiring import (
    expire_offers,
)
from bot.settings import Settings
from storage import families as fam
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog
from storage.models_families import HOLDS_STALL, StallRequest
from tests.conftest import Clock, DatabaseFactory
from tests.families.support import (
    add_site,
    approve,
    open_review,
    request_row,
    staff,
    submitted,
    waitlist,
)
from tests.support import Chat


async def holders(db: Database, site_id: int) -> list[tuple[int, str, int | None]]:
    async with db.sessions() as session:
        stmt = select(StallRequest).where(
            StallRequest.site_id == site_id, StallRequest.status.in_(HOLDS_STALL)
        )
        return [
            (r.id, r.stall_type, r.stall_number) for r in (await session.execute(stmt)).scalars()
        ]


def stall_numbers(held: list[tuple[int, str, int | None]]) -> list[int]:
    """The stall numbers of `holders`, sorted: every request that holds a stall has one."""
    numbers = []
    for rid, _, number in held:
        assert number is not None, f"request {rid} holds a stall without a number"
        numbers.append(number)
    return sorted(numbers)


async def submitted_requests(engine: Engine, db: Database, site_id: int, n: int) -> list[int]:
    return [await submitted(engine, db, f"fam{seed}", seed, site_id) for seed in range(1, n + 1)]


async def allocate_in_a_transaction(
    db: Database, site_id: int, request_id: int, now: datetime
) -> None:
    """`fam.allocate` on its own, as another process approving the request would."""
    async with db.transaction() as session:
        site = await fam.get_site(session, site_id)
        request = await fam.get_request(session, request_id, lock=True)
        assert site is not None and request is not None
        await fam.allocate(
            session, request, site, status="approved", actor="test", now=now, offer_hours=48
        )


def stale_free_numbers_once(monkeypatch: pytest.MonkeyPatch, stale: list[int]) -> dict[str, int]:
    """The first `fam.free_numbers` call answers `stale` (read just before another transaction
    took a stall), later calls the truth. Returns the calls counted under "n"."""
    real = fam.free_numbers
    calls = {"n": 0}

    async def stale_first(session, site, stall_type, reserved_ok=None):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            return stale
        return await real(session, site, stall_type, reserved_ok)

    monkeypatch.setattr(fam, "free_numbers", stale_first)
    return calls


async def make_staff(db: Database, user: str) -> None:
    async with db.transaction() as session:
        await repo.set_role(session, "console", user, "staff")


@pytest.mark.parametrize("pick", ["same_number", "automatic"])
async def test_two_staff_approving_the_last_stall_at_once(
    db_factory: DatabaseFactory,
    make_engine: Callable[..., Engine],
    engine: Engine,
    db: Database,
    pick: str,
) -> None:
    site_id = await add_site(db, food_stalls=1)
    one, two = await submitted_requests(engine, db, site_id, 2)
    await make_staff(db, "boss2")
    # Two processes: their own engines and database connections, the same data.
    first = await staff(make_engine(db_factory.open()), "boss")
    second = await staff(make_engine(db_factory.open()), "boss2")
    for chat, rid in ((first, one), (second, two)):
        await open_review(chat)
        await chat.press(f"r{rid}")
        await chat.press("ap")
        assert chat.offers("n1")  # both see stall 1 as free
    choice = "n1" if pick == "same_number" else "auto"
    await asyncio.gather(first.press(choice), second.press(choice))
    held = await holders(db, site_id)
    assert len(held) == 1 and held[0][2] == 1
    winner = held[0][0]
    loser_chat = second if winner == one else first
    assert "لم تبقَ بسطة متاحة" in loser_chat.text
    loser = two if winner == one else one
    assert (await request_row(db, loser)).status == "under_review"
    async with db.sessions() as session:
        approvals = (
            (
                await session.execute(
                    select(AuditLog).where(AuditLog.action == "stall_request.approved")
                )
            )
            .scalars()
            .all()
        )
    assert len(approvals) == 1


async def test_two_families_confirming_at_once(
    db_factory: DatabaseFactory,
    make_engine: Callable[..., Engine],
    engine: Engine,
    db: Database,
    clock: Clock,
    catalogs: Catalogs,
    settings: Settings,
) -> None:
    """Two offers expired with nobody waiting, so their stalls were freed; staff then gave one
    of them to a third family. Both late families press "confirm" at the same moment for the
    one stall left: exactly one gets it."""
    site_id = await add_site(db, food_stalls=2)
    a, b, c = await submitted_requests(engine, db, site_id, 3)
    boss = await staff(engine)
    await open_review(boss)
    for rid in (a, b):
        await approve(boss, rid)
    clock.now += timedelta(hours=49)
    await expire_offers(JobEnv(db, catalogs, settings), clock.now)
    assert {(await request_row(db, r)).status for r in (a, b)} == {"expired"}
    await open_review(boss)
    await approve(boss, c, "n1")
    family_a = Chat(make_engine(db_factory.open()), user="fam1")
    family_b = Chat(make_engine(db_factory.open()), user="fam2")
    await asyncio.gather(family_a.press_id(f"so:ok:{a}"), family_b.press_id(f"so:ok:{b}"))
    held = sorted(await holders(db, site_id))
    assert len(held) == 2 and stall_numbers(held) == [1, 2]
    statuses = sorted([(await request_row(db, a)).status, (await request_row(db, b)).status])
    assert statuses == ["confirmed", "expired"]
    texts = family_a.text + family_b.text
    assert "تم التأكيد" in texts and "انتهت مهلة التأكيد" in texts


async def test_confirm_racing_the_expiry_job(
    db_factory: DatabaseFactory,
    make_engine: Callable[..., Engine],
    engine: Engine,
    db: Database,
    clock: Clock,
    catalogs: Catalogs,
    settings: Settings,
) -> None:
    """The family presses "confirm" a moment too late, just as the job runs, with another family
    waiting: whichever goes first, the stall ends with the waiting family, once."""
    site_id = await add_site(db, food_stalls=1)
    a, b = await submitted_requests(engine, db, site_id, 2)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, a)
    await waitlist(boss, b)
    clock.now += timedelta(hours=48, seconds=1)
    family = Chat(make_engine(db_factory.open()), user="fam1")
    job_db = db_factory.open()
    await asyncio.gather(
        family.press_id(f"so:ok:{a}"), expire_offers(JobEnv(job_db, catalogs, settings), clock.now)
    )
    assert await holders(db, site_id) == [(b, "food", 1)]
    assert (await request_row(db, a)).status == "expired"


# --- the savepoint inside `allocate` ---------------------------------------------------------
async def test_lost_number_is_retried_with_the_next_one(
    engine: Engine, db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`free_numbers` read just before another transaction took stall 1 (a stale answer): the
    unique index refuses it, the savepoint keeps the rest of the transaction, stall 2 is used."""
    site_id = await add_site(db, food_stalls=2)
    one, two = await submitted_requests(engine, db, site_id, 2)
    await allocate_in_a_transaction(db, site_id, one, clock.now)
    calls = stale_free_numbers_once(monkeypatch, [1, 2])
    async with db.transaction() as session:
        await repo.add_audit(session, "test", "before", None)  # must survive the lost race
        site = await fam.get_site(session, site_id)
        request = await fam.get_request(session, two, lock=True)
        assert site is not None and request is not None
        change = await fam.allocate(
            session, request, site, status="approved", actor="test", now=clock.now, offer_hours=48
        )
        assert change is not None and request.stall_number == 2 and calls["n"] == 2
    assert stall_numbers(await holders(db, site_id)) == [1, 2]
    async with db.sessions() as session:
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
    assert "before" in actions


async def test_no_stall_left_after_a_lost_race(
    engine: Engine, db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id = await add_site(db, food_stalls=1)
    one, two = await submitted_requests(engine, db, site_id, 2)
    await allocate_in_a_transaction(db, site_id, one, clock.now)
    stale_free_numbers_once(monkeypatch, [1])
    async with db.transaction() as session:
        site = await fam.get_site(session, site_id)
        request = await fam.get_request(session, two, lock=True)
        assert site is not None and request is not None
        change = await fam.allocate(
            session, request, site, status="approved", actor="test", now=clock.now, offer_hours=48
        )
        assert change is None
        assert request.status == "submitted" and request.stall_number is None
    assert await holders(db, site_id) == [(one, "food", 1)]
