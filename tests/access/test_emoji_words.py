"""Pictures come with words (issue 15 §6): a screen reader, a low-literacy reader or a phone
without the emoji font must still understand every message. Each line of every catalog message
(both languages, every plural form and gendered variant) that shows an emoji also says it in
words; in the Python sources an emoji appears only with words or as a known prefix that is
always joined to a catalog label."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted((ROOT / "bot" / "locales").glob("*/LC_MESSAGES/shuraka.po"))
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_TAG = re.compile(r"<[^>]+>")

# Emoji-only strings in the sources, each joined to words where it is used.
PREFIXES = {
    ("bot/core/forms.py", "\u2713 "),  # CHECK_MARK before a chosen option's label
    ("bot/channels/console.py", "\U0001f514 "),  # the console's notification mark + the text
    # STATUS_ICONS: always followed by the status label (families.common.status_label)
    *(
        ("bot/handlers/families/common.py", icon)
        for icon in ("📨", "🔎", "❓", "⏳", "🎁", "✅", "❌", "✖️", "⌛")
    ),
    # html_split: the ranges of skin tones and flags it keeps together, not messages
    *(("bot/core/html_split.py", c) for c in ("🏻", "🏿", "🇦", "🇿")),
}


def is_emoji(ch: str) -> bool:
    o = ord(ch)
    return (
        0x1F000 <= o <= 0x1FAFF
        or 0x2600 <= o <= 0x27BF
        or 0x2B00 <= o <= 0x2BFF
        or 0x2300 <= o <= 0x23FF
        or o in (0x203C, 0x2049, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def lacks_words(line: str) -> bool:
    """An emoji and no word of its own: placeholders and tags are not words."""
    if not any(is_emoji(ch) for ch in line):
        return False
    bare = _TAG.sub("", _PLACEHOLDER.sub("", line))
    return not any(ch.isalpha() for ch in bare)


def test_the_rule_itself() -> None:
    assert lacks_words("🔔")
    assert lacks_words("🕒 {when}")
    assert not lacks_words("🔔 تذكير")
    assert not lacks_words("🕒 الموعد: {when}")
    assert not lacks_words("{when} — no emoji")


def test_every_catalog_line_with_an_emoji_has_words() -> None:
    assert len(CATALOGS) == 2
    bad: list[str] = []
    for path in CATALOGS:
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id:
                continue
            string = message.string
            forms = [string] if isinstance(string, str) else list(string or ())
            for text in forms:
                bad += [
                    f"{path.parts[-3]} {message.id!r}: {line!r}"
                    for line in (text or "").split("\n")
                    if lacks_words(line)
                ]
    assert not bad, "\n".join(bad)


def test_python_sources_show_no_emoji_without_words() -> None:
    bad: list[str] = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if lacks_words(node.value) and (rel, node.value) not in PREFIXES:
                bad.append(f"{rel}:{node.lineno} {node.value!r}")
    assert not bad, "\n".join(bad)
