"""Parsers for the Saudi data the bot collects (domain.md §3).

Each `parse_*` takes raw user text and returns the canonical stored value, or raises `Invalid`
with a gettext message id; the caller renders it in the user's language. Message ids are ASCII
keys only: all wording lives in the catalogs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dt_time
from typing import Literal
from zoneinfo import ZoneInfo

from hijridate import Hijri

from bot.core.text import clean_input

MAX_TEXT_CHARS = 1000

NAME_MIN_WORDS, NAME_MAX_WORDS = 2, 5
NAME_MIN_CHARS, NAME_MAX_CHARS = 5, 80
EMAIL_MAX_CHARS = 254  # RFC 5321 path limit
MIN_AGE, MAX_AGE = 10, 100
SKILLS_MAX_CHARS = 300


class Invalid(Exception):
    """A user-input error: `msgid` names the catalog message, `params` fill its placeholders."""

    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params: dict[str, object] = params


def check_length(text: str, limit: int = MAX_TEXT_CHARS) -> None:
    """Reject oversized free text before any further (possibly costly) processing."""
    if len(text) > limit:
        raise Invalid("err.text.too_long", limit=limit)


# --- National ID / Iqama (§3.1) -------------------------------------------------------------

# Hyphen-like characters users type or paste between digit groups.
_ID_SEPARATORS = re.compile("[\\s\\-\u2010-\u2015\u2212]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")  # not \d: other scripts' digits must not slip through


def _luhn_ok(digits: str) -> bool:
    total = 0
    # Standard Luhn: double every second digit counting from the right (the check digit is
    # not doubled); for 10 digits these are positions 1, 3, 5, 7, 9 from the left.
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def parse_national_id(text: str) -> str:
    """Saudi national ID (starts with 1) or Iqama (starts with 2) as 10 ASCII digits."""
    digits = _ID_SEPARATORS.sub("", clean_input(text))
    if not _TEN_DIGITS.fullmatch(digits):
        raise Invalid("err.national_id.format")
    if digits[0] not in "12":
        raise Invalid("err.national_id.prefix")
    if not _luhn_ok(digits):
        raise Invalid("err.national_id.checksum")
    return digits


def is_valid_national_id(digits: str) -> bool:
    """True if `parse_national_id` would accept the text (so Arabic-Indic digits pass too)."""
    try:
        parse_national_id(digits)
    except Invalid:
        return False
    return True


# --- Mobile (§3.2) ----------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-.()\u2010-\u2015]")
_PHONE_CHARS = re.compile(r"(?:\+|00)?[0-9]+")
_NSN = re.compile(r"5[0-9]{8}")  # lenient: any 5XXXXXXXX, not libphonenumber's strict ranges


def parse_mobile(text: str) -> str:
    """Saudi mobile in any common spelling -> E.164 "+9665XXXXXXXX"."""
    s = _PHONE_SEPARATORS.sub("", clean_input(text))
    # Letters or other symbols mean it is not (only) a number; better to ask again than guess.
    if not _PHONE_CHARS.fullmatch(s):
        raise Invalid("err.mobile.format")
    s = s.removeprefix("+").removeprefix("00")
    s = s.removeprefix("966")
    # "+966 05..." is a common mix of international and national forms: drop the stray 0.
    s = s.removeprefix("0")
    if not _NSN.fullmatch(s):
        raise Invalid("err.mobile.format")
    return "+966" + s


# --- Name -------------------------------------------------------------------------------------

_NAME_PUNCT = frozenset("-'\u2019")  # hyphen, apostrophe, right single quote (phone keyboards)


def _is_name_mark(ch: str) -> bool:
    # Harakat/shadda and Latin accents that NFC could not compose; other scripts' marks are
    # not expected in names here and would only help spoofing.
    cp = ord(ch)
    return unicodedata.category(ch) in ("Mn", "Mc") and (
        0x0300 <= cp <= 0x036F or 0x064B <= cp <= 0x065F or cp == 0x0670
    )


def parse_name(text: str) -> str:
    """A person's full name: 2-5 words of letters (any script), hyphens and apostrophes."""
    name = clean_input(text)
    # Length first for oversized input, so a 5,000-character paste gets the useful message.
    if len(name) > NAME_MAX_CHARS:
        raise Invalid("err.name.length", min=NAME_MIN_CHARS, max=NAME_MAX_CHARS)
    for ch in name:
        if not (ch == " " or ch in _NAME_PUNCT or ch.isalpha() or _is_name_mark(ch)):
            raise Invalid("err.name.chars")
    words = name.split(" ") if name else []
    # A "word" of only hyphens/apostrophes is not a name part.
    if any(not any(ch.isalpha() for ch in word) for word in words):
        raise Invalid("err.name.chars")
    if not NAME_MIN_WORDS <= len(words) <= NAME_MAX_WORDS:
        raise Invalid("err.name.words", min=NAME_MIN_WORDS, max=NAME_MAX_WORDS)
    if len(name) < NAME_MIN_CHARS:
        raise Invalid("err.name.length", min=NAME_MIN_CHARS, max=NAME_MAX_CHARS)
    return name


