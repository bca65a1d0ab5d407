"""Length and splitting of Telegram-HTML text, counted the way Telegram counts.

Telegram measures a message (4096) and a caption (1024) in UTF-16 code units of the text
*after* HTML parsing: tags weigh nothing, `&amp;` is one character, and an emoji outside the
Basic Multilingual Plane is two. Counting code points of the markup (`len`) lets an
announcement of emoji pass our checks and then be refused for every recipient.

A long text is cut into parts that are each valid HTML on their own: a cut never falls inside
a tag or an entity, never between the halves of a surrogate pair (Python strings hold code
points, and a code point is never split), and not inside a grapheme where avoidable (an Arabic
letter keeps its harakat, an emoji its modifiers and joiners). Tags open at a cut are closed at
the end of one part and reopened at the start of the next. Cuts prefer a line end, then a
space.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_TEXT, _OPEN, _CLOSE = 0, 1, 2

# What the bot sends is escaped user text plus catalog markup; these are the shapes Telegram's
# parser knows. Anything else starting with "&" or "<" is taken as plain characters.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>")
_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_PLAIN = re.compile(r"[^<&]*")
# Both at once, for `visible_text`: a match is a tag or an entity exactly where `_atoms` would
# take one (neither can contain the other's start, so scanning finds the same ones).
_MARKUP = re.compile(f"{_TAG.pattern}|{_ENTITY.pattern}")

ZWJ = "\u200d"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _Atom(NamedTuple):
    kind: int
    raw: str  # the source markup of this atom
    visible: str = ""  # what Telegram shows for it (text atoms only)
    name: str = ""  # tag name (tags only)
    units: int = 0  # UTF-16 units of `visible`


def _char(char: str) -> _Atom:
    return _Atom(_TEXT, char, char, units=2 if char > "\uffff" else 1)


def _decode(match: re.Match[str]) -> str | None:
    return _decode_groups(*match.groups())


def _decode_groups(hexadecimal: str | None, decimal: str | None, name: str | None) -> str | None:
    if name is not None:
        return _NAMED[name]
    code = int(hexadecimal, 16) if hexadecimal is not None else int(decimal or "0")
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _atoms(text: str) -> list[_Atom]:
    """Tags, entities and single code points, in order."""
    atoms: list[_Atom] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<" and (tag := _TAG.match(text, pos)):
            kind = _CLOSE if tag.group(1) else _OPEN
            atoms.append(_Atom(kind, tag.group(), name=tag.group(2).lower()))
            pos = tag.end()
            continue
        if char == "&" and (entity := _ENTITY.match(text, pos)):
            decoded = _decode(entity)
            if decoded is not None:
                atoms.append(_Atom(_TEXT, entity.group(), decoded, units=utf16_len(decoded)))
                pos = entity.end()
                continue
        run = _PLAIN.match(text, pos + 1)
        end = run.end() if run else pos + 1
        atoms.extend(map(_char, text[pos:end]))
        pos = end
    return atoms


def _shown(match: re.Match[str]) -> str:
    if match.group(2) is not None:  # a tag
        return ""
    decoded = _decode_groups(match.group(3), match.group(4), match.group(5))
    return match.group() if decoded is None else decoded


def visible_text(text: str) -> str:
    """The text as Telegram shows it (tags removed, entities decoded). Every reply is measured
    (merging, splitting): one regular-expression pass instead of an atom per character, which
    was a tenth of the CPU of a reply."""
    if "<" not in text and "&" not in text:
        return text
    return _MARKUP.sub(_shown, text)


def visible_len(text: str) -> int:
    """What Telegram's length limits measure: UTF-16 units of the visible text."""
    return utf16_len(visible_text(text))


def _extends(char: str) -> bool:
    """A character that belongs to the grapheme before it."""
    return (
        char == ZWJ
        or unicodedata.category(char) in ("Mn", "Me", "Mc")  # harakat, accents, VS16
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # emoji skin tones
        or "\U000e0020" <= char <= "\U000e007f"  # emoji tag sequences (subdivision flags)
    )


def _grapheme_boundary(before: str, after: str) -> bool:
    if before == ZWJ or _extends(after):
        return False
    regional = "\U0001f1e6" <= before <= "\U0001f1ff" and "\U0001f1e6" <= after <= "\U0001f1ff"
    return not regional  # a flag is two regional indicators (runs of flags fall back)


def _grade(atom: _Atom, following: str) -> int:
    """How good a cut right after `atom` is: 0 line end, 1 space, 2 between graphemes, 3 any."""
    if atom.visible == "\n":
        return 0
    if atom.visible.isspace():
        return 1
    return 2 if _grapheme_boundary(atom.visible[-1], following) else 3


def _cut(atoms: list[_Atom], start: int, limit: int) -> int:
    """Where the part beginning at `start` ends (exclusive): as far as `limit` allows, at the
    best boundary in the second half of the part, else the best anywhere."""
    used = 0
    half = start  # the first atom ending past half the limit
    index = start
    while index < len(atoms):
        atom = atoms[index]
        if atom.kind == _TEXT:
            if used + atom.units > limit:
                break
            if used <= limit // 2:
                half = index
            used += atom.units
        index += 1
    else:
        return len(atoms)  # the rest fits
    # Walk back from the first character that does not fit; the first cut found of a grade
    # is the latest one.
    following = atoms[index].visible[:1]
    best: list[int | None] = [None, None, None, None]
    for region_end in (half, start):
        for at in range(index - 1, region_end - 1, -1):
            atom = atoms[at]
            if atom.kind != _TEXT:
                continue
            grade = _grade(atom, following)
            following = atom.visible[:1]
            if best[grade] is None:
                best[grade] = at + 1
                if grade == 0:
                    break
        for found in best:
            if found is not None:
                return found
        index = region_end
    raise ValueError(f"limit {limit} is smaller than one character")


def split_html(text: str, limit: int) -> list[str]:
    """Parts of `text`, each at most `limit` UTF-16 units once Telegram has parsed it and each
    valid HTML; joined, their visible texts give the visible text of `text`."""
    # A code point is at most two units and markup only shrinks when parsed: most messages
    # are known to fit without looking at them.
    if 2 * len(text) <= limit or visible_len(text) <= limit:
        return [text]
    atoms = _atoms(text)
    parts: list[str] = []
    carried: list[_Atom] = []  # tags open where the previous part ended
    start = 0
    while start < len(atoms):
        end = _cut(atoms, start, limit)
        # A closing tag stays with what it closes (an opening one after the cut already goes
        # with what it opens).
        while end < len(atoms) and atoms[end].kind == _CLOSE:
            end += 1
        open_tags = list(carried)
        for atom in atoms[start:end]:
            if atom.kind == _OPEN:
                open_tags.append(atom)
            elif atom.kind == _CLOSE and open_tags:
                open_tags.pop()
        body = "".join(atom.raw for atom in carried) + "".join(a.raw for a in atoms[start:end])
        closing = "".join(f"</{atom.name}>" for atom in reversed(open_tags))
        parts.append(body + (closing if end < len(atoms) else ""))
        carried = open_tags
        start = end
    return parts
