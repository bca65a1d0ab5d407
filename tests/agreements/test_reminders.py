"""The daily agreements job on a controllable clock: staff are reminded 60 and then 30 days
before an agreement in force ends, each reminder once, in each staff member's language; an
agreement past its last day becomes expired, by the system, with an audit row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.core.flow import JobEnv
from bot.core.i18n import Catalogs
from bot.demo import load_demo_data
from bot.handlers import build_app
from bot.handlers.agreements import REMINDER_JOB_ID, remind_and_expire
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog, OutboxMessage
from storage.models_partners import Agreement
from tests.agreements.support import add_agreement, add_partner
from tests.conftest import Clock
from tests.events.support import World

pytestmark = pytest.mark.timeout(60)
TODAY = date(2026, 11, 25)  # the test clock's local day (Asia/Riyadh)


async def _run(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> int:
    return await remind_and_expire(JobEnv(db, catalogs, settings), clock())


async def test_reminded_at_60_then_30_days_once_each_then_expired(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    assert REMINDER_JOB_ID in {job.id for job in build_app().periodic}
    world = World(db, catalogs, settings, clock())
    arabic = await world.person(role="staff", volunteer=False)
    english = await world.person(role="admin", volunteer=False, locale="en")
    volunteer = await world.person()  # no staff role: never reminded
    partner = await add_partner(db)
    end = TODAY + timedelta(days=61)
    agreement = await add_agreement(db, partner, TODAY - timedelta(days=300), end)
    # A draft and a signed one ending later are not reminded of now.
    await add_agreement(db, partner, TODAY, end, status="draft", title="مسودة")

    assert await _run(db, catalogs, settings, clock) == 0  # 61 days: nothing yet
    clock.now += timedelta(days=1)  # 60 days left
    assert await _run(db, catalogs, settings, clock) == 2
    assert await _run(db, catalogs, settings, clock) == 0  # the same day again: nothing new
    clock.now += timedelta(hours=5)
    assert await _run(db, catalogs, settings, clock) == 0
    rows = await world.outbox("agr:")
    assert sorted(r.user_id for r in rows) == [arabic, english]
    assert volunteer not in {r.user_id for r in rows}
    by_user = {r.user_id: r.payload for r in rows}
    ar, en = by_user[arabic], by_user[english]
    assert ar["key"] == "agr.n.ending" and ar["n"] == 60
    assert ar["params"]["partner"] == "جمعية البر بالطائف"
    assert en["params"]["partner"] == "Al-Birr Society"
    assert "2027" in en["params"]["end"] and "January" in en["params"]["end"]
    assert "يناير" in ar["params"]["end"]
    text = catalogs.translator("ar").tn("agr.n.ending", 60, **ar["params"])
    assert "تنتهي بعد 60 يومًا" in text and "«اتفاقية التشجير»" in text
    assert f"/agreements/{agreement}/edit" in text

    clock.now += timedelta(days=29)  # 31 days left: still only the 60-day one
    assert await _run(db, catalogs, settings, clock) == 0
    clock.now += timedelta(days=1)  # 30 days left
    assert await _run(db, catalogs, settings, clock) == 2
    assert await _run(db, catalogs, settings, clock) == 0
    assert sorted(r.payload["n"] for r in await world.outbox("agr:")) == [30, 30, 60, 60]

    clock.now += timedelta(days=30)  # the last day: still in force
    await _run(db, catalogs, settings, clock)
    assert (await world.rows(Agreement, Agreement.id == agreement))[0].status == "active"
    assert await world.audits("agreement.expired") == []
    clock.now += timedelta(days=1)  # the day after the last one
    assert await _run(db, catalogs, settings, clock) == 0
    found = (await world.rows(Agreement, Agreement.id == agreement))[0]
    assert found.status == "expired"
    audits = await world.audits("agreement.expired")
    assert [(a.actor, a.target) for a in audits] == [("system", f"agreement:{agreement}")]
    await _run(db, catalogs, settings, clock)
    assert len(await world.audits("agreement.expired")) == 1  # expired once
    # The draft is not in force: it never expires by itself, and was never reminded of.
    drafts = await world.rows(Agreement, Agreement.status == "draft")
    assert len(drafts) == 1
    assert len(await world.rows(OutboxMessage)) == 4
    assert len(await world.rows(AuditLog, AuditLog.action.startswith("agreement."))) == 1


async def test_a_missed_day_still_reminds_and_a_moved_end_reminds_again(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    world = World(db, catalogs, settings, clock())
    await world.person(role="staff", volunteer=False)
    partner = await add_partner(db)
    agreement = await add_agreement(db, partner, TODAY, TODAY + timedelta(days=45), status="signed")
    # Recorded 45 days before its end (the job did not run on day 60): reminded once now.
    assert await _run(db, catalogs, settings, clock) == 1
    assert [r.payload["n"] for r in await world.outbox("agr:")] == [45]
    async with db.transaction() as session:
        found = await session.get(Agreement, agreement)
        assert found is not None
        found.end_date = TODAY + timedelta(days=50)  # extended: a new end, a new reminder
    assert await _run(db, catalogs, settings, clock) == 1


async def test_the_demo_agreements_and_the_reminder_of_the_one_ending(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    """The demo loads a draft, one in force with targets and one ending within 60 days (once,
    however often it is loaded); the daily job reminds staff of that one only."""
    world = World(db, catalogs, settings, clock())
    boss = await world.person(role="staff", volunteer=False)
    await load_demo_data(db, now=clock.now)
    await load_demo_data(db, now=clock.now)  # idempotent
    async with db.sessions() as s:
        found = list((await s.execute(select(Agreement).order_by(Agreement.id))).scalars())
    assert [a.status for a in found] == ["draft", "active", "active"]
    assert all(a.target_volunteers for a in found) and found[1].target_hours == 800
    ending = found[2]
    assert 0 < (ending.end_date - TODAY).days <= 60
    assert await _run(db, catalogs, settings, clock) == 1
    [row] = await world.outbox("agr:")
    assert row.user_id == boss and row.payload["params"]["title"] == ending.title
