"""What the main menu asks about a person (storage/person_facts.py), on both backends: a
volunteer profile; acting for a partner, by the one definition `storage.partners.acts_for`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storage import partners as store
from storage.db import Database
from storage.models import User, Volunteer
from storage.models_partners import (
    APPROVED,
    MEMBER_CONFIRMED,
    MEMBER_PENDING,
    SUBMITTED,
    Partner,
    PartnerMember,
)
from storage.person_facts import PersonFacts, person_facts


async def facts_after(db: Database, partner_status: str | None, member_status: str) -> PersonFacts:
    async with db.transaction() as session:
        person = User(role="user")
        session.add(person)
        await session.flush()
        if partner_status is not None:
            partner = Partner(
                name_ar="جمعية",
                type="charity",
                contact_name="منى",
                contact_mobile="0500000000",
                status=partner_status,
            )
            session.add(partner)
            await session.flush()
            session.add(
                PartnerMember(partner_id=partner.id, user_id=person.id, status=member_status)
            )
            await session.flush()
        found = await person_facts(await session.connection(), person.id)
        listed = await store.acting_for(session, person.id)
    # The menu's answer and the partners' own list agree.
    assert found.represents_partner == bool(listed)
    return found


@pytest.mark.parametrize(
    ("partner_status", "member_status", "represents"),
    [
        (None, MEMBER_CONFIRMED, False),
        (APPROVED, MEMBER_CONFIRMED, True),
        (APPROVED, MEMBER_PENDING, False),  # staff have not confirmed them
        (SUBMITTED, MEMBER_CONFIRMED, False),  # the organisation is not approved
    ],
)
async def test_a_representative_is_confirmed_for_an_approved_partner(
    db: Database, partner_status: str | None, member_status: str, represents: bool
) -> None:
    found = await facts_after(db, partner_status, member_status)
    assert found == PersonFacts(is_volunteer=False, represents_partner=represents)


async def test_a_volunteer_profile_counts_once_written_in_the_transaction(db: Database) -> None:
    async with db.transaction() as session:
        person, other = User(role="user"), User(role="user")
        session.add_all([person, other])
        await session.flush()
        session.add(
            Volunteer(
                user_id=person.id,
                full_name="منى عبدالله الغامدي",
                national_id="1234567897",
                mobile="0512345678",
                gender="f",
                birth_date=date(1999, 7, 1),
                birth_calendar="gregorian",
                district="hawiya",
                interests=["environment"],
                availability=["we_morning"],
                charter_accepted_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        await session.flush()
        conn = await session.connection()
        assert (await person_facts(conn, person.id)).is_volunteer
        assert not (await person_facts(conn, other.id)).is_volunteer
