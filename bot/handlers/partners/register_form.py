"""The partner registration form: the organisation, its number (or a government body's
department), its contact person and areas of contribution. The privacy notice of partner data
is its introduction, shown before the first question."""

from __future__ import annotations

from enum import StrEnum

from bot.core.flow import Context
from bot.core.forms import Field, FieldError, FieldKind, Form, Values
from bot.core.text import isolate
from bot.core.validators import Invalid, parse_name
from bot.handlers.common import show_mobile
from bot.handlers.partners.common import (
    AREA_OPTIONS,
    PARTNER_FORM,
    TYPE_OPTIONS,
    parse_org_name,
)
from bot.services import partners as svc
from bot.services.errors import ServiceError
from storage.models_partners import ID_OLD_CR


class F(StrEnum):
    NAME_AR = "name_ar"
    NAME_EN = "name_en"
    TYPE = "type"
    NUMBER = "number"
    DEPARTMENT = "dept"
    CONTACT = "contact"
    MOBILE = "mobile"
    AREAS = "areas"


def is_government(values: Values) -> bool:
    return values.get(F.TYPE) == svc.GOVERNMENT


def _not_government(values: Values) -> bool:
    return F.TYPE in values and not is_government(values)


def _name(ctx: Context, text: str) -> str:
    return parse_org_name(text)


def _person(ctx: Context, text: str) -> str:
    return parse_name(text)


async def _number(ctx: Context, text: str) -> dict[str, str]:
    kind, number = svc.parse_reg_number(text)
    if await svc.registered_with(ctx.unit, number) is not None:
        # Someone registered it already: the person joins it instead of registering it twice.
        raise Invalid("ptn.err.duplicate")
    return {"kind": kind, "number": number}


def _show_number(ctx: Context, value: dict[str, str]) -> str:
    kind = ctx.tr.label(f"ptn.id_kind.{value['kind']}")
    return f"{isolate(value['number'])} ({kind})"


# Which question a refusal of the service sends the person back to.
_REFUSED = {
    "ptn.err.duplicate": F.NUMBER,
    "ptn.err.number": F.NUMBER,
    "ptn.err.department": F.DEPARTMENT,
}


class PartnerForm(Form):
    name = PARTNER_FORM
    intro = "ptn.intro"
    summary_title = "ptn.summary_title"
    fields = (
        Field(F.NAME_AR, "ptn.q.name_ar", "ptn.f.name_ar", parse=_name),
        Field(F.NAME_EN, "ptn.q.name_en", "ptn.f.name_en", parse=_name, required=False),
        Field(F.TYPE, "ptn.q.type", "ptn.f.type", FieldKind.CHOICE, TYPE_OPTIONS),
        Field(
            F.NUMBER,
            "ptn.q.number",
            "ptn.f.number",
            parse=_number,
            render=_show_number,
            when=_not_government,
        ),
        Field(
            F.DEPARTMENT, "ptn.q.department", "ptn.f.department", parse=_name, when=is_government
        ),
        Field(F.CONTACT, "ptn.q.contact", "ptn.f.contact", parse=_person),
        Field(
            F.MOBILE,
            "ptn.q.mobile",
            "ptn.f.mobile",
            kind=FieldKind.PHONE,
            prompt_contact="ptn.q.mobile_share",
            render=show_mobile,
        ),
        Field(F.AREAS, "ptn.q.areas", "ptn.f.areas", FieldKind.MULTI, AREA_OPTIONS),
    )

    async def submit(self, ctx: Context, values: Values) -> None:
        number = values.get(F.NUMBER)
        draft = svc.PartnerDraft(
            name_ar=values[F.NAME_AR],
            name_en=values.get(F.NAME_EN),
            type=values[F.TYPE],
            reg_number=number["number"] if number else None,
            department=values.get(F.DEPARTMENT),
            contact_name=values[F.CONTACT],
            contact_mobile=values[F.MOBILE],
            areas=tuple(values[F.AREAS]),
        )
        try:
            partner = await svc.register_partner(ctx.unit, draft)
        except ServiceError as err:
            raise FieldError(_REFUSED.get(err.msgid, F.TYPE), err.msgid, **err.params) from None
        ctx.state.data = {}
        ctx.say("ptn.saved", id=partner.id)
        if partner.id_kind == ID_OLD_CR:
            ctx.say("ptn.saved_old_cr")
        await ctx.home()
