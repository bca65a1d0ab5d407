"""The web forms' accessibility fields (issue 15 §1, §5): a shift's own features and a site's
features and reserved stalls are saved through the same services as the chat's, shown on the
pages in words, and a reserved count above the site's stalls is refused next to its field."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Shift
from storage.models_families import Site
from tests.conftest import Clock
from tests.events.support import seed_event
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]
SITE = {
    "name_ar": "سوق الهدا",
    "district": "hada",
    "food_stalls": "3",
    "nonfood_stalls": "2",
    "start_date": "2026-12-10",
    "end_date": "2026-12-12",
    "deadline_day": "2026-12-05",
    "fee": "free",
    "acc_step_free": "1",
    "acc_quiet_area": "1",
}


async def _signed_in(
    client: Client, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    user_id = await staff_user(db, "staff", external="900")
    await sign_in(client, await link_for(db, catalogs, settings, clock(), user_id))


async def test_a_shifts_own_features_from_the_web(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock())
    await _signed_in(client, db, catalogs, web_settings, clock)
    base = f"/events/{seeded.event_id}/shifts/{seeded.shift_ids[0]}"
    form = await (await client.get(f"{base}/edit")).text()
    day = re.search(r'name="day" type="date" required value="([\d-]+)"', form)
    start = re.search(r'name="start" type="time" required value="([\d:]+)"', form)
    end = re.search(r'name="end" type="time" required value="([\d:]+)"', form)
    assert day and start and end and 'name="acc_toilets"' in form
    data = {
        "csrf": csrf_of(form),
        "day": day.group(1),
        "start": start.group(1),
        "end": end.group(1),
        "capacity": "2",
        "gender": "",
        "approval": "auto",
        "acc_toilets": "1",
    }
    done = await client.post(f"{base}/edit", data=data, allow_redirects=False)
    assert done.status == 303
    async with db.sessions() as s:
        shift = (await s.execute(select(Shift))).scalar_one()
    assert shift.access == ["toilets"]
    page = await (await client.get(base)).text()
    assert "دورات مياه مهيأة" in page
    again = await (await client.get(f"{base}/edit")).text()
    assert re.search(r'name="acc_toilets" value="1" checked', again)


async def test_a_sites_features_and_reserved_stalls_from_the_web(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await _signed_in(client, db, catalogs, web_settings, clock)
    csrf = csrf_of(await (await client.get("/sites/new")).text())
    refused = await client.post("/sites/new", data={**SITE, "csrf": csrf, "reserved": "4"})
    assert refused.status == 422
    text = await refused.text()
    assert 'id="e-reserved"' in text and "لا يتجاوز 3" in text
    done = await client.post(
        "/sites/new", data={**SITE, "csrf": csrf, "reserved": "٢"}, allow_redirects=False
    )
    assert done.status == 303
    async with db.sessions() as s:
        site = (await s.execute(select(Site))).scalar_one()
    assert site.access == ["step_free", "quiet_area"] and site.reserved_stalls == 2
    stalls = await (await client.get(f"/sites/{site.id}/stalls")).text()
    assert "دخول بلا درج، منطقة هادئة" in stalls
    assert "بسطتان من كل نوع محجوزتان" in stalls
