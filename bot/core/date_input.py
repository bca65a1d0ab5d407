"""Dates and times as people type them (Riyadh wall time).

Numbers: "2026-12-01", "1/12/2026", a Hijri "10/6/1448"; words: a day and a Hijri month's name
with or without the year ("20 Rajab 1448", Umm al-Qura), a Gregorian month's name in English, in
Arabic or in its Levantine name ("15 January 2027", "January 15, 2027"), "today", "tomorrow",
"the day after tomorrow" and weekdays, in Arabic or English; times: "18:30", "6:30 PM", "6 pm"
and the Arabic morning/evening letters and words. Arabic-Indic digits work everywhere. A date
without a year, a weekday or "tomorrow" is counted from `today`, which callers take from the
engine's injected clock (ctx.today), never from the wall clock. Parsers raise `Invalid` with a
message id. Month and weekday names come from hijridate and Babel; the other Arabic words are
\\u escapes (all human-language text lives in the catalogs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from functools import cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import get_day_names, get_month_names
from hijridate import Gregorian, Hijri

from bot.core.text import clean_input, normalize_for_match, to_ascii_digits
from bot.core.validators import (
    Calendar,
    Invalid,
    calendar_of,
    clock_of,
    day_of,
    find_clock,
    parse_calendar_date,
    without_marks,
)

if TYPE_CHECKING:
    from bot.core.i18n import Translator

# No date and time people type is longer; a pasted page is refused before any matching.
MAX_CHARS = 120
_DATE_RE = re.compile(r"([0-9]{1,4})\s*([/.\-])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,4})")

# Relative days, compared after normalize_for_match (alef/teh marbuta folded, harakat dropped).
_TODAY = "\u0627\u0644\u064a\u0648\u0645"  # al-yawm
_TOMORROW = "\u063a\u062f\u0627"  # ghadan
_BUKRA = ("\u0628\u0643\u0631\u0647", "\u0628\u0627\u0643\u0631")  # colloquial "tomorrow"
_AFTER = "\u0628\u0639\u062f"  # ba'd ("after")
_GHAD = "\u063a\u062f"
_RELATIVE: dict[str, int] = {
    _TODAY: 0,
    "today": 0,
    _TOMORROW: 1,
    _GHAD: 1,
    "tomorrow": 1,
    **{word: 1 for word in _BUKRA},
    f"{_AFTER} {_TOMORROW}": 2,
    f"{_AFTER} {_GHAD}": 2,
    f"{_AFTER} {_BUKRA[0]}": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "after tomorrow": 2,
}
# Words around a weekday or a date that change nothing: "(the) day (of) Thursday", "Thursday
# next", "on 15 January", and "the hour" left over once the time is taken out.
_FILLER = frozenset(
    {
        "\u064a\u0648\u0645",  # yawm ("day")
        "\u0627\u0644\u0642\u0627\u062f\u0645",  # al-qadim ("next")
        "\u0627\u0644\u0642\u0627\u062f\u0645\u0647",
        "\u0627\u0644\u062c\u0627\u064a",  # al-jay (colloquial "next")
        "\u0627\u0644\u0633\u0627\u0639\u0647",  # as-sa'a ("at the hour")
        "\u0641\u064a",  # fi ("on")
        "\u0645\u0646",  # min
        "next",
        "this",
        "on",
        "at",
        "the",
        "of",
    }
)
# Common spellings the libraries do not give: Levantine/Egyptian Gregorian months and the
# other usual names of some Hijri months (Rabi' al-Akhir, Jumada al-Thaniya, Dhi al-Qa'da...).
_EXTRA_GREGORIAN = {
    "\u064a\u0648\u0646\u064a\u0647": 6,  # yunyah
    "\u064a\u0648\u0644\u064a\u0647": 7,  # yulyah
    "\u0627\u063a\u0633\u0637\u0633": 8,
    "sept": 9,
}
_EXTRA_HIJRI = {
    "\u0631\u0628\u064a\u0639 \u0627\u0644\u0627\u062e\u0631": 4,  # rabi' al-akhir
    "\u0631\u0628\u064a\u0639 \u0627\u0648\u0644": 3,
    "\u0631\u0628\u064a\u0639 \u062b\u0627\u0646\u064a": 4,
    "\u062c\u0645\u0627\u062f\u064a \u0627\u0644\u0627\u0648\u0644": 5,  # jumada al-awwal
    "\u062c\u0645\u0627\u062f\u064a \u0627\u0644\u062b\u0627\u0646\u064a\u0647": 6,
    "\u062c\u0645\u0627\u062f\u064a \u0627\u0644\u062b\u0627\u0646\u064a": 6,
    "\u062c\u0645\u0627\u062f\u064a \u0627\u0644\u0627\u062e\u0631": 6,
    "\u0630\u064a \u0627\u0644\u0642\u0639\u062f\u0647": 11,  # dhi al-qa'da
    "\u0630\u064a \u0627\u0644\u062d\u062c\u0647": 12,  # dhi al-hijja
    "rabi al akhir": 4,
    "rabi ul awwal": 3,
    "rabi ul akhir": 4,
    "jumada al awwal": 5,
    "jumada al thani": 6,
    "jumada al akhira": 6,
    "dhul qadah": 11,
    "dhul hijjah": 12,
}
# A trailing calendar marker after the year: heh (Hijri) or meem (Gregorian), h/g, AH/AD.
_YEAR_MARK = r"(?:\s*(\u0647|\u0645|h|g|ah|ad|ce))?"
_DAY_MONTH = re.compile(rf"([0-9]{{1,2}}) (.+?)(?: ([0-9]{{4}}){_YEAR_MARK})?")
_MONTH_DAY = re.compile(rf"(.+?) ([0-9]{{1,2}})(?: ([0-9]{{4}}){_YEAR_MARK})?")
_HIJRI_MARKS = frozenset({"\u0647", "h", "ah"})
_RANGE_SEP = re.compile(
    r"\s+(?:\u0625\u0644\u0649|\u0627\u0644\u0649|\u0644\u063a\u0627\u064a\u0629|\u062d\u062a\u0649"
    r"|to|until|till)\s+|\s*[\u2013\u2014,\u060c]\s*|\s+-\s+",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    """A month name compared without spaces: Rabi' al-Awwal with or without hamza and shadda,
    and "Rabi al Awwal"
    typed with or without the apostrophe and hyphen all meet."""
    return normalize_for_match(text).replace(" ", "")


@cache
def _month_names() -> dict[str, tuple[Calendar, int]]:
    names: dict[str, tuple[Calendar, int]] = {}
    for locale in ("en", "ar", "ar_SY"):
        for width in ("wide", "abbreviated"):
            for month, name in get_month_names(width, locale=locale).items():
                names[_key(name)] = ("gregorian", int(month))
    for month in range(1, 13):
        for lang in ("ar", "en"):
            names[_key(Hijri(1448, month, 1).month_name(lang))] = ("hijri", month)
    names.update({_key(n): ("gregorian", m) for n, m in _EXTRA_GREGORIAN.items()})
    names.update({_key(n): ("hijri", m) for n, m in _EXTRA_HIJRI.items()})
    return names


@cache
def _weekday_names() -> dict[str, int]:
    """Normalized weekday names -> Python weekday (Monday 0)."""
    names: dict[str, int] = {}
    for locale in ("en", "ar"):
        for width in ("wide", "abbreviated"):
            for weekday, name in get_day_names(width, locale=locale).items():
                names[normalize_for_match(name)] = int(weekday)
    # Without the Arabic article ("yawm khamis").
    for name, weekday in list(names.items()):
        if name.startswith("\u0627\u0644"):
            names.setdefault(name[2:], weekday)
    return names


def _words(text: str) -> str:
    return " ".join(w for w in normalize_for_match(text).split(" ") if w not in _FILLER)


def _hijri_today(today: date) -> Hijri:
    return Gregorian(today.year, today.month, today.day).to_hijri()


def _next_on_or_after(today: date, calendar: Calendar, month: int, day: int) -> date:
    """The first day with this month and day (in `calendar`) that is today or later."""
    year = _hijri_today(today).year if calendar == "hijri" else today.year
    for candidate in range(year, year + 9):  # 29 February comes back within 8 years
        try:
            found = day_of(candidate, month, day, calendar)
        except Invalid:
            continue
        if found >= today:
            return found
    raise Invalid("err.date.invalid")


def _named_day(words: str, today: date | None) -> date | None:
    """A date written with a month's name, or None when the words are not one."""
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        m = pattern.fullmatch(words)
        if m is None:
            continue
        found = _month_names().get(_key(m[month_group]))
        if found is None:
            continue
        calendar, month = found
        day = int(m[day_group])
        if m[3] is None:
            if today is None:
                raise Invalid("err.date.format")
            return _next_on_or_after(today, calendar, month, day)
        year = int(m[3])
        marked_hijri = None if m[4] is None else m[4] in _HIJRI_MARKS
        if calendar_of(year) != calendar or marked_hijri not in (None, calendar == "hijri"):
            raise Invalid("err.date.invalid")  # "20 Rajab 2027", "15 January 1448"
        return day_of(year, month, day, calendar)
    return None


