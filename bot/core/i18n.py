"""Gettext catalogs, compiled from the .po sources when loaded.

Message ids are dotted ASCII keys ("signup.ask_name"); the text lives only in the catalogs.
The .po files are compiled in memory with Babel, so no generated .mo file is kept in git or
needed on disk.

Addressing a person as who they are (issue 14 item 6): Arabic inflects "you" by gender (the
pronoun suffix of "your registration", the verb of "do you accept"). A message that needs it
has gendered variants in the Arabic catalog under `msgctxt "female"` / `msgctxt "male"` next
to its neutral entry; a translator made for a person whose gender is known looks the variant
up first and falls back to the neutral text, so handlers never choose. The neutral text is
the generic masculine Arabic uses for an unknown reader, so a "male" entry is only written
where a neutral text is not masculine. English has one form: its catalog has no contexts.

One digit style (item 7): `localize_digits` turns every digit of an Arabic screen into the
style the ARABIC_DIGITS setting chose, leaving URLs, e-mail addresses, commands and HTML markup
alone; the engine (direct replies) and the outbox sender (notifications) apply it to what they
hand the channels.
"""

from __future__ import annotations

import gettext
import html
import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core.messages import Choice, Outbound

log = logging.getLogger(__name__)

DOMAIN = "shuraka"
SUPPORTED_LOCALES: tuple[str, ...] = ("ar", "en")
DEFAULT_LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# A stored gender ("f"/"m", as volunteers and families keep it) -> the catalog context of the
# variants that address that person.
GENDER_CONTEXTS: dict[str, str] = {"f": "female", "m": "male"}

DigitStyle = Literal["western", "arabic-indic"]
WESTERN: DigitStyle = "western"
ARABIC_INDIC: DigitStyle = "arabic-indic"


class Html(str):
    """A string that is already safe HTML; `Translator.t` inserts it without escaping."""

    __slots__ = ()


def N_(key: str) -> str:
    """Mark a message id used later (form definitions); returns it unchanged."""
    return key


def plural_key(key: str) -> str:
    return key + ".plural"


def _escape_param(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


@dataclass(frozen=True)
class Translator:
    locale: str
    _tr: gettext.NullTranslations
    # "f"/"m" when the reader's gender is known: their variants (msgctxt) are used first.
    gender: str | None = None

    @property
    def context(self) -> str | None:
        """The catalog context of this reader's gendered variants, or None (neutral)."""
        return GENDER_CONTEXTS.get(self.gender or "")

    def raw(self, key: str) -> str:
        """The translated text with no formatting (for patterns and plain-text labels)."""
        context = self.context
        if context is not None:
            variant = self._tr.pgettext(context, key)
            if variant != key:
                return variant
        text = self._tr.gettext(key)
        if text == key:
            log.warning("missing translation %s for %s", key, self.locale)
        return text

    def t(self, key: str, /, **params: object) -> str:
        """Translated HTML text; every parameter is escaped unless it is `Html`."""
        text = self.raw(key)
        if not params:
            return text
        return text.format(**{k: _escape_param(v) for k, v in params.items()})

    def tn(self, key: str, n: int, /, **params: object) -> str:
        plural = plural_key(key)
        text = self._tr.ngettext(key, plural, n)
        context = self.context
        if context is not None:
            # gettext answers a missing entry with the msgid itself (or the plural id).
            variant = self._tr.npgettext(context, key, plural, n)
            if variant not in (key, plural):
                text = variant
        return text.format(n=n, **{k: _escape_param(v) for k, v in params.items()})

    def label(self, key: str, /, **params: object) -> str:
        """Plain-text translation for button labels (adapters escape labels themselves)."""
        text = self.raw(key)
        return text.format(**params) if params else text

    def alternatives(self, key: str) -> list[str]:
        """A '|'-separated list in the catalog, such as the words that mean 'yes'."""
        return [part.strip() for part in self.raw(key).split("|") if part.strip()]


class Catalogs:
    """All locales' compiled catalogs; build one per process with `load_catalogs`."""

    def __init__(self, translations: Mapping[str, gettext.GNUTranslations], default: str) -> None:
        self._translations = dict(translations)
        self.default = default
        self._translators = {loc: Translator(loc, tr) for loc, tr in self._translations.items()}
        self._gendered = {
            (loc, gender): Translator(loc, tr, gender)
            for loc, tr in self._translations.items()
            for gender in GENDER_CONTEXTS
        }

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def translator(self, locale: str | None, gender: str | None = None) -> Translator:
        """The translator for a reader: their language (or the default), and with a known
        gender ("f"/"m") the one that addresses them in it."""
        if not (locale and locale in self._translators):
            locale = self.default
        return self._gendered.get((locale, gender or ""), self._translators[locale])

    def all_translators(self) -> Iterable[Translator]:
        return self._translators.values()


# --- one digit style on Arabic screens -----------------------------------------------------
_WESTERN_TO_INDIC = str.maketrans({str(i): chr(0x0660 + i) for i in range(10)})
_INDIC_TO_WESTERN = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian/Urdu) digits
    }
)
# What must keep its characters whatever the style: HTML tags and entities (attributes hold
# links and ids), links, e-mail addresses and commands (/start, /mydata), which are typed or
# tapped back exactly as shown.
_VERBATIM = re.compile(
    r"<[^<>]*>"
    r"|&#?[A-Za-z0-9]+;"
    r"|(?:https?://|www\.)[^\s<>\"]+"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|(?<![\w/])/[A-Za-z][A-Za-z0-9_]*"
)


# The digits each style rewrites: a text without any (most labels and prompts) is returned
# as it is, without splitting it around markup (this runs on every reply and button).
_WESTERN_DIGIT = re.compile("[0-9]")
_INDIC_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def localize_digits(text: str, style: str) -> str:
    """Every digit of `text` in one style ("western" 0-9 or "arabic-indic" U+0660-U+0669), except
    inside markup, links, e-mail addresses and commands."""
    if style == ARABIC_INDIC:
        table, digit = _WESTERN_TO_INDIC, _WESTERN_DIGIT
    else:
        table, digit = _INDIC_TO_WESTERN, _INDIC_DIGIT
    if digit.search(text) is None:
        return text
    pieces: list[str] = []
    last = 0
    for match in _VERBATIM.finditer(text):
        pieces.append(text[last : match.start()].translate(table))
        pieces.append(match.group())
        last = match.end()
    pieces.append(text[last:].translate(table))
    return "".join(pieces)


def localize_outbound(out: Outbound, locale: str, style: str) -> Outbound:
    """A message for a screen in `locale`: on Arabic screens its text and button labels in the
    chosen digit style (English screens keep Western digits, as typed)."""
    if locale != "ar":
        return out
    text = localize_digits(out.text, style)
    choices = tuple(Choice(c.id, localize_digits(c.label, style)) for c in out.choices)
    attachment = out.attachment
    if attachment is not None and attachment.caption:
        attachment = replace(attachment, caption=localize_digits(attachment.caption, style))
    if (text, choices, attachment) == (out.text, out.choices, out.attachment):
        return out
    return replace(out, text=text, choices=choices, attachment=attachment)


def compile_po(path: Path) -> gettext.GNUTranslations:
    with path.open("rb") as fh:
        catalog = read_po(fh, abort_invalid=True)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def po_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalogs(
    locales_dir: Path = DEFAULT_LOCALES_DIR,
    locales: Iterable[str] = SUPPORTED_LOCALES,
    default: str = "ar",
) -> Catalogs:
    translations = {loc: compile_po(po_path(locales_dir, loc)) for loc in locales}
    return Catalogs(translations, default)
