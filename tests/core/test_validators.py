import contextlib
from datetime import date

import pytest
from hijridate import Hijri

from bot.core.validators import (
    MAX_TEXT_CHARS,
    BirthDate,
    Invalid,
    age_on,
    check_length,
    is_valid_national_id,
    parse_birth_date,
    parse_email,
    parse_mobile,
    parse_name,
    parse_national_id,
)

TODAY = date(2025, 11, 1)


def _msgid(fn: object, *args: object) -> str:
    with pytest.raises(Invalid) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.msgid


def test_invalid_carries_msgid_and_params() -> None:
    err = Invalid("err.text.too_long", limit=5)
    assert err.msgid == "err.text.too_long"
    assert err.params == {"limit": 5}
    assert Invalid("x").params == {}


# --- national ID --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1000000008",
        "2000000006",
        "1234567897",
        "١٠٠٠٠٠٠٠٠٨",
        "۱۰۰۰۰۰۰۰۰۸",
        " 100-000-0008 ",
        "\u200f1000000008\u200e",
        "1000 000 008",
    ],
)
def test_national_id_valid(text: str) -> None:
    assert is_valid_national_id(text)
    assert parse_national_id(text) in {"1000000008", "2000000006", "1234567897"}


def test_national_id_returns_ascii() -> None:
    assert parse_national_id("١٠٠٠٠٠٠٠٠٨") == "1000000008"
    assert parse_national_id("۲۰۰۰۰۰۰۰۰۶") == "2000000006"


@pytest.mark.parametrize(
    ("text", "msgid"),
    [
        ("1000000000", "err.national_id.checksum"),
        ("1071724369", "err.national_id.checksum"),
        ("1234567890", "err.national_id.checksum"),
        ("3000000004", "err.national_id.prefix"),
        ("100000000", "err.national_id.format"),
        ("10000000080", "err.national_id.format"),
        ("", "err.national_id.format"),
        ("10000000O8", "err.national_id.format"),
        ("१०००००००००८", "err.national_id.format"),  # Devanagari digits are not accepted
    ],
)
def test_national_id_invalid(text: str, msgid: str) -> None:
    assert not is_valid_national_id(text)
    assert _msgid(parse_national_id, text) == msgid


# --- mobile -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0512345678",
        "512345678",
        "966512345678",
        "+966512345678",
        "00966512345678",
        "+966 0512345678",
        "+966 05 1234 5678",
        "051-234-5678",
        "(051) 234.5678",
        "٠٥١٢٣٤٥٦٧٨",
        "۰۵۱۲۳۴۵۶۷۸",
        "\u200e+966 51 234 5678\u200f",
        "\u061c٠٥١٢٣٤٥٦٧٨",
    ],
)
def test_mobile_valid(text: str) -> None:
    assert parse_mobile(text) == "+966512345678"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0412345678",
        "05123456789",
        "051234567",
        "+971512345678",
        "05123x5678",
        "abc",
        "0512345678+",
        "😀",
    ],
)
def test_mobile_invalid(text: str) -> None:
    assert _msgid(parse_mobile, text) == "err.mobile.format"


# --- name ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("محمد عبدالله الغامدي", "محمد عبدالله الغامدي"),
        ("  نورة\u200f   الحارثي ", "نورة الحارثي"),
        ("مُحَمَّد علي", "مُحَمَّد علي"),
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
        ("José Álvarez", "José Álvarez"),
        ("Ali Ahmed", "Ali Ahmed"),
    ],
)
def test_name_valid(text: str, expected: str) -> None:
    assert parse_name(text) == expected


@pytest.mark.parametrize(
    ("text", "msgid"),
    [
        ("محمد", "err.name.words"),
        ("Mohammed", "err.name.words"),
        ("a b c d e f", "err.name.words"),
        ("ع ل", "err.name.length"),
        ("محمد " * 20, "err.name.length"),
        ("Ali 2nd", "err.name.chars"),
        ("علي ٣", "err.name.chars"),
        ("- '", "err.name.chars"),
        ("😀 😀", "err.name.chars"),
        ("<script>alert(1)</script> x", "err.name.chars"),
        ("<b>Ali</b> Ahmed", "err.name.chars"),
        ("Robert'); DROP TABLE users;--", "err.name.chars"),
        ("' OR 1=1 --", "err.name.chars"),
        ("", "err.name.words"),
    ],
)
def test_name_invalid(text: str, msgid: str) -> None:
    assert _msgid(parse_name, text) == msgid


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,
        "😀" * 5000,
        "😀",
        "\ud800\ud800 a",
        "<img src=x onerror=alert(1)>",
        "\x00\x00",
        "a; DELETE FROM users WHERE 1=1",
        "محمد\u202eعلي",
    ],
)
def test_name_hostile_input_only_raises_invalid(text: str) -> None:
    # Any other exception type escapes the suppress and fails the test.
    with contextlib.suppress(Invalid):
        parse_name(text)


