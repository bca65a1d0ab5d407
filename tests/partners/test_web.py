"""The web partners pages over HTTP: the list with its status filter, one organisation's file,
approve / ask / reject and a representative's confirmation (each with CSRF, each audited and
told), and the role check: no session is sent to sign in, a person who is not staff is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import partners as svc
from bot.services.errors import Forbidden
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditLog, OutboxMessage
from storage.models_partners import Partner, PartnerMember
from tests.conftest import Clock
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


async def registered(
    db: Database, catalogs: Catalogs, settings: Settings, now: datetime, who: str, number: str
) -> int:
    async with db.transaction() as s:
        _, user = await repo.create_user(s, "console", who, who, locale="ar")
        user.consent_version = "test"  # reachable by a broadcast
        unit = Unit(s, Actor.person(user.id), now, catalogs, settings)
        draft = svc.PartnerDraft(
            "جمعية <البر>",
            "Al-Birr",
            "nonprofit",
            number,
            None,
            "هند الثبيتي",
            "+966551234567",
            ("social",),
        )
        return (await svc.register_partner(unit, draft)).id


async def partner(db: Database, partner_id: int) -> Partner:
    async with db.sessions() as s:
        found = await s.get(Partner, partner_id)
        assert found is not None
        return found


async def signed_in(
    client: Client, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, settings, clock(), user_id))


async def test_list_filter_detail_and_decisions(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    first = await registered(db, catalogs, web_settings, clock.now, "r1", "7001000021")
    second = await registered(db, catalogs, web_settings, clock.now, "r2", "1010123456")
    await signed_in(client, db, catalogs, web_settings, clock)
    listing = await client.get("/partners")
    html = await listing.text()
    assert listing.status == 200 and "جمعية &lt;البر&gt;" in html and "<البر>" not in html
    assert f'href="/partners/{first}"' in html and f'href="/partners/{second}"' in html

    page = await client.get(f"/partners/{second}")
    html = await page.text()
    assert "1010123456" in html and "سجل تجاري قديم" in html
    assert "+966551234567" not in html  # the contact's mobile is masked
    assert f'href="/agreements/partners/{second}"' in html  # its agreements and report
    token = csrf_of(html)

    forged = await client.post(f"/partners/{second}/approve", data={}, allow_redirects=False)
    assert forged.status == 403 and (await partner(db, second)).status == "submitted"

    asked = await client.post(
        f"/partners/{second}/ask",
        data={"csrf": token, "question": "أرسلوا الرقم الموحد"},
        allow_redirects=False,
    )
    assert asked.status == 303 and (await partner(db, second)).status == "info"
    rejected = await client.post(
        f"/partners/{first}/reject",
        data={"csrf": token, "note": "بيانات ناقصة"},
        allow_redirects=False,
    )
    assert rejected.status == 303 and (await partner(db, first)).reject_note == "بيانات ناقصة"

    # The filter shows only the organisations in that status.
    html = await (await client.get("/partners?status=info")).text()
    assert f'href="/partners/{second}"' in html and f'href="/partners/{first}"' not in html

    # A representative waiting: confirmed from the file.
    approved = await client.post(
        f"/partners/{second}/approve", data={"csrf": token}, allow_redirects=False
    )
    assert approved.status == 303 and (await partner(db, second)).status == "approved"
    async with db.transaction() as s:
        _, user = await repo.create_user(s, "console", "r3", "r3", locale="en")
        unit = Unit(s, Actor.person(user.id), clock.now, catalogs, web_settings)
        member = await svc.join_partner(unit, second, "Saad")
        member_id = member.id
    confirmed = await client.post(
        f"/partners/{second}/members/{member_id}",
        data={"csrf": token, "do": "confirm"},
        allow_redirects=False,
    )
    assert confirmed.status == 303
    async with db.sessions() as s:
        row = await s.get(PartnerMember, member_id)
        assert row is not None and row.status == "confirmed"
        actions = set((await s.execute(select(AuditLog.action))).scalars())
        keys = [o.payload["key"] for o in (await s.execute(select(OutboxMessage))).scalars()]
    assert {
        "partner.info_requested",
        "partner.rejected",
        "partner.approved",
        "partner.member_confirmed",
    } <= actions
    told = sorted(k for k in keys if k.startswith("ptn.n."))
    assert told == sorted(
        ["ptn.n.info", "ptn.n.rejected", "ptn.n.approved", "ptn.n.member_confirmed"]
    )
    # The web composer's audience by partner type counts the confirmed representatives of
    # approved partners of that type only (r2; r3 accepted no privacy notice; r1 rejected).
    counted = await (
        await client.get("/broadcasts/count.json?kind=partner_type&ptype=nonprofit")
    ).json()
    assert counted["count"] == 1
    counted = await (
        await client.get("/broadcasts/count.json?kind=partner_type&ptype=company")
    ).json()
    assert counted["count"] == 0
    compose = await (await client.get("/broadcasts/new")).text()
    assert 'name="ptype"' in compose and "جهة غير ربحية" in compose
    # The staff member was told someone asked to represent the organisation.
    assert "ptn.stn.join" in keys


async def test_no_session_and_no_staff_role_are_refused(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    pid = await registered(db, catalogs, web_settings, clock.now, "r1", "7001000021")
    page = await client.get("/partners", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/signin"
    await signed_in(client, db, catalogs, web_settings, clock)
    token = csrf_of(await (await client.get("/partners")).text())
    async with db.transaction() as s:
        await repo.set_role(s, "telegram", "100", "user")  # no longer staff
    refused = await client.post(
        f"/partners/{pid}/approve", data={"csrf": token}, allow_redirects=False
    )
    assert refused.status in (303, 403)
    assert (await partner(db, pid)).status == "submitted"
    # The services check the role again whatever the door.
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(1, "user"), clock.now, catalogs, web_settings)
        with pytest.raises(Forbidden):
            await svc.list_partners(unit)
        with pytest.raises(Forbidden):
            await svc.approve_partner(unit, pid)
