"""Staff are told about new work (issue 13 §4), the services called directly on the real
database: each trigger queues one notice per staff member (with the button and the page's
link), none for plain users nor for the staff member who acted, none in digest mode; the
digest job queues one digest a day from its hour, with the counts; retries double nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import events, families, family_desk, registrations, reports
from bot.services import staff_notices as svc
from bot.services.errors import Forbidden, ServiceError
from bot.services.family_sites import FamilyProfile, save_family
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, OutboxMessage, User, Volunteer
from storage.models_families import StallRequest
from tests.events.support import seed_event
from tests.families.support import SITE_END, SITE_START, add_site, national_id

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh
BASE = "https://staff.example.sa"
T = TypeVar("T")


class World:
    def __init__(self, db: Database, catalogs: Catalogs, settings: Settings) -> None:
        self.db, self.catalogs = db, catalogs
        self.settings = settings.model_copy(update={"web_base_url": BASE + "/"})
        self.now = NOW
        self._seed = 0

    async def person(self, role: str = "user", locale: str = "ar") -> Actor:
        async with self.db.transaction() as session:
            user = User(locale=locale, role=role, created_at=self.now)
            session.add(user)
            await session.flush()
            external = f"u{user.id}"
            session.add(
                ChannelIdentity(
                    channel="console", external_id=external, chat_id=external, user_id=user.id
                )
            )
            return Actor.person(user.id, role)

    async def run(
        self, actor: Actor, call: Callable[..., Awaitable[T]], *args: Any, **kw: Any
    ) -> T:
        async with self.db.transaction() as session:
            unit = Unit(session, actor, self.now, self.catalogs, self.settings)
            return await call(unit, *args, **kw)

    async def family(self) -> Actor:
        self._seed += 1
        actor = await self.person()
        await self.run(actor, save_family, profile(self._seed))
        return actor

    async def volunteer(self, role: str = "user") -> Actor:
        actor = await self.person(role)
        async with self.db.transaction() as session:
            session.add(
                Volunteer(
                    user_id=actor.user_id,
                    full_name="متطوع",
                    national_id=f"10{actor.user_id:08d}",
                    mobile=f"05{actor.user_id:08d}",
                    gender="m",
                    birth_date=date(1995, 1, 1),
                    birth_calendar="gregorian",
                    district="x",
                    interests=[],
                    availability=[],
                    charter_accepted_at=NOW,
                )
            )
        return actor

    async def notices(self, prefix: str = svc.KEY_PREFIX) -> list[OutboxMessage]:
        async with self.db.sessions() as session:
            stmt = (
                select(OutboxMessage)
                .where(OutboxMessage.idempotency_key.startswith(prefix))
                .order_by(OutboxMessage.id)
            )
            return list((await session.execute(stmt)).scalars())

    async def told(self, prefix: str = svc.KEY_PREFIX) -> list[int]:
        return [row.user_id for row in await self.notices(prefix)]


def profile(seed: int) -> FamilyProfile:
    return FamilyProfile(
        family_name="مطبخ أم محمد",
        applicant_name="نورة عبدالله الحارثي",
        applicant_gender="f",
        national_id=national_id(seed),
        mobile="+966512345678",
        district="hawiya",
        categories=("food", "crafts"),
        other_category=None,
        freelance_doc_number="FL-123456",
        freelance_doc_expiry=date(2027, 12, 31),
        health_cert_number="HC998877",
        health_cert_expiry=date(2027, 6, 30),
        description="أكلات طائفية",
        photos=(),
        needs=("electricity",),
        birth_date=date(1990, 5, 1),
    )


@pytest.fixture
async def world(db: Database, catalogs: Catalogs, settings: Settings) -> World:
    return World(db, catalogs, settings)


async def submitted(world: World) -> int:
    site_id = await add_site(world.db)
    family = await world.family()
    request = await world.run(
        family, families.submit_request, site_id, "food", SITE_START, SITE_END
    )
    return request.id


# --- the triggers ---------------------------------------------------------------------------------
async def test_a_new_request_tells_every_staff_member_with_a_button_and_its_link(
    world: World,
) -> None:
    staff, admin = await world.person("staff"), await world.person("admin")
    await world.person("user")  # a plain user is told nothing
    rid = await submitted(world)
    rows = await world.notices()
    assert [r.user_id for r in rows] == [staff.user_id, admin.user_id]
    for row in rows:
        assert row.idempotency_key == f"staff:sr{rid}:new:u{row.user_id}"
        assert row.payload["key"] == "stn.request"
        assert row.payload["params"] == {"id": rid, "link": f"{BASE}/requests/{rid}"}
        assert row.payload["choices"] == [
            {"id": f"stn:rq:{rid}", "label": "stn.btn.review", "params": {}}
        ]


async def test_an_answer_tells_staff_but_not_the_one_who_acts(world: World) -> None:
    boss, other = await world.person("admin"), await world.person("staff")
    rid = await submitted(world)
    family_rows = await world.notices()
    await world.run(boss, families.ask_information, rid, "ما نوع الأكلات؟")
    async with world.db.sessions() as session:
        family_user = (await session.execute(select(User.id).order_by(User.id.desc()))).scalar()
    await world.run(
        Actor.person(int(family_user or 0), "user"), families.answer_information, rid, "مندي"
    )
    answers = [r for r in await world.notices() if ":h" in r.idempotency_key]
    assert len(family_rows) == 2  # the new request's
    assert {r.user_id for r in answers} == {boss.user_id, other.user_id}
    assert {r.payload["key"] for r in answers} == {"stn.answer"}


async def test_the_staff_member_who_acts_is_not_told_of_their_own_work(world: World) -> None:
    other = await world.person("admin")
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 3, "capacity": 2, "auto": False}]
    )
    staff_volunteer = await world.volunteer("staff")  # staff who volunteer themselves
    await world.run(
        staff_volunteer, registrations.register_for_shift, seeded.shift_ids[0], waitlist_ok=False
    )
    assert await world.told() == [other.user_id]


async def test_a_registration_needing_approval_tells_staff_with_the_shift_page(
    world: World,
) -> None:
    staff = await world.person("staff")
    seeded = await seed_event(
        world.db, world.now, shifts=[{"start": 0, "hours": 3, "capacity": 2, "auto": False}]
    )
    shift_id = seeded.shift_ids[0]
    volunteer = await world.volunteer()
    done = await world.run(volunteer, registrations.register_for_shift, shift_id, waitlist_ok=False)
    assert done.registration.status == "pending"
    [row] = await world.notices()
    assert (row.user_id, row.payload["key"]) == (staff.user_id, "stn.registration")
    link = f"{BASE}/events/{seeded.event_id}/shifts/{shift_id}"
    assert row.payload["params"] == {"id": done.registration.id, "link": link}
    assert row.payload["choices"][0]["id"] == f"stn:sh:{shift_id}"


async def test_a_confirmed_registration_tells_no_staff(world: World) -> None:
    await world.person("staff")
    seeded = await seed_event(world.db, world.now)
    volunteer = await world.volunteer()
    await world.run(
        volunteer, registrations.register_for_shift, seeded.shift_ids[0], waitlist_ok=False
    )
    assert await world.notices() == []


async def test_a_retry_doubles_no_notice(world: World) -> None:
    await world.person("staff")
    rid = await submitted(world)
    async with world.db.transaction() as session:
        unit = Unit(session, Actor.system(), world.now, world.catalogs, world.settings)
        request = await session.get(StallRequest, rid)
        assert request is not None
        assert await svc.request_submitted(unit, request) == 0
    assert len(await world.notices()) == 1


# --- the preference and the digest ----------------------------------------------------------------
async def test_the_preference_is_staff_only_audited_and_checked(world: World) -> None:
    staff, plain = await world.person("staff"), await world.person("user")
    with pytest.raises(Forbidden):
        await world.run(plain, svc.set_notice_preference, svc.DIGEST)
    with pytest.raises(ServiceError) as bad:
        await world.run(staff, svc.set_notice_preference, "weekly")
    assert bad.value.msgid == "form.err.choose"
    assert await world.run(staff, svc.set_notice_preference, svc.DIGEST) == svc.DIGEST
    async with world.db.sessions() as session:
        user = await session.get(User, staff.user_id)
        assert user is not None and svc.notice_preference(user) == svc.DIGEST
        audits = (await session.execute(select(AuditLog))).scalars().all()
    assert [(a.actor, a.action, a.details) for a in audits] == [
        (staff.label, "staff.notice_preference", {"choice": "digest"})
    ]


async def test_digest_mode_queues_nothing_now_and_one_digest_at_the_hour(world: World) -> None:
    digest, each = await world.person("staff", locale="en"), await world.person("admin")
    await world.run(digest, svc.set_notice_preference, svc.DIGEST)
    first = await submitted(world)
    second = await submitted(world)
    assert await world.told() == [each.user_id, each.user_id]
    # 07:59 in Riyadh the next day: not yet.
    world.now = datetime(2026, 11, 26, 4, 59, tzinfo=UTC)
    assert await world.run(Actor.system(), svc.send_digests) == 0
    world.now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 08:00
    assert await world.run(Actor.system(), svc.send_digests) == 1
    world.now += timedelta(hours=3)  # the job runs again the same day: nothing more
    assert await world.run(Actor.system(), svc.send_digests) == 0
    [row] = await world.notices("staff:digest:")
    assert row.user_id == digest.user_id
    assert row.idempotency_key == f"staff:digest:2026-11-26:u{digest.user_id}"
    assert row.payload["key"] == "stn.digest"
    assert row.payload["params"]["lines"].splitlines() == [
        "2 stall requests waiting for review",
        f"  {BASE}/requests/{first}",
        f"  {BASE}/requests/{second}",
    ]
    world.now = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # the next day: the next digest
    assert await world.run(Actor.system(), svc.send_digests) == 1


async def test_the_digest_counts_in_arabic_plurals_and_nothing_when_nothing_waits(
    world: World,
) -> None:
    digest = await world.person("staff")
    await world.run(digest, svc.set_notice_preference, svc.DIGEST)
    world.now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert await world.run(Actor.system(), svc.send_digests) == 0  # nothing waits
    await submitted(world)
    assert await world.run(Actor.system(), svc.send_digests) == 1
    [row] = await world.notices("staff:digest:")
    assert row.payload["params"]["lines"].splitlines()[0] == "طلب بسطة واحد بانتظار المراجعة"


async def _family_request(world: World) -> tuple[Actor, int]:
    site_id = await add_site(world.db)
    family = await world.family()
    request = await world.run(
        family, families.submit_request, site_id, "food", SITE_START, SITE_END
    )
    return family, request.id


async def test_the_digest_counts_each_waiting_item_once_in_its_bucket(world: World) -> None:
    boss = await world.person("admin")
    _, new = await _family_request(world)
    _, opened = await _family_request(world)  # staff opened it and have not decided
    await world.run(boss, families.start_review, opened)
    _, asked = await _family_request(world)  # waits for the family, not for staff
    await world.run(boss, families.ask_information, asked, "ما نوع الأكلات؟")
    answering, answered = await _family_request(world)
    await world.run(boss, families.ask_information, answered, "ما نوع الأكلات؟")
    await world.run(answering, families.answer_information, answered, "مندي")
    await world.run(boss, families.start_review, answered)  # read, not decided: still waits
    deciding, decided = await _family_request(world)  # answered, then waitlisted
    await world.run(boss, families.ask_information, decided, "؟")
    await world.run(deciding, families.answer_information, decided, "نعم")
    await world.run(boss, families.waitlist_request, decided)
    again_family, asked_again = await _family_request(world)  # answered, then asked again
    await world.run(boss, families.ask_information, asked_again, "؟")
    await world.run(again_family, families.answer_information, asked_again, "نعم")
    await world.run(boss, families.ask_information, asked_again, "وماذا أيضًا؟")
    seeded = await seed_event(
        world.db,
        world.now,
        shifts=[
            {"start": 0, "hours": 3, "capacity": 3, "auto": False},
            {"start": 1, "hours": 3, "capacity": 3, "auto": False},
        ],
    )
    for shift_id in seeded.shift_ids:
        volunteer = await world.volunteer()
        await world.run(volunteer, registrations.register_for_shift, shift_id, waitlist_ok=False)
    await world.run(boss, events.cancel_shift, seeded.shift_ids[1])  # its registration goes

    waiting = await world.run(Actor.system(), svc.waiting_work)
    assert (waiting.requests, waiting.answers, waiting.registrations) == (2, 1, 1)
    # The web overview counts what waits by the same definition (the opened request too).
    overview = await world.run(boss, reports.waiting)
    assert (overview.requests, overview.replies, overview.registrations) == (2, 1, 1)
    # The overview's links open the queue on exactly what it counted.
    assert await _queued(world, boss, family_desk.TO_REVIEW) == [new, opened]
    assert await _queued(world, boss, family_desk.ANSWERED) == [answered]
    link = f"{BASE}/requests/{{}}".format
    assert waiting.links["stn.digest.requests"] == [link(new), link(opened)]
    assert waiting.links["stn.digest.answers"] == [link(answered)]
    shift = f"{BASE}/events/{seeded.event_id}/shifts/{seeded.shift_ids[0]}"
    assert waiting.links["stn.digest.registrations"] == [shift]
    # Decided: the answer leaves its bucket and goes to no other.
    await world.run(boss, families.reject_request, answered, "capacity")
    after = await world.run(Actor.system(), svc.waiting_work)
    assert (after.requests, after.answers, after.registrations) == (2, 0, 1)
    overview = await world.run(boss, reports.waiting)
    assert (overview.requests, overview.replies, overview.registrations) == (2, 0, 1)


async def _queued(world: World, actor: Actor, status: str) -> list[int]:
    async def ids(unit: Unit) -> list[int]:
        where = family_desk.QueueFilter(status=status)
        rows = await family_desk.list_queue(unit, where, "created", False, 0, 50)
        return [row.request.id for row in rows]

    return await world.run(actor, ids)


async def test_what_waits_is_for_staff(world: World) -> None:
    with pytest.raises(Forbidden):
        await world.run(Actor.person(1, "user"), reports.waiting)
    staff = await world.person("staff")
    assert await world.run(staff, reports.waiting) == reports.Waiting(0, 0, 0)
