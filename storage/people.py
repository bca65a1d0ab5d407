"""What the bot knows about a person across features, read for how it addresses them."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, literal, select, union_all
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


def stored_gender_columns(user_id: ColumnElement[int] | Any) -> tuple[ColumnElement[str], ...]:
    """The genders `genders_of` reads, as columns of a query about `user_id` (the volunteer's
    answer first): the engine's one load per update asks them with the rest, rather than
    sending a second statement on every update until a form has been told."""
    return (
        select(Volunteer.gender).where(Volunteer.user_id == user_id).scalar_subquery(),
        select(Family.applicant_gender).where(Family.user_id == user_id).scalar_subquery(),
    )


def first_gender(*candidates: str | None) -> str | None:
    """The first known gender among `candidates`, in `genders_of`'s order of precedence."""
    return next((g for g in candidates if g in GENDERS), None)
