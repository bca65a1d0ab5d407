"""A volunteer's own access needs (issue 15 §4): health data asked only after its own consent,
kept with the consent's time and version, shown to staff only on the registrants of a shift the
volunteer joined (chat and web), never in the directory, the profile, the exports or the audit
trail; withdrawn (deleted) in "my data", and gone with "delete my data"."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.services.access_needs import CONSENT_VERSION
from bot.settings import Settings
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
    await open_event_admin(boss, seeded.event_id)
    await boss.press(f"s{joined}")
    await boss.press("rg")
    assert NEEDS in boss.text
    await open_event_admin(boss, seeded.event_id)
    await boss.press(f"s{other}")
    await boss.press("rg")
    assert NEEDS not in boss.text

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