# --- Email ------------------------------------------------------------------------------------

# Deliberately simple (one @, a dotted domain, no spaces); also refuses characters that only
# appear in quoted local parts or markup, which real users practically never have.
_EMAIL_LOCAL = r'[^@\s<>()\[\],;:"\\]+'
_EMAIL_LABEL = r'[^@\s<>()\[\],;:"\\_.]+'  # no dots (label separators) or underscores
_EMAIL = re.compile(rf"{_EMAIL_LOCAL}@({_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+)")


def parse_email(text: str) -> str:
    """An email address with the domain lower-cased (the local part may be case-sensitive)."""
    s = clean_input(text)
    m = _EMAIL.fullmatch(s)
    if len(s) > EMAIL_MAX_CHARS or m is None:
        raise Invalid("err.email.format")
    return s[: m.start(1)] + m.group(1).lower()


# --- Skills -----------------------------------------------------------------------------------


def parse_skills(text: str) -> str:
    """What a volunteer says they can do, in their own words ("first aid, photography"): one line
    of free text, cleaned of control and direction characters; shown escaped, never parsed."""
    skills = clean_input(text)
    if not skills:
        raise Invalid("err.empty")
    if len(skills) > SKILLS_MAX_CHARS:
        raise Invalid("err.text.too_long", limit=SKILLS_MAX_CHARS)
    if not any(ch.isalpha() for ch in skills):  # emoji, digits or dashes say no skill
        raise Invalid("vol.err.skills")
    return skills


# --- Birth date (§3.4) ------------------------------------------------------------------------


@dataclass(frozen=True)
class BirthDate:
    gregorian: date
    calendar: Literal["hijri", "gregorian"]


# Optional trailing calendar marker: heh (+ any tatweel) = Hijri, meem = Gregorian, or h/g.
_MARKER = re.compile(r"\s*(\u0647\u0640*|\u0645|[hg])\.?$", re.IGNORECASE)
_SEP_SPACES = re.compile(r"\s*([/.\-])\s*")
_DMY = re.compile(r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})([/.\-])([0-9]{1,2})\2([0-9]{1,2})")
_HIJRI_YEARS = range(1300, 1501)
_GREGORIAN_YEARS = range(1900, 2101)