def _word_day(text: str, today: date | None) -> date:
    """A date in words: relative, a weekday, or a day and a month's name."""
    if len(text) > MAX_CHARS:
        raise Invalid("err.date.format")
    words = _words(text)
    offset = _RELATIVE.get(words)
    weekday = _weekday_names().get(words)
    if offset is not None or weekday is not None:
        if today is None:
            raise Invalid("err.date.format")
        if offset is not None:
            return today + timedelta(days=offset)
        # A weekday is the next one after today: "Thursday" said on a Thursday is next week's.
        assert weekday is not None
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    named = _named_day(words, today)
    if named is None:
        raise Invalid("err.date.format")
    return named


def parse_day(text: str, today: date | None = None) -> date:
    """A date typed as day/month/year or year-month-day, Hijri (Umm al-Qura) or Gregorian,
    told apart by the year (an optional calendar marker may follow), or in words. Without
    `today` only dates that name their year are understood."""
    try:
        return parse_calendar_date(text)[0]
    except Invalid as err:
        if err.msgid != "err.date.format":
            raise
    return _word_day(text, today)


def _day_from(m: re.Match[str]) -> date:
    """A day typed as 2026-12-01, 1/12/2026 or a Hijri date such as 10/6/1448."""
    a, c = m[1], m[4]
    year, month, day = (int(a), int(m[3]), int(c)) if len(a) == 4 else (int(c), int(m[3]), int(a))
    return day_of(year, month, day)


