"""Volunteer sign-up: a declarative form (issue 2 §8) saved in the same transaction as the state.

The same form corrects an existing profile: "my data" starts it with the stored values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.flow import BotApp, Context, MenuEntry
from bot.core.forms import Field, FieldError, FieldKind, Form, Option, Values
from bot.core.validators import (
    Invalid,
    age_on,
    parse_birth_date,
    parse_email,
    parse_mobile,
    parse_name,
    parse_national_id,
)
from bot.handlers.common import (
    DISTRICT_OPTIONS,
    INTERESTS,
    add_unique,
    parse_district,
    show_district,
    show_mobile,
    show_nid,
)
from storage import repositories as repo
from storage.models import Volunteer

VOLUNTEER_FORM = "vol"
ADULT_AGE = 18

GENDERS = (Option("m", "vol.gender.male"), Option("f", "vol.gender.female"))
YES_NO = (Option("yes", "vol.guardian_ok.yes"), Option("no", "vol.guardian_ok.no"))
CHARTER = (Option("yes", "vol.charter.accept"), Option("no", "vol.charter.decline"))
AVAILABILITY = tuple(
    Option(code, f"vol.avail.{code}")
    for code in ("wd_morning", "wd_evening", "we_morning", "we_evening")
)


# --- parsers -----------------------------------------------------------------------------------
def _name(ctx: Context, text: str) -> str:
    return parse_name(text)


async def _national_id(ctx: Context, text: str) -> str:
    nid = parse_national_id(text)
    if await repo.national_id_taken(ctx.session, nid, except_user_id=ctx.user.id):
        raise Invalid("vol.err.nid_taken")
    return nid


def _birth(ctx: Context, text: str) -> dict[str, Any]:
    born = parse_birth_date(text, ctx.today)
    return {
        "date": born.gregorian.isoformat(),
        "cal": born.calendar,
        # Under 18 a guardian's consent is required (Volunteer Work Law regulation).
        "minor": age_on(born.gregorian, ctx.today) < ADULT_AGE,
    }


def _mobile(ctx: Context, text: str) -> str:
    return parse_mobile(text)


def _email(ctx: Context, text: str) -> str:
    return parse_email(text)


def _guardian_consent(ctx: Context, value: str) -> None:
    if value != "yes":
        raise Invalid("vol.err.guardian_required")


def _charter(ctx: Context, value: str) -> None:
    if value != "yes":
        raise Invalid("vol.err.charter_required")


# --- display -------------------------------------------------------------------------------
def _show_birth(ctx: Context, value: dict[str, Any]) -> str:
    return ctx.fmt_date(date.fromisoformat(value["date"]))


def _show_charter(ctx: Context, value: str) -> str:
    return ctx.tr.label("vol.charter.accepted")


def is_minor(values: Values) -> bool:
    birth = values.get("birth")
    return isinstance(birth, dict) and bool(birth.get("minor"))


class VolunteerForm(Form):
    name = VOLUNTEER_FORM
    intro = "vol.intro"
    summary_title = "vol.summary_title"
    fields = (
        Field("name", "vol.q.name", "vol.f.name", parse=_name),
        Field("nid", "vol.q.nid", "vol.f.nid", parse=_national_id, render=show_nid),
        Field(
            "mobile",
            "vol.q.mobile",
            "vol.f.mobile",
            kind=FieldKind.PHONE,
            prompt_contact="vol.q.mobile_share",
            render=show_mobile,
        ),
        Field("gender", "vol.q.gender", "vol.f.gender", kind=FieldKind.CHOICE, options=GENDERS),
        Field("birth", "vol.q.birth", "vol.f.birth", parse=_birth, render=_show_birth),
        Field("g_name", "vol.q.guardian_name", "vol.f.guardian_name", parse=_name, when=is_minor),
        Field(
            "g_mobile",
            "vol.q.guardian_mobile",
            "vol.f.guardian_mobile",
            parse=_mobile,
            render=show_mobile,
            when=is_minor,
        ),
        Field(
            "g_ok",
            "vol.q.guardian_ok",
            "vol.f.guardian_ok",
            kind=FieldKind.CHOICE,
            options=YES_NO,
            check=_guardian_consent,
            when=is_minor,
        ),
        Field(
            "district",
            "vol.q.district",
            "vol.f.district",
            kind=FieldKind.CHOICE,
            options=DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
        ),
        Field(
            "interests", "vol.q.interests", "vol.f.interests", FieldKind.MULTI, options=INTERESTS
        ),
        Field("avail", "vol.q.availability", "vol.f.availability", FieldKind.MULTI, AVAILABILITY),
        Field("email", "vol.q.email", "vol.f.email", parse=_email, required=False),
        Field(
            "charter",
            "vol.q.charter",
            "vol.f.charter",
            kind=FieldKind.CHOICE,
            options=CHARTER,
            check=_charter,
            render=_show_charter,
        ),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        if params.get("values") is None:
            existing = await repo.volunteer_for_user(ctx.session, ctx.user.id)
            if existing is not None:
                # Already registered: the profile lives in "my data", where it can be corrected.
                await ctx.goto("md")
                return
        await super().start(ctx, params)

    async def submit(self, ctx: Context, values: Values) -> None:
        volunteer = await repo.volunteer_for_user(ctx.session, ctx.user.id)
        is_new = volunteer is None
        if volunteer is None:
            volunteer = Volunteer(user_id=ctx.user.id)
        minor = is_minor(values)
        birth = values["birth"]
        volunteer.full_name = values["name"]
        volunteer.national_id = values["nid"]
        volunteer.mobile = values["mobile"]
        volunteer.gender = values["gender"]
        volunteer.birth_date = date.fromisoformat(birth["date"])
        volunteer.birth_calendar = birth["cal"]
        volunteer.guardian_name = values.get("g_name") if minor else None
        volunteer.guardian_mobile = values.get("g_mobile") if minor else None
        volunteer.guardian_consent_at = ctx.now if minor else None
        volunteer.district = values["district"]
        volunteer.interests = list(values["interests"])
        volunteer.availability = list(values["avail"])
        volunteer.email = values.get("email")
        if is_new or volunteer.charter_accepted_at is None:
            volunteer.charter_accepted_at = ctx.now
        if not await add_unique(ctx, volunteer):  # lost a race on the unique national ID
            raise FieldError("nid", "vol.err.nid_taken")
        ctx.state.data = {}
        ctx.say("vol.saved" if is_new else "vol.updated")
        await ctx.home()


def volunteer_values(volunteer: Volunteer, today: date) -> Values:
    """The form's values for a stored profile (to correct it)."""
    minor = age_on(volunteer.birth_date, today) < ADULT_AGE
    values: Values = {
        "name": volunteer.full_name,
        "nid": volunteer.national_id,
        "mobile": volunteer.mobile,
        "gender": volunteer.gender,
        "birth": {
            "date": volunteer.birth_date.isoformat(),
            "cal": volunteer.birth_calendar,
            "minor": minor,
        },
        "district": volunteer.district,
        "interests": list(volunteer.interests),
        "avail": list(volunteer.availability),
        "email": volunteer.email,
        "charter": "yes",
    }
    if minor:
        values.update(
            g_name=volunteer.guardian_name, g_mobile=volunteer.guardian_mobile, g_ok="yes"
        )
    return values


async def _volunteer_label(ctx: Context) -> str:
    if await repo.is_volunteer(ctx.session, ctx.user.id):
        return "menu.my_profile"
    return "menu.volunteer_continue" if VOLUNTEER_FORM in ctx.state.drafts else "menu.volunteer"


async def _volunteer(ctx: Context) -> None:
    await ctx.goto(VOLUNTEER_FORM)  # a registered volunteer is sent on to "my data"


def register(app: BotApp, form: VolunteerForm) -> None:
    app.add_flow(form)
    app.add_menu_entry(MenuEntry("vol", _volunteer_label, _volunteer, order=10))
