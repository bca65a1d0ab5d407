"""Counts in Arabic: every plural message has the six forms Arabic needs, and no count hides in a
singular message (issue 14 item 5). These tests read the Arabic catalog itself.

The rule, form by form (header: zero, one, two, few 3-10, many 11-99, other 100+):

- form 0 (zero) reads as words, never "0 <noun>": it has no {n} ("لا ساعات بعد").
- forms 1 and 2 (one, two) say the number with the noun, not with digits: no {n}
  ("ساعة واحدة", "ساعتان"); forms 3, 4 and 5 show {n}.
- forms 1, 2 and 3 differ pairwise (singular, dual, plural noun).
- forms 3 and 4 differ: 3-10 count with the plural noun ("3 ساعات"), 11-99 with the singular
  accusative ("11 ساعة", "11 طلبًا").
- forms 4 and 5 MAY be identical: 100+ takes the singular genitive, which is written like the
  accusative for a feminine noun without vowel marks ("11 ساعة" / "100 ساعة"), and differs only
  for masculine nouns ("11 طلبًا" / "100 طلب").
"""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.core.dates import hours_text
from bot.core.i18n import DEFAULT_LOCALES_DIR, Catalogs, po_path

ZERO, ONE, TWO, FEW, MANY, OTHER = range(6)

# Parameters whose value is a number of things. In a singular message such a number may stand
# alone (a tally after a colon, a position, "3 of 5"), but never directly before a word it counts:
# that word would need the plural forms.
COUNT_PARAMS = frozenset(
    {
        "n",
        "count",
        "hours",
        "minutes",
        "days",
        "seats",
        "places",
        "min",
        "max",
        "limit",
        "length",
        "total",
        "done",
        "sent",
        "failed",
        "blocked",
        "skipped",
        "cancelled",
        "confirmed",
        "capacity",
        "waiting",
        "pending",
    }
)
# Words that may follow a bare number without being counted by it ("3 من 5", "{min} على الأقل",
# "بين {min} و{max}"). A counted noun is indefinite, so a word with the article ("ال", "وال")
# after a number starts something else ("طوله {length} والحد الأقصى").
NOT_COUNTED = frozenset({"من", "على", "و"})
DEFINITE = ("ال", "وال")
# A fraction takes the singular noun in Arabic ("2.5 ساعة"); whole hours use count.hours.
FRACTIONS = frozenset({"count.hours_fraction"})

ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0660-\u0669\u0670-\u06d3]+")


def _catalog(locale: str) -> Catalog:
    with po_path(DEFAULT_LOCALES_DIR, locale).open("rb") as fh:
        return read_po(fh, abort_invalid=True)


@pytest.fixture(scope="module")
def arabic() -> Catalog:
    return _catalog("ar")


