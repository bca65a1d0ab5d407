"""What the bot knows about a person across features, read for how it addresses them."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Volunteer
from storage.models_families import Family

GENDERS = frozenset({"f", "m"})


async def genders_of(session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    """user id -> "f"/"m" for the people whose gender is known: a volunteer's own answer, else
    the applicant's gender of their productive family (the applicant is who writes to us)."""
    if not user_ids:
        return {}
    ids = list(set(user_ids))
    # One round trip (the engine asks on every update): the volunteer's answer ranks first.
    rows = await session.execute(
        union_all(
            select(Volunteer.user_id, Volunteer.gender, literal(0)).where(
                Volunteer.user_id.in_(ids)
            ),
            select(Family.user_id, Family.applicant_gender, literal(1)).where(
                Family.user_id.in_(ids)
            ),
        )
    )
    found: dict[int, str] = {}
    for user_id, gender, _rank in sorted(rows.all(), key=lambda row: -row[2]):
        if gender in GENDERS:
            found[user_id] = gender  # the lower rank, written last, wins
    return found
