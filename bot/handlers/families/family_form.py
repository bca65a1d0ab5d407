"""The family's registration form (issue 5 §2): the questions, their checks, and the stored
family turned back into the form's values when a registered family corrects its data."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from bot.core.date_input import day_examples, parse_day
from bot.core.flow import Context
from bot.core.forms import Field, FieldError, FieldKind, Form, Values
from bot.core.messages import Inbound
from bot.core.validators import Invalid, parse_announcement, parse_name, parse_national_id
from bot.handlers.common import (
    DISTRICT_OPTIONS,
    parse_district,
    show_district,
    show_iso_date,
    show_mobile,
    show_nid,
)
from bot.handlers.families.common import (
    ADULT_KNOWN,
    CATEGORIES,
    FAMILIES_MENU,
    FAMILY_FORM,
    NEEDS,
    UnderAge,
    parse_applicant_birth,
    parse_doc_number,
    parse_short_text,
    show_birth,
)
from bot.handlers.volunteers.signup import GENDERS
from bot.services.families import FieldProblem, needs_food_certificate
from bot.services.family_sites import (
    UNDER_AGE,
    FamilyProfile,
    known_adult,
    national_id_taken,
    save_family,
)
from storage import families as fam
from storage.models_families import Family

FAMILY_NAME_MAX = 60
OTHER_CATEGORY_MAX = 60
DESCRIPTION_MAX = 500
PREVIEW_CHARS = 60


class FamilyField(StrEnum):
    """The registration form's questions (its steps, and the keys of its values)."""

    NAME = "fname"
    APPLICANT = "applicant"
    GENDER = "gender"
    BIRTH = "birth"
    NID = "nid"
    MOBILE = "mobile"
    DISTRICT = "district"
    CATEGORIES = "cats"
    OTHER = "other"
    FREELANCE_NO = "fl_no"
    FREELANCE_EXP = "fl_exp"
    HEALTH_NO = "hc_no"
    HEALTH_EXP = "hc_exp"
    DESCRIPTION = "desc"
    PHOTO1 = "ph1"
    PHOTO2 = "ph2"
    PHOTO3 = "ph3"
    NEEDS = "needs"


PHOTO_FIELDS = (FamilyField.PHOTO1, FamilyField.PHOTO2, FamilyField.PHOTO3)
OTHER_CATEGORY = "other"  # the category whose name the family types
# Which question to ask again when a service refuses a value (its name for it → the form's).
FAMILY_PROBLEMS = {"national_id": FamilyField.NID, "birth_date": FamilyField.BIRTH}


def _family_name(ctx: Context, text: str) -> str:
    return parse_short_text(text, FAMILY_NAME_MAX)


def _other(ctx: Context, text: str) -> str:
    return parse_short_text(text, OTHER_CATEGORY_MAX)


def _applicant(ctx: Context, text: str) -> str:
    return parse_name(text)


async def _national_id(ctx: Context, text: str) -> str:
    nid = parse_national_id(text)
    if await national_id_taken(ctx.unit, nid):
        raise Invalid("fam.err.nid_taken")
    return nid


def _doc_number(ctx: Context, text: str) -> str:
    return parse_doc_number(text)


def _freelance_number(ctx: Context, text: str) -> str:
    # "I have none" in any words has no digit; every document number has some.
    if not any(ch.isdigit() for ch in text):
        raise Invalid("fam.err.no_freelance_doc")
    return parse_doc_number(text)


def _expiry(ctx: Context, text: str) -> str:
    day = parse_day(text, ctx.today)
    if day < ctx.today:
        raise Invalid("fam.err.doc_expired")
    return day.isoformat()


def _expiry_examples(ctx: Context) -> dict[str, object]:
    return {"examples": day_examples(ctx.tr, ctx.today)}


def _description(ctx: Context, text: str) -> str:
    return parse_announcement(text, limit=DESCRIPTION_MAX)


def _show_short(ctx: Context, value: str) -> str:
    line = value.replace("\n", " ")
    return line if len(line) <= PREVIEW_CHARS else line[:PREVIEW_CHARS] + "\u2026"


def _show_photo(ctx: Context, value: dict[str, Any]) -> str:
    return ctx.tr.label("fam.photo_attached")


def _show_needs(ctx: Context, value: list[str]) -> str:
    if not value:
        return ctx.tr.label("fam.need.none")
    labels = {o.value: ctx.tr.label(o.label) for o in NEEDS}
    return ctx.tr.label("form.list_sep").join(labels.get(v, v) for v in value)


