"""The sites pages over HTTP: the list, creating and editing a site through
`family_sites.save_site` (its refusals shown next to the field), closing and reopening, the
confirmed stalls per day, and CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.core.dates import local_day
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import families as svc
from bot.settings import Settings
from storage.db import Database
from storage.models_families import Family, Site, StallRequest
from tests.conftest import Clock
from tests.families.support import add_site
from tests.web.test_requests import (
    Client,
    audit_actions,
    family_request,
    signed_in,
    token,
)

FORM = {
    "name_ar": "سوق الهدا",
    "name_en": "Al Hada Market",
    "district": "hada",
    "food_stalls": "3",
    "nonfood_stalls": "2",
    "start_date": "2026-12-10",
    "end_date": "2026-12-12",
    "deadline_day": "2026-12-05",
    "fee": "symbolic",
    "fee_note": "",
    "women_only": "on",
}


async def sites(db: Database) -> list[Site]:
    async with db.sessions() as s:
        return list((await s.execute(select(Site).order_by(Site.id))).scalars())


async def test_create_a_site_and_see_it_listed(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, "/sites/new")
    done = await client.post("/sites/new", data={**FORM, "csrf": csrf}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/sites"
    (site,) = await sites(db)
    assert (site.name_ar, site.food_stalls, site.nonfood_stalls, site.fee) == (
        "سوق الهدا",
        3,
        2,
        "symbolic",
    )
    assert site.women_only and not site.saudi_only and site.is_open
    assert "site.created" in await audit_actions(db)
    listed = await (await client.get("/sites")).text()
    assert "سوق الهدا" in listed and f'href="/sites/{site.id}/edit"' in listed
    assert catalogs.translator("ar").t("fam.sf.saved", name="سوق الهدا") in listed


async def test_a_date_typed_in_words_is_read_from_the_clocks_today(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, "/sites/new")
    done = await client.post(
        "/sites/new", data={**FORM, "deadline_day": "غدًا", "csrf": csrf}, allow_redirects=False
    )
    assert done.status == 303, await done.text()
    (site,) = await sites(db)
    tomorrow = local_day(clock(), web_settings.timezone) + timedelta(days=1)
    assert local_day(site.deadline, web_settings.timezone) == tomorrow


async def test_the_service_refusal_is_shown_next_to_its_field(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, "/sites/new")
    bad = {**FORM, "csrf": csrf, "end_date": "2026-12-01"}
    refused = await client.post("/sites/new", data=bad)
    text = await refused.text()
    assert refused.status == 422
    assert 'id="e-end_date"' in text and 'aria-describedby="e-end_date"' in text
    assert catalogs.translator("ar").raw("fam.err.end_before_start") in text
    assert 'value="سوق الهدا"' in text  # what was typed stays
    typo = await client.post("/sites/new", data={**FORM, "csrf": csrf, "food_stalls": "x"})
    assert typo.status == 422 and 'id="e-food_stalls"' in await typo.text()
    assert await sites(db) == []
    assert (await client.post("/sites/new", data=FORM)).status == 403


async def test_edit_cannot_shrink_below_a_held_stall_and_growing_offers_to_waiting(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site_id = await add_site(db, food_stalls=1)
    first = await family_request(db, catalogs, web_settings, clock(), site_id, 21)
    second = await family_request(db, catalogs, web_settings, clock(), site_id, 22)
    boss = await signed_in(client, db, catalogs, web_settings, clock)
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(boss, "staff"), clock(), catalogs, web_settings)
        await svc.approve_request(unit, first)
        await svc.waitlist_request(unit, second)
    page = await (await client.get(f"/sites/{site_id}/edit")).text()
    assert 'value="سوق عكاظ التراثي"' in page
    csrf = await token(client, f"/sites/{site_id}/edit")
    values = {**FORM, "csrf": csrf, "district": "hada", "food_stalls": "0", "nonfood_stalls": "3"}
    refused = await client.post(f"/sites/{site_id}/edit", data=values)
    assert refused.status == 422 and 'id="e-food_stalls"' in await refused.text()
    grown = await client.post(f"/sites/{site_id}/edit", data={**values, "food_stalls": "2"})
    text = await grown.text()
    assert "عُرضت بسطة واحدة على أسرة من قائمة الانتظار." in text
    (site,) = await sites(db)
    assert site.food_stalls == 2 and site.name_ar == "سوق الهدا"
    assert site.latitude == 21.55  # the map pin is kept (set in chat)


async def test_close_and_reopen_applications(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site_id = await add_site(db)
    await signed_in(client, db, catalogs, web_settings, clock)
    csrf = await token(client, f"/sites/{site_id}/edit")
    await client.post(f"/sites/{site_id}/open", data={"csrf": csrf, "open": "0"})
    assert not (await sites(db))[0].is_open
    await client.post(f"/sites/{site_id}/open", data={"csrf": csrf, "open": "1"})
    assert (await sites(db))[0].is_open
    assert (await audit_actions(db))[-2:] == ["site.closed", "site.opened"]
    missing = await client.get("/sites/999/edit")
    assert missing.status == 404
    gone = await client.post("/sites/999/open", data={"csrf": csrf, "open": "0"})
    assert str(gone.url.path) == "/sites"
    assert catalogs.translator("ar").raw("fam.err.site_gone") in await gone.text()


async def test_confirmed_stalls_per_day(
    client: Client, db: Database, catalogs: Catalogs, web_settings: Settings, clock: Clock
) -> None:
    site_id = await add_site(db)
    rid = await family_request(db, catalogs, web_settings, clock(), site_id, 23)
    boss = await signed_in(client, db, catalogs, web_settings, clock)
    async with db.transaction() as s:
        unit = Unit(s, Actor.person(boss, "staff"), clock(), catalogs, web_settings)
        await svc.approve_request(unit, rid, 2)
    empty = await (await client.get(f"/sites/{site_id}/stalls")).text()
    assert f'href="/requests/{rid}"' not in empty  # offered, not yet confirmed
    async with db.transaction() as s:
        family = await _owner(s, rid)
        unit = Unit(s, Actor.person(family, "user"), clock(), catalogs, web_settings)
        await svc.confirm_offer(unit, rid)
    days = await (await client.get(f"/sites/{site_id}/stalls")).text()
    assert days.count(f'href="/requests/{rid}"') == 11  # 10-20 December
    one = await (await client.get(f"/sites/{site_id}/stalls?day=2026-12-12")).text()
    assert one.count(f'href="/requests/{rid}"') == 1
    assert catalogs.translator("ar").tn("web.stalls.count", 1) in one
    unreadable = await (await client.get(f"/sites/{site_id}/stalls?day=zzz")).text()
    assert unreadable.count(f'href="/requests/{rid}"') == 11  # no filter, not an error


async def _owner(session: Any, request_id: int) -> int:
    request = await session.get(StallRequest, request_id)
    family = await session.get(Family, request.family_id)
    return int(family.user_id)
