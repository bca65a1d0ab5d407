"""The initiatives' pages on the staff desk: the list with its status filter, an initiative's
page with the partner's answer, the decisions (each needs the CSRF token and a staff
session), opening an event with its shift, attaching a market site, and the partner's name on
the event's page."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.settings import Settings
from storage import repositories as repo
from storage.db import Database
from storage.models import OutboxMessage
from storage.models_events import Event, Shift
from storage.models_families import Site
from storage.models_partners import INFO, Initiative
from tests.conftest import Clock
from tests.families.support import add_site
from tests.initiatives.support import PARTNER_AR, add_partner
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


async def seed(
    db: Database, title: str = "معرض الطائف <للأسر>", rep_id: str = "rep", **kw: Any
) -> tuple[int, int]:
    """An initiative proposed by a partner's confirmed representative: (initiative, rep)."""
    rep = await staff_user(db, "user", external=rep_id)
    partner_id = await add_partner(db, member_user=rep)
    async with db.transaction() as session:
        initiative = Initiative(
            partner_id=partner_id,
            title=title,
            category="exhibition",
            district="hawiya",
            start_date=date(2026, 12, 10),
            end_date=date(2026, 12, 20),
            volunteers_wanted=12,
            partner_provides="أجنحة العرض",
            **kw,
        )
        session.add(initiative)
        await session.flush()
        return initiative.id, rep


async def signed_in(
    client: Client, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user = await staff_user(db, "staff")
    await sign_in(client, await link_for(db, catalogs, settings, clock(), user))


async def initiative(db: Database, iid: int) -> Initiative:
    async with db.sessions() as session:
        found = await session.get(Initiative, iid)
    assert found is not None
    return found


async def test_list_filter_detail_and_decisions(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    iid, rep = await seed(db, status=INFO, info_request="كم جناحًا؟", info_reply="عشرون جناحًا")
    other, _ = await seed(db, title="حملة نظافة", rep_id="rep2")
    await signed_in(client, db, catalogs, web_settings, clock)
    listing = await (await client.get("/initiatives")).text()
    assert "معرض الطائف &lt;للأسر&gt;" in listing and "حملة نظافة" in listing
    assert PARTNER_AR in listing
    filtered = await (await client.get("/initiatives?status=info")).text()
    assert "معرض الطائف" in filtered and "حملة نظافة" not in filtered
    page = await (await client.get(f"/initiatives/{iid}")).text()
    assert "عشرون جناحًا" in page and "كم جناحًا؟" in page  # the partner's answer
    csrf = csrf_of(page)
    # Asking is for a submitted initiative; this one waits for an answer: refused, unchanged.
    refused = await client.post(f"/initiatives/{iid}/ask", data={"csrf": csrf, "question": "متى؟"})
    assert "تغيّرت حالة المبادرة" in await refused.text()
    assert (await initiative(db, iid)).info_request == "كم جناحًا؟"
    done = await client.post(
        f"/initiatives/{other}/approve", data={"csrf": csrf}, allow_redirects=False
    )
    assert done.status == 303
    assert (await initiative(db, other)).status == "approved"
    # Reject needs a note.
    await client.post(f"/initiatives/{iid}/reject", data={"csrf": csrf, "note": "  "})
    assert (await initiative(db, iid)).status == INFO
    await client.post(f"/initiatives/{iid}/reject", data={"csrf": csrf, "note": "لا يوجد مكان"})
    rejected = await initiative(db, iid)
    assert rejected.status == "rejected" and rejected.reject_note == "لا يوجد مكان"
    async with db.sessions() as session:
        stmt = select(OutboxMessage.payload).where(OutboxMessage.user_id == rep)
        keys = [p["key"] for p in (await session.execute(stmt)).scalars()]
    assert "ini.n.rejected" in keys


async def test_open_an_event_and_attach_a_site(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    iid, _ = await seed(db, status="approved")
    site_id = await add_site(db)
    await signed_in(client, db, catalogs, web_settings, clock)
    page = await (await client.get(f"/initiatives/{iid}")).text()
    csrf = csrf_of(page)
    form = {
        "csrf": csrf,
        "type": "exhibition",
        "place": "سوق عكاظ",
        "day": "2026-12-11",
        "start": "16:00",
        "end": "22:00",
        "capacity": "12",
    }
    opened = await client.post(f"/initiatives/{iid}/event", data=form, allow_redirects=False)
    assert opened.status == 303 and opened.headers["Location"].startswith("/events/")
    event_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    async with db.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.initiative_id == iid
        shifts = list(
            (await session.execute(select(Shift).where(Shift.event_id == event_id))).scalars()
        )
        assert [s.capacity for s in shifts] == [12]
    event_page = await (await client.get(f"/events/{event_id}")).text()
    assert PARTNER_AR in event_page
    page = await (await client.get(f"/initiatives/{iid}")).text()
    assert f'action="/initiatives/{iid}/site"' in page
    await client.post(
        f"/initiatives/{iid}/site",
        data={"csrf": csrf, "site": str(site_id), "event": str(event_id)},
    )
    async with db.sessions() as session:
        site = await session.get(Site, site_id)
        assert site is not None and site.event_id == event_id


async def test_the_pages_need_csrf_and_a_staff_session(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    iid, _ = await seed(db, status="submitted")
    anonymous = await client.get("/initiatives", allow_redirects=False)
    assert anonymous.status in (302, 303) and "/initiatives" not in anonymous.headers["Location"]
    await signed_in(client, db, catalogs, web_settings, clock)
    assert (await client.post(f"/initiatives/{iid}/approve", data={})).status == 403
    assert (await client.post(f"/initiatives/{iid}/approve", data={"csrf": "0" * 64})).status == 403
    assert (await initiative(db, iid)).status == "submitted"
    async with db.transaction() as s:
        await repo.set_role(s, "telegram", "100", "user")  # no longer staff
    out = await client.get(f"/initiatives/{iid}", allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/signed-out"
