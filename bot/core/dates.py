"""Date display: Hijri (Umm al-Qura) first, then Gregorian (domain.md §3.4).

Month and AM/PM names come from the libraries (hijridate, Babel). The connecting words
("corresponding to", "AH", "at") are the caller's: it passes a pattern from the catalogs with the
placeholders {hijri}, {gregorian} and, for date-times, {time}. Digits are always ASCII, the team
decision for dates and times (§3.3: copy-paste safe, unambiguous in bidi text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from hijridate import Gregorian

from bot.core.text import to_ascii_digits

RIYADH = ZoneInfo("Asia/Riyadh")

DATE_PATTERN = "{hijri} ({gregorian})"
DATE_FALLBACK_PATTERN = "{gregorian}"
DATETIME_PATTERN = "{hijri} ({gregorian}) {time}"
DATETIME_FALLBACK_PATTERN = "{gregorian} {time}"


def _lang(locale: str) -> Literal["ar", "en"]:
    # The bot speaks Arabic and English only; "ar_SA"/"ar-SA" are still Arabic.
    return "ar" if locale.lower().startswith("ar") else "en"


def _hijri_part(d: date, lang: Literal["ar", "en"]) -> str | None:
    try:
        h = Gregorian(d.year, d.month, d.day).to_hijri()
    except OverflowError:
        # Outside the Umm al-Qura table (1924-08-01..2077-11-16): show Gregorian only.
        return None
    return f"{h.day} {h.month_name(lang)} {h.year}"


def _gregorian_part(d: date, lang: Literal["ar", "en"]) -> str:
    # Babel currently yields Latin digits for "ar", but CLDR's default numbering for Arabic
    # locales is Arabic-Indic, so force ASCII rather than depend on that.
    return to_ascii_digits(babel_format_date(d, "d MMMM y", locale=lang))


def _fill(pattern: str, parts: dict[str, str]) -> str:
    # Plain replacement instead of str.format: a translator's stray brace or unknown
    # placeholder then shows up in the text instead of raising inside a handler.
    for key, value in parts.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


def format_date(
    d: date,
    locale: str,
    pattern: str = DATE_PATTERN,
    fallback_pattern: str = DATE_FALLBACK_PATTERN,
) -> str:
    """E.g. pattern "{hijri} AH ({gregorian})" -> "10 Jumada al-Ula 1447 AH (1 November 2025)".

    `fallback_pattern` (only {gregorian}) is used when the date has no Umm al-Qura equivalent.
    """
    lang = _lang(locale)
    gregorian = _gregorian_part(d, lang)
    hijri = _hijri_part(d, lang)
    if hijri is None:
        return _fill(fallback_pattern, {"gregorian": gregorian})
    return _fill(pattern, {"hijri": hijri, "gregorian": gregorian})


def format_datetime(
    dt: datetime,
    locale: str,
    pattern: str = DATETIME_PATTERN,
    tz: str = "Asia/Riyadh",
    fallback_pattern: str = DATETIME_FALLBACK_PATTERN,
) -> str:
    """A UTC instant shown in `tz`: the date as in `format_date` plus a 12-hour {time}."""
    # Timestamps are stored in UTC (§3.4); a naive value is taken to be UTC, not local time.
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    local = dt.astimezone(RIYADH if tz == "Asia/Riyadh" else ZoneInfo(tz))
    lang = _lang(locale)
    # Babel's "a" gives the Arabic AM/PM letters for "ar"; format the naive local time so Babel
    # does not shift it to another zone.
    time = to_ascii_digits(babel_format_time(local.time(), "h:mm a", locale=lang))
    day = local.date()
    gregorian = _gregorian_part(day, lang)
    hijri = _hijri_part(day, lang)
    if hijri is None:
        return _fill(fallback_pattern, {"gregorian": gregorian, "time": time})
    return _fill(pattern, {"hijri": hijri, "gregorian": gregorian, "time": time})
