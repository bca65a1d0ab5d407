"""Telegram-HTML length and splitting, checked against the fake Bot API's own HTML parser (a
port of Telegram's) over a seeded table of random Arabic / emoji / markup mixes."""

from __future__ import annotations

import random

import pytest

from bot.channels.telegram import split_text
from bot.core.html_split import _atoms, split_html, utf16_len, visible_len, visible_text
from fakes.telegram_api import parse_html

PIECES = (
    "\u0633\u0644\u0627\u0645",  # Arabic word
    "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627",  # with harakat (combining marks)
    "Taif",
    "2026",
    "\U0001f600",  # outside the BMP: two UTF-16 units
    "\U0001f44d\U0001f3fd",  # emoji + skin tone
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # ZWJ family
    "\U0001f1f8\U0001f1e6",  # a flag: two regional indicators
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&#128512;",
    "\u200f",  # RLM, as rtl_lines adds
    " ",
    " ",
    "\n",
)
TAGS = ("b", "i", "u", "s", "code")


def random_html(rng: random.Random, size: int) -> str:
    """Well-formed Telegram HTML: words, emoji and entities inside nested tags."""
    out: list[str] = []
    stack: list[str] = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.06 and len(stack) < 3:
            tag = rng.choice([t for t in TAGS if t not in stack] or ["b"])
            if tag == "a":
                out.append('<a href="https://taif.example/x?a=1&amp;b=2">')
            else:
                out.append(f"<{tag}>")
            stack.append(tag)
        elif roll < 0.10 and stack:
            out.append(f"</{stack.pop()}>")
        elif roll < 0.12 and len(stack) < 3 and "a" not in stack:
            out.append('<a href="https://taif.example/x?a=1&amp;b=2">')
            stack.append("a")
        else:
            out.append(rng.choice(PIECES))
    out.extend(f"</{tag}>" for tag in reversed(stack))
    return "".join(out)


CASES = [(seed, size, limit) for seed in range(60) for size, limit in ((400, 97), (2500, 1024))]


@pytest.mark.parametrize(("seed", "size", "limit"), CASES)
def test_every_part_fits_parses_and_the_parts_rejoin(seed: int, size: int, limit: int) -> None:
    text = random_html(random.Random(seed), size)
    expected, _ = parse_html(text)
    parts = split_html(text, limit)
    visible: list[str] = []
    for part in parts:
        parsed, _ = parse_html(part)  # raises on a cut tag, entity or unbalanced markup
        assert utf16_len(parsed) <= limit
        assert parsed == visible_text(part)
        visible.append(parsed)
    assert "".join(visible) == expected
    assert len(parts) > 1 or utf16_len(expected) <= limit


def test_length_is_utf16_units_of_the_parsed_text() -> None:
    assert visible_len("<b>a</b>&amp;") == 2
    assert visible_len("\U0001f600") == 2
    assert visible_len('<a href="https://x.example/?a=1&amp;b=2">\u0634</a>') == 1
    assert visible_len("&#128512;") == 2
    assert visible_len("a & b") == 5  # a bare "&" is shown as is


def test_700_emoji_and_2800_letters_are_two_messages() -> None:
    text = "\U0001f600" * 700 + "\u0634" * 2800
    assert len(text) == 3500 and visible_len(text) == 4200
    parts = split_text(text)
    assert len(parts) == 2
    assert all(utf16_len(parse_html(p)[0]) <= 4096 for p in parts)
    assert "".join(parts) == text


def test_a_surrogate_pair_is_never_halved() -> None:
    # 3 units fit: the second emoji would need a fourth, so it moves whole to the next part.
    assert split_html("\U0001f600\U0001f600", 3) == ["\U0001f600", "\U0001f600"]


def test_an_entity_is_never_cut() -> None:
    parts = split_html("ab&amp;cd", 3)
    assert parts == ["ab&amp;", "cd"]


def test_an_open_tag_is_closed_and_reopened() -> None:
    parts = split_html('<b>one two <a href="https://x.example/">three four</a></b>', 8)
    assert parts == [
        "<b>one two </b>",
        '<b><a href="https://x.example/">three </a></b>',
        '<b><a href="https://x.example/">four</a></b>',
    ]


def test_cuts_prefer_a_line_end_then_a_space() -> None:
    text = "aaaa bbbb\ncccc dddd eeee"
    assert split_html(text, 16) == ["aaaa bbbb\n", "cccc dddd eeee"]
    assert split_html("aaaa bbbb cccc dddd", 12) == ["aaaa bbbb ", "cccc dddd"]


def test_harakat_and_emoji_sequences_stay_with_their_base() -> None:
    word = "\u0645\u064e\u0631\u0652"  # meem + fatha, reh + sukun: two graphemes
    assert split_html(word + word, 5) == [word, word]
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 8 units, one grapheme
    assert split_html("x" * 6 + family, 9) == ["x" * 6, family]


def test_telegram_drops_parts_that_are_only_white_space() -> None:
    text = "\u0634" * 10 + "\n" * 20 + "\u0634" * 10
    parts = split_text(text, 12)
    assert all(visible_text(p).strip() for p in parts)
    assert "".join(visible_text(p) for p in parts).replace("\n", "") == "\u0634" * 20


MALFORMED = (
    "a < b && c > d",
    "<<b>x</b>>",
    "<1>&amp",
    "&#0;&#xD800;&#x110000;&#65;&#x41;",
    "<a href='x?a=1&amp;b=2'>&lt;</a>",
    "&&amp;;<</b>",
    "<b>\U0001f600</b",
)


@pytest.mark.parametrize(
    "text", [*MALFORMED, *(random_html(random.Random(s), 300) for s in range(20))]
)
def test_visible_text_reads_markup_as_the_splitter_does(text: str) -> None:
    # visible_text scans with one regular expression, the splitter atom by atom: they must
    # agree on what is a tag or an entity, or a measured length would not be the split's.
    assert visible_text(text) == "".join(atom.visible for atom in _atoms(text))
