"""A certificate of volunteer hours as an A4 PDF (issue 15 item 6).

The font and the Arabic shaping (HarfBuzz through fpdf2, text that extracts as its letters) are
`bot.pdf`'s, shared with the partners' achievement reports.

The QR code (segno, pure Python) holds the public verification address; the code is printed
beside it for whoever types it instead. Only `bot.handlers` and `bot.web` use this module;
`bot.core` must not (import-linter).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from bot.core.dates import fmt_date, fmt_datetime, hours_text
from bot.core.i18n import Translator
from bot.pdf import FONT, new_document, qr_png
from bot.services.certificates import Issued, display_code, event_hours

QR_SIZE = 42  # mm: scans from a phone held at arm's length
HOURS_WIDTH = 45  # mm, the hours column


@dataclass(frozen=True)
class CertificateFile:
    filename: str
    data: bytes


def render_certificate(tr: Translator, issued: Issued, tz: str) -> CertificateFile:
    """The certificate in the reader's language (`tr`): Arabic right to left, English left to
    right; dates in Hijri and Gregorian."""
    cert = issued.certificate
    rtl = tr.locale == "ar"
    start, end = ("R", "L") if rtl else ("L", "R")
    pdf = new_document(tr.label("cert.pdf.title"), rtl=rtl)
    pdf.add_page()

    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, tr.label("cert.pdf.org"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 24)
    pdf.cell(0, 18, tr.label("cert.pdf.title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "", 13)
    period = tr.label(
        "cert.pdf.period", first=fmt_date(tr, cert.period_from), last=fmt_date(tr, cert.period_to)
    )
    body = tr.label("cert.pdf.body", name=issued.volunteer_name, period=period)
    pdf.multi_cell(0, 8, body, align=start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    rows = [
        (title_for(tr, e.title_ar, e.title_en), hours_text(tr, e.hours)) for e in event_hours(cert)
    ]
    rows.append((tr.label("cert.pdf.total"), hours_text(tr, cert.total_hours)))
    header = (tr.label("cert.pdf.event"), tr.label("cert.pdf.hours"))
    # Right to left the first column (the event) is the rightmost one.
    order = (1, 0) if rtl else (0, 1)
    widths = (HOURS_WIDTH, pdf.epw - HOURS_WIDTH) if rtl else (pdf.epw - HOURS_WIDTH, HOURS_WIDTH)
    aligns = ("C", "R") if rtl else ("L", "C")
    with pdf.table(col_widths=widths, text_align=aligns, line_height=9) as table:
        for i, (event, hours) in enumerate([header, *rows]):
            pdf.set_font(FONT, "B" if i in (0, len(rows)) else "", 12)
            row = table.row()
            for k in order:
                row.cell((event, hours)[k])
    pdf.ln(6)
    pdf.set_font(FONT, "", 11)
    issued_on = tr.label("cert.pdf.issued", when=fmt_datetime(tr, cert.issued_at, tz))
    pdf.multi_cell(0, 7, issued_on, align=start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # The QR and the code at the foot of the page, on the side where lines end.
    y = pdf.h - 25 - QR_SIZE
    x = pdf.l_margin if rtl else pdf.w - pdf.r_margin - QR_SIZE
    pdf.image(io.BytesIO(qr_png(issued.verify_url)), x=x, y=y, w=QR_SIZE, h=QR_SIZE)
    text_x = pdf.l_margin + QR_SIZE + 4 if rtl else pdf.l_margin
    pdf.set_xy(text_x, y + 6)
    width = pdf.epw - QR_SIZE - 4
    pdf.set_font(FONT, "B", 13)
    code = tr.label("cert.pdf.code", code=display_code(cert.code))
    pdf.multi_cell(width, 8, code, align=end, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(width, 6, tr.label("cert.pdf.verify_at"), align=end, new_x=XPos.LEFT)
    # The address stays left to right in both languages.
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    pdf.multi_cell(width, 6, issued.verify_url, align=end)
    return CertificateFile(f"certificate-{cert.code}.pdf", bytes(pdf.output()))


def title_for(tr: Translator, title_ar: str, title_en: str | None) -> str:
    return title_en if tr.locale == "en" and title_en else title_ar
