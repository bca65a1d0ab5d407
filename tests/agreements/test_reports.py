"""What a partner achieved against its agreement's targets: the one query (events opened for
its initiatives, their shifts' attended volunteers and hours, families holding a stall on
their markets), counted within the agreement's local days, and the report as XLSX and PDF in
Arabic and English."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.core.i18n import Catalogs
from bot.core.unit import Actor
from bot.services import partner_reports as reports
from bot.services.errors import Forbidden
from bot.settings import Settings
from storage.db import Database
from storage.models_events import CONFIRMED, Event, ShiftRegistration
from tests.agreements.support import (
    acting,
    add_agreement,
    add_initiative,
    add_partner,
    family_holding,
    partner_event,
)
from tests.certificates.support import glyphs_per_letter, pdf_text, volunteer_of
from tests.conftest import Clock
from tests.events.support import World
from tests.families.support import add_site

pytestmark = pytest.mark.timeout(60)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def attend(
    db: Database, shift_id: int, volunteer_id: int, start: datetime, hours: float | None
) -> None:
    """Checked in at `start`, out after `hours` (None: never checked out; the shift's planned
    length counts once it is over)."""
    async with db.transaction() as session:
        session.add(
            ShiftRegistration(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                status=CONFIRMED,
                seat=volunteer_id,
                checked_in_at=start,
                checked_out_at=None if hours is None else start + timedelta(hours=hours),
            )
        )


@dataclass
class Seeded:
    partner: int
    agreement: int


async def seed(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> Seeded:
    world = World(db, catalogs, settings, clock())
    vids = [await volunteer_of(db, user_id=await world.person()) for _ in range(6)]
    v1, v2, v3, v4, v5, v6 = vids
    partner = await add_partner(db)
    other = await add_partner(db, "شركة أخرى", None)
    mine, theirs = await add_initiative(db, partner), await add_initiative(db, other)
    agreement = await add_agreement(
        db,
        partner,
        date(2026, 10, 1),
        date(2026, 10, 31),
        target_volunteers=4,
        target_hours=10.0,
        target_families=3,
    )
    e1_start = at(date(2026, 10, 10), 6)
    e1, s1 = await partner_event(db, mine, e1_start, title="حملة تشجير الردف")
    await attend(db, s1, v1, e1_start, 3)
    await attend(db, s1, v2, e1_start, None)  # the shift's 4 hours
    async with db.transaction() as session:  # confirmed but never came: counts nothing
        session.add(ShiftRegistration(shift_id=s1, volunteer_id=v3, status=CONFIRMED, seat=9))
    e2_start = at(date(2026, 11, 10), 6)  # after the agreement
    e2, s2 = await partner_event(db, mine, e2_start)
    await attend(db, s2, v1, e2_start, 2)
    # 22:00 UTC on the agreement's last day is 01:00 on 1 November in Taif: outside it.
    e4_start = datetime(2026, 10, 31, 22, tzinfo=UTC)
    _, s4 = await partner_event(db, mine, e4_start)
    await attend(db, s4, v5, e4_start, 1)
    cancelled, _ = await partner_event(db, mine, at(date(2026, 10, 20), 6))
    async with db.transaction() as session:
        found = await session.get(Event, cancelled)
        assert found is not None
        found.status = "cancelled"
    # Another partner's event and an event of no initiative count for neither.
    _, s3 = await partner_event(db, theirs, at(date(2026, 10, 12), 6))
    await attend(db, s3, v4, at(date(2026, 10, 12), 6), 4)
    _, s6 = await partner_event(db, None, at(date(2026, 10, 15), 6))
    await attend(db, s6, v6, at(date(2026, 10, 15), 6), 4)

    market = await add_site(db, event_id=e1)
    other_market = await add_site(db, event_id=e1, name_ar="سوق الشفا")
    later_market = await add_site(db, event_id=e2, name_ar="سوق الهدا")
    f1 = await family_holding(db, 1, market, "approved", 1)
    await family_holding(db, 2, market, "confirmed", 2)
    await family_holding(db, 3, market, "rejected", 3)
    await family_holding(db, 4, later_market, "confirmed", 1)
    async with db.transaction() as session:  # the same family on a second market: once
        from tests.agreements.support import add_request

        await add_request(session, f1, other_market, "confirmed", 1)
    return Seeded(partner, agreement)


def figures(section: reports.Section) -> dict[str, tuple[float | None, float, int | None]]:
    return {line.measure: (line.target, line.achieved, line.percent) for line in section.lines}


async def test_achieved_within_the_agreement_and_all_told(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    seeded = await seed(db, catalogs, settings, clock)
    async with acting(db, catalogs, settings, clock(), Actor.person(1, "staff")) as unit:
        report = await reports.partner_report(unit, seeded.partner)
    overall, agreement = report.sections
    assert overall.agreement is None and agreement.agreement is not None
    assert figures(overall) == {
        "volunteers": (None, 3, None),  # v1, v2, v5
        "hours": (None, 10.0, None),  # 3 + 4 + 2 + 1
        "events": (None, 3, None),  # not the cancelled one
        "families": (None, 3, None),  # f1 (twice), f2, f4; not the rejected f3
    }
    assert figures(agreement) == {
        "volunteers": (4, 2, 50),
        "hours": (10.0, 7.0, 70),
        "events": (None, 1, None),
        "families": (3, 2, 67),
    }


async def test_the_files_in_arabic_and_english(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    seeded = await seed(db, catalogs, settings, clock)
    async with acting(db, catalogs, settings, clock(), Actor.person(1, "staff")) as unit:
        report = await reports.partner_report(unit, seeded.partner, seeded.agreement)
    assert report.filename("pdf") == f"achievements-agreement-{seeded.agreement}.pdf"
    ar = catalogs.translator("ar")

    book = load_workbook(io.BytesIO(reports.report_xlsx(ar, report)))
    sheet = book.active
    assert sheet is not None and sheet.title == "جمعية البر بالطائف"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["الاتفاقية", "المدة", "المؤشر", "المستهدف", "المتحقق", "نسبة الإنجاز"]
    assert [r[2:] for r in rows[1:]] == [
        ["المتطوعون المشاركون", 4, 2, 50],
        ["الساعات التطوعية", 10, 7, 70],
        ["الفعاليات", None, 1, None],
        ["الأسر المستفيدة", 3, 2, 67],
    ]
    assert rows[1][0] == "اتفاقية التشجير"

    data = reports.report_pdf(ar, report, settings.timezone)
    text = pdf_text(data)
    # Logical order: the phrases read as typed, not reversed letter by letter.
    for phrase in (
        "تقرير إنجاز الشريك",
        "جمعية البر بالطائف",
        "اتفاقية التشجير",
        "المتطوعون المشاركون",
        "الساعات التطوعية",
        "الأسر المستفيدة",
        "نسبة الإنجاز",
    ):
        assert phrase in text, phrase
    # A number beside Arabic comes out of the text layer in the order it is drawn (right to
    # left), so the figures are looked for on either side of their word.
    assert re.search(r"(7 ?ساعات|ساعات ?7)", text) and re.search(r"(10 ?ساعات|ساعات ?10)", text)
    assert "70٪" in text or "٪70" in text
    forms = glyphs_per_letter(data)  # letters drawn joined: several forms each
    assert forms["ع"] >= 2 and forms["ت"] >= 2

    en = catalogs.translator("en")
    text = pdf_text(reports.report_pdf(en, report, settings.timezone))
    for phrase in ("Partner achievement report", "Al-Birr Society", "Volunteer hours", "70%"):
        assert phrase in text, phrase
    sheet = load_workbook(io.BytesIO(reports.report_xlsx(en, report))).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][3:] == ["Target", "Achieved", "Achievement"]


async def test_only_staff_see_a_report(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    partner = await add_partner(db)
    async with acting(db, catalogs, settings, clock(), Actor.person(1, "user")) as unit:
        with pytest.raises(Forbidden):
            await reports.partner_report(unit, partner)


def test_no_hours_yet_reads_as_zero_not_zero_point_zero(catalogs: Catalogs) -> None:
    tr = catalogs.translator("ar")
    assert reports.cell_text(tr, 0.0, "hours") == "0"
    assert reports.cell_text(tr, 0.0, "events") == "0"
