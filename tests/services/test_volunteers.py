"""bot.services.volunteers called directly: registering and correcting a profile, one profile
per national ID, a guardian's consent under 18, the charter, and who may save whose."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.core.unit import Actor
from bot.services import guardians
from bot.services import volunteers as service
from bot.services.errors import Conflict, Forbidden, ServiceError
from storage.db import Database
from storage.models import Volunteer
from tests.services.support import NOW, Units, add_person, count, rows, units

__all__ = ["units"]

ADULT = service.VolunteerProfile(
    full_name="محمد عبدالله الغامدي",
    national_id="1234567897",
    mobile="0512345678",
    gender="m",
    birth_date=date(1999, 7, 1),
    birth_calendar="hijri",
    district="hawiya",
    interests=("environment", "events"),
    availability=("we_morning",),
    charter_accepted=True,
)
# 16 on the test clock's day (2026-11-25).
MINOR = replace(ADULT, birth_date=date(2010, 1, 1), national_id="1000000008")


async def test_register_then_correct(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    async with units(Actor.person(uid)) as unit:
        saved = await service.save_volunteer(unit, uid, ADULT)
    assert saved.created
    [row] = await rows(db, Volunteer)
    assert (row.user_id, row.national_id, row.interests, row.charter_accepted_at) == (
        uid,
        ADULT.national_id,
        ["environment", "events"],
        NOW,
    )
    assert (row.guardian_name, row.guardian_consent_at) == (None, None)
    later = NOW + timedelta(days=3)
    async with units(Actor.person(uid), later) as unit:
        saved = await service.save_volunteer(unit, uid, replace(ADULT, district="shihar"))
    assert not saved.created
    [row] = await rows(db, Volunteer)
    assert (row.district, row.charter_accepted_at) == ("shihar", NOW)  # accepted once


async def test_a_new_profile_is_the_units_to_change_later_in_the_same_transaction(
    units: Units, db: Database
) -> None:
    """The new row is written without the unit of work (storage/direct_writes.py); the unit's
    session still holds it, so a later change in the same action is written too."""
    uid = await add_person(db, "101")
    async with units(Actor.person(uid)) as unit:
        saved = await service.save_volunteer(unit, uid, ADULT)
        assert saved.volunteer in unit.session
        assert await unit.session.get(Volunteer, saved.volunteer.id) is saved.volunteer
        saved.volunteer.skills = "نجارة"
    [row] = await rows(db, Volunteer)
    assert row.skills == "نجارة"


async def test_national_id_is_one_persons(units: Units, db: Database) -> None:
    first = await add_person(db, "101")
    second = await add_person(db, "102")
    async with units(Actor.person(first)) as unit:
        await service.save_volunteer(unit, first, ADULT)
    async with units(Actor.person(second)) as unit:
        assert await service.national_id_taken(unit, ADULT.national_id, second)
        assert not await service.national_id_taken(unit, ADULT.national_id, first)
        with pytest.raises(Conflict) as refused:
            await service.save_volunteer(unit, second, ADULT)
    assert refused.value.msgid == "vol.err.nid_taken"
    assert [v.user_id for v in await rows(db, Volunteer)] == [first]


async def test_a_minor_needs_a_guardians_consent(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    async with units(Actor.person(uid)) as unit:
        with pytest.raises(ServiceError) as refused:
            await service.save_volunteer(unit, uid, replace(MINOR, guardian_name="عبدالله"))
    assert refused.value.msgid == "vol.err.guardian_required"
    assert await count(db, Volunteer) == 0
    consented = replace(
        MINOR, guardian_name="عبدالله", guardian_mobile="0500000000", guardian_consent=True
    )
    async with units(Actor.person(uid)) as unit:
        await service.save_volunteer(unit, uid, consented)
    [row] = await rows(db, Volunteer)
    assert (row.guardian_name, row.guardian_consent_at) == ("عبدالله", NOW)


@pytest.mark.parametrize(
    "guardian", ["0512345678", "+966 51 234 5678", "٠٥١٢٣٤٥٦٧٨", "00966512345678"]
)
async def test_a_guardians_mobile_is_not_the_minors(
    units: Units, db: Database, guardian: str
) -> None:
    """The same number however written (the web or the CLI pass what was typed)."""
    uid = await add_person(db, "101")
    minor = replace(MINOR, guardian_name="عبدالله", guardian_mobile=guardian, guardian_consent=True)
    async with units(Actor.person(uid)) as unit:
        with pytest.raises(ServiceError) as refused:
            await service.save_volunteer(unit, uid, minor)
    assert refused.value.msgid == "vol.err.guardian_same_mobile"
    assert await count(db, Volunteer) == 0


async def test_another_guardian_confirms_afresh(units: Units, db: Database) -> None:
    """A confirmation belongs to the guardian's number: correcting anything else keeps it,
    another number drops it (and staff confirm it again, audited)."""
    uid = await add_person(db, "101")
    boss = await add_person(db, "boss", role="staff")
    minor = replace(
        MINOR, guardian_name="عبدالله", guardian_mobile="0555123456", guardian_consent=True
    )
    async with units(Actor.person(uid)) as unit:
        saved = await service.save_volunteer(unit, uid, minor)
    async with units(Actor.person(boss, "staff")) as unit:
        await guardians.confirm_by_staff(unit, saved.volunteer.id)
    async with units(Actor.person(uid)) as unit:
        await service.save_volunteer(unit, uid, replace(minor, district="shafa"))
    [row] = await rows(db, Volunteer)
    assert (row.guardian_confirmed_by, row.guardian_confirmed_at) == ("staff", NOW)
    async with units(Actor.person(uid)) as unit:
        await service.save_volunteer(unit, uid, replace(minor, guardian_mobile="0555000111"))
    [row] = await rows(db, Volunteer)
    assert (row.guardian_confirmed_by, row.guardian_confirmed_at) == (None, None)
    async with units(Actor.person(uid)) as unit:
        with pytest.raises(Forbidden):  # only staff confirm without a code
            await guardians.confirm_by_staff(unit, row.id)


async def test_an_adult_keeps_no_guardian(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    async with units(Actor.person(uid)) as unit:
        await service.save_volunteer(unit, uid, replace(ADULT, guardian_name="x"))
    [row] = await rows(db, Volunteer)
    assert row.guardian_name is None


async def test_the_charter_must_be_accepted(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    async with units(Actor.person(uid)) as unit:
        with pytest.raises(ServiceError) as refused:
            await service.save_volunteer(unit, uid, replace(ADULT, charter_accepted=False))
    assert refused.value.msgid == "vol.err.charter_required"
    assert await count(db, Volunteer) == 0


async def test_own_profile_or_staff(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    other = await add_person(db, "102")
    async with units(Actor.person(other)) as unit:
        with pytest.raises(Forbidden):
            await service.save_volunteer(unit, uid, ADULT)
    assert await count(db, Volunteer) == 0
    async with units(Actor.person(other, "staff")) as unit:
        assert (await service.save_volunteer(unit, uid, ADULT)).created
        assert (await service.volunteer_profile(unit, uid)) is not None


async def test_count_volunteers_is_for_staff(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    async with units(Actor.person(uid)) as unit:
        await service.save_volunteer(unit, uid, ADULT)
        with pytest.raises(Forbidden):
            await service.count_volunteers(unit)
    async with units(Actor.person(uid, "staff")) as unit:
        assert await service.count_volunteers(unit) == 1


async def test_skills_are_cleaned_and_keyed_for_search(units: Units, db: Database) -> None:
    uid = await add_person(db, "101")
    typed = "\u202eإسعافاتٌ   أوّلية،\u200f تصوير\x00"
    async with units(Actor.person(uid)) as unit:
        await service.save_volunteer(unit, uid, replace(ADULT, skills=typed))
    [row] = await rows(db, Volunteer)
    assert row.skills == "إسعافاتٌ أوّلية، تصوير"  # as typed, without the invisible characters
    assert row.skills_key == "اسعافات اوليه تصوير"  # hamza, taa marbuta, harakat folded
    async with units(Actor.person(uid)) as unit:  # only spaces and marks: no skills at all
        await service.save_volunteer(unit, uid, replace(ADULT, skills=" \u200f "))
    [row] = await rows(db, Volunteer)
    assert (row.skills, row.skills_key) == (None, None)
    async with units(Actor.person(uid)) as unit:
        with pytest.raises(ServiceError) as refused:
            await service.save_volunteer(unit, uid, replace(ADULT, skills="ب" * 301))
    assert (refused.value.msgid, refused.value.params) == ("err.text.too_long", {"limit": 300})


async def test_the_directory_finds_a_skill_spelt_loosely(units: Units, db: Database) -> None:
    medic, other = await add_person(db, "101"), await add_person(db, "102")
    boss = await add_person(db, "103", role="staff")
    async with units(Actor.person(medic)) as unit:
        await service.save_volunteer(unit, medic, replace(ADULT, skills="إسعافات أولية، تصوير"))
    async with units(Actor.person(other)) as unit:
        await service.save_volunteer(
            unit,
            other,
            replace(ADULT, full_name="سارة خالد العتيبي", national_id="1000000008", skills="طبخ"),
        )
    async with units(Actor.person(boss, "staff")) as unit:

        async def names(text: str) -> list[str]:
            search = service.Search(text=text)
            found = await service.search_volunteers(unit, search)
            assert await service.count_matching(unit, search) == len(found)
            return [v.full_name for v in found]

        for typed in ("اسعافات", "إسعافات", "اوليه", "أوّليّة", "اسعافات اولية", "تصوير"):
            assert await names(typed) == [ADULT.full_name], typed
        assert await names("سارة") == ["سارة خالد العتيبي"]  # the name search still works
        assert await names("طبخ") == ["سارة خالد العتيبي"]
        assert await names("تصوير 100%") == []  # LIKE's wildcards are taken literally
        assert len(await service.export_volunteers(unit, service.Search(text="اسعافات"))) == 1
