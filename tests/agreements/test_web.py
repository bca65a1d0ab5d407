"""The agreements pages over HTTP: the list with its filters, creating and editing through
`agreements.save_agreement` (refusals next to their field, what was typed kept), CSRF, the
sign-in guard, and the partner's page with its report files."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.settings import Settings
from storage.db import Database
from storage.models_partners import Agreement
from tests.agreements.support import add_agreement, add_partner
from tests.certificates.support import pdf_text
from tests.conftest import Clock
from tests.web.test_requests import Client, audit_actions, signed_in, token

pytestmark = pytest.mark.timeout(60)


def form(partner: int, **changes: str) -> dict[str, str]:
    values = {
        "partner_id": str(partner),
        "title": "اتفاقية <التشجير>",
        "start_date": "2026-12-01",
        "end_date": "2027-11-30",
        "status": "signed",
        "target_volunteers": "٤٠",  # Arabic-Indic digits are digits
        "target_hours": "١٢٠٫٥",
        "target_events": "",
        "target_families": "10",
        "note": "",
    }
    values.update(changes)
    return values


async def agreements(db: Database) -> list[Agreement]:
    async with db.sessions() as s:
        return list((await s.execute(select(Agreement).order_by(Agreement.id))).scalars())


async def test_create_list_filter_and_edit(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    partner = await add_partner(db)
    other = await add_partner(db, "شركة الهدا", "Al Hada Co")
    await add_agreement(
        db, other, date(2026, 1, 1), date(2026, 6, 30), status="expired", title="اتفاقية قديمة"
    )
    assert (await client.get("/agreements", allow_redirects=False)).status == 303  # sign in
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, "/agreements/new")
    assert (await client.post("/agreements/new", data=form(partner))).status == 403  # no CSRF
    done = await client.post(
        "/agreements/new", data={**form(partner), "csrf": csrf}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == f"/agreements/partners/{partner}"
    created = (await agreements(db))[-1]
    assert (created.target_volunteers, created.target_hours, created.target_events) == (
        40,
        120.5,
        None,
    )
    assert "agreement.create" in await audit_actions(db)

    listed = await (await client.get("/agreements")).text()
    assert "اتفاقية &lt;التشجير&gt;" in listed and "اتفاقية قديمة" in listed
    signed = await (await client.get("/agreements?status=signed")).text()
    assert "اتفاقية &lt;التشجير&gt;" in signed and "اتفاقية قديمة" not in signed
    theirs = await (await client.get(f"/agreements?partner={other}")).text()
    assert "اتفاقية قديمة" in theirs and "اتفاقية &lt;التشجير&gt;" not in theirs

    page = await (await client.get(f"/agreements/{created.id}/edit")).text()
    assert 'value="120.5"' in page and 'value="40"' in page
    changed = {**form(partner, status="active", target_hours=""), "csrf": csrf}
    done = await client.post(f"/agreements/{created.id}/edit", data=changed, allow_redirects=False)
    assert done.status == 303
    updated = (await agreements(db))[-1]
    assert (updated.status, updated.target_hours) == ("active", None)
    assert "agreement.update" in await audit_actions(db)


async def test_refusals_are_shown_next_to_their_field(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    partner = await add_partner(db)
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, "/agreements/new")
    before = {**form(partner, end_date="2026-11-30"), "csrf": csrf}
    refused = await client.post("/agreements/new", data=before)
    text = await refused.text()
    assert refused.status == 422
    assert 'id="e-end_date"' in text and 'aria-describedby="e-end_date"' in text
    assert "يجب أن يكون تاريخ النهاية في" in text
    assert 'value="اتفاقية &lt;التشجير&gt;"' in text  # what was typed stays
    negative = await client.post(
        "/agreements/new", data={**form(partner, target_events="-3"), "csrf": csrf}
    )
    assert negative.status == 422 and 'id="e-target_events"' in await negative.text()
    words = await client.post(
        "/agreements/new", data={**form(partner, target_hours="كثير"), "csrf": csrf}
    )
    assert words.status == 422 and 'id="e-target_hours"' in await words.text()
    assert await agreements(db) == []


async def test_partner_page_and_report_files(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    partner = await add_partner(db)
    agreement = await add_agreement(
        db, partner, date(2026, 1, 1), date(2026, 12, 31), target_volunteers=5
    )
    await signed_in(client, db, catalogs, web_settings, clock)
    page = await (await client.get(f"/agreements/partners/{partner}")).text()
    assert "اتفاقيات جمعية البر بالطائف" in page
    assert f'href="/partners/{partner}"' in page  # back to the partner's file
    edit = await (await client.get(f"/agreements/{agreement}/edit")).text()
    assert f'href="/partners/{partner}"' in edit
    for path in (
        f"/agreements/partners/{partner}/report.pdf",
        f"/agreements/partners/{partner}/report.xlsx",
        f"/agreements/{agreement}/report.pdf",
        f"/agreements/{agreement}/report.xlsx",
    ):
        assert f'href="{path}"' in page
    pdf = await client.get(f"/agreements/{agreement}/report.pdf")
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    assert "تقرير إنجاز الشريك" in pdf_text(await pdf.read())
    xlsx = await client.get(f"/agreements/partners/{partner}/report.xlsx")
    assert f"achievements-partner-{partner}.xlsx" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await xlsx.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "كل ما أنجزه الشريك" and rows[5][:4] == (
        "اتفاقية التشجير",
        rows[5][1],
        "المتطوعون المشاركون",
        5,
    )
    assert (await client.get("/agreements/partners/999")).status == 404
    assert (await client.get("/agreements/999/report.pdf")).status == 404
