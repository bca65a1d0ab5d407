"""bot.services.people called directly: deleting a person (releases first, then the rows, an
audit row without their data) and reading what is stored about them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.unit import Actor, Unit
from bot.services import people
from bot.services.errors import Forbidden, NotFound, ServiceError
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, User, Volunteer
from tests.services.support import NOW, Units, add_person, count, rows, units

__all__ = ["units"]

NID = "1234567897"


async def add_volunteer(db: Database, user_id: int) -> None:
    async with db.transaction() as session:
        session.add(
            Volunteer(
                user_id=user_id,
                full_name="محمد عبدالله الغامدي",
                national_id=NID,
                mobile="0512345678",
                gender="m",
                birth_date=date(1999, 7, 1),
                birth_calendar="gregorian",
                district="hawiya",
                interests=["environment"],
                availability=["we_morning"],
                charter_accepted_at=NOW,
            )
        )


async def test_delete_own_data_releases_first_then_deletes_and_audits(
    units: Units, db: Database
) -> None:
    uid = await add_person(db, "101")
    other = await add_person(db, "102")
    await add_volunteer(db, uid)
    calls: list[tuple[str, int, bool]] = []

    def release(name: str):  # type: ignore[no-untyped-def]
        async def run(unit: Unit, user_id: int) -> None:
            # The person is still there when a feature releases what they hold.
            calls.append((name, user_id, await unit.session.get(User, user_id) is not None))

        return run

    async with units(Actor.person(uid)) as unit:
        await people.delete_person(unit, uid, [release("shifts"), release("stalls")])
    assert calls == [("shifts", uid, True), ("stalls", uid, True)]
    assert [u.id for u in await rows(db, User)] == [other]
    assert await count(db, Volunteer) == 0
    assert [i.user_id for i in await rows(db, ChannelIdentity)] == [other]
    [audit] = await rows(db, AuditLog)
    assert (audit.actor, audit.action, audit.target) == (
        f"user:{uid}",
        "user.deleted_own_data",
        f"user:{uid}",
    )
    assert NID not in repr(audit.details) and "محمد" not in repr(audit.details)


async def test_staff_delete_someone_else(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    staff = Actor.person(await add_person(db, "900", role="staff"), "staff")
    async with units(staff) as unit:
        await people.delete_person(unit, uid, [])
    assert await count(db, User) == 1
    [audit] = await rows(db, AuditLog)
    assert (audit.actor, audit.action) == (staff.label, "user.deleted")


async def test_nobody_deletes_another_person(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    intruder = await add_person(db, "102")
    released: list[int] = []

    async def release(unit: Unit, user_id: int) -> None:
        released.append(user_id)

    async with units(Actor.person(intruder)) as unit:
        with pytest.raises(Forbidden):
            await people.delete_person(unit, uid, [release])
    assert released == []
    assert await count(db, User) == 2
    assert await count(db, AuditLog) == 0


async def test_unknown_person(units: Units, db: Database) -> None:
    async with units(Actor.operator("test")) as unit:
        with pytest.raises(NotFound):
            await people.delete_person(unit, 4242, [])
        with pytest.raises(NotFound):
            await people.stored_data(unit, 4242)
    assert await count(db, AuditLog) == 0


async def test_a_refusing_release_deletes_nothing(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")

    async def refuse(unit: Unit, user_id: int) -> None:
        raise ServiceError("err.internal")

    with pytest.raises(ServiceError):
        async with units(Actor.person(uid)) as unit:
            await people.delete_person(unit, uid, [refuse])
    assert await count(db, User) == 1
    assert await count(db, AuditLog) == 0


async def test_stored_data_own_or_staff_only(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    other = await add_person(db, "102")
    async with units(Actor.person(uid)) as unit:
        stored = await people.stored_data(unit, uid)
        assert (stored.user.id, stored.volunteer) == (uid, None)
    await add_volunteer(db, uid)
    async with units(Actor.person(uid)) as unit:
        stored = await people.stored_data(unit, uid)
        assert stored.volunteer is not None and stored.volunteer.national_id == NID
    async with units(Actor.person(other)) as unit:
        with pytest.raises(Forbidden):
            await people.stored_data(unit, uid)
    async with units(Actor.person(other, "staff")) as unit:
        assert (await people.stored_data(unit, uid)).user.id == uid


async def test_accept_the_privacy_notice(units: Units, db: Database) -> None:
    async with db.transaction() as session:
        _, user = await repo.create_user(session, "telegram", "5", "5")
        uid = user.id
    async with units(Actor.person(uid)) as unit:
        await people.accept_privacy_notice(unit, uid)
        version = unit.settings.privacy_notice_version
    [user] = await rows(db, User)
    assert (user.consent_version, user.consent_at) == (version, NOW)


async def test_stop_and_restart_announcements_for_oneself_only(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    other = await add_person(db, "102")
    async with units(Actor.person(uid)) as unit:
        await people.set_announcements(unit, uid, wanted=False)
    assert (await rows(db, User, User.id == uid))[0].opted_out_announcements
    async with units(Actor.person(other, "staff")) as unit:
        with pytest.raises(Forbidden):  # a person's own choice, not staff's
            await people.set_announcements(unit, uid, wanted=True)
    async with units(Actor.person(uid)) as unit:
        await people.set_announcements(unit, uid, wanted=True)
    assert not (await rows(db, User, User.id == uid))[0].opted_out_announcements
