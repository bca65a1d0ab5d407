"""Sites and the requests' export, called directly: staff only, audited, the capacity rules,
stalls added go to the waiting families, a spreadsheet of a site's requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.core.unit import Actor
from bot.services import families as svc
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.services.families import FieldProblem
from bot.services.family_reports import export_requests
from bot.services.family_sites import SiteData, save_site, set_site_open
from storage.models_families import Site
from tests.families.support import SITE_END, SITE_START, add_site
from tests.services.support import World, boss, world

__all__ = ["boss", "world"]  # the fixtures, shared with the requests' tests

DATA = SiteData(
    name_ar="سوق عكاظ التراثي",
    name_en="Souq Okaz",
    district="suq_ukaz",
    pin=(21.55, 40.48),
    food_stalls=1,
    nonfood_stalls=2,
    start_date=SITE_START,
    end_date=SITE_END,
    deadline_day=date(2026, 12, 5),
    fee="free",
    fee_note=None,
    saudi_only=False,
    women_only=False,
)


async def test_save_site_creates_and_audits(world: World, boss: Actor) -> None:
    saved = await world.run(boss, save_site, None, DATA)
    assert saved.created and saved.site.is_open and saved.site.created_by == boss.user_id
    # Applications close at the end of the deadline's day in Riyadh (UTC+3).
    assert saved.site.deadline.isoformat() == "2026-12-05T20:59:59+00:00"
    assert (await world.audits()) == [
        (boss.label, "site.created", f"site:{saved.site.id}", {"food": 1, "nonfood": 2})
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"food_stalls": 0, "nonfood_stalls": 0}, ("fam.sf.err.no_stalls", "food_stalls")),
        ({"end_date": SITE_START - timedelta(days=1)}, ("fam.err.end_before_start", "end_date")),
        (
            {"deadline_day": SITE_END + timedelta(1)},
            ("fam.sf.err.deadline_after_end", "deadline_day"),
        ),
    ],
)
async def test_save_site_refusals_write_nothing(
    world: World, boss: Actor, changes: dict[str, object], expected: tuple[str, str]
) -> None:
    with pytest.raises(FieldProblem) as caught:
        await world.run(boss, save_site, None, replace(DATA, **changes))  # type: ignore[arg-type]
    assert (caught.value.msgid, caught.value.field) == expected
    assert await world.count(Site) == 0 and await world.audits() == []


async def test_sites_are_staff_business(world: World, boss: Actor) -> None:
    someone = await world.person()
    with pytest.raises(Forbidden):
        await world.run(someone, save_site, None, DATA)
    site_id = await add_site(world.db)
    with pytest.raises(Forbidden):
        await world.run(someone, set_site_open, site_id, False)
    with pytest.raises(Forbidden):
        await world.run(someone, export_requests, site_id, "csv", full_ids=False)
    with pytest.raises(NotFound):
        await world.run(boss, set_site_open, site_id + 1, False)
    assert await world.audits() == []


async def test_a_site_never_shrinks_below_a_stall_in_use(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db, food_stalls=3)
    family = await world.family(1)
    rid = await world.request(family, site_id)
    await world.run(boss, svc.approve_request, rid, 3)
    with pytest.raises(FieldProblem) as caught:
        await world.run(boss, save_site, site_id, replace(DATA, food_stalls=2))
    assert (caught.value.msgid, caught.value.field, caught.value.params) == (
        "fam.sf.err.below_held",
        "food_stalls",
        {"n": 3},
    )
    async with world.db.sessions() as session:
        site = await session.get(Site, site_id)
        assert site is not None and site.food_stalls == 3


async def test_stalls_added_go_to_the_waiting_families(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db, food_stalls=1)
    holder, waiter = await world.family(1), await world.family(2)
    first = await world.request(holder, site_id)
    second = await world.request(waiter, site_id)
    await world.run(boss, svc.approve_request, first, None)
    await world.run(boss, svc.waitlist_request, second)
    saved = await world.run(boss, save_site, site_id, replace(DATA, food_stalls=2))
    assert not saved.created and saved.offered == 1
    row = await world.row(second)
    assert (row.status, row.stall_number) == ("approved", 2)
    # Staff added the stall: the history says who.
    assert (await world.history(second))[-1] == ("waitlisted", "approved", boss.label)
    assert (await world.audits())[-1][1] == "site.updated"


async def test_close_and_reopen_are_audited(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db)
    closed = await world.run(boss, set_site_open, site_id, False)
    assert not closed.is_open
    await world.run(boss, set_site_open, site_id, True)
    assert [a[1] for a in await world.audits()] == ["site.closed", "site.opened"]
    family = await world.family(1)
    await world.run(boss, set_site_open, site_id, False)
    with pytest.raises(Conflict) as refused:
        await world.run(family, svc.check_can_apply, site_id)
    assert refused.value.msgid == "fam.err.site_closed"


async def test_export_requests_is_audited(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db)
    await world.request(await world.family(1), site_id)
    export = await world.run(boss, export_requests, site_id, "csv", full_ids=False)
    assert (export.filename, export.rows) == (f"site-{site_id}-requests.csv", 1)
    header = export.data.decode("utf-8-sig").splitlines()[0]
    assert header.split(",")[0] == world.catalogs.translator("ar").label("fam.x.id")
    operator = Actor.operator("export")
    full = await world.run(operator, export_requests, site_id, "xlsx", full_ids=True)
    assert full.rows == 1
    assert [a[:2] for a in await world.audits()] == [
        (boss.label, "site.exported"),
        ("cli:export", "site.exported"),
    ]
    assert (await world.audits())[0][3] == {"format": "csv", "rows": 1}
    with pytest.raises(NotFound):
        await world.run(boss, export_requests, site_id + 1, "csv", full_ids=False)
    assert len(await world.audits()) == 2
