"""What every PDF the bot writes shares: the font and the Arabic shaping (issue 15 items 3, 6).

fpdf2 lays the page out; with `set_text_shaping` it hands each line to HarfBuzz (uharfbuzz),
which joins Arabic letters into their contextual forms, and orders mixed Arabic and Latin text
with the Unicode bidi algorithm, right to left for an Arabic document. The PDF's text layer
maps every glyph back to its letter, so the text can be searched, copied and read aloud.

The font is IBM Plex Sans Arabic from PyPI (`fontpkg-ibm-plex-sans-arabic`; Arabic and Latin
in one family). Noto Sans Arabic was tried first: it draws many letters as a body glyph plus
separate dot glyphs, and a PDF cannot map those back to letters, so its text came out garbled.
Only `bot.handlers`, `bot.web` and the services that write files use this module; `bot.core`
must not (import-linter).
"""

from __future__ import annotations

import io

import segno
from fontpkg_ibm_plex_sans_arabic import ROOT as FONT_ROOT
from fpdf import FPDF

FONT = "plex"
REGULAR = FONT_ROOT / "files" / "IBMPlexSansArabic-Regular.ttf"
BOLD = FONT_ROOT / "files" / "IBMPlexSansArabic-Bold.ttf"


def new_document(title: str, *, rtl: bool) -> FPDF:
    """An A4 document with the font (regular and bold) and shaping on, right to left for
    Arabic; no page added yet."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Shuraka")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(FONT, "", str(REGULAR))
    pdf.add_font(FONT, "B", str(BOLD))
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")
    return pdf


def qr_png(text: str) -> bytes:
    """A QR code of `text` as a PNG for `FPDF.image` (certificates, check-in posters)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
