"""The team's contact (phone, e-mail, working hours) as one block of text, from the settings.

`/help` ends with it and every "contact us" message carries it: `Context.say` fills a
`{contact}` placeholder with it, so a catalog text names the contact by writing `{contact}` and no
handler has to pass it."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from babel.dates import format_time

from bot.core.i18n import Html
from bot.core.text import isolate, to_ascii_digits

if TYPE_CHECKING:
    from bot.core.i18n import Translator
    from bot.settings import Settings


def _clock(tr: Translator, value: time) -> str:
    # 12-hour clock with the locale's AM/PM word ("8:00 AM" or its Arabic form), ASCII digits
    # as everywhere.
    lang = "ar" if tr.locale.startswith("ar") else "en"
    return to_ascii_digits(format_time(value, "h:mm a", locale=lang))


def contact_text(tr: Translator, settings: Settings) -> Html:
    """The contact block in the reader's language, safe HTML (every part escaped). The phone
    and the address are isolated so Arabic text around them keeps its order."""
    start, end = settings.contact_window()
    return Html(
        tr.t(
            "contact.text",
            phone=isolate(settings.contact_phone),
            email=isolate(settings.contact_email),
            start=_clock(tr, start),
            end=_clock(tr, end),
        )
    )
