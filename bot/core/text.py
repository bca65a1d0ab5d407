"""Text hygiene for user input and bidi-safe output.

Input: users paste numbers and names from WhatsApp/Telegram, which carry invisible bidi marks,
zero-width joiners and Arabic-Indic digits (domain.md §3.3, §5.1). Everything is cleaned to one
canonical form before validation or storage.

Output: Telegram HTML escaping, and bidi isolation/marks so Arabic paragraphs keep their
right-to-left direction when a line starts with a number or a Latin word (§5.1).

Arabic letters are written as \\u escapes on purpose: the project keeps all human-language text in
the gettext catalogs, and escapes keep these tables unambiguous in any editor.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..) and Extended Arabic-Indic (U+06F0.., Persian/Urdu keyboards) digits.
_DIGITS: dict[int, str | None] = {
    **{0x0660 + i: str(i) for i in range(10)},
    **{0x06F0 + i: str(i) for i in range(10)},
    0x066B: ".",  # Arabic decimal separator
    0x066C: None,  # Arabic thousands separator: dropped so "1,000" typed with it reads as 1000
}

_KEEP_CONTROLS = frozenset("\n\t")
_WS_RUN = re.compile(r"\s+")
# C0 and C1 control characters except tab and newline (DEL too). NUL cannot be stored in
# PostgreSQL text and most of them make an XLSX file invalid.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Bidi embedding/override/isolate controls; removed inside `isolate` so a value cannot close
# our isolate early (or leak an override into the rest of the message).
_BIDI_EMBED = re.compile("[\u202a-\u202e\u2066-\u2069]")

RLM = "\u200f"
FSI = "\u2068"
PDI = "\u2069"
BULLET = "\u2022"

# §5.3 matching table. Applied after NFKC, so presentation forms are already plain letters.
_ARABIC_FOLD: dict[int, str | None] = {
    0x0640: None,  # tatweel
    0x0623: "\u0627",  # alef with hamza above -> alef
    0x0625: "\u0627",  # alef with hamza below -> alef
    0x0622: "\u0627",  # alef with madda -> alef
    0x0671: "\u0627",  # alef wasla -> alef
    0x0649: "\u064a",  # alef maqsura -> yeh
    0x06CC: "\u064a",  # Farsi yeh -> yeh
    0x06A9: "\u0643",  # keheh -> kaf
    0x0629: "\u0647",  # teh marbuta -> heh
    0x0624: "\u0648",  # waw with hamza -> waw
    0x0626: "\u064a",  # yeh with hamza -> yeh
}


def _fix_surrogates(s: str) -> str:
    # Lone surrogates (from broken JSON or bad decoders) make encode() and some regexes fail;
    # a UTF-16 round trip joins valid pairs and turns lone halves into U+FFFD.
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def to_ascii_digits(s: str) -> str:
    """Map Arabic-Indic digits and separators to ASCII so storage and exports are ASCII-only."""
    return s.translate(_DIGITS)


def strip_invisible(s: str) -> str:
    """Remove format characters (bidi marks, zero-width, BOM) and blank out control characters."""
    out: list[str] = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            # Every listed bidi/zero-width/BOM character is Cf; dropping the whole category also
            # catches rarer ones (soft hyphen, tag characters) that spoof names invisibly.
            continue
        if cat == "Cc" and ch not in _KEEP_CONTROLS:
            out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def strip_controls(s: str) -> str:
    """Free text as it may be stored, line breaks kept: CR LF and lone CR become LF, other
    control characters but tab go, lone surrogates become U+FFFD. Never raises for any str."""
    s = _fix_surrogates(s).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", s)


def clean_input(s: str) -> str:
    """Canonical single-line form of user input; never raises for any str."""
    s = unicodedata.normalize("NFC", _fix_surrogates(s))
    s = to_ascii_digits(strip_invisible(s))
    return _WS_RUN.sub(" ", s).strip()


def normalize_for_match(s: str) -> str:
    """Loose key for comparing free text with known names (§5.3); never shown to users."""
    s = unicodedata.normalize("NFKC", clean_input(s)).casefold()
    s = s.translate(_ARABIC_FOLD)
    # Decompose and drop combining marks: removes harakat, Quranic marks and superscript alef
    # as well as Latin accents, so "Hadā" and "hada" compare equal.
    s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    # Punctuation becomes a space rather than vanishing so "al-hada" matches "al hada".
    s = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in s)
    return _WS_RUN.sub(" ", unicodedata.normalize("NFC", s)).strip()


def match_words(s: str) -> list[str]:
    """The words of a choice label or a typed answer, as the choice matcher compares them:
    `normalize_for_match` with emoji, symbols and punctuation gone, so a label with an emoji
    and the same words typed with hamza dropped and two spaces give the same list."""
    loose = "".join(ch if ch.isalnum() else " " for ch in normalize_for_match(s))
    return loose.split()


def match_key(s: str) -> str:
    """`match_words` as one string, for looking a typed answer up in a set of words."""
    return " ".join(match_words(s))


def escape_html(s: str) -> str:
    """Escape for Telegram HTML parse mode (it knows &amp; &lt; &gt; &quot;)."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def isolate(s: str) -> str:
    """Wrap an LTR run (phone, ID, code) so it keeps its order inside Arabic text."""
    return FSI + _BIDI_EMBED.sub("", s) + PDI


# Leading whitespace and HTML tags (<b>, </i>, <a href="...">) are skipped to find the first
# visible character of a line.
_LEADING_MARKUP = re.compile(r"(?:\s|<[^<>]*>)*")


def _needs_rlm(line: str) -> bool:
    m = _LEADING_MARKUP.match(line)
    rest = line[m.end() :] if m else line
    if not rest:
        return False
    # Clients pick paragraph direction from the start of the line; only a line that already
    # starts with an RTL letter or mark is safe. Digits, Latin, '+', emoji and other symbols
    # (and punctuation) would let a client lay the line out left-to-right.
    return unicodedata.bidirectional(rest[0]) not in ("R", "AL")


def rtl_lines(s: str) -> str:
    """Prefix RLM to lines that do not start with an Arabic (RTL) character."""
    return "\n".join(RLM + line if _needs_rlm(line) else line for line in s.split("\n"))


def _mask(s: str, head: int, tail: int) -> str:
    # Too short to reveal anything safely: show only how long it is.
    if len(s) < head + tail + 3:
        return BULLET * len(s)
    return s[:head] + BULLET * (len(s) - head - tail) + s[len(s) - tail :]


def mask_national_id(s: str) -> str:
    """Echo an ID back without exposing it (PII, §3.1): "1000000008" -> "1•••••••08"."""
    return _mask(s, 1, 2)


def mask_mobile(e164: str) -> str:
    """Keep the country code, the operator digit and the last three: "+9665•••••678"."""
    return _mask(e164, 5, 3)


ARABIC_ARTICLE = "\u0627\u0644"  # al-, left out of the initial of a family name


def mask_name(full_name: str) -> str:
    """A name shown to whoever holds a certificate's code: the first name and the initial of
    the last, without the Arabic article al- ("Sara al-Otaibi" -> "Sara O."); a one-word name
    stays as it is."""
    words = full_name.split()
    if len(words) < 2:
        return words[0] if words else ""
    last = words[-1]
    if last.startswith(ARABIC_ARTICLE) and len(last) > 2:
        last = last[2:]
    return f"{words[0]} {last[0]}."