def age_on(birth: date, today: date) -> int:
    """Completed years on `today` (a 29 Feb birthday counts from 1 March in common years)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


ADULT_AGE = 18  # volunteers younger need a guardian; family applicants must be adults


def is_minor(birth_date: date, today: date) -> bool:
    return age_on(birth_date, today) < ADULT_AGE


def _split_date(s: str) -> tuple[int, int, int]:
    if m := _DMY.fullmatch(s):
        return int(m[4]), int(m[3]), int(m[1])
    if m := _YMD.fullmatch(s):
        return int(m[1]), int(m[3]), int(m[4])
    raise Invalid("err.date.format")


Calendar = Literal["hijri", "gregorian"]


def calendar_of(year: int) -> Calendar:
    """Hijri and Gregorian years people type do not overlap, so the year tells the calendar."""
    if year in _HIJRI_YEARS:
        return "hijri"
    if year in _GREGORIAN_YEARS:
        return "gregorian"
    raise Invalid("err.date.invalid")


def day_of(year: int, month: int, day: int, calendar: Calendar | None = None) -> date:
    """The Gregorian day of a date in `calendar` (by default, the one its year belongs to)."""
    try:
        if (calendar or calendar_of(year)) == "hijri":
            # Umm al-Qura, the official Saudi calendar; raises outside 1343-1500 AH.
            g = Hijri(year, month, day).to_gregorian()
            return date(g.year, g.month, g.day)
        return date(year, month, day)
    except (ValueError, OverflowError) as exc:
        raise Invalid("err.date.invalid") from exc


def parse_calendar_date(text: str) -> tuple[date, Calendar]:
    """A date typed as day/month/year or year-month-day, Hijri or Gregorian told apart by the
    year; an optional calendar marker may follow. Returns the Gregorian day and the calendar."""
    s = clean_input(text)
    marked_hijri: bool | None = None  # None: no calendar marker given
    if m := _MARKER.search(s):
        marked_hijri = m[1][0].lower() in ("h", "\u0647")
        s = s[: m.start()]
    year, month, day = _split_date(_SEP_SPACES.sub(r"\1", s))
    calendar = calendar_of(year)
    # A marker that contradicts the year (e.g. 1420 marked Gregorian) is a typo we cannot fix.
    if marked_hijri is not None and marked_hijri != (calendar == "hijri"):
        raise Invalid("err.date.invalid")
    return day_of(year, month, day, calendar), calendar


def parse_birth_date(text: str, today: date) -> BirthDate:
    """Hijri or Gregorian date of birth; the calendar is told apart by the year."""
    born, calendar = parse_calendar_date(text)
    if born > today:
        raise Invalid("err.date.future")
    if not MIN_AGE <= age_on(born, today) <= MAX_AGE:
        raise Invalid("err.birth_date.age", min=MIN_AGE, max=MAX_AGE)
    return BirthDate(gregorian=born, calendar=calendar)


# --- Announcements and send times (staff input) -----------------------------------------------

ANNOUNCEMENT_MAX_CHARS = 3500  # below Telegram's 4096 with room for direction marks
_FORMAT_CHARS = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u061c]")


def parse_announcement(text: str, limit: int = ANNOUNCEMENT_MAX_CHARS) -> str:
    """Free text for many readers: keep the line breaks, drop direction overrides."""
    cleaned = _FORMAT_CHARS.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n")))
    cleaned = "\n".join(line.rstrip() for line in cleaned.strip().split("\n"))
    if not cleaned:
        raise Invalid("err.empty")
    if len(cleaned) > limit:
        raise Invalid("err.text.too_long", limit=limit)
    return cleaned


# A clock time: "18:30", "6:30 PM", "6 pm", "6:30 \u0645", "6 \u0645\u0633\u0627\u0621" (evening),
# "8 \u0635\u0628\u0627\u062d\u0627" (morning). An hour alone needs a morning/evening word, so a
# bare day number is never read as a time; digits that belong to a date (1/12/2026, 2026-12-01)
# or a year (1448) are not taken either. Match it on `without_marks(text)`: the harakat of
# "\u0645\u0633\u0627\u0621\u064b" must not hide the word.
_AM_WORDS = "|".join(
    (
        "\u0635",  # sad: the morning letter
        "\u0635\u0628\u0627\u062d\u0627",  # sabahan
        "\u0635\u0628\u0627\u062d",
        "\u0627\u0644\u0635\u0628\u062d",
        "\u0641\u062c\u0631\u0627",  # fajran
    )
)
_PM_WORDS = "|".join(
    (
        "\u0645",  # meem: the evening letter
        "\u0645\u0633\u0627\u0621\u0627",  # masa'an
        "\u0645\u0633\u0627\u0621",
        "\u0627\u0644\u0645\u0633\u0627\u0621",
        "\u0639\u0635\u0631\u0627",  # 'asran
        "\u0627\u0644\u0639\u0635\u0631",
    )
)
_NOON_WORDS = "\u0638\u0647\u0631\u0627|\u0627\u0644\u0638\u0647\u0631"
_NIGHT_WORDS = "\u0644\u064a\u0644\u0627|\u0628\u0627\u0644\u0644\u064a\u0644"
TIME_PATTERN = re.compile(
    r"(?<![0-9/.\-:])([0-9]{1,2})(?::([0-9]{2}))?(?![0-9/\-]|\.[0-9])\s*"
    rf"([ap]\.?m\.?|[ap](?![a-z])|{_AM_WORDS}|{_PM_WORDS}|{_NOON_WORDS}|{_NIGHT_WORDS})?"
    r"(?![^\s,.\u060c\u061b;])",
    re.IGNORECASE,
)
_AM = re.compile(rf"(?:a\.?m?\.?|{_AM_WORDS})", re.IGNORECASE)
_NOON = re.compile(_NOON_WORDS)
_NIGHT = re.compile(_NIGHT_WORDS)
_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, dagger alef, tatweel


def without_marks(text: str) -> str:
    """The cleaned text without harakat and tatweel, for matching time words."""
    return _MARKS.sub("", clean_input(text))


def find_clock(text: str) -> re.Match[str] | None:
    """The first clock time in already cleaned text (see TIME_PATTERN): "6" alone is not one."""
    for m in TIME_PATTERN.finditer(text):
        if m[2] is not None or m[3] is not None:
            return m
    return None


def clock_of(m: re.Match[str]) -> dt_time:
    """The clock time in a match of TIME_PATTERN: 12-hour with am/pm or an Arabic morning /
    noon / evening / night word or letter, or 24-hour."""
    hour, minute, marker = int(m[1]), int(m[2] or 0), (m[3] or "").lower()
    if marker:
        if not 1 <= hour <= 12:
            raise Invalid("err.datetime.format")
        if _NOON.fullmatch(marker):
            pm = hour != 11  # "12 noon" is 12:00, "1 in the afternoon" 13:00; 11 is still morning
        elif _NIGHT.fullmatch(marker):
            pm = hour >= 6  # "10 at night" is 22:00, "2 at night" 02:00
        else:
            pm = not _AM.fullmatch(marker)
        hour = hour % 12 + (12 if pm else 0)
    if hour > 23 or minute > 59:
        raise Invalid("err.datetime.format")
    return dt_time(hour, minute)


def parse_send_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A future moment typed as a date and a time in `tz`, e.g. "2026-12-01 18:30",
    "1/12/2026 6:30 pm" (or the Arabic evening mark) or a Hijri date "10/6/1448 18:30".
    Returns UTC."""
    s = without_marks(text)
    m = find_clock(s)
    if m is None:
        raise Invalid("err.datetime.format")
    clock = clock_of(m)
    date_part = (s[: m.start()] + s[m.end() :]).strip()
    when_date = day_of(*_split_date(_SEP_SPACES.sub(r"\1", date_part)))
    try:
        local = datetime.combine(when_date, clock, tzinfo=tz)
    except (ValueError, OverflowError) as exc:
        raise Invalid("err.date.invalid") from exc
    moment = local.astimezone(UTC)
    if moment <= now:
        raise Invalid("err.datetime.past")
    return moment
