"""Volunteer sign-up: a declarative form (issue 2 §8) saved in the same transaction as the state.

The same form corrects an existing profile: "my data" starts it with the stored values.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from bot.core.flow import BotApp, Context, MenuEntry
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.labels import person_facts
from bot.core.validators import (
    Invalid,
    parse_birth_date,
    parse_email,
    parse_mobile,
    parse_name,
    parse_national_id,
    parse_skills,
)
from bot.core.validators import is_minor as minor_on  # the form has its own is_minor(values)
from bot.handlers.common import (
    DISTRICT_OPTIONS,
    INTERESTS,
    MY_DATA,
    parse_district,
    show_district,
    show_mobile,
    show_nid,
)
from bot.services import access_needs, guardians
from bot.services import volunteers as service
from bot.services.errors import ServiceError
from storage.models import Volunteer

VOLUNTEER_FORM = "vol"
GUARDIAN_FLOW = "vgc"  # bot.handlers.volunteers.guardian


class F(StrEnum):
    """The form's fields (each also the step that asks it)."""

    NAME = "name"
    NID = "nid"
    MOBILE = "mobile"
    GENDER = "gender"
    BIRTH = "birth"
    GUARDIAN_NAME = "g_name"
    GUARDIAN_MOBILE = "g_mobile"
    GUARDIAN_OK = "g_ok"
    DISTRICT = "district"
    INTERESTS = "interests"
    SKILLS = "skills"
    AVAILABILITY = "avail"
    EMAIL = "email"
    ACCESS_OK = "a_ok"  # consent to keep access needs (health data), asked on its own
    ACCESS_NEEDS = "a_needs"  # asked only after a "yes"
    CHARTER = "charter"


YES, NO = "yes", "no"
MALE, FEMALE = "m", "f"
GENDERS = (Option(MALE, "vol.gender.male"), Option(FEMALE, "vol.gender.female"))
YES_NO = (Option(YES, "vol.guardian_ok.yes"), Option(NO, "vol.guardian_ok.no"))
CHARTER = (Option(YES, "vol.charter.accept"), Option(NO, "vol.charter.decline"))
ACCESS_CONSENT = (Option(YES, "acc.consent.yes"), Option(NO, "acc.consent.no"))
# A refusal of the service sends the person back to the answer it concerns.
_REFUSED_FIELD = {
    "vol.err.nid_taken": F.NID,
    "vol.err.guardian_required": F.GUARDIAN_OK,
    guardians.SAME_MOBILE: F.GUARDIAN_MOBILE,
    "vol.err.charter_required": F.CHARTER,
    "vol.err.skills": F.SKILLS,
    "err.text.too_long": F.SKILLS,  # the only free text the service measures
}
AVAILABILITY = tuple(
    Option(code, f"vol.avail.{code}")
    for code in ("wd_morning", "wd_evening", "we_morning", "we_evening")
)


# --- parsers -----------------------------------------------------------------------------------
def _name(ctx: Context, text: str) -> str:
    return parse_name(text)


async def _national_id(ctx: Context, text: str) -> str:
    nid = parse_national_id(text)
    if await service.national_id_taken(ctx.unit, nid, ctx.user.id):
        raise Invalid("vol.err.nid_taken")
    return nid


def _birth(ctx: Context, text: str) -> dict[str, Any]:
    born = parse_birth_date(text, ctx.today)
    return {
        "date": born.gregorian.isoformat(),
        "cal": born.calendar,
        # Under 18 a guardian's consent is required (Volunteer Work Law regulation).
        "minor": minor_on(born.gregorian, ctx.today),
    }


def _mobile(ctx: Context, text: str) -> str:
    return parse_mobile(text)


def _guardian_mobile(ctx: Context, text: str) -> str:
    mobile = parse_mobile(text)
    try:
        guardians.check_guardian_mobile(ctx.state.data.get("v", {}).get(F.MOBILE, ""), mobile)
    except ServiceError as err:
        raise Invalid(err.msgid) from None
    return mobile