def _food(values: Values) -> bool:
    return needs_food_certificate(values.get(FamilyField.CATEGORIES) or [])


class FamilyForm(Form):
    name = FAMILY_FORM
    intro = "fam.intro"
    summary_title = "fam.summary_title"
    gender_field = FamilyField.GENDER
    fields = (
        Field(FamilyField.NAME, "fam.q.family_name", "fam.f.family_name", parse=_family_name),
        Field(FamilyField.APPLICANT, "fam.q.applicant", "fam.f.applicant", parse=_applicant),
        Field(
            FamilyField.GENDER,
            "fam.q.gender",
            "fam.f.gender",
            kind=FieldKind.CHOICE,
            options=GENDERS,
        ),
        Field(
            FamilyField.BIRTH,
            "fam.q.birth",
            "fam.f.birth",
            parse=parse_applicant_birth,
            render=show_birth,
            when=lambda v: not v.get(ADULT_KNOWN),
        ),
        Field(FamilyField.NID, "fam.q.nid", "fam.f.nid", parse=_national_id, render=show_nid),
        Field(
            FamilyField.MOBILE,
            "fam.q.mobile",
            "fam.f.mobile",
            kind=FieldKind.PHONE,
            prompt_contact="fam.q.mobile_share",
            render=show_mobile,
        ),
        Field(
            FamilyField.DISTRICT,
            "fam.q.district",
            "fam.f.district",
            kind=FieldKind.CHOICE,
            options=DISTRICT_OPTIONS,
            parse=parse_district,
            render=show_district,
        ),
        Field(
            FamilyField.CATEGORIES,
            "fam.q.categories",
            "fam.f.categories",
            FieldKind.MULTI,
            CATEGORIES,
        ),
        Field(
            FamilyField.OTHER,
            "fam.q.other",
            "fam.f.other",
            parse=_other,
            when=lambda v: OTHER_CATEGORY in (v.get(FamilyField.CATEGORIES) or []),
        ),
        Field(
            FamilyField.FREELANCE_NO,
            "fam.q.freelance_no",
            "fam.f.freelance_no",
            parse=_freelance_number,
        ),
        Field(
            FamilyField.FREELANCE_EXP,
            "fam.q.freelance_exp",
            "fam.f.freelance_exp",
            parse=_expiry,
            render=show_iso_date,
            prompt_params=_expiry_examples,
        ),
        Field(
            FamilyField.HEALTH_NO,
            "fam.q.health_no",
            "fam.f.health_no",
            parse=_doc_number,
            when=_food,
        ),
        Field(
            FamilyField.HEALTH_EXP,
            "fam.q.health_exp",
            "fam.f.health_exp",
            parse=_expiry,
            render=show_iso_date,
            prompt_params=_expiry_examples,
            when=_food,
        ),
        Field(
            FamilyField.DESCRIPTION,
            "fam.q.description",
            "fam.f.description",
            parse=_description,
            render=_show_short,
        ),
        Field(
            FamilyField.PHOTO1,
            "fam.q.photo1",
            "fam.f.photo1",
            FieldKind.FILE,
            required=False,
            feminine=True,
            render=_show_photo,
        ),
        Field(
            FamilyField.PHOTO2,
            "fam.q.photo2",
            "fam.f.photo2",
            FieldKind.FILE,
            required=False,
            feminine=True,
            render=_show_photo,
            when=lambda v: bool(v.get(FamilyField.PHOTO1)),
        ),
        Field(
            FamilyField.PHOTO3,
            "fam.q.photo3",
            "fam.f.photo3",
            FieldKind.FILE,
            required=False,
            feminine=True,
            render=_show_photo,
            when=lambda v: bool(v.get(FamilyField.PHOTO1)) and bool(v.get(FamilyField.PHOTO2)),
        ),
        Field(
            FamilyField.NEEDS,
            "fam.q.needs",
            "fam.f.needs",
            FieldKind.MULTI,
            NEEDS,
            min_selected=0,
            render=_show_needs,
        ),
    )

    async def start(self, ctx: Context, params: dict[str, Any]) -> None:
        if await known_adult(ctx.unit) is False:  # a minor's volunteer profile
            await self._refuse(ctx)
            return
        if params.get("values") is None and FAMILY_FORM not in ctx.state.drafts:
            family = await fam.family_for_user(ctx.session, ctx.user.id)
            if family is not None:
                # Registered already: the same form corrects the stored data.
                await super().start(ctx, {"values": family_values(family)})
                return
        await super().start(ctx, params)

    async def prepare(self, ctx: Context, params: dict[str, Any]) -> None:
        if await known_adult(ctx.unit):  # the birth date is not asked again
            self._values(ctx)[ADULT_KNOWN] = True

    async def handle(self, ctx: Context, inbound: Inbound) -> None:
        try:
            await super().handle(ctx, inbound)
        except UnderAge:
            await self._refuse(ctx)

    async def _refuse(self, ctx: Context) -> None:
        """Under 18: told kindly, and nothing typed is kept (no draft)."""
        ctx.state.data = {}
        ctx.state.drafts.pop(FAMILY_FORM, None)
        ctx.say(UNDER_AGE)
        await ctx.goto(FAMILIES_MENU)

    async def _ask(self, ctx: Context, field: Field) -> None:
        if field.name == FamilyField.FREELANCE_NO:  # how a family without one gets one
            ctx.say("fam.freelance.howto")
        await super()._ask(ctx, field)

    async def _parse_input(self, ctx: Context, field: Field, inbound: Inbound) -> Any:
        value = await super()._parse_input(ctx, field, inbound)
        if field.kind is FieldKind.FILE and value.get("kind") != "photo":
            raise Invalid("fam.err.photo_only")
        return value

    async def submit(self, ctx: Context, values: Values) -> None:
        food = _food(values)
        photos = (values.get(name) for name in PHOTO_FIELDS)
        profile = FamilyProfile(
            family_name=values[FamilyField.NAME],
            applicant_name=values[FamilyField.APPLICANT],
            applicant_gender=values[FamilyField.GENDER],
            national_id=values[FamilyField.NID],
            mobile=values[FamilyField.MOBILE],
            district=values[FamilyField.DISTRICT],
            categories=tuple(values[FamilyField.CATEGORIES]),
            other_category=values.get(FamilyField.OTHER),
            freelance_doc_number=values[FamilyField.FREELANCE_NO],
            freelance_doc_expiry=date.fromisoformat(values[FamilyField.FREELANCE_EXP]),
            health_cert_number=values.get(FamilyField.HEALTH_NO) if food else None,
            health_cert_expiry=date.fromisoformat(values[FamilyField.HEALTH_EXP]) if food else None,
            description=values[FamilyField.DESCRIPTION],
            photos=tuple(p for p in photos if p),
            needs=tuple(values.get(FamilyField.NEEDS) or []),
            birth_date=_birth_date(values.get(FamilyField.BIRTH)),
        )
        try:
            saved = await save_family(ctx.unit, profile)
        except FieldProblem as err:
            if err.msgid == UNDER_AGE:
                await self._refuse(ctx)
                return
            field = FAMILY_PROBLEMS.get(err.field or "", FamilyField.NID)
            raise FieldError(field, err.msgid, **err.params) from None
        ctx.state.data = {}
        ctx.say("fam.saved" if saved.created else "fam.updated")
        await ctx.goto(FAMILIES_MENU)


