"""Gettext catalogs, compiled from the .po sources when loaded.

Message ids are dotted ASCII keys ("signup.ask_name"); the text lives only in the catalogs.
The .po files are compiled in memory with Babel, so no generated .mo file is kept in git or
needed on disk.
"""

from __future__ import annotations

import gettext
import html
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

DOMAIN = "shuraka"
SUPPORTED_LOCALES: tuple[str, ...] = ("ar", "en")
DEFAULT_LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


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

    def raw(self, key: str) -> str:
        """The translated text with no formatting (for patterns and plain-text labels)."""
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
        text = self._tr.ngettext(key, plural_key(key), n)
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

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def translator(self, locale: str | None) -> Translator:
        if locale and locale in self._translators:
            return self._translators[locale]
        return self._translators[self.default]

    def all_translators(self) -> Iterable[Translator]:
        return self._translators.values()


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
