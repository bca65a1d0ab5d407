"""Productive families, the records requests hang on: a family's registration (its own profile)
and the sites staff create, correct, close and reopen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.dates import end_of_day, local_day
from bot.core.unit import Unit
from bot.core.validators import is_minor
from bot.services.errors import NotFound, require_staff
from bot.services.families import (
    FieldProblem,
    NotRegistered,
    eligibility_problem,
    needs_food_certificate,
    pass_on,
)
from storage import families as fam
from storage import repositories as repo
from storage.db import add_unique
from storage.models_access import clean_features
from storage.models_families import Family, Site

MAX_STALLS = 500
# Only adults apply for a family: a stall is a commercial commitment a minor cannot make.
UNDER_AGE = "fam.err.under_age"


# --- a family's registration ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FamilyProfile:
    """What a family registers (and corrects) about itself."""

    family_name: str
    applicant_name: str
    applicant_gender: str
    national_id: str
    mobile: str
    district: str
    categories: tuple[str, ...]
    other_category: str | None
    freelance_doc_number: str
    freelance_doc_expiry: date
    health_cert_number: str | None
    health_cert_expiry: date | None
    description: str
    photos: tuple[dict[str, Any], ...]
    needs: tuple[str, ...]
    # The applicant's birth date: None when it is known already (an adult's confirmation kept
    # from an earlier registration, or the person's volunteer profile). Only the fact that the
    # applicant is an adult is stored, never the date (minimum data).
    birth_date: date | None = None


@dataclass(frozen=True, slots=True)
class SavedFamily:
    family: Family
    created: bool


async def national_id_taken(unit: Unit, national_id: str) -> bool:
    """Another person's family registered with this national ID already."""
    conn = await unit.connection()
    return await fam.family_nid_taken(conn, national_id, except_user_id=unit.actor.user_id)


def under_age(unit: Unit, birth_date: date) -> bool:
    """Whether an applicant born on `birth_date` is under ADULT_AGE today (the form asks it
    early, so a minor is told before typing the rest; `save_family` checks again)."""
    return is_minor(birth_date, local_day(unit.now, unit.timezone))


async def known_adult(unit: Unit) -> bool | None:
    """What is known of the acting person's age without asking: True (an adult's family
    registration, or a volunteer profile of an adult), False (a volunteer profile of a minor),
    None (nothing: the form asks the birth date)."""
    assert unit.actor.user_id is not None
    family = await fam.family_for_user(unit.session, unit.actor.user_id)
    if family is not None and family.adult_confirmed_at is not None:
        return True
    volunteer = await repo.volunteer_for_user(unit.session, unit.actor.user_id)
    if volunteer is None:
        return None
    return not under_age(unit, volunteer.birth_date)


async def _check_adult(unit: Unit, family: Family, birth_date: date | None) -> None:
    if birth_date is not None:
        adult = not under_age(unit, birth_date)
    else:
        known = await known_adult(unit)
        if known is None:
            raise FieldProblem("fam.err.birth_required", "birth_date")
        adult = known
    if not adult:
        raise FieldProblem(UNDER_AGE, None)
    if family.adult_confirmed_at is None:
        family.adult_confirmed_at = unit.now


async def save_family(unit: Unit, profile: FamilyProfile) -> SavedFamily:
    """Register the acting person's family, or correct its registration. The applicant is an
    adult; categories that are food need a health certificate, the others keep none; one
    family per national ID."""
    user_id = unit.actor.user_id
    assert user_id is not None
    family = await fam.family_for_user(unit.session, user_id)
    created = family is None
    if family is None:
        family = Family(user_id=user_id, created_at=unit.now)
    await _check_adult(unit, family, profile.birth_date)
    food = needs_food_certificate(list(profile.categories))
    family.family_name = profile.family_name
    family.applicant_name = profile.applicant_name
    family.applicant_gender = profile.applicant_gender
    family.national_id = profile.national_id
    family.mobile = profile.mobile
    family.district = profile.district
    family.categories = list(profile.categories)
    family.other_category = profile.other_category if "other" in profile.categories else None
    family.freelance_doc_number = profile.freelance_doc_number
    family.freelance_doc_expiry = profile.freelance_doc_expiry
    family.health_cert_number = profile.health_cert_number if food else None
    family.health_cert_expiry = profile.health_cert_expiry if food else None
    family.description = profile.description
    family.photos = [
        {"kind": p["kind"], "file_id": p["file_id"], "channel": p["channel"]}
        for p in profile.photos
    ]
    family.needs = list(profile.needs)
    family.updated_at = unit.now
    if not await add_unique(unit.session, family):  # lost a race on the national ID
        raise FieldProblem("fam.err.nid_taken", "national_id")
    return SavedFamily(family, created)


