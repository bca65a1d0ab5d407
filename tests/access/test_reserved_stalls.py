"""Stalls reserved for families in which a person with a disability works (issue 15 §5): the
question (with its consent) is asked only at a site that reserves stalls; only the proof's
reference is kept; staff see it in the review; a reserved stall goes only to such a family once
staff verified it, and other families never get one, even when it is the last free stall."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.core.engine import Engine
from bot.core.flow import JobEnv
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.handlers.families.wiring import expire_offers
from bot.services import families
from bot.services.errors import Conflict
from bot.services.families import FieldProblem
from bot.services.family_sites import SiteData, save_site
from bot.settings import Settings
from storage import families as fam
from storage.db import Database
from storage.models_families import StallRequest
from tests.conftest import Clock
from tests.families.support import (
    SITE_END,
    SITE_START,
    add_site,
    approve,
    open_review,
    register_family,
    request_row,
    request_stall,
    requests,
    staff,
    waitlist,
)
from tests.support import Chat, plain, text_of
from tests.web.rig import staff_user

PROOF = "DC-2026/4411"


async def ask(chat: Chat, site_id: int, disability: bool | None) -> int:
    """A non-food stall at the site; `disability` answers the reserved-stall question (None:
    the question must not be asked)."""
    await request_stall(chat, site_id, stall_type="nonfood", confirm=False)
    question = plain(text_of("ar", "fam.q.disability")).split("\n")[0]
    if disability is None:
        assert question not in plain(chat.text)
    else:
        assert question in plain(chat.text)
        await chat.press("yes" if disability else "no")
        if disability:
            assert "مرجع الإثبات" in plain(chat.text)
            await chat.send("😀")  # no reference in it: asked again
            assert "مرجع الإثبات" in plain(chat.text)
            await chat.send(PROOF)
    await chat.press("_ok")
    return max(r.id for r in await requests(db_of(chat)))


def db_of(chat: Chat) -> Database:
    return chat.engine.db


async def test_reserved_stalls_go_only_to_a_verified_family(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    # Three non-food stalls, one kept (number 3).
    site_id = await add_site(db, nonfood_stalls=3, reserved_stalls=1)
    plain_site = await add_site(db, name_ar="سوق الأحد", nonfood_stalls=3)
    first = await ask(await register_family(engine, "f1", seed=1), site_id, False)
    second = await ask(await register_family(engine, "f2", seed=2), site_id, False)
    third = await ask(await register_family(engine, "f3", seed=3), site_id, False)
    disabled_chat = await register_family(engine, "f4", seed=4)
    with_proof = await ask(disabled_chat, site_id, True)
    # A site without reserved stalls never asks.
    await ask(disabled_chat, plain_site, None)

    row = await request_row(db, with_proof)
    assert row.disability_consent_at is not None and row.disability_proof == PROOF
    assert row.disability_verified_at is None
    assert (await request_row(db, first)).disability_proof is None

    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, first)
    await open_review(boss)
    await approve(boss, second)
    assert [(await request_row(db, r)).stall_number for r in (first, second)] == [1, 2]
    # Stall 3 is free but reserved: the third family is not offered it.
    await open_review(boss)
    await boss.press(f"r{third}")
    await boss.press("ap")
    assert not boss.offers("n3") and not boss.offers("auto")
    assert plain(text_of("ar", "fam.rev.no_stall"))[:15] in plain(boss.text)
    assert (await request_row(db, third)).stall_number is None
    # The rule is the allocation's, not the screen's: the service refuses it as well.
    clerk = await staff_user(db, "staff", external="78")
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(clerk, "staff"), clock(), catalogs, settings)
        with pytest.raises(Conflict):
            await families.approve_request(unit, third, stall=3)
    # The family that stated the proof: staff see the reference, and may offer stall 3.
    await open_review(boss)
    await boss.press(f"r{with_proof}")
    assert PROOF in boss.text
    await boss.press("ap")
    assert boss.offers("n3")
    await boss.press("n3")
    row = await request_row(db, with_proof)
    assert row.stall_number == 3 and row.disability_verified_at is not None


async def test_the_storage_rule_keeps_reserved_numbers(
    engine: Engine, db: Database, clock: Clock
) -> None:
    site_id = await add_site(db, food_stalls=2, nonfood_stalls=4, reserved_stalls=3)
    async with db.sessions() as session:
        site = await fam.get_site(session, site_id)
        assert site is not None
        assert list(fam.reserved_numbers(site, "nonfood")) == [2, 3, 4]
        assert list(fam.reserved_numbers(site, "food")) == [1, 2]  # never more than it has
        assert await fam.free_numbers(session, site, "nonfood") == [1, 2, 3, 4]
        assert await fam.free_numbers(session, site, "nonfood", False) == [1]
        assert await fam.free_numbers(session, site, "nonfood", True) == [2, 3, 4, 1]


async def test_a_site_cannot_reserve_more_stalls_than_it_has(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    boss_id = await staff_user(db, "staff", external="77")
    data = SiteData(
        name_ar="سوق الطائف",
        name_en=None,
        district="suq_ukaz",
        pin=None,
        food_stalls=2,
        nonfood_stalls=3,
        start_date=SITE_START,
        end_date=SITE_END,
        deadline_day=SITE_START - timedelta(days=1),
        fee="free",
        fee_note=None,
        saudi_only=False,
        women_only=False,
        access=("step_free", "toilets", "nope"),
        reserved_stalls=4,
    )
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(boss_id, "staff"), clock(), catalogs, settings)
        with pytest.raises(FieldProblem) as refused:
            await save_site(unit, None, data)
        assert refused.value.msgid == "acc.err.reserved"
    async with db.transaction() as session:
        unit = Unit(session, Actor.person(boss_id, "staff"), clock(), catalogs, settings)
        saved = await save_site(unit, None, replace(data, reserved_stalls=3))
        assert saved.site.reserved_stalls == 3
        assert saved.site.access == ["step_free", "toilets"]  # known features only


async def test_a_freed_reserved_stall_goes_to_the_next_verified_family_first(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    """Two non-food stalls, number 2 kept. When stall 2 frees up (an offer expires, a family
    cancels) it is offered to the first waiting family that stated and had its proof verified,
    ahead of families waiting longer; while none waits, it stays free for one."""
    site_id = await add_site(db, nonfood_stalls=2, reserved_stalls=1)
    holder = await ask(await register_family(engine, "f1", seed=1), site_id, False)
    kept_by = await ask(await register_family(engine, "f2", seed=2), site_id, True)
    first_waiting = await ask(await register_family(engine, "f3", seed=3), site_id, False)
    unverified = await ask(await register_family(engine, "f4", seed=4), site_id, True)
    eligible_chat = await register_family(engine, "f5", seed=5)
    eligible = await ask(eligible_chat, site_id, True)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, holder)
    await open_review(boss)
    await approve(boss, kept_by)
    assert [(await request_row(db, r)).stall_number for r in (holder, kept_by)] == [1, 2]
    holder_chat = Chat(engine, user="f1")
    await holder_chat.press_id(f"so:ok:{holder}")  # stall 1 is taken; stall 2's offer waits
    assert (await request_row(db, holder)).status == "confirmed"
    for rid in (first_waiting, unverified, eligible):
        await open_review(boss)
        await waitlist(boss, rid)
        clock.now += timedelta(minutes=1)  # the waiting line's order
    # A request whose statement was never verified (decided before verification was
    # recorded) is passed over for a reserved stall.
    async with db.transaction() as session:
        await session.execute(
            update(StallRequest)
            .where(StallRequest.id == unverified)
            .values(disability_verified_at=None)
        )

    # The reserved stall's offer runs out: the verified family gets it, not those ahead of it.
    offer = await request_row(db, kept_by)
    assert offer.offer_expires_at is not None
    clock.now = offer.offer_expires_at + timedelta(seconds=1)
    await expire_offers(JobEnv(db, catalogs, settings), clock.now)
    assert (await request_row(db, kept_by)).status == "expired"
    passed = await request_row(db, eligible)
    assert (passed.status, passed.stall_number) == ("approved", 2)
    assert passed.offer_expires_at == clock.now + timedelta(hours=settings.stall_offer_hours)
    assert [(await request_row(db, r)).status for r in (first_waiting, unverified)] == [
        "waitlisted",
        "waitlisted",
    ]

    # That family declines the offer: nobody else waiting may take stall 2, so it stays free.
    await eligible_chat.press_id(f"so:no:{eligible}")
    await eligible_chat.press_id(f"so:dx:{eligible}")
    assert (await request_row(db, eligible)).status == "cancelled"
    assert [(await request_row(db, r)).status for r in (first_waiting, unverified)] == [
        "waitlisted",
        "waitlisted",
    ]
    async with db.sessions() as session:
        site = await fam.get_site(session, site_id)
        assert site is not None
        assert await fam.free_numbers(session, site, "nonfood") == [2]

    # An unreserved stall frees up: the oldest waiting family gets it, as always.
    await holder_chat.send("/families")
    await holder_chat.press("my")
    await holder_chat.press(f"x{holder}")
    await holder_chat.press("yes")
    first = await request_row(db, first_waiting)
    assert (first.status, first.stall_number) == ("approved", 1)
    assert (await request_row(db, unverified)).status == "waitlisted"
