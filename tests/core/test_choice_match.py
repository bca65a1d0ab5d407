"""The choice matcher on its own: spelling variants, prefixes, ambiguity and yes/no (invisible
characters, tatweel and emoji as escapes)."""

from __future__ import annotations

import pytest

from bot.core.choice_match import Match, Offered, match_choice
from bot.core.text import match_key, match_words

CONFIRM = "\u2705 تأكيد وحفظ"  # confirm and save
EDIT = "\u270f\ufe0f تعديل حقل"  # edit a field
SKIP = "تخطٍّ"  # skip, with tanween and shadda
EVENTS = "\U0001f4c5 الفعاليات التطوعية"  # volunteer events
HOURS = "\u23f1\ufe0f ساعاتي التطوعية"  # my volunteer hours
MY_DATA = "\U0001f512 بياناتي"  # my data
YES_CANCEL = "نعم، ألغِ تسجيلي"  # yes, cancel
NO_KEEP = "لا، أبقِه"  # no, keep it
AGREE = "\u2705 أوافق"  # I agree
DISAGREE = "لا أوافق"  # I do not agree
YES_WORDS = {match_key(w) for w in ("نعم", "أيوه", "yes", "ok")}
NO_WORDS = {match_key(w) for w in ("لا", "no")}

SUMMARY = [Offered("f:_sum:_ok", CONFIRM, "_ok"), Offered("f:_sum:_e", EDIT, "_e")]
MENU = [
    Offered("menu:main:ev", EVENTS, "ev"),
    Offered("menu:main:hours", HOURS, "hours"),
    Offered("menu:main:md", MY_DATA, "md"),
]


def pick(typed: str, options: list[Offered]) -> Match:
    return match_choice(typed, options, YES_WORDS, NO_WORDS)


def test_match_words_drop_emoji_marks_and_spacing() -> None:
    assert match_words(CONFIRM) == ["تاكيد", "وحفظ"]
    assert match_words("  تأكيد\u200f   وحفظ ") == ["تاكيد", "وحفظ"]
    assert match_words("\u2705 Confirm  and SAVE!") == ["confirm", "and", "save"]


@pytest.mark.parametrize(
    "typed",
    [
        CONFIRM,  # the whole label, emoji and all
        "تأكيد وحفظ",  # without the emoji
        "تاكيد وحفظ",  # hamza dropped
        "ت\u0640\u0640أكيد   وحفظ",  # tatweel, spaces
        "\u200fتأكيد\u200c وحفظ",  # RLM, ZWNJ
        "تَأْكِيد",  # the first word, with harakat
        "تأك",  # a prefix of three letters
    ],
)
def test_confirm_typed_in_many_ways(typed: str) -> None:
    assert pick(typed, SUMMARY).unique == "f:_sum:_ok"


@pytest.mark.parametrize(
    "typed",
    [
        "تخطي",  # with a final yeh
        "تخطى",  # with alef maqsura
        "تخط",  # bare
        SKIP,
    ],
)
def test_skip_in_its_spellings(typed: str) -> None:
    options = [
        Offered("f:x:_s", SKIP, "_s"),
        Offered("f:x:_c", "\u2716\ufe0f إلغاء", "_c"),
    ]
    assert pick(typed, options).unique == "f:x:_s"


def test_main_menu_words() -> None:
    assert pick("الفعاليات", MENU).unique == "menu:main:ev"
    assert pick("فعاليات", MENU).unique == "menu:main:ev"  # no article
    assert pick("ساعاتي", MENU).unique == "menu:main:hours"
    assert pick("بياناتى", MENU).unique == "menu:main:md"  # alef maqsura


def test_teh_marbuta_written_heh() -> None:
    typed = "ساعاتي التطوعيه"
    assert pick(typed, MENU).unique == "menu:main:hours"


def test_english_case_and_prefix() -> None:
    options = [
        Offered("f:_sum:_ok", "\u2705 Confirm and save", "_ok"),
        Offered("f:_sum:_e", "\u270f\ufe0f Edit a field", "_e"),
    ]
    assert pick("CONFIRM", options).unique == "f:_sum:_ok"
    assert pick("conf", options).unique == "f:_sum:_ok"
    assert pick("edit a", options).unique == "f:_sum:_e"


def test_a_prefix_of_two_labels_is_ambiguous() -> None:
    options = [
        Offered("e:l:e1", "Thursday 10 December 7:00", "e1"),
        Offered("e:l:e2", "Thursday 10 December 12:00", "e2"),
        Offered("e:l:_b", "Back", "_b"),
    ]
    found = pick("thursday", options)
    assert found.ambiguous and found.ids == ("e:l:e1", "e:l:e2")
    assert pick("thursday 10 december 12", options).unique == "e:l:e2"


def test_too_short_a_prefix_matches_nothing() -> None:
    assert pick("ت", SUMMARY) == Match()
    assert pick("co", [Offered("a:b:c", "Confirm", "_ok")]) == Match()


def test_unknown_text_matches_nothing() -> None:
    assert pick("zzqx", SUMMARY) == Match()
    assert pick("", SUMMARY) == Match()
    assert pick("\U0001f600\U0001f600", SUMMARY) == Match()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("نعم", "c:x:y"),  # yes
        ("ايوه", "c:x:y"),  # aywa
        ("YES", "c:x:y"),
        ("لا", "c:x:n"),  # no
        ("لأ", "c:x:n"),  # no, with hamza
        ("No", "c:x:n"),
    ],
)
def test_yes_and_no_answer_a_yes_no_question(typed: str, expected: str) -> None:
    by_label = [Offered("c:x:y", YES_CANCEL, "y"), Offered("c:x:n", NO_KEEP, "n")]
    assert pick(typed, by_label).unique == expected
    # Labels that do not start with yes or no: the values say which is which.
    by_value = [Offered("c:x:y", AGREE, "yes"), Offered("c:x:n", DISAGREE, "no")]
    assert pick(typed, by_value).unique == expected


def test_yes_confirms_a_form_summary_but_no_picks_nothing_there() -> None:
    assert pick("نعم", SUMMARY).unique == "f:_sum:_ok"
    assert pick("لا", SUMMARY) == Match()


def test_yes_where_nothing_says_yes_matches_nothing() -> None:
    assert pick("نعم", MENU) == Match()


def test_a_list_number_in_a_label_may_be_left_out() -> None:
    options = [
        Offered("ev:list:e1", "1. حملة تشجير الردف", "e1"),
        Offered("ev:list:_mn", "↩️ القائمة الرئيسية", "_mn"),
    ]
    assert pick("حملة تشجير الردف", options).unique == "ev:list:e1"
    assert pick("حمله تشجير", options).unique == "ev:list:e1"
    assert pick("1. حملة تشجير الردف", options).unique == "ev:list:e1"


def test_and_written_apart() -> None:
    options = [
        Offered("v:i:env", "التشجير والبيئة", "env"),
        Offered("v:i:ev", "تنظيم الفعاليات", "ev"),
    ]
    assert pick("التشجير و البيئه", options).unique == "v:i:env"
