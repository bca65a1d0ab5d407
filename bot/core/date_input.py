"""Dates and times as people type them (Riyadh wall time): "2026-12-01", "1/12/2026", a Hijri
"10/6/1448", "6:30 PM", "18:30"; two dates for a range. Parsers raise `Invalid` with a
message id."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from bot.core.text import clean_input
from bot.core.validators import TIME_PATTERN, Invalid, clock_of, day_of, parse_calendar_date

_DATE_RE = re.compile(r"([0-9]{1,4})\s*([/.\-])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,4})")


def parse_day(text: str) -> date:
    """A date typed as day/month/year or year-month-day, Hijri (Umm al-Qura) or Gregorian,
    told apart by the year; an optional calendar marker may follow."""
    return parse_calendar_date(text)[0]


def _day_from(m: re.Match[str]) -> date:
    """A day typed as 2026-12-01, 1/12/2026 or a Hijri date such as 10/6/1448."""
    a, c = m[1], m[4]
    year, month, day = (int(a), int(m[3]), int(c)) if len(a) == 4 else (int(c), int(m[3]), int(a))
    return day_of(year, month, day)


def parse_days(text: str) -> tuple[date, date]:
    """One day, or two (a range, in any order)."""
    days = [_day_from(m) for m in _DATE_RE.finditer(clean_input(text))]
    if len(days) not in (1, 2):
        raise Invalid("err.date.format")
    return min(days), max(days)


def has_date(text: str) -> bool:
    return _DATE_RE.search(clean_input(text)) is not None


def parse_clock(text: str) -> dt_time | None:
    """The first clock time in the text (12-hour with am/pm or the Arabic letters, or
    24-hour), or None."""
    m = TIME_PATTERN.search(clean_input(text))
    return None if m is None else clock_of(m)


def parse_moment(text: str, tz: str, *, day: date | None = None) -> datetime:
    """A date and a time in `tz` (or only a time, on `day`), returned in UTC."""
    clock = parse_clock(text)
    if clock is None:
        raise Invalid("err.datetime.format")
    m = _DATE_RE.search(clean_input(text))
    if m is not None:
        when_day = _day_from(m)
    elif day is not None:
        when_day = day
    else:
        raise Invalid("err.datetime.format")
    return datetime.combine(when_day, clock, tzinfo=ZoneInfo(tz)).astimezone(UTC)
