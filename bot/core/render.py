"""How an announcement looks to its recipients; the staff preview uses the very same code."""

from __future__ import annotations

from bot.core.text import escape_html, rtl_lines


def broadcast_text(text_ar: str, text_en: str | None, locale: str) -> str:
    """English readers get the English text when staff wrote one; everyone else the Arabic.
    Staff text is shown as typed: escaped, never interpreted as markup."""
    chosen = text_en if locale == "en" and text_en else text_ar
    text = escape_html(chosen)
    return rtl_lines(text) if chosen is text_ar else text
