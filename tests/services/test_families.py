"""The families services called directly, each in a Unit on the real database: what each rule
writes (request, history, audit row, notice) and what it refuses without writing anything."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.core.unit import Actor
from bot.services import families as svc
from bot.services.errors import Conflict, Forbidden, NotFound
from bot.services.families import FieldProblem, OfferOutcome, StatusConflict
from bot.services.family_sites import save_family
from storage.models import OutboxMessage
from storage.models_families import Family, StallRequest, StallRequestChange
from tests.families.support import SITE_END, SITE_START, add_site, national_id
from tests.services.support import NOW, World, boss, profile, world

__all__ = ["boss", "world"]  # the fixtures, from the shared support module


async def test_save_family_registers_then_corrects(world: World) -> None:
    actor = await world.person()
    first = await world.run(actor, save_family, profile(1))
    assert first.created and first.family.health_cert_number == "HC998877"
    # Without a food category the health certificate is not kept.
    second = await world.run(actor, save_family, profile(1, categories=("crafts",)))
    assert not second.created and second.family.id == first.family.id
    assert second.family.health_cert_number is None and second.family.health_cert_expiry is None


async def test_save_family_refuses_a_national_id_taken(world: World) -> None:
    await world.family(1)
    other = await world.person()
    with pytest.raises(FieldProblem) as caught:
        await world.run(other, save_family, profile(1))
    assert (caught.value.msgid, caught.value.field) == ("fam.err.nid_taken", "national_id")
    assert await world.count(Family) == 1


async def test_save_family_takes_adults_only_whatever_the_door(world: World) -> None:
    """The form asks the birth date; the web or the CLI cannot skip it: the service checks."""
    actor = await world.person()
    today = NOW.astimezone(ZoneInfo("Asia/Riyadh")).date()
    eighteen_today = today.replace(year=today.year - 18)
    for birth, msgid in (
        (eighteen_today + timedelta(days=1), "fam.err.under_age"),
        (None, "fam.err.birth_required"),
    ):
        with pytest.raises(FieldProblem) as caught:
            await world.run(actor, save_family, profile(1, birth_date=birth))
        assert caught.value.msgid == msgid
    assert await world.count(Family) == 0
    saved = await world.run(actor, save_family, profile(1, birth_date=eighteen_today))
    assert saved.family.adult_confirmed_at == NOW
    # A correction needs no birth date again: the confirmation is kept.
    again = await world.run(actor, save_family, profile(1, birth_date=None))
    assert again.family.adult_confirmed_at == NOW


# --- applying -----------------------------------------------------------------------------------
async def test_submit_request_writes_the_request_and_its_history(world: World) -> None:
    site_id = await add_site(world.db)
    family = await world.family(1)
    rid = await world.request(family, site_id)
    row = await world.row(rid)
    assert (row.status, row.stall_type, row.start_date, row.end_date) == (
        "submitted",
        "food",
        SITE_START,
        SITE_END,
    )
    assert await world.history(rid) == [(None, "submitted", family.label)]
    assert await world.notices(family) == []  # the family's own change is answered in chat


async def test_one_active_request_per_family_and_site(world: World) -> None:
    site_id = await add_site(world.db)
    family = await world.family(1)
    await world.request(family, site_id)
    with pytest.raises(Conflict) as refused:
        await world.run(family, svc.check_can_apply, site_id)
    assert refused.value.msgid == "fam.err.already_requested"
    with pytest.raises(FieldProblem) as caught:
        await world.request(family, site_id, "nonfood")
    assert caught.value.msgid == "fam.err.already_requested" and caught.value.field is None
    assert await world.count(StallRequest) == 1


async def test_applying_needs_a_registered_family(world: World) -> None:
    site_id = await add_site(world.db)
    nobody = await world.person()
    with pytest.raises(svc.NotRegistered):
        await world.run(nobody, svc.check_can_apply, site_id)


EARLY = date(2026, 12, 12)  # before the end of the site
REFUSALS = [
    ({}, {}, "food", (date(2026, 12, 1), SITE_END), ("fam.err.date_range", "start")),
    ({}, {}, "food", (date(2026, 12, 15), EARLY), ("fam.err.end_before_start", "end")),
    ({}, {"freelance_doc_expiry": EARLY}, "nonfood", None, ("fam.err.freelance_expires", "end")),
    ({}, {"health_cert_expiry": EARLY}, "food", None, ("fam.err.health_expires", "end")),
    ({}, {"categories": ("crafts",)}, "food", None, ("fam.err.health_missing", "stall_type")),
    ({"food_stalls": 0}, {}, "food", None, ("form.err.choose", "stall_type")),
    ({"women_only": True}, {"applicant_gender": "m"}, "food", None, ("fam.err.women_only", None)),
    (
        {"saudi_only": True},
        {"national_id": national_id(7, "2")},
        "food",
        None,
        ("fam.err.saudi_only", None),
    ),
    ({"is_open": False}, {}, "food", None, ("fam.err.site_closed", None)),
    ({"deadline": NOW - timedelta(hours=1)}, {}, "food", None, ("fam.err.deadline_passed", None)),
]


@pytest.mark.parametrize(("site", "family", "stall", "dates", "expected"), REFUSALS)
async def test_submit_request_refusals_write_nothing(
    world: World,
    site: dict[str, Any],
    family: dict[str, Any],
    stall: str,
    dates: tuple[date, date] | None,
    expected: tuple[str, str | None],
) -> None:
    site_id = await add_site(world.db, **site)
    actor = await world.family(1, **family)
    start, end = dates or (SITE_START, SITE_END)
    with pytest.raises(FieldProblem) as caught:
        await world.run(actor, svc.submit_request, site_id, stall, start, end)
    assert (caught.value.msgid, caught.value.field) == expected
    assert await world.count(StallRequest) == 0 and await world.count(StallRequestChange) == 0


# --- staff review -------------------------------------------------------------------------------
async def test_start_review_moves_a_new_request_and_tells_the_family(
    world: World, boss: Actor
) -> None:
    family = await world.family(1)
    rid = await world.request(family, await add_site(world.db))
    reviewed = await world.run(boss, svc.start_review, rid)
    assert reviewed.request.status == "under_review"
    async with world.db.sessions() as session:
        stmt = select(func.max(StallRequestChange.id)).where(StallRequestChange.request_id == rid)
        change_id = (await session.execute(stmt)).scalar()
    assert await world.notices(family) == [(f"sr{rid}:h{change_id}", "fam.n.review")]
    action = (boss.label, "stall_request.review", f"stall_request:{rid}")
    assert (await world.audits())[-1][:3] == action
    # Opened again: nothing more happens.
    await world.run(boss, svc.start_review, rid)
    assert len(await world.notices(family)) == 1 and len(await world.audits()) == 1


async def test_review_needs_staff_and_an_existing_request(world: World, boss: Actor) -> None:
    family = await world.family(1)
    rid = await world.request(family, await add_site(world.db))
    with pytest.raises(Forbidden):
        await world.run(family, svc.start_review, rid)
    with pytest.raises(Forbidden):
        await world.run(family, svc.approve_request, rid)
    with pytest.raises(NotFound) as gone:
        await world.run(boss, svc.start_review, rid + 100)
    assert gone.value.msgid == "fam.rev.gone"
    assert (await world.row(rid)).status == "submitted" and await world.audits() == []


async def test_approve_offers_a_stall(world: World, boss: Actor) -> None:
    family = await world.family(1)
    rid = await world.request(family, await add_site(world.db))
    offer = await world.run(boss, svc.approve_request, rid, None)
    assert (offer.request.status, offer.request.stall_number, offer.number_taken) == (
        "approved",
        1,
        False,
    )
    assert offer.request.offer_expires_at == NOW + timedelta(hours=48)
    assert (await world.audits())[-1][1:] == (
        "stall_request.approved",
        f"stall_request:{rid}",
        {"stall": 1},
    )
    assert [key for _, key in await world.notices(family)] == ["fam.n.offer"]
    async with world.db.sessions() as session:
        # The family's notice (staff also have one: the new request, issue 13 §4).
        mine = select(OutboxMessage).where(OutboxMessage.user_id == family.user_id)
        notice = (await session.execute(mine)).scalar_one()
    buttons = [c["id"] for c in notice.payload["choices"]]
    assert buttons == [f"so:ok:{rid}", f"so:no:{rid}"]


async def test_approve_with_a_number_taken_gives_another(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db)
    first = await world.request(await world.family(1), site_id)
    second = await world.request(await world.family(2), site_id)
    await world.run(boss, svc.approve_request, first, 1)
    offer = await world.run(boss, svc.approve_request, second, 1)
    assert offer.number_taken and offer.request.stall_number == 2


async def test_approve_without_a_free_stall_writes_nothing(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db, food_stalls=1)
    first = await world.request(await world.family(1), site_id)
    second = await world.request(await world.family(2), site_id)
    await world.run(boss, svc.approve_request, first, None)
    before = len(await world.audits())
    with pytest.raises(Conflict) as caught:
        await world.run(boss, svc.approve_request, second, None)
    assert caught.value.msgid == "fam.rev.no_stall"
    assert (await world.row(second)).status == "submitted"
    assert len(await world.audits()) == before and len(await world.history(second)) == 1


async def test_a_decided_request_cannot_be_decided_again(world: World, boss: Actor) -> None:
    family = await world.family(1)
    rid = await world.request(family, await add_site(world.db))
    await world.run(boss, svc.reject_request, rid, "documents", None)
    with pytest.raises(StatusConflict) as caught:
        await world.run(boss, svc.approve_request, rid, None)
    assert (caught.value.msgid, caught.value.status, caught.value.params) == (
        "fam.rev.changed",
        "rejected",
        {"id": rid},
    )
    assert (await world.row(rid)).stall_number is None


async def test_reject_waitlist_and_ask_are_audited_and_told(world: World, boss: Actor) -> None:
    site_id = await add_site(world.db)
    one, two, three = [await world.family(seed) for seed in (1, 2, 3)]
    rejected = await world.request(one, site_id)
    waiting = await world.request(two, site_id)
    asked = await world.request(three, site_id)
    await world.run(boss, svc.reject_request, rejected, "documents", "صورة الوثيقة غير واضحة")
    await world.run(boss, svc.waitlist_request, waiting)
    await world.run(boss, svc.ask_information, asked, "ما نوع الأكلات؟")
    row = await world.row(rejected)
    assert (row.status, row.reject_reason, row.reject_note) == (
        "rejected",
        "documents",
        "صورة الوثيقة غير واضحة",
    )
    assert (await world.row(waiting)).waitlisted_at == NOW
    assert (await world.row(asked)).info_request == "ما نوع الأكلات؟"
    assert [a[1:] for a in await world.audits()] == [
        ("stall_request.rejected", f"stall_request:{rejected}", {"reason": "documents"}),
        ("stall_request.waitlisted", f"stall_request:{waiting}", {}),
        ("stall_request.needs_info", f"stall_request:{asked}", {}),
    ]
    assert [k for _, k in await world.notices(one)] == ["fam.n.rejected_note"]
    assert [k for _, k in await world.notices(two)] == ["fam.n.waitlisted"]
    assert [k for _, k in await world.notices(three)] == ["fam.n.needs_info"]
    # Only a new request or one under review can be waitlisted.
    with pytest.raises(StatusConflict):
        await world.run(boss, svc.waitlist_request, rejected)


async def test_the_family_answers_a_question(world: World, boss: Actor) -> None:
    family = await world.family(1)
    rid = await world.request(family, await add_site(world.db))
    with pytest.raises(Conflict) as early:
        await world.run(family, svc.answer_information, rid, "جواب")
    assert early.value.msgid == "fam.info.not_needed"
    await world.run(boss, svc.ask_information, rid, "سؤال")
    stranger = await world.family(2)
    with pytest.raises(Conflict):
        await world.run(stranger, svc.answer_information, rid, "ليس طلبي")
    await world.run(family, svc.answer_information, rid, "جواب")
    row = await world.row(rid)
    assert (row.status, row.info_reply) == ("under_review", "جواب")


# --- offers, the waiting list, expiry ----------------------------------------------------------
async def offered_with_waiter(world: World, boss: Actor) -> tuple[Actor, int, Actor, int]:
    """One food stall offered to a family; another family waits for it."""
    site_id = await add_site(world.db, food_stalls=1)
    holder, waiter = await world.family(1), await world.family(2)
    offered = await world.request(holder, site_id)
    waiting = await world.request(waiter, site_id)
    await world.run(boss, svc.approve_request, offered, None)
    await world.run(boss, svc.waitlist_request, waiting)
    return holder, offered, waiter, waiting


async def test_confirm_in_time_keeps_the_stall(world: World, boss: Actor) -> None:
    holder, offered, _, waiting = await offered_with_waiter(world, boss)
    answer = await world.run(holder, svc.confirm_offer, offered)
    assert answer.outcome is OfferOutcome.CONFIRMED and answer.request.status == "confirmed"
    again = await world.run(holder, svc.confirm_offer, offered)
    assert again.outcome is OfferOutcome.ALREADY
    assert (await world.row(waiting)).status == "waitlisted"


async def test_someone_else_cannot_confirm(world: World, boss: Actor) -> None:
    _, offered, waiter, _ = await offered_with_waiter(world, boss)
    with pytest.raises(NotFound) as caught:
        await world.run(waiter, svc.confirm_offer, offered)
    assert caught.value.msgid == "fam.offer.unknown"
    assert (await world.row(offered)).status == "approved"


async def test_confirm_too_late_expires_and_passes_the_stall_on(world: World, boss: Actor) -> None:
    holder, offered, waiter, waiting = await offered_with_waiter(world, boss)
    world.now += timedelta(hours=49)
    answer = await world.run(holder, svc.confirm_offer, offered)
    assert answer.outcome is OfferOutcome.TOO_LATE
    assert (await world.row(offered)).status == "expired"
    row = await world.row(waiting)
    assert (row.status, row.stall_number) == ("approved", 1)
    assert (await world.history(offered))[-1] == ("approved", "expired", "system")
    assert [k for _, k in await world.notices(holder)][-1] == "fam.n.expired"
    assert [k for _, k in await world.notices(waiter)][-1] == "fam.n.offer"


async def test_decline_passes_the_stall_to_the_waiting_family(world: World, boss: Actor) -> None:
    holder, offered, _, waiting = await offered_with_waiter(world, boss)
    await world.run(holder, svc.decline_offer, offered)
    assert (await world.row(offered)).status == "cancelled"
    assert (await world.row(waiting)).status == "approved"
    assert (await world.history(waiting))[-1] == ("waitlisted", "approved", "system")
    with pytest.raises(StatusConflict) as closed:
        await world.run(holder, svc.decline_offer, offered)
    assert (closed.value.msgid, closed.value.status) == ("fam.offer.closed", "cancelled")


async def test_cancel_by_the_family(world: World, boss: Actor) -> None:
    holder, offered, _, waiting = await offered_with_waiter(world, boss)
    await world.run(holder, svc.cancel_request, offered)
    assert (await world.row(waiting)).status == "approved"
    with pytest.raises(Conflict) as caught:
        await world.run(holder, svc.cancel_request, offered)
    assert (caught.value.msgid, caught.value.params) == ("fam.my.cannot_cancel", {"id": offered})


async def test_expire_due_offers_runs_as_the_system(world: World, boss: Actor) -> None:
    _, offered, _, waiting = await offered_with_waiter(world, boss)
    assert await world.run(Actor.system(), svc.expire_due_offers) == 0  # not due yet
    world.now += timedelta(hours=48, seconds=1)
    queued = await world.run(Actor.system(), svc.expire_due_offers)
    assert queued == 2  # "expired" to the holder, the offer to the waiting family
    assert (await world.row(offered)).status == "expired"
    assert (await world.history(waiting))[-1] == ("waitlisted", "approved", "system")
    assert await world.run(Actor.system(), svc.expire_due_offers) == 0


async def test_release_person_frees_their_stalls(world: World, boss: Actor) -> None:
    holder, offered, _, waiting = await offered_with_waiter(world, boss)
    await world.run(holder, svc.confirm_offer, offered)
    assert holder.user_id is not None
    await world.run(Actor.system(), svc.release_person, holder.user_id)
    assert (await world.row(offered)).status == "cancelled"
    assert (await world.history(offered))[-1] == ("confirmed", "cancelled", "system")
    assert (await world.row(waiting)).status == "approved"
    nobody = await world.person()
    assert nobody.user_id is not None
    await world.run(Actor.system(), svc.release_person, nobody.user_id)  # no family: nothing
