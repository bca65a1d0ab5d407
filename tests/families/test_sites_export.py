"""Sites managed in the chat (with a map pin: the LOCATION form kind), opened and closed;
exports read back with openpyxl; the CLI export; demo sites."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cli import main
from bot.core.engine import Engine
from bot.core.messages import Attachment
from bot.demo import load_demo_data
from storage.db import Database, create_database
from storage.models_families import Family, Site, StallRequest
from storage.schema import upgrade
from tests.families.support import (
    FAMILY_NAME,
    add_site,
    approve,
    audit_actions,
    national_id,
    notice_keys,
    open_review,
    open_sites_admin,
    register_family,
    request_row,
    request_stall,
    staff,
    waitlist,
)
from tests.support import Chat, assert_clean


async def sites(db: Database) -> list[Site]:
    async with db.sessions() as session:
        return list((await session.execute(select(Site).order_by(Site.id))).scalars())


async def test_staff_create_a_site_with_a_pin(engine: Engine, db: Database) -> None:
    boss = await staff(engine)
    await open_sites_admin(boss)
    assert "لا توجد مواقع بعد" in boss.text
    await boss.press("new")
    await boss.send("سوق الورد الطائفي")
    await boss.send("Taif Rose Market")
    await boss.press("shafa")
    await boss.send("here")  # text where a map pin is expected
    assert "دبوسًا على الخريطة" in boss.text and boss.offers("_s")
    assert_clean(boss.last)
    await boss.location()
    await boss.send("0")
    await boss.send("0")
    await boss.send("1448/07/01")  # Hijri: 1 Rajab 1448 is 10 December 2026
    await boss.send("2026-12-05")  # before the first day
    assert "قبل يوم البداية" in boss.text
    await boss.send("2026-12-20")
    await boss.send("2026-12-25")  # after the last day
    assert "لا يتجاوز آخر أيام الموقع" in boss.text
    await boss.send("2026-12-05")
    await boss.press("symbolic")
    await boss.send("خمسون ريالًا للموسم")
    assert "متى تستطيع الأسر تجهيز بسطاتها" in boss.text and boss.offers("_s")  # optional
    await boss.send("من الساعة 3 عصرًا يوم الافتتاح")
    await boss.press("yes")
    await boss.press("yes")
    await boss.press("_s")  # no accessibility features stated
    await boss.press("_s")  # no reserved stalls
    assert "راجع بيانات الموقع" in boss.text and "21.27000, 40.41000" in boss.text
    assert "موعد التجهيز: من الساعة 3 عصرًا يوم الافتتاح" in boss.text
    await boss.press("_ok")
    assert "يلزم أن يكون في الموقع بسطة واحدة على الأقل" in boss.text
    await boss.send("2")  # asked again; "2" is the number, not the second button
    await boss.press("_ok")
    assert "أُنشئ الموقع" in boss.text
    [site] = await sites(db)
    assert site.name_ar == "سوق الورد الطائفي" and site.name_en == "Taif Rose Market"
    assert (site.latitude, site.longitude) == (21.27, 40.41)
    assert (site.food_stalls, site.nonfood_stalls) == (2, 0)
    assert site.start_date == date(2026, 12, 10)
    assert site.end_date == date(2026, 12, 20)
    assert site.deadline.isoformat() == "2026-12-05T20:59:59+00:00"  # end of the day in Riyadh
    assert site.fee == "symbolic" and site.saudi_only and site.women_only and site.is_open
    assert site.setup_note == "من الساعة 3 عصرًا يوم الافتتاح"  # told in every offer
    assert "site.created" in await audit_actions(db)
    assert any(o.location is not None for o in boss.last)  # the site view shows the pin


async def test_edit_close_and_reopen(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, food_stalls=1)
    family = await register_family(engine, "fam")
    await request_stall(family, site_id)
    other = await register_family(engine, "other", seed=2)
    await request_stall(other, site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, 1, "n1")
    await waitlist(boss, 2)
    await open_sites_admin(boss)
    await boss.press(f"s{site_id}")
    assert "أغذية 1 من 1" in boss.text
    await boss.press("edit")
    await boss.press("_e")
    await boss.press("food")
    await boss.send("0")
    await boss.press("_ok")
    assert "البسطة رقم 1 من هذا النوع محجوزة" in boss.text
    await boss.send("2")
    await boss.press("_ok")
    assert "حُدّث الموقع" in boss.text
    # The new stall went to the family on the waiting list.
    assert (await request_row(db, 2)).status == "approved"
    assert (await notice_keys(db, "other"))[-1] == "fam.n.offer"
    await boss.press("close")
    assert "أُوقف التقديم" in boss.text
    [site] = await sites(db)
    assert not site.is_open and site.food_stalls == 2
    await boss.press("reopen")
    assert (await sites(db))[0].is_open
    # The set-up time is corrected like any other answer.
    await boss.press("edit")
    await boss.press("_e")
    await boss.press("setup")
    await boss.send("قبل الافتتاح بساعتين")
    await boss.press("_ok")
    assert (await sites(db))[0].setup_note == "قبل الافتتاح بساعتين"
    actions = await audit_actions(db)
    assert {"site.updated", "site.closed", "site.opened"} <= set(actions)


async def exported(boss: Chat, fmt: str) -> Attachment:
    await boss.press(fmt)
    [attachment] = [o.attachment for o in boss.last if o.attachment is not None]
    return attachment


async def test_export_in_the_chat(engine: Engine, db: Database) -> None:
    site_id = await add_site(db)
    family = await register_family(engine, "fam")
    await request_stall(family, site_id)
    second = await register_family(engine, "fam2", seed=2, categories=("sewing", "other"))
    await request_stall(second, site_id, "nonfood", "2026-12-11", "same")
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, 1, "n2")
    await open_sites_admin(boss)
    await boss.press(f"s{site_id}")
    xlsx = await exported(boss, "xlsx")
    assert xlsx.kind == "document" and xlsx.filename == f"site-{site_id}-requests.xlsx"
    assert "طلبان" in boss.text
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet = book.active
    assert sheet is not None and sheet.sheet_view.rightToLeft
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert header[:5] == ["رقم الطلب", "الحالة", "اسم الأسرة", "مقدّم الطلب", "رقم الهوية"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {1, 2}
    first = by_id[1]
    assert first["الحالة"] == "عُرضت عليك بسطة — بانتظار تأكيدك"
    assert first["اسم الأسرة"] == FAMILY_NAME
    assert first["رقم الهوية"] == "1•••••••" + national_id(1)[-2:]  # masked in the chat
    assert first["رقم البسطة"] == 2 and first["نوع البسطة"] == "بسطة أغذية"
    # Hijri first, then Gregorian, as sortable numbers (1 Rajab 1448 is 10 December 2026)
    assert first["من"] == "1448-07-01 هـ (2026-12-10 م)"
    assert first["إلى"] == "1448-07-11 هـ (2026-12-20 م)"
    assert first["الشهادة الصحية"] == "HC998877"
    assert "أكلات شعبية" in first["المنتجات"] and first["الحي"] == "الحوية"
    assert first["الوصف"].startswith("أكلات طائفية") and first["الاحتياجات"] == "كهرباء"
    assert by_id[2]["المنتجات"].endswith("ألعاب أطفال خشبية")
    assert by_id[2]["الشهادة الصحية"] is None
    # CSV: UTF-8 with a BOM, the same headers and rows.
    await boss.press_id("fsa:site:csv") if not boss.offers("csv") else await boss.press("csv")
    [data] = [o.attachment.data for o in boss.last if o.attachment is not None]
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == header
    assert [row[0] for row in table[1:]] == ["1", "2"]
    assert table[1][header.index("من")] == first["من"]
    assert (await audit_actions(db)).count("site.exported") == 2


def test_export_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"

    async def prepare() -> int:
        db = create_database(url)
        await upgrade(db.engine)
        site_id = await add_site(db)
        async with db.transaction() as session:
            from storage import repositories as repo

            _, user = await repo.create_user(session, "console", "x", "x")
            family = Family(
                user_id=user.id,
                family_name="=cmd|' /C calc'!A0",  # a formula must stay text
                applicant_name="Sara Ali",
                applicant_gender="f",
                national_id=national_id(3),
                mobile="+966512345678",
                district="hawiya",
                categories=["crafts"],
                freelance_doc_number="FL-1",
                freelance_doc_expiry=date(2027, 1, 1),
                description="x",
                photos=[],
                needs=[],
            )
            session.add(family)
            await session.flush()
            session.add(
                StallRequest(
                    family_id=family.id,
                    site_id=site_id,
                    stall_type="nonfood",
                    start_date=date(2026, 12, 10),
                    end_date=date(2026, 12, 11),
                    status="submitted",
                )
            )
        await db.dispose()
        return site_id

    site_id = asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "requests.xlsx"
    assert main(["export", "requests", "--site", str(site_id), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 1 request.\n"  # singular, not "1 requests"
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "رقم الطلب"
    assert rows[1][4] == national_id(3)  # the CLI's file stays local: the full ID
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    csv_out = tmp_path / "r.csv"
    args = ["export", "requests", "--site", str(site_id), "--format", "csv", "--out", str(csv_out)]
    assert main([*args, "--lang", "ar"]) == 0
    assert capsys.readouterr().out == f"{csv_out}: طلب واحد.\n"  # Arabic plural form "one"
    data = csv_out.read_bytes()
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[1][5] == "+966512345678"  # the mobile clean: E.164, no apostrophe
    assert main(["export", "requests", "--site", "999"]) == 2
    assert "no site with id 999" in capsys.readouterr().err


async def test_demo_sites_are_added_once(db: Database) -> None:
    await load_demo_data(db)
    await load_demo_data(db)
    async with db.sessions() as session:
        count = (await session.execute(select(func.count(Site.id)))).scalar_one()
    assert count == 3
    names = [s.name_en for s in await sites(db)]
    assert all(names)
