"""Pieces several features share: Taif districts, volunteering interests, how a form shows a
stored value, and saving a row that a unique constraint may refuse."""

from __future__ import annotations

from datetime import date
from functools import cache

from bot.core.districts import ALL_DISTRICTS, COMMON_DISTRICTS, match_district
from bot.core.flow import Context
from bot.core.forms import Option
from bot.core.i18n import Catalogs
from bot.core.text import isolate, mask_national_id
from bot.core.validators import Invalid
from bot.services.volunteers import INTEREST_CODES

# Flows that features other than their own open: named here, where every feature may import
# them without an import cycle (the staff panel imports the menu, "my data" the sign-up form).
MY_DATA = "md"
STAFF_PANEL = "staff"
LANGUAGE = "lang"

INTERESTS = tuple(Option(code, f"vol.interest.{code}") for code in INTEREST_CODES)
DISTRICT_OPTIONS = tuple(Option(code, f"district.{code}") for code in COMMON_DISTRICTS)


@cache
def _district_names(catalogs: Catalogs) -> dict[str, list[str]]:
    """Every district's name in every language, for matching what people type."""
    return {
        code: [tr.raw(f"district.{code}") for tr in catalogs.all_translators()]
        for code in ALL_DISTRICTS
    }


def parse_district(ctx: Context, text: str) -> str:
    matches = match_district(text, _district_names(ctx.catalogs))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Invalid("vol.err.district_unknown")
    names = ctx.tr.label("form.list_sep").join(ctx.tr.label(f"district.{c}") for c in matches)
    raise Invalid("vol.err.district_ambiguous", names=names)


def show_district(ctx: Context, value: str) -> str:
    return ctx.tr.label(f"district.{value}")


# --- how forms show stored values in their summary -----------------------------------------------
def show_nid(ctx: Context, value: str) -> str:
    return isolate(mask_national_id(value))


def show_mobile(ctx: Context, value: str) -> str:
    return isolate(value)


def show_iso_date(ctx: Context, value: str) -> str:
    return ctx.fmt_date(date.fromisoformat(value))


# --- saving ------------------------------------------------------------------------------------
