from datetime import UTC, date, datetime, timedelta, timezone

from hijridate import Gregorian

from bot.core.dates import RIYADH, fmt_day_short, format_date, format_datetime
from bot.core.i18n import Catalogs

AR_DATE = "{hijri}هـ الموافق {gregorian}م"
EN_DATE = "{hijri} AH ({gregorian})"
AR_DATETIME = "{hijri}هـ الموافق {gregorian}م، الساعة {time}"
EN_DATETIME = "{hijri} AH ({gregorian}), {time}"


def test_riyadh_zone() -> None:
    assert datetime(2025, 1, 1, tzinfo=RIYADH).utcoffset() == timedelta(hours=3)


def test_format_date_arabic() -> None:
    assert format_date(date(2025, 11, 1), "ar", AR_DATE) == (
        "10 جمادى الأولى 1447هـ الموافق 1 نوفمبر 2025م"
    )


def test_format_date_english() -> None:
    assert format_date(date(2025, 11, 1), "en", EN_DATE) == (
        "10 Jumada al-Ula 1447 AH (1 November 2025)"
    )


def test_format_date_default_pattern_and_locale_variants() -> None:
    assert format_date(date(2025, 3, 1), "en") == "1 Ramadan 1446 (1 March 2025)"
    assert format_date(date(2025, 3, 1), "ar_SA") == format_date(date(2025, 3, 1), "ar")


def test_format_date_matches_hijridate() -> None:
    d = date(2024, 6, 16)
    h = Gregorian.fromdate(d).to_hijri()
    assert format_date(d, "ar", "{hijri}") == f"{h.day} {h.month_name('ar')} {h.year}"


def test_format_date_ascii_digits_only() -> None:
    out = format_date(date(2025, 11, 1), "ar", AR_DATE)
    assert all(not ch.isdigit() or ch.isascii() for ch in out)


def test_format_date_out_of_hijri_range_falls_back() -> None:
    assert format_date(date(1900, 1, 1), "en", EN_DATE) == "1 January 1900"
    assert format_date(date(2080, 1, 1), "ar", AR_DATE, "{gregorian}م") == "1 يناير 2080م"


def test_format_datetime_arabic_pm() -> None:
    # 13:05 UTC is 16:05 in Riyadh.
    dt = datetime(2025, 11, 1, 13, 5, tzinfo=UTC)
    assert format_datetime(dt, "ar", AR_DATETIME) == (
        "10 جمادى الأولى 1447هـ الموافق 1 نوفمبر 2025م، الساعة 4:05 م"
    )


def test_format_datetime_arabic_am_and_naive_is_utc() -> None:
    out = format_datetime(datetime(2025, 11, 1, 6, 0), "ar", "{time}")
    assert out == "9:00 ص"


def test_format_datetime_crosses_midnight_in_riyadh() -> None:
    dt = datetime(2025, 11, 1, 22, 30, tzinfo=UTC)  # 01:30 on 2 November in Riyadh
    assert format_datetime(dt, "en", EN_DATETIME) == (
        "11 Jumada al-Ula 1447 AH (2 November 2025), 1:30 AM"
    )


def test_format_datetime_other_zone_and_offset_input() -> None:
    dt = datetime(2025, 11, 1, 16, 5, tzinfo=timezone(timedelta(hours=3)))
    assert format_datetime(dt, "en", "{time}", tz="UTC") == "1:05 PM"
    assert format_datetime(dt, "en", "{time}") == "4:05 PM"


def test_format_datetime_fallback() -> None:
    dt = datetime(2080, 1, 1, 9, 0, tzinfo=UTC)
    assert format_datetime(dt, "en", EN_DATETIME, fallback_pattern="{gregorian}, {time}") == (
        "1 January 2080, 12:00 PM"
    )


def test_short_day_for_buttons(catalogs: Catalogs) -> None:
    d = date(2026, 12, 3)
    assert fmt_day_short(catalogs.translator("en"), d) == "Thu 3 Dec 2026"
    arabic = fmt_day_short(catalogs.translator("ar"), d)
    assert (
        "3" in arabic and "2026" in arabic and all(not c.isdigit() or c.isascii() for c in arabic)
    )