# --- which sites a family may apply to ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SiteChance:
    site: Site
    problem: str | None  # why this family cannot apply there (a message id); None: it can


async def sites_for_family(unit: Unit) -> list[SiteChance]:
    """The sites open for applications, each with whether the acting person's family may
    apply there, so the family sees the rules before choosing rather than after."""
    assert unit.actor.user_id is not None
    family = await fam.family_for_user(unit.session, unit.actor.user_id)
    if family is None:
        raise NotRegistered()
    today = local_day(unit.now, unit.timezone)
    found = []
    for site in await fam.open_sites(unit.session, unit.now, today):
        problem = eligibility_problem(unit, site, family)
        if problem is None and await fam.active_request(unit.session, family.id, site.id):
            problem = "fam.err.already_requested"
        found.append(SiteChance(site, problem))
    return found


# --- sites ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SiteData:
    name_ar: str
    name_en: str | None
    district: str
    pin: tuple[float, float] | None
    food_stalls: int
    nonfood_stalls: int
    start_date: date
    end_date: date
    deadline_day: date  # applications close at the end of this local day
    fee: str
    fee_note: str | None
    saudi_only: bool
    women_only: bool
    setup_note: str | None = None  # when families may set up, told in every offer
    access: tuple[str, ...] = ()  # accessibility features (storage.models_access)
    # Stalls of each type kept for families in which a person with a disability works.
    reserved_stalls: int = 0


@dataclass(frozen=True, slots=True)
class SavedSite:
    site: Site
    created: bool
    offered: int  # offers made to waiting families from the stalls added


async def save_site(unit: Unit, site_id: int | None, data: SiteData) -> SavedSite:
    """Create a site (`site_id` None) or correct one. A site has stalls, ends after it starts,
    closes applications by its end, and never shrinks below a stall number in use; stalls
    added go to the waiting families first."""
    require_staff(unit.actor)
    site = await fam.get_site(unit.session, site_id) if site_id else None
    if site_id and site is None:
        raise NotFound("fam.err.site_gone")
    counts = {"food": data.food_stalls, "nonfood": data.nonfood_stalls}
    if data.food_stalls + data.nonfood_stalls <= 0:
        raise FieldProblem("fam.sf.err.no_stalls", "food_stalls")
    if data.end_date < data.start_date:
        raise FieldProblem("fam.err.end_before_start", "end_date")
    if data.deadline_day > data.end_date:
        raise FieldProblem("fam.sf.err.deadline_after_end", "deadline_day")
    if not 0 <= data.reserved_stalls <= max(counts.values()):
        raise FieldProblem("acc.err.reserved", "reserved", n=max(counts.values()))
    grown: list[str] = []
    if site is not None:
        for stall_type in fam.STALL_TYPES:
            highest = await fam.highest_held(unit.session, site.id, stall_type)
            if counts[stall_type] < highest:
                raise FieldProblem("fam.sf.err.below_held", f"{stall_type}_stalls", n=highest)
            if counts[stall_type] > site.capacity(stall_type):
                grown.append(stall_type)
    created = site is None
    if site is None:
        site = Site(created_by=unit.actor.user_id, created_at=unit.now, is_open=True)
    site.name_ar = data.name_ar
    site.name_en = data.name_en
    site.district = data.district
    site.latitude, site.longitude = data.pin if data.pin else (None, None)
    site.food_stalls, site.nonfood_stalls = data.food_stalls, data.nonfood_stalls
    site.start_date, site.end_date = data.start_date, data.end_date
    site.deadline = end_of_day(data.deadline_day, unit.timezone)
    site.fee = data.fee
    site.fee_note = data.fee_note
    site.setup_note = data.setup_note
    site.saudi_only = data.saudi_only
    site.women_only = data.women_only
    site.access = clean_features(data.access) or None
    site.reserved_stalls = data.reserved_stalls or None
    unit.session.add(site)
    await unit.session.flush()
    await unit.audit(
        "site.created" if created else "site.updated",
        f"site:{site.id}",
        food=site.food_stalls,
        nonfood=site.nonfood_stalls,
    )
    offered = 0
    for stall_type in grown:  # new stalls go to families on the waiting list first
        offered += await pass_on(unit, site, stall_type, unit.actor.label)
    return SavedSite(site, created, offered)


async def set_site_open(unit: Unit, site_id: int, is_open: bool) -> Site:
    """Close a site to new requests, or reopen it (requests already made stay)."""
    require_staff(unit.actor)
    site = await fam.get_site(unit.session, site_id)
    if site is None:
        raise NotFound("fam.err.site_gone")
    site.is_open = is_open
    await unit.audit("site.opened" if is_open else "site.closed", f"site:{site.id}")
    return site
