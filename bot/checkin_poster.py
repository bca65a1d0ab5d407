"""A shift's check-in poster as an A4 PDF (issue 15 item 7), for staff to print and put up at
the site: the event, the shift's day and times (Hijri and Gregorian), a big QR code of the
Telegram deep link and, when the WhatsApp number is set, a second one of the WhatsApp link;
then the code itself in text, what to send if one cannot scan, and the code letter by letter
(what the pictures say is also said in words). Arabic first, right to left, English below.

The font and the Arabic shaping are `bot.pdf`'s. Only `bot.web` uses this module; `bot.core`
must not (import-linter).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.core.dates import fmt_datetime, fmt_range
from bot.core.i18n import Catalogs
from bot.pdf import FONT, new_document, qr_png
from bot.services.attendance import checkin_opens_at
from bot.services.checkin import ShiftCode
from bot.services.event_notices import title_for
from bot.settings import Settings

QR_ONE = 100  # mm: one code, readable from a couple of metres
QR_TWO = 80  # mm each: two side by side on the 190 mm line
GAP = 10  # mm between the two codes


@dataclass(frozen=True)
class PosterFile:
    filename: str
    data: bytes


def _line(pdf: FPDF, text: str, size: float, *, bold: bool = False, height: float = 0) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, height or size * 0.5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _codes(pdf: FPDF, codes: list[tuple[str, str]]) -> None:
    """The QR codes, side by side, each with its caption below."""
    size = QR_ONE if len(codes) == 1 else QR_TWO
    width = size * len(codes) + GAP * (len(codes) - 1)
    x, y = (pdf.w - width) / 2, pdf.get_y() + 2
    # Right to left, the first code (Telegram) is the rightmost one.
    for i, (link, caption) in enumerate(codes):
        left = x + (len(codes) - 1 - i) * (size + GAP)
        pdf.image(io.BytesIO(qr_png(link)), x=left, y=y, w=size, h=size)
        pdf.set_xy(left, y + size + 1)
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(size, 6, caption, align="C")
    pdf.set_xy(pdf.l_margin, y + size + 16)


def render_poster(catalogs: Catalogs, settings: Settings, found: ShiftCode) -> PosterFile:
    """The poster: Arabic (right to left), then the same in English (left to right)."""
    shift, event, tz = found.shift, found.event, settings.timezone
    ar, en = catalogs.translator("ar"), catalogs.translator("en")
    pdf = new_document(ar.label("ci.pdf.title"), rtl=True)
    pdf.add_page()
    _line(pdf, ar.label("ci.pdf.title"), 30, bold=True, height=16)
    _line(pdf, title_for("ar", event), 20, bold=True, height=11)
    _line(pdf, fmt_range(ar, shift.starts_at, shift.ends_at, tz), 14, height=8)
    codes = [
        (link, key)
        for link, key in (
            (found.telegram_link, "ci.pdf.scan_telegram"),
            (found.whatsapp_link, "ci.pdf.scan_whatsapp"),
        )
        if link
    ]
    if codes:
        _codes(pdf, [(link, ar.label(key)) for link, key in codes])
    opens = checkin_opens_at(settings, shift)
    _line(pdf, ar.label("ci.pdf.window", opens=fmt_datetime(ar, opens, tz)), 12, height=7)
    pdf.ln(2)
    _line(pdf, ar.label("ci.pdf.code", code=found.shown), 22, bold=True, height=12)
    _line(pdf, ar.label("ci.pdf.type", code=found.shown), 14, height=8)
    spelled = " ".join(found.shown)
    _line(pdf, ar.label("ci.pdf.spelled", spelled=spelled), 12, height=7)

    pdf.ln(4)
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    _line(pdf, en.label("ci.pdf.title"), 16, bold=True, height=9)
    _line(pdf, title_for("en", event), 12, bold=True, height=7)
    _line(pdf, fmt_range(en, shift.starts_at, shift.ends_at, tz), 11, height=6)
    lines = [en.label(key) for _, key in codes]
    lines += [
        en.label("ci.pdf.window", opens=fmt_datetime(en, opens, tz)),
        en.label("ci.pdf.type", code=found.shown),
    ]
    for text in lines:
        _line(pdf, text, 10, height=5.5)
    # The links themselves, for whoever reads the page with a screen reader.
    for link, _ in codes:
        _line(pdf, link, 8, height=4.5)
    return PosterFile(f"checkin-shift-{shift.id}.pdf", bytes(pdf.output()))
