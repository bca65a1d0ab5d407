import unicodedata

import pytest

from bot.core.text import (
    clean_input,
    escape_html,
    isolate,
    mask_mobile,
    mask_national_id,
    match_key,
    match_words,
    normalize_for_match,
    rtl_lines,
    strip_invisible,
    to_ascii_digits,
)

RLM = "\u200f"


def test_to_ascii_digits_arabic_indic_and_extended() -> None:
    assert to_ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert to_ascii_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert to_ascii_digits("abc 123") == "abc 123"


def test_to_ascii_digits_separators() -> None:
    assert to_ascii_digits("٣٫٥") == "3.5"
    assert to_ascii_digits("١٬٠٠٠") == "1000"


@pytest.mark.parametrize(
    "ch",
    [
        "\u200e",
        "\u200f",
        "\u061c",
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
    ],
)
def test_strip_invisible_removes_format_chars(ch: str) -> None:
    assert strip_invisible(f"05{ch}12") == "0512"


def test_strip_invisible_controls_become_spaces_but_keep_newline_tab() -> None:
    assert strip_invisible("a\x00b\x07c") == "a b c"
    assert strip_invisible("a\nb\tc") == "a\nb\tc"


def test_clean_input_full_pipeline() -> None:
    raw = "\ufeff  \u200f٠٥١٢\u200e ٣٤٥\n\t٦٧٨  "
    assert clean_input(raw) == "0512 345 678"


def test_clean_input_nfc() -> None:
    assert clean_input("e\u0301") == "\u00e9"


@pytest.mark.parametrize(
    "raw", ["", "   ", "\ud800", "a\udfffb", "\ud83d\ude00", "x" * 5000, "😀🎉👍🏽", "\x00" * 10]
)
def test_clean_input_never_raises(raw: str) -> None:
    out = clean_input(raw)
    assert isinstance(out, str)
    # Whatever came in, the result can be encoded (no lone surrogates survive).
    out.encode("utf-8")


def test_clean_input_surrogates() -> None:
    assert clean_input("a\ud800b") == "a\ufffdb"
    assert clean_input("\ud83d\ude00") == "😀"  # a split pair is joined back


def test_clean_input_long_input() -> None:
    assert clean_input(" ab " * 1250) == " ".join(["ab"] * 1250)


def test_normalize_for_match_arabic_rules() -> None:
    assert normalize_for_match("المثناة") == normalize_for_match("المثناه")
    assert normalize_for_match("الإسكان") == normalize_for_match("الاسكان")
    assert normalize_for_match("أآإٱ") == "اااا"
    assert normalize_for_match("مُحَمَّـــد") == "محمد"
    assert normalize_for_match("هدى") == "هدي"
    assert normalize_for_match("ی ک") == "ي ك"
    assert normalize_for_match("مؤسسة ئ") == "موسسه ي"
    assert normalize_for_match("ﻻ") == "لا"  # presentation-form ligature (NFKC)


def test_normalize_for_match_latin_punct_digits() -> None:
    assert normalize_for_match("  Al-Hada!! ") == "al hada"
    assert normalize_for_match("Ḥadā") == "hada"
    assert normalize_for_match("مسرة ٢") == "مسره 2"
    assert normalize_for_match("نعم، أكيد؟") == "نعم اكيد"


def test_escape_html() -> None:
    assert escape_html('<b>"a" & b</b>') == "&lt;b&gt;&quot;a&quot; &amp; b&lt;/b&gt;"
    assert escape_html("&amp;") == "&amp;amp;"


def test_isolate() -> None:
    assert isolate("+966512345678") == "\u2068+966512345678\u2069"
    # An embedded PDI/override cannot break out of the isolate.
    assert isolate("12\u2069\u202e34") == "\u20681234\u2069"


def test_rtl_lines() -> None:
    text = "مرحبا\n123 طلب\nhello\n+966\n<b>5</b> أيام\n<b>الموعد</b>\n😀 أهلا\n\n"
    assert rtl_lines(text).split("\n") == [
        "مرحبا",
        RLM + "123 طلب",
        RLM + "hello",
        RLM + "+966",
        RLM + "<b>5</b> أيام",
        "<b>الموعد</b>",
        RLM + "😀 أهلا",
        "",
        "",
    ]


def test_rtl_lines_idempotent() -> None:
    once = rtl_lines("1 x\nعربي")
    assert rtl_lines(once) == once


def test_mask_national_id() -> None:
    assert mask_national_id("1000000008") == "1" + "\u2022" * 7 + "08"
    assert mask_national_id("1234567") == "1••••67"
    assert mask_national_id("12345") == "•••••"
    assert mask_national_id("") == ""


def test_mask_mobile() -> None:
    assert mask_mobile("+966512345678") == "+9665•••••678"
    assert mask_mobile("12345") == "•••••"


def test_masks_hide_digits() -> None:
    masked = mask_national_id("1234567897")
    assert sum(unicodedata.category(c) == "Nd" for c in masked) == 3


def test_match_words_fold_spelling_and_drop_symbols() -> None:
    assert match_words("✅ تأكيد وحفظ") == ["تاكيد", "وحفظ"]
    assert match_words("\u200fتـأكيـد\u200c   وحفظ!") == ["تاكيد", "وحفظ"]
    assert match_words("ساعاتى التطوعيه") == match_words("⏱️ ساعاتي التطوعية")
    assert match_words("\u2705 Confirm  and SAVE") == ["confirm", "and", "save"]
    assert match_words("😀 ↩️") == []


def test_match_key_is_the_words_joined() -> None:
    assert match_key("  إي   نعم ") == "اي نعم"
    assert match_key("OK!") == "ok"
