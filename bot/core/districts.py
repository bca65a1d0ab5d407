"""Taif districts as stable ASCII codes, and fuzzy matching of typed district names.

Codes are what we store and put in callback data (short ASCII, §5.1); display names live in the
catalogs as "district.<code>". The list is the named districts of the National Address data
(domain.md §3.5); the numbered planning blocks and non-residential areas are left out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from bot.core.text import normalize_for_match

ALL_DISTRICTS: tuple[str, ...] = (
    "hada",
    "shafa",
    "sail_kabir",
    "dahiat_iskan",
    "imtidad_dahiat_iskan",
    "mashi",
    "qamariya",
    "awda",
    "salama",
    "qurwa",
    "siyana",
    "suq_ukaz",
    "shuhada_janubiya",
    "shuhada_shamaliya",
    "shihar",
    "nakhb",
    "hawaya_shamaliya",
    "hawaya_janubiya",
    "khalidiya",
    "masarra_1",
    "masarra_2",
    "rabi",
    "salam",
    "rabwa",
    "qutbiya",
    "aramiya_1",
    "aramiya_2",
    "mutarid",
    "ruwaydif",
    "jawhara",
    "qumay",
    "jabra",
    "jufayjif",
    "rehab",
    "halqa_gharbiya",
    "halqa_sharqiya",
    "mathna",
    "khudayra",
    "jal",
    "surur",
    "nasim",
    "markaziya",
    "rayyan",
    "shubra",
    "sharqiya",
    "aqiq",
    "aziziya",
    "riha",
    "washha",
    "air_defense",
    "iskan",
    "midba",
    "wasit",
    "nuzha",
    "dabt",
    "suwayqa",
    "mathmala",
    "hawiya",
    "akhbab",
    "qarahin",
    "sadad",
    "umm_arad",
    "hadaiq",
    "umm_siba",
    "maarid",
    "radf",
    "qaim_asfal",
    "qaim_ala",
    "arj_asfal",
    "arj_ala",
    "faisaliya",
    "ghumayr",
    "qudayra",
    "sudayra",
)

# Offered as buttons; everything else is typed and matched (§3.5 UX).
COMMON_DISTRICTS: tuple[str, ...] = (
    "hawiya",
    "shihar",
    "faisaliya",
    "aziziya",
    "khalidiya",
    "qamariya",
    "salama",
    "nasim",
    "sharqiya",
    "shuhada_shamaliya",
    "shuhada_janubiya",
    "rayyan",
    "washha",
    "qurwa",
    "mathna",
    "mashi",
    "dahiat_iskan",
    "halqa_gharbiya",
    "hada",
    "shafa",
)

MIN_RATIO = 0.75
MAX_SUGGESTIONS = 5
# District names are short; comparing only a bounded prefix keeps difflib cheap on long input.
_MAX_INPUT = 100

_DISTRICT_WORD = "\u062d\u064a"  # "hay" (district), already normalised
_ARTICLES = ("\u0627\u0644", "al ")  # Arabic "al-" and its Latin spelling after normalisation
# "masarra1" and "masarra 1" are the same name: always put one space before a digit run.
_DIGIT_GAP = re.compile(r"(?<=[^\d ])(?=\d)")


def _keys(name: str) -> tuple[str, str]:
    """(full key, key without the leading article); both ignore a leading "district" word."""
    key = _DIGIT_GAP.sub(" ", normalize_for_match(name))
    if key.startswith(_DISTRICT_WORD + " "):
        key = key[len(_DISTRICT_WORD) + 1 :]
    bare = key
    for article in _ARTICLES:
        if key.startswith(article) and len(key) > len(article):
            bare = key[len(article) :].lstrip()
            break
    return key, bare


def match_district(text: str, names: Mapping[str, Sequence[str]]) -> list[str]:
    """Codes whose display names match `text`: the exact match alone, else up to five close ones.

    `names` maps each code to its display names in every language (from the catalogs), so
    typing the English or the Arabic name both work.
    """
    full, bare = _keys(text[: _MAX_INPUT * 4])
    full, bare = full[:_MAX_INPUT], bare[:_MAX_INPUT]
    if not bare:
        return []

    candidates = {code: [_keys(n) for n in ns] for code, ns in names.items()}
    exact = [code for code, keys in candidates.items() if any(b == bare for _, b in keys)]
    if exact:
        return exact

    scores: dict[str, float] = {}
    for code, keys in candidates.items():
        # Best of with and without the article: stripping it from short names leaves too
        # little for a stable ratio (Al-Hada typed with a final alef maqsura scores 0.67 bare,
        # 0.8 with the article).
        best = max(
            (
                max(
                    difflib.SequenceMatcher(None, full, f).ratio(),
                    difflib.SequenceMatcher(None, bare, b).ratio(),
                )
                for f, b in keys
            ),
            default=0.0,
        )
        if best >= MIN_RATIO:
            scores[code] = best
    ranked = sorted(scores, key=lambda code: -scores[code])  # stable: ties keep catalog order
    return ranked[:MAX_SUGGESTIONS]
