"""A partner's achievement report (issue 15 item 3): what it achieved against its agreements'
targets, as a spreadsheet (XLSX, `bot.exports`) and a PDF (`bot.pdf`: the certificates' font
and Arabic shaping), in the reader's language.

A partner's report has one section for everything it achieved, with no targets, then one per
agreement counting only what falls within that agreement's days; an agreement's report has its
own section only. The figures come from `storage.agreements.achieved`, the one query, and
hours from `storage.attendance.hours_of` through it; files round hours as screens do
(`fmt_hours`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fpdf.enums import XPos, YPos

from bot.core.dates import day_start, fmt_date, fmt_datetime, fmt_hours, hours_text
from bot.core.i18n import N_, Translator
from bot.core.unit import Unit
from bot.exports import to_xlsx
from bot.pdf import FONT, new_document
from bot.services.agreements import partner_name
from bot.services.errors import NotFound, require_staff
from storage import agreements as store
from storage.models_partners import Agreement, Partner

# The measures, in the order of the report, with their target's attribute on an agreement.
MEASURES = (
    ("volunteers", "target_volunteers"),
    ("hours", "target_hours"),
    ("events", "target_events"),
    ("families", "target_families"),
)
MEASURE_LABELS = {
    "volunteers": N_("agr.r.volunteers"),
    "hours": N_("agr.r.hours"),
    "events": N_("agr.r.events"),
    "families": N_("agr.r.families"),
}
HEADERS = (N_("agr.r.measure"), N_("agr.r.target"), N_("agr.r.achieved"), N_("agr.r.percent"))
SHEET_HEADERS = (N_("agr.r.section"), N_("agr.r.period"), *HEADERS)


@dataclass(frozen=True)
class Line:
    measure: str  # a key of MEASURE_LABELS
    target: float | None  # None: no target of that kind
    achieved: float

    @property
    def percent(self) -> int | None:
        """Achieved as a whole percentage of the target (over 100 when exceeded); None
        without a target, or with a target of zero."""
        if not self.target:
            return None
        return round(self.achieved * 100 / self.target)


@dataclass(frozen=True)
class Section:
    agreement: Agreement | None  # None: everything the partner achieved
    lines: list[Line]


@dataclass(frozen=True)
class PartnerReport:
    partner: Partner
    sections: list[Section]
    made_at: datetime

    def filename(self, ext: str) -> str:
        only = self.sections[0].agreement if len(self.sections) == 1 else None
        which = f"agreement-{only.id}" if only else f"partner-{self.partner.id}"
        return f"achievements-{which}.{ext}"


async def partner_report(
    unit: Unit, partner_id: int, agreement_id: int | None = None
) -> PartnerReport:
    """The report of a partner, or of one of its agreements (`agreement_id`)."""
    require_staff(unit.actor)
    partner = await store.get_partner(unit.session, partner_id)
    if partner is None:
        raise NotFound("agr.err.partner_gone")
    agreements = [a for a, _ in await store.list_agreements(unit.session, partner_id=partner_id)]
    if agreement_id is not None:
        agreements = [a for a in agreements if a.id == agreement_id]
        if not agreements:
            raise NotFound("agr.err.gone")
    sections = [] if agreement_id is not None else [await _section(unit, partner, None)]
    for agreement in sorted(agreements, key=lambda a: (a.start_date, a.id)):
        sections.append(await _section(unit, partner, agreement))
    return PartnerReport(partner, sections, unit.now)


async def _section(unit: Unit, partner: Partner, agreement: Agreement | None) -> Section:
    tz = unit.timezone
    since = until = None
    if agreement is not None:
        since = day_start(agreement.start_date, tz)
        until = day_start(agreement.end_date + timedelta(days=1), tz)
    got = await store.achieved(unit.session, partner.id, unit.now, since, until)
    values = {
        "volunteers": got.volunteers,
        "hours": got.hours,
        "events": got.events,
        "families": got.families,
    }
    return Section(
        agreement,
        [
            Line(m, getattr(agreement, target) if agreement else None, values[m])
            for m, target in MEASURES
        ],
    )


# --- the texts both files share -------------------------------------------------------------------
def section_title(tr: Translator, section: Section) -> str:
    if section.agreement is None:
        return tr.label("agr.r.all_time")
    return section.agreement.title


def period_text(tr: Translator, section: Section) -> str:
    a = section.agreement
    if a is None:
        return ""
    return tr.label(
        "agr.r.period_of", first=fmt_date(tr, a.start_date), last=fmt_date(tr, a.end_date)
    )


def _number(value: float, measure: str) -> float | int:
    return float(fmt_hours(value)) if measure == "hours" else int(value)


def cell_text(tr: Translator, value: float | None, measure: str) -> str:
    if value is None:
        return tr.label("agr.r.none")
    if measure == "hours":
        # No hours yet reads "0", as the other measures do, not "0.0".
        return hours_text(tr, value) if value > 0 else fmt_hours(value)
    return str(_number(value, measure))


def percent_text(tr: Translator, line: Line) -> str:
    return tr.label("agr.r.none") if line.percent is None else tr.label("agr.r.pct", n=line.percent)


# --- the spreadsheet ------------------------------------------------------------------------------
def report_xlsx(tr: Translator, report: PartnerReport) -> bytes:
    """One row per section and measure: target, achieved and percentage as numbers (empty
    where there is no target), so a sheet can sum and chart them."""
    rows = [
        [
            section_title(tr, section),
            period_text(tr, section),
            tr.label(MEASURE_LABELS[line.measure]),
            None if line.target is None else _number(line.target, line.measure),
            _number(line.achieved, line.measure),
            line.percent,
        ]
        for section in report.sections
        for line in section.lines
    ]
    title = partner_name(report.partner, tr.locale)
    return to_xlsx(title, [tr.label(h) for h in SHEET_HEADERS], rows)


# --- the PDF --------------------------------------------------------------------------------------
def report_pdf(tr: Translator, report: PartnerReport, tz: str) -> bytes:
    """The report on A4 in the reader's language: Arabic right to left, English left to
    right; a table of target, achieved and percentage per section."""
    rtl = tr.locale == "ar"
    start = "R" if rtl else "L"
    pdf = new_document(tr.label("agr.r.title"), rtl=rtl)
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 12, tr.label("agr.r.title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 14)
    name = partner_name(report.partner, tr.locale)
    pdf.cell(0, 10, name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    made = tr.label("agr.r.made", when=fmt_datetime(tr, report.made_at, tz))
    pdf.multi_cell(0, 7, made, align=start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # Right to left the first column (the measure) is the rightmost one.
    order = (3, 2, 1, 0) if rtl else (0, 1, 2, 3)
    widths = [pdf.epw * w for w in (0.4, 0.2, 0.2, 0.2)]
    for section in report.sections:
        pdf.ln(5)
        pdf.set_font(FONT, "B", 13)
        heading = section_title(tr, section)
        pdf.multi_cell(0, 8, heading, align=start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        period = period_text(tr, section)
        if period:
            pdf.set_font(FONT, "", 11)
            pdf.multi_cell(0, 7, period, align=start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        rows = [[tr.label(h) for h in HEADERS]] + [
            [
                tr.label(MEASURE_LABELS[line.measure]),
                cell_text(tr, line.target, line.measure),
                cell_text(tr, line.achieved, line.measure),
                percent_text(tr, line),
            ]
            for line in section.lines
        ]
        with pdf.table(
            col_widths=[widths[k] for k in order],
            text_align=["C" if k else start for k in order],
            line_height=8,
        ) as table:
            for i, cells in enumerate(rows):
                pdf.set_font(FONT, "B" if i == 0 else "", 11)
                row = table.row()
                for k in order:
                    row.cell(cells[k])
    return bytes(pdf.output())
