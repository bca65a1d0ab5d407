import re
from pathlib import Path

import pytest

from bot.core.districts import ALL_DISTRICTS, COMMON_DISTRICTS, match_district

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "locales"

# A few names inline, so matching tests do not depend on where the catalogs live.
NAMES: dict[str, list[str]] = {
    "hada": ["الهدا", "Al-Hada"],
    "shafa": ["الشفا", "Al-Shafa"],
    "mathna": ["المثناه", "Al-Mathnah"],
    "iskan": ["الاسكان", "Al-Iskan"],
    "dahiat_iskan": ["ضاحية الإسكان", "Dahiat Al-Iskan"],
    "masarra_1": ["مسرة 1", "Masarra 1"],
    "masarra_2": ["مسرة 2", "Masarra 2"],
    "riha": ["ريحه", "Riha"],
    "hawiya": ["الحوية", "Al-Hawiya"],
    "sail_kabir": ["السيل الكبير", "Al-Sail Al-Kabir"],
}


def _po_names(lang: str) -> dict[str, str]:
    text = (LOCALES / lang / "LC_MESSAGES" / "shuraka.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "district\.([a-z0-9_]+)"\nmsgstr "(.*)"$', text, re.MULTILINE)
    return dict(pairs)


def test_codes_are_unique_short_ascii() -> None:
    assert len(set(ALL_DISTRICTS)) == len(ALL_DISTRICTS) == 74
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) and len(c) <= 30 for c in ALL_DISTRICTS)
    assert set(COMMON_DISTRICTS) <= set(ALL_DISTRICTS)
    assert 15 <= len(COMMON_DISTRICTS) <= 20
    assert len(set(COMMON_DISTRICTS)) == len(COMMON_DISTRICTS)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("المثناة", "mathna"),
        ("المثناه", "mathna"),
        ("الإسكان", "iskan"),
        ("الاسكان", "iskan"),
        ("حي الهدا", "hada"),
        ("حى الهدا", "hada"),
        ("الهدا", "hada"),
        ("هدا", "hada"),
        ("al hada", "hada"),
        ("Al-Hada", "hada"),
        ("HADA", "hada"),
        ("مسرة1", "masarra_1"),
        ("مسرة ١", "masarra_1"),
        ("حي مسرة 2", "masarra_2"),
        ("ريحة", "riha"),
        ("\u200fالحويّة ", "hawiya"),
        ("ضاحيه الاسكان", "dahiat_iskan"),
    ],
)
def test_exact_match_returns_only_that_code(text: str, code: str) -> None:
    assert match_district(text, NAMES) == [code]


def test_close_matches() -> None:
    assert match_district("الهدى", NAMES)[0] == "hada"  # alef maqsura spelling
    assert match_district("السيل الكبيير", NAMES) == ["sail_kabir"]
    assert match_district("الحويه الشمالي", NAMES) == []
    assert set(match_district("مسرة 3", NAMES)) == {"masarra_1", "masarra_2"}


@pytest.mark.parametrize("text", ["", "   ", "؟", "الرياض", "xyz", "😀", "حي", "x" * 5000])
def test_no_match(text: str) -> None:
    assert match_district(text, NAMES) == []


def test_at_most_five_suggestions() -> None:
    names = {f"d{i}": [f"district{i}"] for i in range(10)}
    assert len(match_district("district", names)) == 5


def test_catalogs_name_every_district_and_each_name_matches_itself() -> None:
    ar, en = _po_names("ar"), _po_names("en")
    assert set(ar) == set(en) == set(ALL_DISTRICTS)
    names = {code: [ar[code], en[code]] for code in ALL_DISTRICTS}
    # Every display name finds its own code, and only it.
    for code in ALL_DISTRICTS:
        assert match_district(ar[code], names) == [code], ar[code]
        assert match_district(en[code], names) == [code], en[code]
    assert match_district("حي السيل الكبير", names) == ["sail_kabir"]
    assert match_district("الحلقه الغربيه", names) == ["halqa_gharbiya"]
