"""A volunteer's own access needs (issue 15 §4): health data asked only after its own consent,
kept with the consent's time and version, shown to staff only on the registrants of a shift the
volunteer joined (chat and web), never in the directory, the profile, the exports or the audit
trail; withdrawn (deleted) in "my data", and gone with "delete my data"."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import access_needs, registrations
from bot.services.access_needs import CONSENT_VERSION
from bot.services.errors import Forbidden
from bot.settings import Settings
from storage import registrations as reg_store
from storage.db import Database
from storage.models import AuditLog, Volunteer
from tests.conftest import Clock
from tests.events.support import open_event_admin, register, seed_event, staff
from tests.support import ADULT_ANSWERS, Chat, plain, text_of
from tests.web.rig import link_for, sign_in, staff_user

Client = TestClient[Any, Any]
NEEDS = "كرسي متحرك ومقعد قريب من المدخل"
CONSENT_AT = ADULT_ANSWERS.index(("press", "no"))  # the consent question's answer


def consenting(needs: str = NEEDS) -> list[tuple[str, Any]]:
    """The adult sign-up with "yes" to the consent and the needs typed after it."""
    answers = list(ADULT_ANSWERS)
    answers[CONSENT_AT] = ("press", "yes")
    answers.insert(CONSENT_AT + 1, ("text", needs))
    return answers


async def volunteer_row(db: Database, nid: str = "1234567897") -> Volunteer:
    async with db.sessions() as session:
        return (
            await session.execute(select(Volunteer).where(Volunteer.national_id == nid))
        ).scalar_one()


def unzipped(data: bytes) -> str:
    """Every XML part of an XLSX, as text (strings are stored in plain XML inside)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


async def shift_pages(client: Client, event_id: int, shift_id: int) -> str:
    page = await client.get(f"/events/{event_id}/shifts/{shift_id}")
    return await page.text() if page.status == 200 else ""


async def chat_registrants(boss: Chat, event_id: int, shift_id: int) -> str:
    await open_event_admin(boss, event_id)
    await boss.press(f"s{shift_id}")
    await boss.press("rg")
    return boss.text


