"""Offers that are not confirmed in time expire and pass to the waiting list (controllable
clock, the periodic job called directly)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.core.engine import Engine
from bot.core.flow import JobEnv
from bot.core.i18n import Catalogs
from bot.handlers import build_app
from bot.handlers.families.wiring import (
    EXPIRY_JOB_ID,
    expire_offers,
)
from bot.settings import Settings
from storage.db import Database
from tests.conftest import Clock
from tests.families.support import (
    add_site,
    approve,
    history,
    notice_keys,
    notices,
    open_review,
    register_family,
    request_row,
    request_stall,
    staff,
    submitted,
    waitlist,
)
from tests.support import Chat


async def setup_offer_and_waitlist(engine: Engine, db: Database, clock: Clock) -> list[int]:
    """One food stall: "a" is offered it, "b" then "c" wait for it (b first)."""
    site_id = await add_site(db, food_stalls=1)
    users = enumerate(("a", "b", "c"), start=1)
    ids = [await submitted(engine, db, user, seed, site_id) for seed, user in users]
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, ids[0])
    for rid in ids[1:]:
        clock.now += timedelta(minutes=1)
        await waitlist(boss, rid)
    return ids


async def offered(engine: Engine, db: Database, stall: str = "auto") -> Chat:
    """Family "a" requests a stall at a new site and staff offer it `stall` (request 1).
    Returns the family's chat."""
    site_id = await add_site(db)
    chat = await register_family(engine, "a")
    await request_stall(chat, site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, 1, stall)
    return chat


async def run_job(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> int:
    return await expire_offers(JobEnv(db, catalogs, settings), clock.now)


async def test_the_job_is_registered() -> None:
    jobs = {job.id: job for job in build_app().periodic}
    assert EXPIRY_JOB_ID in jobs and jobs[EXPIRY_JOB_ID].seconds <= 300


async def test_offer_expires_and_passes_to_the_oldest_waiting_family(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    a, b, c = await setup_offer_and_waitlist(engine, db, clock)
    offer = await request_row(db, a)
    assert offer.status == "approved" and offer.offer_expires_at is not None
    # Not yet: one minute before the end of the 48 hours.
    clock.now = offer.offer_expires_at - timedelta(minutes=1)
    assert await run_job(db, catalogs, settings, clock) == 0
    assert (await request_row(db, a)).status == "approved"
    # The hold runs out.
    clock.now = offer.offer_expires_at + timedelta(seconds=1)
    queued = await run_job(db, catalogs, settings, clock)
    assert queued == 2  # "a" told it expired, "b" offered the stall
    expired = await request_row(db, a)
    assert expired.status == "expired" and expired.stall_number is None
    passed = await request_row(db, b)
    assert passed.status == "approved" and passed.stall_number == 1
    assert passed.offer_expires_at == clock.now + timedelta(hours=48)
    assert (await request_row(db, c)).status == "waitlisted"
    assert (await notice_keys(db, "a"))[-1] == "fam.n.expired"
    assert (await notice_keys(db, "b"))[-1] == "fam.n.offer"
    # Due on the job's clock, the one the sender claims by, not on the wall clock.
    assert [n.due_at for n in (await notices(db, "a"))[-1:] + (await notices(db, "b"))[-1:]] == [
        clock.now,
        clock.now,
    ]
    assert [h[1:] for h in (await history(db, a))[-1:]] == [("expired", "system")]
    assert [h[1:] for h in (await history(db, b))[-1:]] == [("approved", "system")]
    # Running again changes nothing and sends nothing twice.
    sent_to_b = len(await notices(db, "b"))
    assert await run_job(db, catalogs, settings, clock) == 0
    assert len(await notices(db, "b")) == sent_to_b
    # "b" lets it expire too: "c" is next.
    clock.now = passed.offer_expires_at + timedelta(seconds=1)
    assert await run_job(db, catalogs, settings, clock) == 2
    assert (await request_row(db, c)).status == "approved"
    # The late press of "a" is refused: the stall went to another family.
    family_a = Chat(engine, user="a")
    await family_a.press_id(f"so:ok:{a}")
    assert "انتهت مهلة التأكيد" in family_a.text
    assert (await request_row(db, a)).status == "expired"


async def test_offer_hours_come_from_the_settings(
    make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    engine = make_engine()
    # `stall_offer_hours` is read from the settings when the lead adds it there.
    engine.settings = engine.settings.model_copy()
    object.__setattr__(engine.settings, "stall_offer_hours", 6)
    await offered(engine, db)
    offer = await request_row(db, 1)
    assert offer.offer_expires_at == clock.now + timedelta(hours=6)


async def test_late_press_before_the_job_with_a_waiting_family(
    engine: Engine, db: Database, clock: Clock
) -> None:
    """The hold ran out but the job has not run yet: pressing "confirm" does what the job
    would do, since another family is waiting."""
    a, b, _ = await setup_offer_and_waitlist(engine, db, clock)
    offer = await request_row(db, a)
    assert offer.offer_expires_at is not None
    clock.now = offer.offer_expires_at + timedelta(minutes=5)
    family = Chat(engine, user="a")
    await family.press_id(f"so:ok:{a}")
    assert "انتهت مهلة التأكيد" in family.text
    assert (await request_row(db, a)).status == "expired"
    assert (await request_row(db, b)).status == "approved"
    assert (await notice_keys(db, "b"))[-1] == "fam.n.offer"


async def test_late_confirmation_is_honoured_when_nobody_waits(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    chat = await offered(engine, db, "n2")
    offer = await request_row(db, 1)
    assert offer.offer_expires_at is not None
    clock.now = offer.offer_expires_at + timedelta(hours=1)
    assert await run_job(db, catalogs, settings, clock) == 1
    assert (await request_row(db, 1)).status == "expired"
    await chat.press_id("so:ok:1")
    assert "تم التأكيد" in chat.text
    confirmed = await request_row(db, 1)
    assert confirmed.status == "confirmed" and confirmed.stall_number == 1
    assert [h[1] for h in await history(db, 1)][-2:] == ["expired", "confirmed"]


async def test_no_late_confirmation_after_the_site_ended(
    engine: Engine, db: Database, clock: Clock, catalogs: Catalogs, settings: Settings
) -> None:
    chat = await offered(engine, db)
    clock.now += timedelta(days=40)
    await run_job(db, catalogs, settings, clock)
    await chat.press_id("so:ok:1")
    assert "انتهت مهلة التأكيد" in chat.text
    assert (await request_row(db, 1)).status == "expired"
