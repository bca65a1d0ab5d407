"""Volunteers: register one, or correct a profile (the same sign-up form does both).

The rules: one profile per national ID, a volunteer under 18 needs a guardian's consent
(Volunteer Work Law regulation) given at the guardian's own mobile (bot.services.guardians),
and the volunteering charter must be accepted. The form asks
for each as it goes; the service checks them again on saving."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, cast, func, or_, select

from bot.core.dates import local_day
from bot.core.text import normalize_for_match
from bot.core.unit import Unit
from bot.core.validators import Invalid, is_minor, parse_skills
from bot.services import access_needs, guardians
from bot.services.errors import Conflict, Forbidden, NotFound, ServiceError, require_staff
from storage import repositories as repo
from storage.db import add_unique
from storage.models import Volunteer

# The interests a volunteer may choose (catalog ids "vol.interest.<code>"), in the chat and
# on the web.
INTEREST_CODES = (
    "environment",
    "cleaning",
    "events",
    "awareness",
    "national",
    "ramadan",
    "health",
    "media",
    "tech",
    "education",
    "crowd",
    "disability",  # supporting people with disabilities (issue 15)
)


NOT_FOUND = "web.vol.not_found"
# The directory's sort orders (the web table's column keys).
SORTS: dict[str, Any] = {
    "name": Volunteer.full_name,
    "district": Volunteer.district,
    "joined": Volunteer.created_at,
}


@dataclass(frozen=True)
class VolunteerProfile:
    """What a volunteer tells about themselves. The guardian's fields count only for a minor."""

    full_name: str
    national_id: str
    mobile: str
    gender: str
    birth_date: date
    birth_calendar: str
    district: str
    interests: tuple[str, ...] = ()
    availability: tuple[str, ...] = ()
    skills: str | None = None  # free text as typed ("first aid, photography")
    email: str | None = None
    charter_accepted: bool = False
    guardian_name: str | None = None
    guardian_mobile: str | None = None
    guardian_consent: bool = False
    # Health data, asked only after its own consent (bot.services.access_needs); None: the
    # question was not asked, whatever is kept stays.
    access_consent: bool | None = None
    access_needs: str | None = None


@dataclass(frozen=True)
class Saved:
    volunteer: Volunteer
    created: bool  # a new profile (else an existing one corrected)


async def national_id_taken(unit: Unit, national_id: str, user_id: int) -> bool:
    """Whether another person's profile has this national ID (asked as it is typed)."""
    return await repo.national_id_taken(
        await unit.connection(), national_id, except_user_id=user_id
    )


async def count_volunteers(unit: Unit) -> int:
    """How many volunteers are registered (the staff panel's headline)."""
    require_staff(unit.actor)
    return await repo.count_volunteers(unit.session)


async def volunteer_profile(unit: Unit, user_id: int) -> Volunteer | None:
    return await repo.volunteer_for_user(unit.session, user_id)


async def save_volunteer(unit: Unit, user_id: int, profile: VolunteerProfile) -> Saved:
    """Register `user_id` as a volunteer, or correct their profile. A person saves their own;
    staff may save anyone's."""
    if unit.actor.user_id != user_id:
        require_staff(unit.actor)
    minor = is_minor(profile.birth_date, local_day(unit.now, unit.timezone))
    if minor and not (profile.guardian_consent and profile.guardian_name):
        raise ServiceError("vol.err.guardian_required")
    if minor:
        guardians.check_guardian_mobile(profile.mobile, profile.guardian_mobile or "")
    if not profile.charter_accepted:
        raise ServiceError("vol.err.charter_required")
    # Statements on the connection: a new profile is saved without an ORM session.
    holders = await repo.profile_holders(await unit.connection(), user_id, profile.national_id)
    if holders.national_id_taken:
        raise Conflict("vol.err.nid_taken")
    # Loaded through the session only when there is one to correct.
    volunteer = None
    if holders.own_id is not None:
        volunteer = await repo.volunteer_for_user(unit.session, user_id)
    created = volunteer is None
    if volunteer is None:
        volunteer = Volunteer(user_id=user_id)
    elif not minor or volunteer.guardian_mobile != profile.guardian_mobile:
        await guardians.forget(unit, volunteer)  # another guardian confirms afresh
    volunteer.full_name = profile.full_name
    volunteer.national_id = profile.national_id
    volunteer.mobile = profile.mobile
    volunteer.gender = profile.gender
    volunteer.birth_date = profile.birth_date
    volunteer.birth_calendar = profile.birth_calendar
    volunteer.guardian_name = profile.guardian_name if minor else None
    volunteer.guardian_mobile = profile.guardian_mobile if minor else None
    volunteer.guardian_consent_at = unit.now if minor else None
    volunteer.district = profile.district
    volunteer.interests = list(profile.interests)
    volunteer.availability = list(profile.availability)
    volunteer.skills, volunteer.skills_key = skills_and_key(profile.skills)
    volunteer.email = profile.email
    if created or volunteer.charter_accepted_at is None:
        volunteer.charter_accepted_at = unit.now
    await access_needs.apply_consent(unit, volunteer, profile.access_consent, profile.access_needs)
    # Lost a race on the unique national ID: nothing written, the rest of the update stands.
    if created:
        stored = await repo.insert_volunteer(await unit.connection(), volunteer)
        if stored:
            unit.adopt(volunteer)
    else:
        stored = await add_unique(unit.session, volunteer)
    if not stored:
        raise Conflict("vol.err.nid_taken")
    return Saved(volunteer, created)