def _plurals(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    return {
        str(m.id[0]): tuple(m.string)
        for m in catalog
        if m.id and m.pluralizable and isinstance(m.string, (tuple, list))
    }


def _singulars(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.pluralizable}


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def plural_problems(key: str, forms: tuple[str, ...]) -> list[str]:
    """What is wrong with one Arabic plural entry, by the rule in the module docstring."""
    if len(forms) != 6 or not all(f.strip() for f in forms):
        return [f"{key}: needs six non-empty forms, has {len(forms)}"]
    problems = []
    shows_n = ["n" in _names(f) for f in forms]
    if shows_n[ZERO]:
        problems.append(f"{key}: form 0 shows {{n}}; say it in words (e.g. «لا … بعد»)")
    for form in (ONE, TWO):
        if shows_n[form]:
            problems.append(f"{key}: form {form} shows {{n}}; Arabic says one/two with the noun")
    for form in (FEW, MANY, OTHER):
        if not shows_n[form]:
            problems.append(f"{key}: form {form} does not show {{n}}")
    for a, b in ((ONE, TWO), (TWO, FEW), (ONE, FEW), (FEW, MANY)):
        if forms[a] == forms[b]:
            problems.append(f"{key}: forms {a} and {b} are identical: {forms[a]!r}")
    return problems


def counted_placeholders(key: str, text: str) -> list[str]:
    """Count parameters in a singular message that sit directly before a word they count."""
    if key in FRACTIONS:
        return []
    found = []
    for match in re.finditer(r"\{(\w+)\}", text):
        if match.group(1) not in COUNT_PARAMS:
            continue
        rest = text[match.end() :]
        word = ARABIC_WORD.match(rest.lstrip(" ")) if rest[:1] == " " else None
        if word and word.group(0) not in NOT_COUNTED and not word.group(0).startswith(DEFINITE):
            found.append(f"{key}: {{{match.group(1)}}} counts «{word.group(0)}»: {text!r}")
    return found


# --- the rule itself ----------------------------------------------------------------------------


def test_the_rule_catches_each_kind_of_wrong_entry() -> None:
    good = ("لا ساعات بعد", "ساعة واحدة", "ساعتان", "{n} ساعات", "{n} ساعة", "{n} ساعة")
    assert plural_problems("good", good) == []
    zero_digit = ("{n} ساعة", *good[1:])
    one_digit = (good[0], "{n} ساعة", *good[2:])
    two_is_one = (good[0], good[1], good[1], *good[3:])
    few_is_many = (*good[:3], "{n} ساعة", "{n} ساعة", "{n} ساعة")
    five_forms = good[:5]
    for bad in (zero_digit, one_digit, two_is_one, few_is_many, five_forms):
        assert plural_problems("bad", bad), bad


def test_the_count_detector_tells_a_count_from_a_tally() -> None:
    assert counted_placeholders("k", "أطول من {hours} ساعة.")
    assert counted_placeholders("k", "بين {min} و{max} حرفًا")
    assert not counted_placeholders("k", "عدد الساعات: {hours}.")
    assert not counted_placeholders("k", "تقييمك: {n} من 5.")
    assert not counted_placeholders("k", "اختر {min} على الأقل")
    assert not counted_placeholders("k", "{n}. {title}")
    assert not counted_placeholders("k", "بين {min} و{max}.")
    assert not counted_placeholders("k", "طوله {length} والحد الأقصى {limit}")
    assert counted_placeholders("k", "في {n} وردية")
    assert not counted_placeholders("k", "الوردية رقم {id} ساعة")  # not a count parameter


# --- the catalog obeys it -------------------------------------------------------------------------


def test_every_arabic_plural_entry_has_the_forms_arabic_needs(arabic: Catalog) -> None:
    plurals = _plurals(arabic)
    assert len(plurals) > 20  # the sweep really sees the catalog's plural entries
    problems = [p for key, forms in sorted(plurals.items()) for p in plural_problems(key, forms)]
    assert not problems, "\n".join(problems)


def test_no_arabic_singular_message_counts_a_noun(arabic: Catalog) -> None:
    # English is left out on purpose: its limits ("at most {max} years") are settings above one,
    # and English nouns agree with any number above one; Arabic nouns change from 3 to 11 to 100.
    singulars = _singulars(arabic)
    problems = [
        p for key, text in sorted(singulars.items()) for p in counted_placeholders(key, text)
    ]
    assert not problems, "use tr.tn and a plural entry:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("hours", "arabic_text", "english_text"),
    [
        (0, "لم تُحتسب ساعات بعد", "no hours counted yet"),
        (0.04, "0.1 ساعة", "0.1 hours"),  # 2.4 minutes attended: never shown as nothing
        (10 / 60, "0.2 ساعة", "0.2 hours"),  # 10 minutes, to the nearest tenth
        (1, "ساعة واحدة", "1 hour"),
        (2, "ساعتان", "2 hours"),
        (3, "3 ساعات", "3 hours"),
        (11, "11 ساعة", "11 hours"),
        (100, "100 ساعة", "100 hours"),
        (2.5, "2.5 ساعة", "2.5 hours"),
        (3.04, "3 ساعات", "3 hours"),  # rounded to a tenth, then whole
    ],
)
def test_hours_read_with_their_plural_forms(
    catalogs: Catalogs, hours: float, arabic_text: str, english_text: str
) -> None:
    assert hours_text(catalogs.translator("ar"), hours) == arabic_text
    assert hours_text(catalogs.translator("en"), hours) == english_text


def _forms(catalog: Catalog, key: str, context: str | None = None) -> tuple[str, ...]:
    message: Message | None = catalog.get(key, context=context)
    assert message is not None and isinstance(message.string, (tuple, list)), key
    return tuple(message.string)


def test_zero_reads_naturally(arabic: Catalog) -> None:
    # the issue's own example: zero hours are never "0 ساعة"
    assert _forms(arabic, "count.hours")[ZERO] == "لم تُحتسب ساعات بعد"
    for context in (None, "female"):
        zero_total = _forms(arabic, "ev.hours_total", context)[ZERO]
        assert "{hours}" not in zero_total and "0" not in zero_total
