"""Tabular exports for staff: XLSX (openpyxl) and CSV in UTF-8 with a BOM so Excel shows
Arabic correctly. Headers come from the catalogs; cells are plain values.

Cells hold what users typed, so nothing in them may act as a formula: XLSX text cells are typed
as text, and CSV (which has no types) starts formula-like text with an apostrophe."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from bot.core.text import strip_controls

Cell = str | int | float | date | datetime | None


def _plain(value: Any) -> Cell:
    if isinstance(value, datetime):
        # Excel has no time zones: write local wall time without tzinfo.
        return value.replace(tzinfo=None)
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


def _formula_like(value: str) -> bool:
    # Spreadsheets skip leading blanks (spaces, tabs, line breaks) before looking.
    return value.lstrip()[:1] in _FORMULA_START


def _safe_text(value: Cell) -> Cell:
    """CSV: text without control characters, formula-like text behind an apostrophe."""
    if not isinstance(value, str):
        return value
    value = strip_controls(value)
    return "'" + value if _formula_like(value) else value


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