def _skills(ctx: Context, text: str) -> str:
    return parse_skills(text)


def _email(ctx: Context, text: str) -> str:
    return parse_email(text)


def _needs(ctx: Context, text: str) -> str:
    try:
        needs = access_needs.clean_needs(text)
    except ServiceError as err:
        raise Invalid(err.msgid, **err.params) from None
    if needs is None:
        raise Invalid("err.empty")
    return needs


def consented(values: Values) -> bool:
    """The needs are asked only after the consent question was answered "yes"."""
    return values.get(F.ACCESS_OK) == YES


def _guardian_consent(ctx: Context, value: str) -> None:
    if value != YES:
        raise Invalid("vol.err.guardian_required")


def _charter(ctx: Context, value: str) -> None:
    if value != YES:
        raise Invalid("vol.err.charter_required")


# --- display -------------------------------------------------------------------------------
def _show_birth(ctx: Context, value: dict[str, Any]) -> str:
    return ctx.fmt_date(date.fromisoformat(value["date"]))


def _show_charter(ctx: Context, value: str) -> str:
    return ctx.tr.label("vol.charter.accepted")


def is_minor(values: Values) -> bool:
    birth = values.get(F.BIRTH)
    return isinstance(birth, dict) and bool(birth.get("minor"))


class VolunteerForm(Form):
    name = VOLUNTEER_FORM
    intro = "vol.intro"
    summary_title = "vol.summary_title"
    gender_field = F.GENDER
    fields = (
        Field(F.NAME, "vol.q.name", "vol.f.name", parse=_name),
        Field(F.NID, "vol.q.nid", "vol.f.nid", parse=_national_id, render=show_nid),
        Field(
            F.MOBILE,
            "vol.q.mobile",
            "vol.f.mobile",
            kind=FieldKind.PHONE,
            prompt_contact="vol.q.mobile_share",
            render=show_mobile,
        ),
        Field(F.GENDER, "vol.q.gender", "vol.f.gender", kind=FieldKind.CHOICE, options=GENDERS),
        Field(F.BIRTH, "vol.q.birth", "vol.f.birth", parse=_birth, render=_show_birth),
        Field(
            F.GUARDIAN_NAME,
            "vol.q.guardian_name",
            "vol.f.guardian_name",
            parse=_name,
            when=is_minor,
        ),
        Field(
            F.GUARDIAN_MOBILE,
            "vol.q.guardian_mobile",
            "vol.f.guardian_mobile",
            parse=_guardian_mobile,
            render=show_mobile,
            when=is_minor,
        ),
        Field(
            F.GUARDIAN_OK,
            "vol.q.guardian_ok",
            "vol.f.guardian_ok",
            kind=FieldKind.CHOICE,
            options=YES_NO,
            check=_guardian_consent,
            when=is_minor,
        ),
        Field(
            F.DISTRICT,
            "vol.q.district",
            "vol.f.district",
            kind=FieldKind.CHOICE,
            options=DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
        ),
        Field(F.INTERESTS, "vol.q.interests", "vol.f.interests", FieldKind.MULTI, INTERESTS),
        # Optional free text, so staff can find someone who knows first aid or sign language.
        Field(
            F.SKILLS, "vol.q.skills", "vol.f.skills", parse=_skills, required=False, feminine=True
        ),
        Field(
            F.AVAILABILITY,
            "vol.q.availability",
            "vol.f.availability",
            FieldKind.MULTI,
            AVAILABILITY,
        ),
        Field(F.EMAIL, "vol.q.email", "vol.f.email", parse=_email, required=False),
        # Optional health data: its own consent first (what for, who sees it, deletable).
        Field(F.ACCESS_OK, "acc.q.consent", "acc.f.consent", FieldKind.CHOICE, ACCESS_CONSENT),
        Field(
            F.ACCESS_NEEDS,
            "acc.q.needs",
            "acc.f.needs",
            parse=_needs,
            required=False,
            when=consented,
            feminine=True,
        ),
        Field(
            F.CHARTER,
            "vol.q.charter",
            "vol.f.charter",
            kind=FieldKind.CHOICE,
            options=CHARTER,
            check=_charter,
            render=_show_charter,
        ),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        # Already registered: the profile lives in "my data", where it can be corrected. (Asked
        # as the menu asks it: one statement, no session for an update that may not need one.)
        if params.get("values") is None and (await person_facts(ctx)).is_volunteer:
            await ctx.goto(MY_DATA)
            return
        await super().start(ctx, params)

    async def submit(self, ctx: Context, values: Values) -> None:
        try:
            saved = await service.save_volunteer(ctx.unit, ctx.user.id, profile_of(values))
        except ServiceError as err:
            raise FieldError(
                _REFUSED_FIELD.get(err.msgid, F.NID), err.msgid, **err.params
            ) from None
        ctx.state.data = {}
        ctx.say("vol.saved" if saved.created else "vol.updated")
        if guardians.awaiting_guardian(saved.volunteer, ctx.today):
            await ctx.goto(GUARDIAN_FLOW)  # the guardian confirms: by a code, or staff
            return
        await ctx.home()


def profile_of(values: Values) -> service.VolunteerProfile:
    """The form's answers as the service takes them."""
    birth = values[F.BIRTH]
    return service.VolunteerProfile(
        full_name=values[F.NAME],
        national_id=values[F.NID],
        mobile=values[F.MOBILE],
        gender=values[F.GENDER],
        birth_date=date.fromisoformat(birth["date"]),
        birth_calendar=birth["cal"],
        district=values[F.DISTRICT],
        interests=tuple(values[F.INTERESTS]),
        availability=tuple(values[F.AVAILABILITY]),
        skills=values.get(F.SKILLS),
        email=values.get(F.EMAIL),
        charter_accepted=values.get(F.CHARTER) == YES,
        guardian_name=values.get(F.GUARDIAN_NAME),
        guardian_mobile=values.get(F.GUARDIAN_MOBILE),
        guardian_consent=values.get(F.GUARDIAN_OK) == YES,
        access_consent=consented(values) if F.ACCESS_OK in values else None,
        access_needs=values.get(F.ACCESS_NEEDS) if consented(values) else None,
    )


def volunteer_values(volunteer: Volunteer, today: date) -> Values:
    """The form's values for a stored profile (to correct it)."""
    minor = minor_on(volunteer.birth_date, today)
    values: Values = {
        F.NAME: volunteer.full_name,
        F.NID: volunteer.national_id,
        F.MOBILE: volunteer.mobile,
        F.GENDER: volunteer.gender,
        F.BIRTH: {
            "date": volunteer.birth_date.isoformat(),
            "cal": volunteer.birth_calendar,
            "minor": minor,
        },
        F.DISTRICT: volunteer.district,
        F.INTERESTS: list(volunteer.interests),
        F.AVAILABILITY: list(volunteer.availability),
        F.SKILLS: volunteer.skills,
        F.EMAIL: volunteer.email,
        F.ACCESS_OK: YES if volunteer.access_consent_at is not None else NO,
        F.ACCESS_NEEDS: volunteer.access_needs,
        F.CHARTER: YES,
    }
    if minor:
        values[F.GUARDIAN_NAME] = volunteer.guardian_name
        values[F.GUARDIAN_MOBILE] = volunteer.guardian_mobile
        values[F.GUARDIAN_OK] = YES
    return values


async def _volunteer_label(ctx: Context) -> str:
    if (await person_facts(ctx)).is_volunteer:
        return "menu.my_profile"
    return "menu.volunteer_continue" if VOLUNTEER_FORM in ctx.state.drafts else "menu.volunteer"


async def _volunteer(ctx: Context) -> None:
    await ctx.goto(VOLUNTEER_FORM)  # a registered volunteer is sent on to "my data"


def register(app: BotApp, form: VolunteerForm) -> None:
    app.add_flow(form)
    app.add_menu_entry(MenuEntry("vol", _volunteer_label, _volunteer, order=10))
