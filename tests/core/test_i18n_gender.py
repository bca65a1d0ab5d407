"""Gendered variants in the catalogs (issue 14 item 6), read from the catalogs themselves.

Arabic addresses a woman and a man differently; the catalog keeps each variant under
`msgctxt "female"` / `msgctxt "male"` next to its neutral entry, and a translator for a person
whose gender is known looks the variant up first. English has one form: its catalog holds no
context entries at all (decision: nothing to keep in step with the neutral text).
"""

from __future__ import annotations

import string
from io import BytesIO

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.core.i18n import DEFAULT_LOCALES_DIR, GENDER_CONTEXTS, Catalogs, po_path

CONTEXTS = frozenset(GENDER_CONTEXTS.values())
NPLURALS = {"ar": 6, "en": 2}


def read_catalog(locale: str) -> Catalog:
    with po_path(DEFAULT_LOCALES_DIR, locale).open("rb") as fh:
        return read_po(fh, abort_invalid=True)


def _key(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)


def _forms(message: Message) -> tuple[str, ...]:
    s = message.string
    return tuple(s) if isinstance(s, (tuple, list)) else (str(s or ""),)


def entry(catalog: Catalog, key: str, context: str | None = None) -> tuple[str, ...]:
    """The forms of one entry (one form for a singular message)."""
    message = catalog.get(key, context=context)
    assert message is not None, (key, context)
    return _forms(message)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def gendered_problems(catalog: Catalog, nplurals: int) -> list[str]:
    """Every context entry must be a known gender, have a neutral twin of the same kind with
    the same placeholders, be translated in full, and say something else than the twin."""
    neutral = {_key(m): m for m in catalog if m.id and not m.context}
    problems = []
    for message in catalog:
        if not message.id or not message.context:
            continue
        key, where = _key(message), f"{message.context} {_key(message)}"
        if message.context not in CONTEXTS:
            problems.append(f"{where}: unknown context")
        twin = neutral.get(key)
        if twin is None:
            problems.append(f"{where}: no neutral entry")
            continue
        forms, twin_forms = _forms(message), _forms(twin)
        if message.pluralizable != twin.pluralizable:
            problems.append(f"{where}: plural and singular disagree with the neutral entry")
        if message.pluralizable and len(forms) != nplurals:
            problems.append(f"{where}: {len(forms)} plural forms")
        if not all(form.strip() for form in forms) or message.fuzzy:
            problems.append(f"{where}: empty or fuzzy")
        try:
            names = set().union(*(_placeholders(f) for f in forms))
            twin_names = set().union(*(_placeholders(f) for f in twin_forms))
        except ValueError as exc:
            problems.append(f"{where}: bad format string ({exc})")
            continue
        # Plural forms may leave out the count ("one shift"), nothing else.
        same = names - {"n"} == twin_names - {"n"}
        if not same or (not message.pluralizable and names != twin_names):
            problems.append(f"{where}: placeholders {sorted(names)} != {sorted(twin_names)}")
        if forms == twin_forms:
            problems.append(f"{where}: the same text as the neutral entry")
    return problems


def test_every_arabic_variant_has_its_neutral_twin_and_placeholders() -> None:
    catalog = read_catalog("ar")
    variants = [m for m in catalog if m.id and m.context]
    assert len(variants) >= 40  # the messages volunteers and families read most
    assert gendered_problems(catalog, NPLURALS["ar"]) == []


def test_english_has_one_form() -> None:
    assert [_key(m) for m in read_catalog("en") if m.id and m.context] == []


def test_the_checker_catches_each_broken_rule() -> None:
    po = b"""
msgid ""
msgstr ""
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "a.ok"
msgstr "Hello {name}"

msgctxt "female"
msgid "a.ok"
msgstr "Hello dear {name}"

msgctxt "female"
msgid "a.orphan"
msgstr "no twin"

msgid "a.places"
msgstr "Hi {name}"

msgctxt "female"
msgid "a.places"
msgstr "Hi {nom}"

msgid "a.same"
msgstr "Same"

msgctxt "female"
msgid "a.same"
msgstr "Same"

msgctxt "other"
msgid "a.ok"
msgstr "Hello you {name}"
"""
    problems = gendered_problems(read_po(BytesIO(po)), 2)
    assert problems == [
        "female a.orphan: no neutral entry",
        "female a.places: placeholders ['nom'] != ['name']",
        "female a.same: the same text as the neutral entry",
        "other a.ok: unknown context",
    ]


def test_the_issue_wording_is_the_feminine_variant() -> None:
    catalog = read_catalog("ar")
    assert "تم تسجيلكِ متطوعةً" in entry(catalog, "vol.saved", "female")[0]
    assert "هل تقبلين الميثاق؟" in entry(catalog, "vol.q.charter", "female")[0]


# --- the translator ---------------------------------------------------------------------------


def test_a_known_gender_reads_its_variant_else_the_neutral_text(catalogs: Catalogs) -> None:
    catalog = read_catalog("ar")
    [neutral] = entry(catalog, "vol.saved")
    female = entry(catalog, "vol.saved", "female")[0]
    assert catalogs.translator("ar").t("vol.saved") == neutral
    assert catalogs.translator("ar", "f").t("vol.saved") == female
    # no masculine entry: the neutral wording is already the masculine one
    assert catalogs.translator("ar", "m").t("vol.saved") == neutral
    # a message without variants: the neutral text for everyone
    assert catalogs.translator("ar", "f").t("lang.set") == entry(catalog, "lang.set")[0]
    # English: one form whoever reads
    english = catalogs.translator("en")
    assert catalogs.translator("en", "f").t("vol.saved") == english.t("vol.saved")
    # an unknown gender value is read as unknown
    assert catalogs.translator("ar", "x").gender is None


@pytest.mark.parametrize("n", [0, 1, 2, 3, 11, 100])
def test_plural_variants_follow_the_count(catalogs: Catalogs, n: int) -> None:
    catalog = read_catalog("ar")
    female = entry(catalog, "ev.hours_total", "female")
    neutral = entry(catalog, "ev.hours_total")
    rule = {0: 0, 1: 1, 2: 2, 3: 3, 11: 4, 100: 5}[n]
    tr_f, tr = catalogs.translator("ar", "f"), catalogs.translator("ar")
    assert tr_f.tn("ev.hours_total", n, hours=5) == female[rule].format(n=n, hours=5)
    assert tr.tn("ev.hours_total", n, hours=5) == neutral[rule].format(n=n, hours=5)
    # a plural message without variants falls back to the neutral forms
    assert tr_f.tn("ev.count", n) == tr.tn("ev.count", n)