def skills_and_key(typed: str | None) -> tuple[str | None, str | None]:
    """The skills as stored and their search key. Cleaned again here, whichever door they came
    by; the key is folded as a search query is (`skills_key`), so a hamza left out still finds."""
    if typed is None:
        return None, None
    try:
        skills = parse_skills(typed)
    except Invalid as err:
        if err.msgid == "err.empty":  # nothing but spaces or invisible marks: no skills
            return None, None
        raise ServiceError(err.msgid, **err.params) from None
    return skills, normalize_for_match(skills)


# --- the staff's directory (web) ------------------------------------------------------------------
@dataclass(frozen=True)
class Search:
    """What staff look for: `text` in the name, district, interests or skills; exact filters."""

    text: str = ""
    district: str = ""
    interest: str = ""
    gender: str = ""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _conditions(search: Search, dialect: str) -> list[Any]:
    found: list[Any] = []
    if search.text:
        pattern = _like(search.text)

        def matches(column: Any) -> Any:
            # SQLite's LIKE ignores ASCII case by itself; lower() on every row would only cost.
            if dialect == "sqlite":
                return column.like(pattern, escape="\\")
            return column.ilike(pattern, escape="\\")

        either = [
            matches(Volunteer.full_name),
            matches(Volunteer.district),
            # Interests are codes in a JSON list: the text of the list holds them.
            matches(cast(Volunteer.interests, String)),
        ]
        # Skills are compared folded on both sides: hamza, taa marbuta, diacritics and case.
        folded = normalize_for_match(search.text)
        if folded:
            either.append(Volunteer.skills_key.like(_like(folded), escape="\\"))
        found.append(or_(*either))
    if search.district:
        found.append(Volunteer.district == search.district)
    if search.interest:
        quoted = _like(f'"{search.interest}"')
        found.append(cast(Volunteer.interests, String).like(quoted, escape="\\"))
    if search.gender:
        found.append(Volunteer.gender == search.gender)
    return found


def _where(unit: Unit, search: Search) -> list[Any]:
    return _conditions(search, unit.session.get_bind().dialect.name)


async def count_matching(unit: Unit, search: Search) -> int:
    """How many volunteers match `search` (staff)."""
    require_staff(unit.actor)
    counted = await unit.session.execute(
        select(func.count(Volunteer.id)).where(*_where(unit, search))
    )
    return int(counted.scalar_one())


async def search_volunteers(
    unit: Unit,
    search: Search,
    *,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> list[Volunteer]:
    """One page of the volunteers matching `search` (staff); `count_matching` counts them."""
    require_staff(unit.actor)
    column = SORTS.get(sort, Volunteer.full_name)
    order = column.desc() if descending else column.asc()
    rows = await unit.session.execute(
        select(Volunteer)
        .where(*_where(unit, search))
        .order_by(order, Volunteer.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars())


async def get_volunteer(unit: Unit, volunteer_id: int) -> Volunteer:
    """A volunteer's profile, for staff."""
    require_staff(unit.actor)
    volunteer = await unit.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(NOT_FOUND)
    return volunteer


async def view_full_national_id(unit: Unit, volunteer_id: int) -> str:
    """The unmasked national ID, for an admin only; every view is audited."""
    if unit.actor.role != "admin":
        raise Forbidden("web.forbidden")
    volunteer = await unit.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(NOT_FOUND)
    await unit.audit("volunteer.national_id_viewed", f"volunteer:{volunteer.id}")
    return volunteer.national_id


async def export_volunteers(unit: Unit, search: Search) -> list[Volunteer]:
    """Every volunteer matching `search`, by name, for a staff export (which is audited)."""
    require_staff(unit.actor)
    rows = await unit.session.execute(
        select(Volunteer).where(*_where(unit, search)).order_by(Volunteer.full_name, Volunteer.id)
    )
    found = list(rows.scalars())
    await unit.audit("volunteers.exported", "volunteers", rows=len(found))
    return found
