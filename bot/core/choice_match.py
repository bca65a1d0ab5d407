"""Which offered choice a typed answer means: the one matcher every choice step uses.

Console and WhatsApp have no buttons, so typing is the only way to answer there, and people type
labels the way they write: without the emoji, with or without hamza, teh marbuta written heh,
alef maqsura written yeh, a defective word with or without its final yeh ("takhatti" for the
"skip" button), the first word only ("confirm" for "confirm and save"), or simply yes/no.
The matcher compares loose keys (bot.core.text.match_words) and tries, in order:

1. the whole label (every word) - several equal labels are ambiguous;
2. a yes/no word (from the catalogs' `match.yes` / `match.no`, in every language) when exactly
   one offered choice says yes (or no): by its value (`yes`, `y`, a form's confirm) or by its
   label's first word;
3. a prefix of whole words, the last of which may be cut short (at least three letters, so a
   stray letter never confirms anything) - a prefix of two or more labels is ambiguous, and
   those labels are the answer, for the caller to list.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.core.text import match_words

# Choice values that mean "yes" / "no" wherever they are offered (see the handlers' YES/NO);
# "_ok" is a form's "confirm and save".
YES_VALUES = frozenset({"yes", "y", "_ok"})
NO_VALUES = frozenset({"no", "n"})
# The value of every flow's "back" button: the forms' "_b", the events flows' "_bk", and "back"
# (families, broadcasts, staff, my data). A back-word (`match.back`) means that button on any
# step, and so does its label on a step whose typed text is the answer (a note): a person who
# types "back" there wants to go back, not to send the word as the note.
BACK_VALUES = frozenset({"_b", "_bk", "back"})
# A word cut short must keep this many letters to count as a prefix.
MIN_PARTIAL = 3
_NUMBER_LIST = re.compile(r"[0-9]+(?:\s*[,\u060c;\s]\s*[0-9]+)*")
_LABEL_SEPARATORS = re.compile("[,;\u060c\u061b]")
# Arabic words typed with or without the article al- (alef lam).
_ARTICLE = "\u0627\u0644"
# A final yeh that Arabic writers add or drop: the "skip" button's word (a defective imperative,
# written with tanween and no yeh) is typed with a final yeh or alef maqsura, which the folding in
# match_words has already turned into yeh.
_FINAL_YEH = "\u064a"
# The conjunction "and" (waw), written joined to the next word or, by some, apart from it.
_WAW = "\u0648"


@dataclass(frozen=True, slots=True)
class Offered:
    id: str  # the choice id
    label: str  # as shown
    value: str = ""  # the last part of the id, for yes/no


@dataclass(frozen=True, slots=True)
class Match:
    """`ids` has one id for a match, several for an ambiguous answer, none for no match."""

    ids: tuple[str, ...] = ()

    @property
    def unique(self) -> str | None:
        return self.ids[0] if len(self.ids) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.ids) > 1


def _words(text: str) -> list[str]:
    words: list[str] = []
    for word in match_words(text):
        if words and words[-1] == _WAW:
            words[-1] += word
        else:
            words.append(word)
    return words


def back_choice(typed: str, options: Sequence[Offered], back_words: Collection[str]) -> Match:
    """The one back button offered, when `typed` is a back-word (match keys, `match_key`)."""
    if " ".join(_words(typed)) not in back_words:
        return Match()
    backs = [o.id for o in options if o.value in BACK_VALUES]
    return Match(tuple(backs)) if len(backs) == 1 else Match()


def same_word(typed: str, shown: str) -> bool:
    """Two (already folded) words that a reader would call the same word."""
    if typed == shown:
        return True
    for a, b in ((typed, shown), (shown, typed)):
        if a == b + _FINAL_YEH and len(b) >= 2:
            return True
        if a == _ARTICLE + b and len(b) >= 2:
            return True
    return False


def _starts_word(typed: str, shown: str) -> bool:
    if same_word(typed, shown):
        return True
    if len(typed) < MIN_PARTIAL:
        return False
    bare_shown = shown.removeprefix(_ARTICLE) if not typed.startswith(_ARTICLE) else shown
    return shown.startswith(typed) or bare_shown.startswith(typed)


def _is_prefix(typed: list[str], shown: list[str]) -> bool:
    if not typed or len(typed) > len(shown):
        return False
    *whole, last = typed
    return all(same_word(t, s) for t, s in zip(whole, shown, strict=False)) and _starts_word(
        last, shown[len(whole)]
    )


def _label_words(label: str, *, typed_number: bool) -> list[str]:
    """A label's words; a list number in front ("1. Tree planting") is left out unless the
    answer itself starts with a number, so the event's name alone matches."""
    words = _words(label)
    if len(words) > 1 and words[0].isdigit() and not typed_number:
        return words[1:]
    return words


def _polar(
    options: Sequence[Offered], values: Collection[str], words: Collection[str]
) -> list[str]:
    found = []
    for option in options:
        first = _words(option.label)[:1]
        if option.value in values or (first and first[0] in words):
            found.append(option.id)
    return found


def match_choice(
    typed: str,
    options: Sequence[Offered],
    yes_words: Collection[str] = (),
    no_words: Collection[str] = (),
    *,
    whole_only: bool = False,
) -> Match:
    """The offered choice(s) `typed` means. `yes_words`/`no_words` are match keys
    (`match_key`) of the words that answer a yes/no question. `whole_only`: only a whole
    label counts (where typed text is itself the answer)."""
    words = _words(typed)
    if not words:
        return Match()
    keyed = [(o, _label_words(o.label, typed_number=words[0].isdigit())) for o in options]
    exact = [
        o.id for o, shown in keyed if len(shown) == len(words) and all(map(same_word, words, shown))
    ]
    if exact or whole_only:
        return Match(tuple(exact))
    phrase = " ".join(words)
    for polar_words, polar_values in ((yes_words, YES_VALUES), (no_words, NO_VALUES)):
        if phrase in polar_words:
            polar = _polar(options, polar_values, polar_words)
            if len(polar) == 1:
                return Match((polar[0],))
    return Match(tuple(o.id for o, shown in keyed if _is_prefix(words, shown)))


def pick_several(text: str, offered: Sequence[Offered]) -> list[str] | None:
    """Several choices typed in one (cleaned) message: their numbers ("1 3 5", Arabic comma
    too), or their labels separated by commas (Latin or Arabic) or semicolons, each label
    matched as a typed answer to one choice is. The ids once each, in the order typed; None
    when a number or a label matches no single choice."""
    # Only numbers and separators: "<script>alert(1)</script>" must not pick option 1.
    if _NUMBER_LIST.fullmatch(text):
        return _numbered(offered, re.findall(r"[0-9]+", text))
    picked: list[str] = []
    for part in _LABEL_SEPARATORS.split(text):
        if not part.strip():
            continue
        value = match_choice(part, offered).unique
        if value is None:
            return None
        if value not in picked:
            picked.append(value)
    return picked


def _numbered(offered: Sequence[Offered], numbers: list[str]) -> list[str] | None:
    picked: list[str] = []
    for number in numbers:
        index = int(number) - 1
        if not 0 <= index < len(offered):
            return None
        if offered[index].id not in picked:
            picked.append(offered[index].id)
    return picked