def _birth_date(value: dict[str, Any] | None) -> date | None:
    return date.fromisoformat(value["date"]) if value else None


def family_values(family: Family) -> Values:
    values: Values = {
        FamilyField.NAME: family.family_name,
        FamilyField.APPLICANT: family.applicant_name,
        FamilyField.GENDER: family.applicant_gender,
        FamilyField.NID: family.national_id,
        FamilyField.MOBILE: family.mobile,
        FamilyField.DISTRICT: family.district,
        FamilyField.CATEGORIES: list(family.categories),
        FamilyField.FREELANCE_NO: family.freelance_doc_number,
        FamilyField.FREELANCE_EXP: family.freelance_doc_expiry.isoformat(),
        FamilyField.DESCRIPTION: family.description,
        FamilyField.NEEDS: list(family.needs),
    }
    if family.adult_confirmed_at is not None:
        values[ADULT_KNOWN] = True  # else (registered before it was asked) it is asked now
    if OTHER_CATEGORY in family.categories:
        values[FamilyField.OTHER] = family.other_category
    if needs_food_certificate(family.categories):
        values[FamilyField.HEALTH_NO] = family.health_cert_number
        values[FamilyField.HEALTH_EXP] = (
            family.health_cert_expiry.isoformat() if family.health_cert_expiry else None
        )
    photos = list(family.photos)
    for index, name in enumerate(PHOTO_FIELDS):
        if index < len(photos):
            values[name] = photos[index]
        elif index == len(photos):
            values[name] = None  # "skipped": no more photos
    return values