def parse_days(text: str, today: date | None = None) -> tuple[date, date]:
    """One day, or two (a range, in any order): in numbers, or in words joined by "to" (or its
    Arabic words) or a dash ("Thursday to Saturday", "1 January - 5 January")."""
    cleaned = clean_input(text)
    if len(cleaned) > MAX_CHARS:
        raise Invalid("err.date.format")
    numeric = [_day_from(m) for m in _DATE_RE.finditer(cleaned)]
    if numeric:
        if len(numeric) > 2:
            raise Invalid("err.date.format")
        return min(numeric), max(numeric)
    parts = [p for p in _RANGE_SEP.split(cleaned) if p.strip()]
    if len(parts) not in (1, 2):
        raise Invalid("err.date.format")
    days = [_word_day(p, today) for p in parts]
    return min(days), max(days)


@dataclass(frozen=True)
class Moment:
    """A typed moment: the clock time and, when one was typed, the day."""

    day: date | None
    clock: dt_time


def split_moment(text: str, today: date | None) -> Moment:
    """The time in the text and the date typed around it, if any ("tomorrow 6 in the evening",
    "6:30 pm", "2026-12-01 18:30", "Thursday at 8 am", in either language)."""
    cleaned = without_marks(text)
    m = find_clock(cleaned) if len(cleaned) <= MAX_CHARS else None
    if m is None:
        raise Invalid("err.datetime.format")
    clock = clock_of(m)
    rest = (cleaned[: m.start()] + " " + cleaned[m.end() :]).strip(" ,\u060c")
    if not _words(rest):
        return Moment(None, clock)
    numeric = _DATE_RE.search(rest)
    if numeric is not None:
        return Moment(_day_from(numeric), clock)
    try:
        return Moment(_word_day(rest, today), clock)
    except Invalid as err:
        raise Invalid(
            "err.datetime.format" if err.msgid == "err.date.format" else err.msgid
        ) from None


def parse_clock(text: str) -> dt_time | None:
    """The first clock time in the text (12-hour with am/pm or the Arabic words, or 24-hour),
    or None."""
    m = find_clock(without_marks(text))
    return None if m is None else clock_of(m)


def at_local(day: date, clock: dt_time, tz: str) -> datetime:
    """A local wall time as a UTC instant."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def parse_moment(
    text: str, tz: str, *, day: date | None = None, today: date | None = None
) -> datetime:
    """A date and a time in `tz` (or only a time, on `day`), returned in UTC."""
    moment = split_moment(text, today)
    when_day = moment.day or day
    if when_day is None:
        raise Invalid("err.datetime.format")
    return at_local(when_day, moment.clock, tz)


# --- examples for the questions, computed from today ---------------------------------------------
EXAMPLE_DAYS_AHEAD = 45  # far enough to be clearly future, near enough to look plausible


def _lang(tr: Translator) -> Literal["ar", "en"]:
    return "ar" if tr.locale.lower().startswith("ar") else "en"


def day_examples(tr: Translator, today: date, day: date | None = None) -> str:
    """Examples for a question about a coming date (an expiry, an event day): one day written
    as a Hijri date in words, a Gregorian one and in numbers; by default `EXAMPLE_DAYS_AHEAD`
    days after today, never before today."""
    lang = _lang(tr)
    d = max(day or today + timedelta(days=EXAMPLE_DAYS_AHEAD), today)
    h = _hijri_today(d)
    return tr.label(
        "date.examples",
        hijri=f"{h.day} {h.month_name(lang)} {h.year}",
        gregorian=to_ascii_digits(babel_format_date(d, "d MMMM y", locale=lang)),
        numeric=f"{d.day:02d}/{d.month:02d}/{d.year}",
    )


def moment_examples(tr: Translator, today: date) -> str:
    """Examples for a question about a coming date and time."""
    d = today + timedelta(days=EXAMPLE_DAYS_AHEAD)
    return tr.label("datetime.examples", date=d.isoformat())


def range_examples(tr: Translator, today: date) -> str:
    """Examples for a question about one or two coming days."""
    first, last = today + timedelta(days=7), today + timedelta(days=14)
    return tr.label("date.range_examples", first=first.isoformat(), last=last.isoformat())