async def test_a_declined_consent_never_asks_the_needs(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    for how, value in ADULT_ANSWERS[:CONSENT_AT]:
        await chat.answer(how, value)
    consent_question = plain(text_of("ar", "acc.q.consent")).split("\n")[0]
    assert consent_question in plain(chat.text)
    assert chat.offers("yes") and chat.offers("no")
    await chat.press("no")
    needs_question = plain(text_of("ar", "acc.q.needs"))[:12]
    assert needs_question not in plain(chat.text)
    assert plain(text_of("ar", "vol.q.charter"))[:20] in plain(chat.text)  # the next question
    await chat.press("yes")
    await chat.press("_ok")
    row = await volunteer_row(db)
    assert (row.access_needs, row.access_consent_at, row.access_consent_version) == (
        None,
        None,
        None,
    )


async def test_staff_of_the_joined_shift_see_the_needs_and_nobody_else_does(
    engine: Engine,
    db: Database,
    client: Client,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    seeded = await seed_event(
        db,
        clock(),
        shifts=[{"start": 0, "hours": 3, "capacity": 5}, {"start": 4, "hours": 2, "capacity": 5}],
    )
    joined, other = seeded.shift_ids
    chat = Chat(engine)
    await chat.signup(consenting())
    row = await volunteer_row(db)
    assert row.access_needs == NEEDS
    assert row.access_consent_at == clock() and row.access_consent_version == CONSENT_VERSION
    await register(chat, seeded.event_id, joined)

    # The staff's chat: the registrants of the shift joined show the needs.
    boss = await staff(engine)
    assert NEEDS in await chat_registrants(boss, seeded.event_id, joined)
    assert NEEDS not in await chat_registrants(boss, seeded.event_id, other)

    # The web: the joined shift's page shows them; another shift, the directory, the
    # volunteer's profile and both exports never do.
    user_id = await staff_user(db, "admin", external="900")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    base = f"/events/{seeded.event_id}/shifts"
    assert NEEDS in await (await client.get(f"{base}/{joined}")).text()
    assert NEEDS not in await (await client.get(f"{base}/{other}")).text()
    assert NEEDS not in await (await client.get("/volunteers")).text()
    assert NEEDS not in await (await client.get(f"/volunteers?q={NEEDS[:5]}")).text()
    assert NEEDS not in await (await client.get(f"/volunteers/{row.id}")).text()
    directory_export = await client.get("/volunteers/export")
    assert directory_export.status == 200
    assert NEEDS not in unzipped(await directory_export.read())
    event_export = await client.get(f"/events/{seeded.event_id}/export")
    assert event_export.status == 200
    assert NEEDS not in unzipped(await event_export.read())
    # The audit trail says consent was given, never what the needs are.
    async with db.sessions() as session:
        audits = (await session.execute(select(AuditLog))).scalars().all()
    assert "volunteer.access_consent_given" in {a.action for a in audits}
    assert not any(NEEDS in repr((a.target, a.details)) for a in audits)


async def test_my_data_shows_corrects_and_withdraws_the_needs(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup(consenting())
    await chat.send("/mydata")
    assert NEEDS in chat.text and chat.offers("wacc")
    await chat.press("wacc")
    assert plain(text_of("ar", "acc.withdrawn"))[:10] in plain(chat.text)
    assert NEEDS not in chat.text and not chat.offers("wacc")
    row = await volunteer_row(db)
    assert (row.access_needs, row.access_consent_at, row.access_consent_version) == (
        None,
        None,
        None,
    )
    async with db.sessions() as session:
        actions = set((await session.execute(select(AuditLog.action))).scalars())
    assert "volunteer.access_consent_withdrawn" in actions


async def test_delete_my_data_leaves_no_needs(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup(consenting())
    await chat.send("/mydata")
    await chat.press("del")
    await chat.press("yes")
    async with db.sessions() as session:
        left = (
            await session.execute(
                select(func.count(Volunteer.id)).where(Volunteer.access_needs.is_not(None))
            )
        ).scalar_one()
    assert left == 0


async def test_only_staff_looking_at_a_joined_shift_see_the_needs_until_they_are_withdrawn(
    engine: Engine,
    db: Database,
    client: Client,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    """End to end, chat and web: two volunteers who consented join shift A of event A; event
    B's shift (with its own registrant), a path mixing event B with shift A, a non-staff actor
    and a shift left do not show the needs; withdrawing the consent and deleting one's data
    remove them from shift A too."""
    event_a = await seed_event(db, clock(), shifts=[{"start": 0, "hours": 3, "capacity": 5}])
    event_b = await seed_event(
        db, clock(), title="حملة نظافة", shifts=[{"start": 0, "hours": 2, "capacity": 5}]
    )
    [shift_a], [shift_b] = event_a.shift_ids, event_b.shift_ids
    withdrawing = Chat(engine, user="v1")
    await withdrawing.signup(consenting())
    await register(withdrawing, event_a.event_id, shift_a)
    other_needs = "مترجم لغة إشارة"
    deleting = Chat(engine, user="v2")
    answers = consenting(other_needs)
    answers[1], answers[2] = ("text", "1000000008"), ("text", "0512345679")
    await deleting.signup(answers)
    await register(deleting, event_a.event_id, shift_a)
    plain_volunteer = Chat(engine, user="v3")
    answers = list(ADULT_ANSWERS)
    answers[1], answers[2] = ("text", "1000000016"), ("text", "0512345670")
    await plain_volunteer.signup(answers)
    await register(plain_volunteer, event_b.event_id, shift_b)

    boss = await staff(engine)
    user_id = await staff_user(db, "staff", external="900")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    a_chat = await chat_registrants(boss, event_a.event_id, shift_a)
    a_web = await shift_pages(client, event_a.event_id, shift_a)
    for shown in (a_chat, a_web):
        assert NEEDS in shown and other_needs in shown
    b_chat = await chat_registrants(boss, event_b.event_id, shift_b)
    b_web = await shift_pages(client, event_b.event_id, shift_b)
    for shown in (b_chat, b_web):
        assert "محمد" in shown  # B's own registrant is listed
        assert NEEDS not in shown and other_needs not in shown
    # Shift A's page reached through event B's address is not a way round.
    crossed = await client.get(f"/events/{event_b.event_id}/shifts/{shift_a}")
    assert crossed.status == 404 and NEEDS not in await crossed.text()
    # The service itself refuses anyone who is not staff (the volunteer, another user).
    async with db.transaction() as session:
        volunteer = await volunteer_row(db)
        unit = Unit(session, Actor.person(volunteer.user_id), clock(), catalogs, web_settings)
        with pytest.raises(Forbidden):
            await access_needs.needs_on_shift(unit, shift_a)

    # Withdrawn in "my data": gone from shift A in chat and on the web.
    await withdrawing.send("/mydata")
    await withdrawing.press("wacc")
    a_chat = await chat_registrants(boss, event_a.event_id, shift_a)
    a_web = await shift_pages(client, event_a.event_id, shift_a)
    for shown in (a_chat, a_web):
        assert NEEDS not in shown and other_needs in shown
    # Deleting one's data: the other volunteer's needs go with it.
    await deleting.send("/mydata")
    await deleting.press("del")
    await deleting.press("yes")
    a_chat = await chat_registrants(boss, event_a.event_id, shift_a)
    a_web = await shift_pages(client, event_a.event_id, shift_a)
    for shown in (a_chat, a_web):
        assert NEEDS not in shown and other_needs not in shown


async def test_a_volunteer_who_left_the_shift_no_longer_shows_needs_there(
    engine: Engine,
    db: Database,
    client: Client,
    catalogs: Catalogs,
    web_settings: Settings,
    clock: Clock,
) -> None:
    seeded = await seed_event(db, clock(), shifts=[{"start": 0, "hours": 3, "capacity": 5}])
    [shift_id] = seeded.shift_ids
    chat = Chat(engine)
    await chat.signup(consenting())
    await register(chat, seeded.event_id, shift_id)
    user_id = await staff_user(db, "staff", external="900")
    await sign_in(client, await link_for(db, catalogs, web_settings, clock(), user_id))
    assert NEEDS in await shift_pages(client, seeded.event_id, shift_id)
    async with db.transaction() as session:
        volunteer = await volunteer_row(db)
        unit = Unit(session, Actor.person(volunteer.user_id), clock(), catalogs, web_settings)
        [reg] = await reg_store.registrants(session, shift_id=shift_id)
        await registrations.cancel_registration(unit, reg.registration.id)
    assert NEEDS not in await shift_pages(client, seeded.event_id, shift_id)
