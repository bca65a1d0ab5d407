"""Productive families in chat, the shared part: options, parsers of typed input and display
helpers. The rules (and the notices they send) are in `bot.services.families`."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from bot.core.flow import Context
from bot.core.forms import Option
from bot.core.i18n import Translator
from bot.core.text import clean_input
from bot.core.validators import Invalid, parse_birth_date
from bot.services.errors import ServiceError
from bot.services.families import StatusConflict
from bot.services.family_sites import under_age

CATEGORIES = (
    Option("food", "fam.cat.food"),
    Option("sweets", "fam.cat.sweets"),
    Option("coffee", "fam.cat.coffee"),
    Option("honey", "fam.cat.honey"),
    Option("perfume", "fam.cat.perfume"),
    Option("crafts", "fam.cat.crafts"),
    Option("sewing", "fam.cat.sewing"),
    Option("other", "fam.cat.other"),
)
NEEDS = (Option("electricity", "fam.need.electricity"), Option("water", "fam.need.water"))
STALL_OPTIONS = (Option("food", "fam.stall.food"), Option("nonfood", "fam.stall.nonfood"))
REJECT_REASONS = (
    Option("incomplete", "fam.reason.incomplete"),
    Option("documents", "fam.reason.documents"),
    Option("eligibility", "fam.reason.eligibility"),
    Option("capacity", "fam.reason.capacity"),
    Option("category", "fam.reason.category"),
    Option("duplicate", "fam.reason.duplicate"),
    Option("other", "fam.reason.other"),
)
FEES = (
    Option("free", "fam.fee.free"),
    Option("symbolic", "fam.fee.symbolic"),
    Option("rent", "fam.fee.rent"),
)
YES_NO = (Option("yes", "fam.yes"), Option("no", "fam.no"))

STATUS_ICONS = {
    "submitted": "\U0001f4e8",
    "under_review": "\U0001f50e",
    "needs_info": "\u2753",
    "waitlisted": "\u23f3",
    "approved": "\U0001f381",
    "confirmed": "\u2705",
    "rejected": "\u274c",
    "cancelled": "\u2716\ufe0f",
    "expired": "\u231b",
}

BACK = "back"  # the choice value of every "back" button of the families flows
# The families flows' step names: each form or menu sends the family on to the others by these.
FAMILY_FORM = "fam"
REQUEST_FORM = "fsr"
FAMILIES_MENU = "fm"
MY_REQUESTS = "fmy"

SHORT_TEXT_MIN = 2
_TEXT_PUNCT = frozenset("-'\u2019&.,()/+#")
_DOC_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,31}")


# --- parsers -------------------------------------------------------------------------------------
def parse_short_text(text: str, limit: int) -> str:
    """A name of a brand, a site or a category: letters of any script, digits, spaces and a
    little punctuation; markup-like characters are refused rather than stored."""
    value = clean_input(text)
    if not SHORT_TEXT_MIN <= len(value) <= limit:
        raise Invalid("fam.err.text_length", min=SHORT_TEXT_MIN, max=limit)
    for ch in value:
        if not (ch == " " or ch.isalnum() or ch in _TEXT_PUNCT or _is_mark(ch)):
            raise Invalid("fam.err.text_chars")
    if not any(ch.isalpha() for ch in value):
        raise Invalid("fam.err.text_chars")
    return value


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc")


def parse_doc_number(text: str) -> str:
    value = re.sub(r"\s+", "", clean_input(text)).upper()
    if not _DOC_NUMBER.fullmatch(value):
        raise Invalid("fam.err.doc_number")
    return value


# --- display -------------------------------------------------------------------------------------
def status_label(tr: Translator, status: str) -> str:
    return f"{STATUS_ICONS.get(status, '')} {tr.label(f'fam.status.{status}')}".strip()


def error_params(ctx: Context, err: ServiceError) -> dict[str, Any]:
    """A refusal's parameters as the person reads them: dates in their calendar and language,
    a request's status with its label."""
    params = {k: ctx.fmt_date(v) if isinstance(v, date) else v for k, v in err.params.items()}
    if isinstance(err, StatusConflict):
        params["status"] = status_label(ctx.tr, err.status)
    return params


def say_error(ctx: Context, err: ServiceError) -> None:
    ctx.say(err.msgid, **error_params(ctx, err))


# --- the applicant's age ----------------------------------------------------------------------
# A key of the registration form's values, not a question: the applicant is known to be an
# adult already (a kept confirmation, or their volunteer profile), so the birth date is not asked.
ADULT_KNOWN = "adult"


class UnderAge(Exception):
    """The applicant is under 18: the registration ends here, kindly (not "ask again")."""


def parse_applicant_birth(ctx: Context, text: str) -> dict[str, Any]:
    """The applicant's birth date, Hijri or Gregorian, as the volunteer form takes it; kept in
    the conversation only until the registration is saved (the service keeps "adult since")."""
    born = parse_birth_date(text, ctx.today)
    if under_age(ctx.unit, born.gregorian):
        raise UnderAge()
    return {"date": born.gregorian.isoformat(), "cal": born.calendar}


def show_birth(ctx: Context, value: dict[str, Any]) -> str:
    return ctx.fmt_date(date.fromisoformat(value["date"]))
