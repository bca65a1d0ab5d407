"""The volunteers' directory and profiles over HTTP (issue 13 §3): search by name, district,
interests and skills, filters, paging, masked national IDs, the full ID for admins only (audited
each time), hours and skills on the profile, and the export."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.services.volunteers import skills_and_key
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, Volunteer
from storage.models_events import ShiftRegistration
from tests.conftest import Clock
from tests.events.support import seed_event
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


async def add_volunteers(db: Database, n: int, start: int = 0, **fields: Any) -> list[int]:
    """`n` volunteers straight into the database (the directory's rows), numbered from
    `start`; their ids."""
    ids = []
    async with db.transaction() as s:
        for i in range(start, start + n):
            _, user = await repo.create_user(s, "console", f"v{i}", f"v{i}", locale="ar")
            volunteer = Volunteer(
                user_id=user.id,
                full_name=fields.get("name", f"متطوع رقم {i:03d}"),
                national_id=f"1{i:09d}",
                mobile=f"+9665{i:08d}",
                gender=fields.get("gender", "m" if i % 2 else "f"),
                birth_date=date(1990, 1, 1),
                birth_calendar="gregorian",
                district=fields.get("district", "shafa" if i % 3 else "hawiya"),
                interests=fields.get("interests", ["environment"] if i % 2 else ["health"]),
                availability=[],
                charter_accepted_at=datetime(2026, 1, 1, tzinfo=UTC),
                created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i),
            )
            volunteer.skills, volunteer.skills_key = skills_and_key(fields.get("skills"))
            s.add(volunteer)
            await s.flush()
            ids.append(volunteer.id)
    return ids


async def _signed_in(
    client: Client, db: Database, catalogs: Catalogs, s: Settings, clock: Clock, role: str
) -> str:
    user_id = await staff_user(db, role, external=f"{role}-1")
    await sign_in(client, await link_for(db, catalogs, s, clock(), user_id))
    return csrf_of(await (await client.get("/volunteers")).text())


async def _audits(db: Database, action: str) -> list[AuditLog]:
    async with db.sessions() as s:
        stmt = select(AuditLog).where(AuditLog.action == action)
        return list((await s.execute(stmt)).scalars())


async def test_the_directory_searches_filters_and_pages(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    ids = await add_volunteers(db, 30)
    await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    first = await (await client.get("/volunteers")).text()
    assert "30 متطوعًا" in first
    assert first.count('href="/volunteers/') == 25 + 1  # a page of rows, and the nav link
    assert "1000000001" not in first and "1•••••••01" in first
    second = await (await client.get("/volunteers?page=2")).text()
    assert f'href="/volunteers/{ids[29]}"' in second
    named = await (await client.get("/volunteers?q=رقم 007")).text()
    assert f'href="/volunteers/{ids[7]}"' in named and "متطوع واحد" in named
    district = await (await client.get("/volunteers?district=hawiya")).text()
    assert "10 متطوعين" in district
    both = await (await client.get("/volunteers?interest=environment&gender=m")).text()
    assert "15 متطوعًا" in both
    for typed in ("environ", "ENVIRON"):  # case does not matter
        by_text = await (await client.get(f"/volunteers?q={typed}")).text()
        assert "15 متطوعًا" in by_text
    newest = await (await client.get("/volunteers?sort=joined&order=desc")).text()
    assert newest.index(f'href="/volunteers/{ids[29]}"') < newest.index(
        f'href="/volunteers/{ids[20]}"'
    )


async def test_a_profile_shows_hours_and_the_id_masked(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    [vid] = await add_volunteers(db, 1, name="سارة <أحمد>")
    seeded = await seed_event(db, clock() - timedelta(days=3), days_ahead=1)
    async with db.transaction() as s:
        s.add(
            ShiftRegistration(
                shift_id=seeded.shift_ids[0],
                volunteer_id=vid,
                status="confirmed",
                seat=1,
                checked_in_at=clock() - timedelta(days=2),
                checked_out_at=clock() - timedelta(days=2) + timedelta(hours=2, minutes=30),
            )
        )
    await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    page = await (await client.get(f"/volunteers/{vid}")).text()
    assert "سارة &lt;أحمد&gt;" in page
    assert "1•••••••00" in page and "1000000000" not in page
    assert "2.5 ساعة في وردية واحدة" in page
    assert "عرض رقم الهوية" not in page  # staff: no button
    missing = await client.get("/volunteers/9999")
    assert catalogs.translator("ar").t("web.vol.not_found") in await missing.text()


async def test_only_an_admin_sees_the_full_id_and_each_view_is_audited(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    [vid] = await add_volunteers(db, 1)
    token = await _signed_in(client, db, catalogs, web_settings, clock, "admin")
    page = await (await client.get(f"/volunteers/{vid}")).text()
    assert "عرض رقم الهوية كاملًا" in page and "1000000000" not in page
    for _ in range(2):
        shown = await client.post(f"/volunteers/{vid}/national-id", data={"csrf": token})
        assert "1000000000" in await shown.text()
        assert shown.headers["Cache-Control"] == "no-store"
    audits = await _audits(db, "volunteer.national_id_viewed")
    assert [a.target for a in audits] == [f"volunteer:{vid}"] * 2
    no_token = await client.post(f"/volunteers/{vid}/national-id")
    assert no_token.status == 403
    assert len(await _audits(db, "volunteer.national_id_viewed")) == 2


async def test_staff_confirm_a_minors_guardian_on_the_profile(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    """Issue 14 item 9: without a code to the guardian, staff confirm (audited); an adult's
    profile has no guardian row at all."""
    adult, minor = await add_volunteers(db, 2)
    async with db.transaction() as s:
        young = await s.get(Volunteer, minor)
        assert young is not None
        young.birth_date = date(2012, 3, 1)
    token = await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    assert 'id="guardian"' not in await (await client.get(f"/volunteers/{adult}")).text()
    page = await (await client.get(f"/volunteers/{minor}")).text()
    assert "بانتظار تأكيد فريق شركاء" in page and "تأكيد موافقة وليّ الأمر" in page
    done = await client.post(f"/volunteers/{minor}/guardian", data={"csrf": token})
    page = await done.text()
    assert "موافقة وليّ الأمر: أكّدها فريق شركاء" in page and 'action="/volunteers/' not in page
    audits = await _audits(db, "guardian.confirmed_by_staff")
    assert [a.target for a in audits] == [f"volunteer:{minor}"]
    assert (await client.post(f"/volunteers/{minor}/guardian")).status == 403  # no CSRF


async def test_staff_are_refused_the_full_id(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    [vid] = await add_volunteers(db, 1)
    token = await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    refused = await client.post(f"/volunteers/{vid}/national-id", data={"csrf": token})
    assert refused.status == 403 and "1000000000" not in await refused.text()
    assert await _audits(db, "volunteer.national_id_viewed") == []


async def test_the_export_follows_the_filters_and_is_audited(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await add_volunteers(db, 6)
    await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    done = await client.get("/volunteers/export?district=hawiya")
    assert done.status == 200 and "spreadsheetml" in done.headers["Content-Type"]
    sheet = load_workbook(io.BytesIO(await done.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][1] == "1•••••••00"  # header + 2, IDs masked
    [audit] = await _audits(db, "volunteers.exported")
    assert audit.details == {"rows": 2}


async def test_the_directory_finds_and_shows_skills_escaped(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    [medic] = await add_volunteers(db, 1, skills="إسعافات أولية، <script>x</script>")
    await add_volunteers(db, 1, start=1, name="سارة خالد", skills="طبخ")
    await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    label = catalogs.translator("ar").t("web.vol.col.skills")
    everyone = await (await client.get("/volunteers")).text()
    assert label in everyone and "طبخ" in everyone  # a column of the directory
    for typed in ("اسعافات", "أوليه"):  # hamza and taa marbuta as people type them
        found = await (await client.get(f"/volunteers?q={typed}")).text()
        assert "متطوع واحد" in found and f'href="/volunteers/{medic}"' in found
        assert "&lt;script&gt;x&lt;/script&gt;" in found and "<script>x" not in found
    page = await (await client.get(f"/volunteers/{medic}")).text()
    assert label in page
    assert 'id="skills">إسعافات أولية، &lt;script&gt;x&lt;/script&gt;</dd>' in page
    done = await client.get("/volunteers/export?q=اسعافات")
    sheet = load_workbook(io.BytesIO(await done.read())).active
    assert sheet is not None
    header, row = list(sheet.iter_rows(values_only=True))
    assert row[header.index(label)] == "إسعافات أولية، <script>x</script>"


async def test_a_profile_without_skills_says_none_were_given(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    [vid] = await add_volunteers(db, 1)
    await _signed_in(client, db, catalogs, web_settings, clock, "staff")
    page = await (await client.get(f"/volunteers/{vid}")).text()
    assert f'id="skills">{catalogs.translator("ar").t("form.skipped_f")}</dd>' in page
