"""What the partner flows share: their names, the options of the form and display helpers."""

from __future__ import annotations

from bot.core.flow import Context
from bot.core.forms import Option
from bot.core.text import clean_input
from bot.core.validators import Invalid, check_length
from bot.services import partners as svc
from bot.services.errors import ServiceError
from storage.models_partners import PARTNER_TYPES, Partner

PARTNER_FORM = "ptf"
PARTNERS_MENU = "ptm"
JOIN = "ptj"
MY_ORGANISATION = "pto"
INFO_ANSWER = "pta"
REVIEW = "ptr"
BACK = "back"

TYPE_OPTIONS = tuple(Option(t, f"ptn.type.{t}") for t in PARTNER_TYPES)
AREA_OPTIONS = tuple(Option(a, f"ptn.area.{a}") for a in svc.AREAS)
NAME_MIN, NAME_MAX = 2, 150


def parse_org_name(text: str) -> str:
    """An organisation's or a department's name: any script, a reasonable length."""
    value = clean_input(text)
    check_length(value, NAME_MAX)
    if len(value) < NAME_MIN or not any(ch.isalpha() for ch in value):
        raise Invalid("ptn.err.name")
    return value


def say_error(ctx: Context, err: ServiceError) -> None:
    ctx.say(err.msgid, **err.params)


def type_label(ctx: Context, kind: str) -> str:
    return ctx.tr.label(f"ptn.type.{kind}")


def status_label(ctx: Context, status: str) -> str:
    return ctx.tr.label(f"ptn.status.{status}")


def areas_label(ctx: Context, areas: list[str]) -> str:
    labels = {o.value: o.label for o in AREA_OPTIONS}
    return ctx.tr.label("form.list_sep").join(ctx.tr.label(labels[a]) for a in areas if a in labels)


def show_name(ctx: Context, partner: Partner) -> str:
    return svc.partner_name(partner, ctx.tr.locale)
