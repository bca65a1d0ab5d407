"""Tabular exports for staff: XLSX (openpyxl) and CSV in UTF-8 with a BOM so Excel shows
Arabic correctly. Headers come from the catalogs; cells are plain values."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

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


def _safe_text(value: Cell) -> Cell:
    # Spreadsheet formula injection: a cell starting with = + - @ would be evaluated.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
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
    for row in rows:
        cells = [_safe_text(_plain(v)) for v in row]
        sheet.append(cells)
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
