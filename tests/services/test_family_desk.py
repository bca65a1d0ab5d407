"""The staff desk's services called directly: the queue's filters, a request's file, bulk
decisions through the one-request rules (the refused ones write nothing), confirmed stalls."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.core.unit import Actor
from bot.services import families as svc
from bot.services import family_desk as desk
from bot.services.errors import Forbidden, NotFound
from bot.services.families import StatusConflict
from bot.services.family_sites import save_family
from storage.models import AuditLog
from tests.families.support import SITE_END, SITE_START, add_site
from tests.services.support import World, profile
from tests.services.support import boss as boss
from tests.services.support import world as world


async def audit_count(world: World) -> int:
    async with world.db.sessions() as s:
        return len((await s.execute(select(AuditLog.id))).all())


async def test_queue_filters(world: World, boss: Actor) -> None:
    okaz = await add_site(world.db)
    other = await add_site(world.db, name_ar="سوق الطائف")
    a = await world.request(await world.family(1), okaz)
    b = await world.request(await world.family(2), other, "nonfood")
    await world.run(boss, svc.waitlist_request, b)

    async def ids(where: desk.QueueFilter, sort: str = "id", desc: bool = False) -> list[int]:
        rows = await world.run(boss, desk.list_queue, where, sort, desc, 0, 10)
        return [r.request.id for r in rows]

    assert await ids(desk.QueueFilter()) == [a, b]
    assert await ids(desk.QueueFilter(), desc=True) == [b, a]
    assert await ids(desk.QueueFilter(site_id=other)) == [b]
    assert await ids(desk.QueueFilter(status="waitlisted")) == [b]
    assert await ids(desk.QueueFilter(stall_type="food")) == [a]
    assert await ids(desk.QueueFilter(since=date(2026, 11, 26))) == []
    assert await ids(desk.QueueFilter(until=date(2026, 11, 25))) == [a, b]
    assert await ids(desk.QueueFilter(until=date(2026, 11, 24))) == []
    assert await world.run(boss, desk.count_queue, desk.QueueFilter(site_id=okaz)) == 1


async def test_the_desk_is_for_staff(world: World) -> None:
    someone = await world.person()
    with pytest.raises(Forbidden):
        await world.run(someone, desk.count_queue, desk.QueueFilter())
    with pytest.raises(Forbidden):
        await world.run(someone, desk.list_sites)
    with pytest.raises(Forbidden):
        await world.run(someone, desk.bulk_decide, [1], desk.BulkAction.REJECT)


async def test_request_file_flags_documents_that_expire_early(
    world: World,
    boss: Actor,
) -> None:
    site = await add_site(world.db)
    family = await world.family(3)
    rid = await world.request(family, site)
    found = await world.run(boss, desk.request_file, rid)
    assert [d.kind for d in found.documents] == [desk.FREELANCE, desk.HEALTH]
    assert not found.documents_expire_early and found.free_numbers == (1, 2)
    assert [c.to_status for c in found.history] == ["submitted"]
    # The family later corrects its certificate to one that ends the day before the last day.

    await world.run(family, save_family, profile(3, health_cert_expiry=date(2026, 12, 19)))
    found = await world.run(boss, desk.request_file, rid)
    assert found.documents_expire_early and found.documents[1].expires_early
    await world.run(family, save_family, profile(3, health_cert_expiry=SITE_END))
    assert not (await world.run(boss, desk.request_file, rid)).documents_expire_early
    with pytest.raises(NotFound):
        await world.run(boss, desk.request_file, 999)


async def test_bulk_decide_reports_refusals_and_writes_nothing_for_them(
    world: World,
    boss: Actor,
) -> None:
    site = await add_site(world.db)
    a = await world.request(await world.family(4), site)
    b_family = await world.family(5)
    b = await world.request(b_family, site)
    await world.run(boss, svc.approve_request, a)
    before = await audit_count(world)
    result = await world.run(
        boss, desk.bulk_decide, [a, b, b, 999], desk.BulkAction.REJECT, "capacity", "ممتلئ"
    )
    assert result.done == (b,)
    assert [(r.request_id, type(r.error)) for r in result.refused] == [
        (a, StatusConflict),
        (999, NotFound),
    ]
    assert await audit_count(world) == before + 1
    assert (await world.row(a)).status == "approved"
    rejected = await world.row(b)
    assert (rejected.status, rejected.reject_reason, rejected.reject_note) == (
        "rejected",
        "capacity",
        "ممتلئ",
    )
    assert [k for _, k in await world.notices(b_family)] == ["fam.n.rejected_note"]
    c = await world.request(await world.family(6), site)
    waited = await world.run(boss, desk.bulk_decide, [c], desk.BulkAction.WAITLIST)
    assert waited.done == (c,) and (await world.row(c)).status == "waitlisted"


async def test_confirmed_stalls_by_day(world: World, boss: Actor) -> None:
    site = await add_site(world.db)
    family = await world.family(7)
    rid = await world.request(family, site)
    await world.run(boss, svc.approve_request, rid, 2)
    assert await world.run(boss, desk.confirmed_stalls, site) == []
    await world.run(family, svc.confirm_offer, rid)
    stalls = await world.run(boss, desk.confirmed_stalls, site)
    assert len(stalls) == (SITE_END - SITE_START).days + 1
    assert {(s.stall_type, s.number, s.request_id) for s in stalls} == {("food", 2, rid)}
    one = await world.run(boss, desk.confirmed_stalls, site, date(2026, 12, 12))
    assert [s.day for s in one] == [date(2026, 12, 12)]
    with pytest.raises(NotFound):
        await world.run(boss, desk.confirmed_stalls, 999)
