"""Input edges: control characters never reach the database or a spreadsheet, and exported
cells can never act as formulas (XLSX typed as text, CSV behind an apostrophe)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.text import clean_input, strip_controls
from bot.exports import to_csv, to_xlsx
from bot.services.family_reports import export_site
from storage import families as fam
from storage.db import Database
from storage.models_families import Family, StallRequest
from tests.families.support import answer_all, family_answers, national_id, submitted
from tests.support import Chat

PHONE = "+966512345678"
FORMULAS = ["  =1+1", "\t=1", "\uff1d1+1", "\uff0b1+2", "\uff0d1", "\uff20SUM(A1)", "=HYPERLINK(1)"]


# --- control characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("a\x00b", "ab"),
        ("a\x01b\x7f\x85c", "abc"),
        ("line 1\r\nline 2\rline 3", "line 1\nline 2\nline 3"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\ud800broken", "\ufffdbroken"),
    ],
)
def test_strip_controls_keeps_only_tab_and_newline(raw: str, stored: str) -> None:
    assert strip_controls(raw) == stored


def test_clean_input_leaves_no_control_character() -> None:
    cleaned = clean_input("Sara\x00\x01 Ali\x1f\x7f")
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in cleaned)
    assert cleaned.split() == ["Sara", "Ali"]


async def test_nul_typed_into_a_form_is_stored_without_it(engine: Engine, db: Database) -> None:
    """On PostgreSQL a NUL in a text parameter fails the whole update; on SQLite it would be
    stored. Either way it must not get that far."""
    chat = Chat(engine, user="nul")
    await chat.onboard()
    await chat.press("fam")
    await chat.press("reg")
    answers = family_answers(national_id(7))
    answers[0] = ("text", "مطبخ\x00 أم\x01 محمد")
    [index] = [i for i, (_, value) in enumerate(answers) if str(value).startswith("أكلات")]
    answers[index] = ("text", "سطر\x00 أول\x01\r\nسطر\x07 ثانٍ")
    await answer_all(chat, answers)
    await chat.press("_ok")
    async with db.sessions() as session:
        family = (await session.execute(select(Family))).scalar_one()
    assert family.family_name == "مطبخ أم محمد"
    assert family.description == "سطر أول\nسطر ثانٍ"


# --- exports -------------------------------------------------------------------------------------


def test_xlsx_round_trip_types_text_and_neutralises_formulas() -> None:
    rows: list[Sequence[str | int | None]] = [
        ["ctl\x01x\x00", PHONE, 7],
        *[[f, "0512345678", None] for f in FORMULAS],
    ]
    book = load_workbook(io.BytesIO(to_xlsx("sheet", ["a", "b", "c"], rows)))
    sheet = book.active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    assert cells[0][0].value == "ctlx"  # the control characters are gone, the file is valid
    assert cells[0][1].value == PHONE  # shown as written: no stray apostrophe
    assert cells[0][1].data_type == "s" and cells[0][1].number_format == "@"
    assert cells[0][2].value == 7  # numbers stay numbers
    for typed, row in zip(FORMULAS, cells[1:], strict=True):
        cell = row[0]
        assert cell.data_type == "s" and cell.number_format == "@", typed
        assert cell.value == "'" + typed, typed
        assert row[1].value == "0512345678"


def test_csv_keeps_the_apostrophe_guard() -> None:
    rows = [["ctl\x01x", PHONE], *[[f, "x"] for f in FORMULAS]]
    table = list(csv.reader(io.StringIO(to_csv(["a", "b"], rows).decode("utf-8-sig"))))
    # An E.164 mobile is a number, never a formula: it stays clean (issue 14 item 12).
    assert table[1] == ["ctlx", PHONE]
    assert [row[0] for row in table[2:]] == ["'" + f for f in FORMULAS]


async def test_site_export_with_a_control_character_in_a_description(
    engine: Engine, db: Database, catalogs: Catalogs
) -> None:
    """Rows stored before input was cleaned: the export must still produce a valid file."""
    request_id = await submitted(engine, db, "old", seed=3)
    async with db.transaction() as session:
        await session.execute(update(Family).values(description="قديم\x01 وصف\x1b"))
    async with db.sessions() as session:
        request = await session.get(StallRequest, request_id)
        assert request is not None
        site = await fam.get_site(session, request.site_id)
        assert site is not None
        data, count = await export_site(
            session, catalogs.translator("ar"), site, "xlsx", "Asia/Riyadh"
        )
    assert count == 1
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert rows[1][header.index("الوصف")] == "قديم وصف"
    assert rows[1][header.index("الجوال")] == PHONE