def test_name_strips_bidi_override() -> None:
    assert parse_name("محمد \u202eعلي") == "محمد علي"


# --- email --------------------------------------------------------------------------------


def test_email_valid() -> None:
    assert parse_email(" Ahmed.Ali+x@Example.COM ") == "Ahmed.Ali+x@example.com"
    assert parse_email("a@b.sa") == "a@b.sa"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "a@b",
        "a@@b.com",
        "a@b@c.com",
        "a b@c.com",
        "@b.com",
        "a@.com",
        "a@b.",
        "a@b..com",
        "<a>@b.com",
        "a@b_c.com",
        "a" * 250 + "@b.com",
    ],
)
def test_email_invalid(text: str) -> None:
    assert _msgid(parse_email, text) == "err.email.format"


# --- length -------------------------------------------------------------------------------


def test_check_length() -> None:
    check_length("x" * MAX_TEXT_CHARS)
    with pytest.raises(Invalid) as info:
        check_length("x" * (MAX_TEXT_CHARS + 1))
    assert info.value.msgid == "err.text.too_long"
    assert info.value.params == {"limit": 1000}
    with pytest.raises(Invalid) as info:
        check_length("x" * 5000, limit=10)
    assert info.value.params == {"limit": 10}


# --- birth date ---------------------------------------------------------------------------


def test_age_on() -> None:
    assert age_on(date(2000, 11, 1), TODAY) == 25
    assert age_on(date(2000, 11, 2), TODAY) == 24
    assert age_on(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age_on(date(2000, 2, 29), date(2025, 3, 1)) == 25


def test_hijri_birth_date_matches_hijridate() -> None:
    got = parse_birth_date("1/1/1420", TODAY)
    assert got == BirthDate(gregorian=Hijri(1420, 1, 1).to_gregorian(), calendar="hijri")
    assert got.gregorian == date(1999, 4, 17)
    assert type(got.gregorian) is date


@pytest.mark.parametrize(
    "text",
    [
        "1/1/1420",
        "01-01-1420",
        "1420/1/1",
        "1420-01-01",
        "1.1.1420",
        "١/١/١٤٢٠",
        "۱/۱/۱۴۲۰",
        "1/1/1420هـ",
        "1/1/1420 هـ",
        "1/1/1420ه",
        "1/1/1420 H",
        "1 / 1 / 1420",
        "\u200f1/1/1420",
    ],
)
def test_hijri_birth_date_formats(text: str) -> None:
    assert parse_birth_date(text, TODAY) == BirthDate(date(1999, 4, 17), "hijri")


@pytest.mark.parametrize(
    "text",
    [
        "25/6/1999",
        "25-06-1999",
        "1999/06/25",
        "1999-6-25",
        "25.06.1999",
        "٢٥/٦/١٩٩٩",
        "۲۵/۰۶/۱۹۹۹",
        "25/6/1999م",
        "25/6/1999 م",
        "25/6/1999 g",
    ],
)
def test_gregorian_birth_date_formats(text: str) -> None:
    assert parse_birth_date(text, TODAY) == BirthDate(date(1999, 6, 25), "gregorian")


@pytest.mark.parametrize(
    ("text", "msgid"),
    [
        ("", "err.date.format"),
        ("yesterday", "err.date.format"),
        ("1/1/99", "err.date.format"),
        ("1999", "err.date.format"),
        ("1/1-1999", "err.date.format"),
        ("x" * 5000, "err.date.format"),
        ("31/2/1999", "err.date.invalid"),
        ("1/13/1999", "err.date.invalid"),
        ("0/1/1999", "err.date.invalid"),
        ("30/3/1420", "err.date.invalid"),  # Rabi' al-Awwal 1420 has 29 days
        ("1/13/1420", "err.date.invalid"),
        ("1/1/1320", "err.date.invalid"),  # before the Umm al-Qura table
        ("1/1/1700", "err.date.invalid"),
        ("1/1/1420م", "err.date.invalid"),  # Gregorian marker on a Hijri year
        ("1/1/1999هـ", "err.date.invalid"),
        ("2/11/2025", "err.date.future"),
        ("1/1/2090", "err.date.future"),
        ("1/1/1460", "err.date.future"),
        ("1/1/2020", "err.birth_date.age"),
        ("1/1/1920", "err.birth_date.age"),
        ("1/1/1440", "err.birth_date.age"),
    ],
)
def test_birth_date_invalid(text: str, msgid: str) -> None:
    assert _msgid(parse_birth_date, text, TODAY) == msgid


def test_birth_date_age_params_and_bounds() -> None:
    with pytest.raises(Invalid) as info:
        parse_birth_date("2/11/2015", TODAY)
    assert info.value.params == {"min": 10, "max": 100}
    assert parse_birth_date("1/11/2015", TODAY).gregorian == date(2015, 11, 1)  # exactly 10
    assert parse_birth_date("2/11/1924", TODAY).gregorian == date(1924, 11, 2)  # 100
