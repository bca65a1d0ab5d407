"""Tabular exports for staff: XLSX (openpyxl) and CSV in UTF-8 with a BOM so Excel shows
Arabic correctly. Headers come from the catalogs; cells are plain values.

Cells hold what users typed, so nothing in them may act as a formula: XLSX text cells are typed
as text, and CSV (which has no types) starts formula-like text with an apostrophe.

Dates and times go out as text, Hijri (Umm al-Qura) first and then Gregorian, both as numbers
year-month-day and the time to the minute on a 24-hour clock: "1448-06-21 AH (2026-12-01)
18:30". Numbers in that order sort correctly as text, whichever calendar a reader sorts by, and
a 24-hour clock needs no AM/PM word that would sort wrongly. Mobile numbers go out in one
format, the international E.164 form the bot stores ("+9665XXXXXXXX"): the one WhatsApp and a
phone's dialler both take, with no apostrophe in front in CSV either (see `_PHONE`)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hijridate import Gregorian
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from bot.core.text import clean_input, strip_controls
from bot.core.validators import Invalid, parse_mobile

if TYPE_CHECKING:
    from bot.core.i18n import Translator

Cell = str | int | float | date | datetime | None


def _hijri(d: date) -> str | None:
    try:
        h = Gregorian(d.year, d.month, d.day).to_hijri()
    except OverflowError:  # outside the Umm al-Qura table (1924..2077): Gregorian only
        return None
    return f"{h.year:04d}-{h.month:02d}-{h.day:02d}"


def export_when(tr: Translator, value: date | datetime | None, timezone: str) -> str | None:
    """A day or an instant for a cell: Hijri then Gregorian, to the minute (module docstring).
    An instant is shown in `timezone`, the users' local time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # Stored instants are UTC; a naive one (SQLite) is UTC too.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(timezone))
        day: date = local.date()
        clock: str | None = f"{local:%H:%M}"
    else:
        day, clock = value, None
    gregorian = f"{day:%Y-%m-%d}"
    hijri = _hijri(day)
    if hijri is None:
        return gregorian if clock is None else f"{gregorian} {clock}"
    if clock is None:
        return tr.label("x.date", hijri=hijri, gregorian=gregorian)
    return tr.label("x.datetime", hijri=hijri, gregorian=gregorian, time=clock)


def export_mobile(value: str | None) -> str | None:
    """Any spelling of a Saudi mobile as "+9665XXXXXXXX"; anything else as typed, cleaned."""
    if not value:
        return None
    try:
        return parse_mobile(value)
    except Invalid:
        return clean_input(value)  # one line, ASCII digits, no bidi marks


def _plain(value: Any) -> Cell:
    if isinstance(value, datetime):
        # Excel has no time zones: write local wall time without tzinfo, to the minute (a
        # database timestamp carries microseconds nobody wants in a sheet).
        return value.replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if value is None or isinstance(value, (str, int, float, date)):
        return value
    return str(value)


# A spreadsheet reads a cell as a formula when its first visible character is one of these;
# Excel also takes the full-width forms that Arabic and East Asian keyboards type.
_FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Phone numbers and signed numbers: harmless even as a formula, and text typing keeps them as
# written in XLSX, so they need no apostrophe there.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ]*")
# An international phone number (E.164): digits after a plus are a number to a spreadsheet,
# never a formula with a function or a reference, so CSV keeps it clean too.
_PHONE = re.compile(r"\+[0-9]{8,15}")


def _formula_like(value: str) -> bool:
    # Spreadsheets skip leading blanks (spaces, tabs, line breaks) before looking.
    return value.lstrip()[:1] in _FORMULA_START


def _safe_text(value: Cell) -> Cell:
    """CSV: text without control characters, formula-like text behind an apostrophe."""
    if not isinstance(value, str):
        return value
    value = strip_controls(value)
    return "'" + value if _formula_like(value) and not _PHONE.fullmatch(value) else value


def _xlsx_text(value: str) -> str:
    # Typed as text the cell is never evaluated; the apostrophe is for formula text copied
    # out of the sheet (into a CSV, another cell).
    value = strip_controls(value)
    if _formula_like(value) and not _PLAIN_NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def to_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.sheet_view.rightToLeft = True  # Arabic headers read right to left
    sheet.append(list(headers))
    widths = [len(h) for h in headers]
    for row_index, row in enumerate(rows, start=2):
        cells = [_plain(v) for v in row]
        cells = [_xlsx_text(c) if isinstance(c, str) else c for c in cells]
        sheet.append(cells)
        for column, value in enumerate(cells, start=1):
            if isinstance(value, str):
                cell = sheet.cell(row=row_index, column=column)
                cell.data_type = "s"
                cell.number_format = "@"
        widths = [max(w, len(str(c or ""))) for w, c in zip(widths, cells, strict=False)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else _safe_text(_plain(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
