"""The certificates service on SQLite and PostgreSQL: only counted hours are certified, by
event and within the period asked for; anyone verifies a code (masked name); staff revoke;
deleting the volunteer's data deletes their certificates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from bot.core.unit import Actor
from bot.services import certificates as service
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.services.people import delete_person
from storage.models import Volunteer
from storage.models_certificates import Certificate
from tests.certificates.support import attended, volunteer_of, world
from tests.events.support import World

__all__ = ["world"]  # the fixture


async def test_issue_certifies_counted_hours_by_event_within_the_period(world: World) -> None:
    person = await world.person()
    vid = await volunteer_of(world.db, user_id=person)
    now = world.now
    first = await attended(world.db, vid, now - timedelta(days=40), 2.5, "فعالية أولى")
    await attended(world.db, vid, now - timedelta(days=10), 3, "فعالية ثانية")
    await attended(world.db, vid, now - timedelta(days=9), 4, "لم يحضر", checked_in=False)
    async with world.acting(person) as unit:
        everything = await service.issue_certificate(unit)
    cert = everything.certificate
    assert cert.total_hours == 5.5
    assert [(e["title_ar"], e["hours"]) for e in cert.events] == [
        ("فعالية أولى", 2.5),
        ("فعالية ثانية", 3.0),
    ]
    assert (cert.period_from, cert.period_to) == (date(2026, 10, 16), date(2026, 11, 15))
    assert len(cert.code) == service.CODE_LENGTH
    assert set(cert.code) <= set(service.CODE_ALPHABET)
    assert everything.verify_url == f"http://127.0.0.1:8090/verify/{cert.code}"
    # A period: only the shifts held in it.
    async with world.acting(person) as unit:
        month = await service.issue_certificate(unit, (date(2026, 10, 1), date(2026, 10, 31)))
    assert [e["event_id"] for e in month.certificate.events] == [first]
    assert month.certificate.total_hours == 2.5
    assert month.certificate.code != cert.code
    assert len(await world.audits("certificate.issued")) == 2


async def test_no_counted_hours_is_refused_and_nothing_is_written(world: World) -> None:
    person = await world.person()
    vid = await volunteer_of(world.db, user_id=person)
    await attended(world.db, vid, world.now - timedelta(days=3), 4, checked_in=False)
    async with world.acting(person) as unit:
        with pytest.raises(Conflict) as refused:
            await service.issue_certificate(unit)
    assert refused.value.msgid == "cert.err.no_hours"
    await attended(world.db, vid, world.now - timedelta(days=2), 2)
    async with world.acting(person) as unit:
        with pytest.raises(Conflict):  # hours exist, but not in this period
            await service.issue_certificate(unit, (date(2025, 1, 1), date(2025, 12, 31)))
    stranger = await world.person(volunteer=False)
    async with world.acting(stranger) as unit:
        with pytest.raises(NotFound):
            await service.issue_certificate(unit)
    assert await world.rows(Certificate) == []


async def test_verify_masks_the_name_and_revoke_is_for_staff_once(world: World) -> None:
    person = await world.person(gender="f")
    vid = await volunteer_of(world.db, user_id=person)
    async with world.db.transaction() as session:
        await session.execute(
            update(Volunteer).where(Volunteer.id == vid).values(full_name="سارة محمد العتيبي")
        )
    await attended(world.db, vid, world.now - timedelta(days=5), 3)
    async with world.acting(person) as unit:
        code = (await service.issue_certificate(unit)).certificate.code
    anyone = Actor("web", None, "user")
    async with world.acting(anyone) as unit:
        # as typed from paper: lower case, with the dash
        found = await service.verify_certificate(unit, service.display_code(code).lower())
    assert found.status == service.VALID and found.total_hours == 3
    assert found.masked_name == "سارة ع."
    assert (found.period_from, found.period_to) == (date(2026, 11, 20), date(2026, 11, 20))
    async with world.acting(person) as unit:
        with pytest.raises(Forbidden):
            await service.revoke_certificate(unit, code, "خطأ")
    boss = await world.staff()
    async with world.acting(boss, "admin") as unit:
        await service.revoke_certificate(unit, code, "سُجّل الحضور خطأً")
    async with world.acting(anyone) as unit:
        assert (await service.verify_certificate(unit, code)).status == service.REVOKED
    async with world.acting(boss, "admin") as unit:
        with pytest.raises(Conflict):
            await service.revoke_certificate(unit, code)
    [row] = await world.rows(Certificate)
    assert row.revoked_by == boss and row.revoke_reason == "سُجّل الحضور خطأً"
    assert len(await world.audits("certificate.revoked")) == 1
    async with world.acting(anyone) as unit:
        with pytest.raises(NotFound):
            await service.verify_certificate(unit, "ABCDEFGHJK")


async def test_deleting_my_data_deletes_my_certificates(world: World) -> None:
    person = await world.person()
    vid = await volunteer_of(world.db, user_id=person)
    await attended(world.db, vid, world.now - timedelta(days=5), 3)
    async with world.acting(person) as unit:
        code = (await service.issue_certificate(unit)).certificate.code
    async with world.acting(person) as unit:
        await delete_person(unit, person, [])
    assert await world.rows(Certificate) == []
    async with world.acting(Actor("web", None, "user")) as unit:
        with pytest.raises(NotFound):
            await service.verify_certificate(unit, code)
