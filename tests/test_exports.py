"""Exports read back: XLSX through openpyxl, CSV with the BOM Excel needs for Arabic."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from bot.exports import to_csv, to_xlsx

HEADERS = ["الاسم", "الحي", "التاريخ"]
ROWS: list[list[str | date | None]] = [
    ["سارة الحارثي", "الحوية", date(2026, 12, 1)],
    ["=HYPERLINK(1)", None, None],
]


def test_xlsx_round_trip_with_arabic_headers() -> None:
    book = load_workbook(io.BytesIO(to_xlsx("طلبات", HEADERS, ROWS)))
    sheet = book.active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert values[1][0] == "سارة الحارثي" and values[1][2].date() == date(2026, 12, 1)
    assert values[2][0] == "'=HYPERLINK(1)"  # never a formula


def test_csv_has_a_bom_and_arabic_text() -> None:
    data = to_csv(HEADERS, ROWS)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert rows[1] == ["سارة الحارثي", "الحوية", "2026-12-01"]
