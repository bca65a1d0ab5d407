"""Attendance rules on the web (issue 14 item 4): no check-out before the check-in, and hours
that are zero read "no hours counted yet" (never "0 ساعة") on a shift's page and on a
volunteer's profile, in Arabic and English."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.i18n import Catalogs
from bot.settings import Settings
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import World, seed_event
from tests.web.test_events import _flash, _register, _staff
from tests.web.test_volunteers import add_volunteers

Client = TestClient[Any, Any]


async def test_no_check_out_before_the_check_in_and_no_hours_read_as_none_yet(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock(), days_ahead=1)
    world = World(db, catalogs, web_settings, clock())
    shift_id = seeded.shift_ids[0]
    reg_id = await _register(db, catalogs, web_settings, clock, world, shift_id)
    token = await _staff(client, db, catalogs, web_settings, clock)
    base = f"/events/{seeded.event_id}/shifts/{shift_id}"
    done = await client.post(f"{base}/registrations/{reg_id}/out", data={"csrf": token})
    tr = catalogs.translator("ar")
    assert _flash(await done.text()) == tr.t("eva.err.out_before_in", name="متطوع 1")
    reg = await world.registration(reg_id)
    assert reg.checked_in_at is None and reg.checked_out_at is None
    page = await (await client.get(base)).text()
    assert "<dd>لم تُحتسب ساعات بعد</dd>" in page  # the shift's total
    assert '<td class="num">لم تُحتسب ساعات بعد</td>' in page  # the registrant's row
    assert ">0<" not in page and "0 ساعة" not in page
    await client.get("/lang/en")
    page = await (await client.get(base)).text()
    assert "<dd>no hours counted yet</dd>" in page and "0 hours" not in page


async def test_a_profile_without_hours_says_none_counted_yet(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    [vid] = await add_volunteers(db, 1)
    await _staff(client, db, catalogs, web_settings, clock)
    page = await (await client.get(f"/volunteers/{vid}")).text()
    assert '<p id="hours-total">لم تُحتسب ساعات بعد.</p>' in page
    await client.get("/lang/en")
    page = await (await client.get(f"/volunteers/{vid}")).text()
    assert '<p id="hours-total">No hours counted yet.</p>' in page
