"""Exports read back: XLSX through openpyxl, CSV with the BOM Excel needs for Arabic."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from bot.core.i18n import Catalogs
from bot.exports import export_mobile, export_when, to_csv, to_xlsx

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


# --- dates, mobiles and the CLI's count (issue 14 item 12) -------------------------------------

RIYADH = "Asia/Riyadh"


@pytest.mark.parametrize(
    ("value", "arabic", "english"),
    [
        # 1 December 2026 is 21 Jumada al-Akhirah 1448 (Umm al-Qura); seconds and microseconds go
        (
            datetime(2026, 12, 1, 15, 30, 12, 345678, tzinfo=UTC),
            "1448-06-21 هـ (2026-12-01 م) 18:30",
            "1448-06-21 AH (2026-12-01) 18:30",
        ),
        # late in the evening UTC is already the next day in Riyadh, in both calendars
        (
            datetime(2026, 12, 1, 22, 5, tzinfo=UTC),
            "1448-06-22 هـ (2026-12-02 م) 01:05",
            "1448-06-22 AH (2026-12-02) 01:05",
        ),
        (datetime(2026, 12, 1, 15, 30), "1448-06-21 هـ (2026-12-01 م) 18:30", None),  # naive: UTC
        (date(2026, 12, 10), "1448-07-01 هـ (2026-12-10 م)", "1448-07-01 AH (2026-12-10)"),
        (date(2100, 1, 1), "2100-01-01", "2100-01-01"),  # beyond Umm al-Qura: Gregorian only
        (None, None, None),
    ],
)
def test_dates_go_out_hijri_then_gregorian_to_the_minute(
    catalogs: Catalogs, value: date | datetime | None, arabic: str | None, english: str | None
) -> None:
    assert export_when(catalogs.translator("ar"), value, RIYADH) == arabic
    if english is not None or value is None:
        assert export_when(catalogs.translator("en"), value, RIYADH) == english


def test_a_datetime_cell_has_no_seconds_or_microseconds() -> None:
    stamp = datetime(2026, 12, 1, 18, 30, 12, 345678, tzinfo=UTC)
    book = load_workbook(io.BytesIO(to_xlsx("s", ["when"], [[stamp]])))
    sheet = book.active
    assert sheet is not None
    assert sheet["A2"].value == datetime(2026, 12, 1, 18, 30)
    [_, row] = list(csv.reader(io.StringIO(to_csv(["when"], [[stamp]]).decode("utf-8-sig"))))
    assert row == ["2026-12-01 18:30:00"]


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("0512345678", "+966512345678"),
        ("\u0660\u0665\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "+966512345678"),
        ("+966 51 234 5678", "+966512345678"),
        ("00966512345678", "+966512345678"),
        ("966-51-234-5678", "+966512345678"),
        ("+966512345678", "+966512345678"),
        (" 12345\u200f ", "12345"),  # not a Saudi mobile: as typed, without controls
        ("", None),
        (None, None),
    ],
)
def test_mobiles_go_out_in_one_format(typed: str | None, clean: str | None) -> None:
    assert export_mobile(typed) == clean


def test_a_clean_mobile_needs_no_apostrophe_but_formulas_still_get_one() -> None:
    rows = [["+966512345678"], ["+966512345678+1"], ["+cmd"], ["-1+2"], ["=1"]]
    [_, *table] = list(csv.reader(io.StringIO(to_csv(["m"], rows).decode("utf-8-sig"))))
    assert [r[0] for r in table] == [
        "+966512345678",
        "'+966512345678+1",
        "'+cmd",
        "'-1+2",
        "'=1",
    ]


@pytest.mark.parametrize(
    ("locale", "n", "text"),
    [
        ("en", 0, "x.csv: 0 requests."),
        ("en", 1, "x.csv: 1 request."),
        ("en", 2, "x.csv: 2 requests."),
        ("ar", 0, "x.csv: لا توجد طلبات."),
        ("ar", 1, "x.csv: طلب واحد."),
        ("ar", 2, "x.csv: طلبان."),
        ("ar", 3, "x.csv: 3 طلبات."),
        ("ar", 11, "x.csv: 11 طلبًا."),
        ("ar", 100, "x.csv: 100 طلب."),
    ],
)
def test_the_cli_counts_requests_with_plural_forms(
    catalogs: Catalogs, locale: str, n: int, text: str
) -> None:
    assert catalogs.translator(locale).tn("cli.exported", n, path="x.csv") == text
