"""Date display: Hijri (Umm al-Qura) first, then Gregorian (domain.md §3.4).

Month and AM/PM names come from the libraries (hijridate, Babel). The connecting words
("corresponding to", "AH", "at") are the caller's: it passes a pattern from the catalogs with the
placeholders {hijri}, {gregorian} and, for date-times, {time}. Digits are always ASCII, the team
decision for dates and times (§3.3: copy-paste safe, unambiguous in bidi text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from hijridate import Gregorian

from bot.core.text import to_ascii_digits

if TYPE_CHECKING:
    from bot.core.i18n import Translator

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
    clock = to_ascii_digits(babel_format_time(local.time(), "h:mm a", locale=lang))
    day = local.date()
    gregorian = _gregorian_part(day, lang)
    hijri = _hijri_part(day, lang)
    if hijri is None:
        return _fill(fallback_pattern, {"gregorian": gregorian, "time": clock})
    return _fill(pattern, {"hijri": hijri, "gregorian": gregorian, "time": clock})


# --- in a reader's language (a Translator gives the catalog patterns) ---------------------------
def fmt_date(tr: Translator, d: date) -> str:
    """A date in the reader's language, Hijri first, with the catalog's connecting words."""
    return format_date(d, tr.locale, tr.raw("date.pattern"), tr.raw("date.fallback"))


def fmt_datetime(tr: Translator, dt: datetime, tz: str) -> str:
    """A UTC instant as a local date and time in the reader's language."""
    return format_datetime(
        dt, tr.locale, tr.raw("datetime.pattern"), tz, tr.raw("datetime.fallback")
    )


def fmt_time(tr: Translator, dt: datetime, tz: str) -> str:
    """Only the local 12-hour clock time of a UTC instant ("9:30 AM")."""
    local = dt.astimezone(ZoneInfo(tz))
    return to_ascii_digits(babel_format_time(local.time(), "h:mm a", locale=_lang(tr.locale)))


def fmt_range(tr: Translator, start: datetime, end: datetime, tz: str) -> str:
    """ "<date> <time> – <time>" within one local day, else both date-times (plain text)."""
    if local_day(start, tz) == local_day(end, tz):
        # Arabic reads "<day> from <time> to <time>", so the day and the start time come apart.
        return tr.label(
            "ev.range_day",
            start=fmt_datetime(tr, start, tz),
            day=fmt_date(tr, local_day(start, tz)),
            from_time=fmt_time(tr, start, tz),
            end=fmt_time(tr, end, tz),
        )
    return tr.label("ev.range", start=fmt_datetime(tr, start, tz), end=fmt_datetime(tr, end, tz))


def fmt_short_range(tr: Translator, start: datetime, end: datetime, tz: str) -> str:
    """A short "Thu 12 Rajab, 4–8 PM" for buttons (in Arabic the same parts, the catalog's
    comma): the weekday and the Hijri day (Gregorian outside the Umm al-Qura table) tell two
    shifts of one event apart; the clock is compact (no ":00", one AM/PM mark when both ends
    share it)."""
    lang = _lang(tr.locale)
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone), end.astimezone(zone)
    weekday = babel_format_date(first.date(), "EEEE" if lang == "ar" else "EEE", locale=lang)
    try:
        h = Gregorian(first.year, first.month, first.day).to_hijri()
        day = f"{weekday} {h.day} {h.month_name(lang)}"
    except OverflowError:
        day = f"{weekday} {babel_format_date(first.date(), 'd MMM', locale=lang)}"
    mark_from, mark_to = (babel_format_time(t.time(), "a", locale=lang) for t in (first, last))
    hours = f"{_short_clock(first)}–{_short_clock(last)} {mark_to}"
    if mark_from != mark_to:
        hours = f"{_short_clock(first)} {mark_from}–{_short_clock(last)} {mark_to}"
    return to_ascii_digits(tr.label("ev.short", day=day, hours=hours))


def _short_clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return str(hour) if moment.minute == 0 else f"{hour}:{moment.minute:02d}"


def fmt_day_short(tr: Translator, d: date) -> str:
    """A short weekday and date ("Tue 1 Dec 2026"), for buttons; Gregorian, as on shift buttons."""
    return to_ascii_digits(babel_format_date(d, "EEE d MMM y", locale=_lang(tr.locale)))


SMALLEST_HOURS = 0.1  # the least attended time shown: a tenth of an hour (6 minutes)


def fmt_hours(hours: float) -> str:
    """Hours to one decimal (to the nearest 6 minutes), without a trailing ".0" (plural forms
    choose on the integer). Any attended time shows at least 0.1: a volunteer checked out a
    few minutes after their check-in attended, and "0" would read as "did not count"."""
    rounded = round(hours, 1)
    if hours > 0 and rounded < SMALLEST_HOURS:
        rounded = SMALLEST_HOURS
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def hours_text(tr: Translator, hours: float) -> str:
    """Hours as every screen shows them to a person (chat, web, notices; not exports): none yet
    reads "no hours counted yet", never "0 hours"; whole hours go through the six Arabic plural
    forms (one hour, two hours, 3 hours, 11 hour, ...); a fraction takes the singular noun in
    Arabic ("2.5 hour") and the plural in English, so it is a message of its own."""
    text = fmt_hours(hours)
    if text == "0":
        return tr.t("count.hours_none")
    if "." in text:
        return tr.t("count.hours_fraction", hours=text)
    return tr.tn("count.hours", int(text))


# --- local days and UTC instants ---------------------------------------------------------------
def local_day(dt: datetime, tz: str) -> date:
    """The day an instant falls on where the users are."""
    return dt.astimezone(ZoneInfo(tz)).date()


def day_start(d: date, tz: str) -> datetime:
    """Local midnight at the start of a day, in UTC."""
    return datetime.combine(d, time(0, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def end_of_day(d: date, tz: str) -> datetime:
    """The last second of a local day, in UTC (an application deadline)."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=ZoneInfo(tz)).astimezone(UTC)
