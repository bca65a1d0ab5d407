"""One shift from the web: edit (time, places, gender, approval) and cancel after a
confirmation page, through bot.services.events — registrants told, the waitlist promoted,
audit rows, CSRF and the role checks as on every POST; a refusal writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import registrations
from bot.settings import Settings
from storage.db import Database
from storage.models_events import Shift
from tests.conftest import Clock
from tests.events.support import World, seed_event
from tests.web.rig import csrf_of, link_for, sign_in, staff_user

Client = TestClient[Any, Any]


def _flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash (?:info|error)">(.*?)</p>', html, re.S)


async def _register(world: World, clock: Clock, shift_id: int) -> int:
    person = await world.person()
    async with world.db.transaction() as s:
        unit = Unit(s, Actor.person(person), clock(), world.catalogs, world.settings)
        done = await registrations.register_for_shift(unit, shift_id, waitlist_ok=True)
        return done.registration.id


async def _setup(
    client: Client, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> tuple[World, int, int, str]:
    """An event in 3 days with one shift of 2 places (skills set in chat), three registered
    (the third waits); a staff member signed in. Returns the world, event, shift and token."""
    seeded = await seed_event(db, clock(), shifts=[{"start": 0, "hours": 3, "capacity": 2}])
    shift_id = seeded.shift_ids[0]
    async with db.transaction() as s:
        await s.execute(update(Shift).where(Shift.id == shift_id).values(skills=["إسعافات"]))
    world = World(db, catalogs, settings, clock())
    for _ in range(3):
        await _register(world, clock, shift_id)
    user_id = await staff_user(db, "staff", external="900")
    await sign_in(client, await link_for(db, catalogs, settings, clock(), user_id))
    token = csrf_of(await (await client.get(f"/events/{seeded.event_id}")).text())
    return world, seeded.event_id, shift_id, token


async def test_staff_edit_a_shift_and_registrants_are_told(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    world, event_id, shift_id, token = await _setup(client, db, catalogs, web_settings, clock)
    base = f"/events/{event_id}/shifts/{shift_id}"
    page = await (await client.get(base)).text()
    assert f'href="{base}/edit"' in page and f'href="{base}/cancel"' in page
    form = await (await client.get(f"{base}/edit")).text()
    before = await world.shift(shift_id)
    day = re.search(r'name="day" type="date" required value="([\d-]+)"', form)
    assert day is not None and 'name="capacity"' in form and 'value="2"' in form
    # An hour later, a third place, women only, staff approve; typed in Arabic-Indic digits.
    start = re.search(r'name="start" type="time" required value="(\d\d):(\d\d)"', form)
    assert start is not None
    hour = int(start.group(1)) + 1
    data = {
        "csrf": token,
        "day": day.group(1),
        "start": f"{hour:02d}:{start.group(2)}",
        "end": f"{hour + 3:02d}:{start.group(2)}",
        "capacity": "٣",
        "gender": "f",
        "approval": "staff",
    }
    done = await client.post(f"{base}/edit", data=data)
    assert done.url.path == base
    assert _flashes(await done.text()) == [
        "حُفظت الوردية.",
        "أُبلغ 3 مسجَّلين بالموعد الجديد.",  # the two seated and the one waiting
        "انتقل شخص واحد من قائمة الانتظار إلى الوردية.",
    ]
    after = await world.shift(shift_id)
    assert after.starts_at == before.starts_at + timedelta(hours=1)
    assert after.ends_at - after.starts_at == timedelta(hours=3)
    assert (after.capacity, after.gender, after.auto_confirm) == (3, "f", False)
    assert after.skills == ["إسعافات"]  # not on the web form: kept
    changed = [r for r in await world.outbox("ev:r") if ":chg:" in r.idempotency_key]
    assert len(changed) == 3
    assert len(await world.audits("shift.updated")) == 1


async def test_a_refused_edit_shows_why_and_changes_nothing(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    world, event_id, shift_id, token = await _setup(client, db, catalogs, web_settings, clock)
    base = f"/events/{event_id}/shifts/{shift_id}"
    form = await (await client.get(f"{base}/edit")).text()
    values = dict(re.findall(r'name="(day|start|end)" type="\w+" required value="([^"]*)"', form))
    tr = catalogs.translator("ar")
    below = await client.post(f"{base}/edit", data={"csrf": token, **values, "capacity": "1"})
    html = await below.text()
    assert below.status == 422 and tr.t("esf.err.capacity_below", n=2) in _flashes(html)
    assert 'value="1"' in html  # the form again, with what was typed
    empty = await client.post(f"{base}/edit", data={"csrf": token, **values, "capacity": "x"})
    assert tr.t("web.ev.err.shift_required") in _flashes(await empty.text())
    # An end before the start is refused, never moved to the next day.
    early = {**values, "end": f"{int(values['start'][:2]) - 1:02d}{values['start'][2:]}"}
    backwards = await client.post(f"{base}/edit", data={"csrf": token, **early, "capacity": "5"})
    assert backwards.status == 422
    assert tr.t("evf.err.end_before_start") in _flashes(await backwards.text())
    no_token = await client.post(f"{base}/edit", data={**values, "capacity": "5"})
    assert no_token.status == 403
    assert (await world.shift(shift_id)).capacity == 2
    assert await world.audits("shift.updated") == []
    other = await seed_event(db, clock(), days_ahead=5)
    wrong = await client.get(f"/events/{other.event_id}/shifts/{shift_id}/edit")
    assert wrong.status == 404  # a shift is reached through its own event only


async def test_cancelling_a_shift_asks_first_then_tells_everyone(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    world, event_id, shift_id, token = await _setup(client, db, catalogs, web_settings, clock)
    base = f"/events/{event_id}/shifts/{shift_id}"
    ask = await (await client.get(f"{base}/cancel")).text()
    tr = catalogs.translator("ar")
    assert tr.tn("eva.cancel_shift_q", 3) in ask  # who will be told, before anything happens
    assert f'action="{base}/cancel"' in ask and f'href="{base}"' in ask
    assert (await world.shift(shift_id)).status == "active"  # asking changed nothing
    refused = await client.post(f"{base}/cancel", data={})
    assert refused.status == 403 and (await world.shift(shift_id)).status == "active"
    done = await client.post(f"{base}/cancel", data={"csrf": token})
    assert done.url.path == f"/events/{event_id}"
    assert "أُلغيت الوردية وأُبلغ 3 مسجَّلين." in _flashes(await done.text())
    assert (await world.shift(shift_id)).status == "cancelled"
    told = [r for r in await world.outbox("ev:r") if r.idempotency_key.endswith(":cancelled")]
    assert len(told) == 3
    [audit] = await world.audits("shift.cancelled")
    assert audit.details == {"told": 3}
    page = await (await client.get(base)).text()
    assert f'href="{base}/cancel"' not in page and f'href="{base}/edit"' not in page
    again = await client.post(f"{base}/cancel", data={"csrf": token})
    assert tr.t("eva.err.gone") in _flashes(await again.text())


async def test_only_signed_in_staff_reach_a_shifts_forms(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    seeded = await seed_event(db, clock())
    base = f"/events/{seeded.event_id}/shifts/{seeded.shift_ids[0]}"
    for path in (f"{base}/edit", f"{base}/cancel"):
        anonymous = await client.get(path, allow_redirects=False)
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/signin"
        posted = await client.post(path, data={"csrf": "x"}, allow_redirects=False)
        assert posted.status in (303, 403)
    world = World(db, catalogs, web_settings, clock())
    assert (await world.shift(seeded.shift_ids[0])).status == "active"
