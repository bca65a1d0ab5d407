"""Partners as a broadcast audience: all approved partners' confirmed representatives, or
those of one type; a pending representative, a rejected partner's and a plain user are not
reached."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models import OutboxMessage
from tests.partners.support import approved, register, user_id
from tests.support import Chat


async def reached(db: Database) -> set[int]:
    async with db.sessions() as session:
        stmt = select(OutboxMessage.user_id).where(OutboxMessage.kind == "broadcast")
        return set((await session.execute(stmt)).scalars())


async def setting(engine: Engine, db: Database) -> None:
    """A company (rep "co"), a charity (rep "ch") approved; a second charity only submitted
    (rep "wait"); a plain user "p"."""
    await approved(engine, db, "co", name="شركة الورد", kind="company", number="7001000031")
    await approved(engine, db, "ch", name="جمعية البر", kind="nonprofit", number="7001000021")
    await register(engine, "wait", name="جمعية أخرى", kind="nonprofit", number="7001000099")
    await Chat(engine, user="p").onboard()


async def compose(boss: Chat, *choices: str) -> None:
    await boss.send("/broadcast")
    for value in choices:
        await boss.press(value)
    await boss.send("لقاء الشركاء يوم الأحد")
    await boss.press("_s")  # no English text
    await boss.press("_s")  # no attachment
    await boss.press("now")


async def test_by_type_reaches_only_that_types_confirmed_representatives(
    engine: Engine, db: Database
) -> None:
    await setting(engine, db)
    boss = Chat(engine, user="boss")
    await compose(boss, "partner_type", "nonprofit")
    assert "جهات غير ربحية" in boss.text or "جهة غير ربحية" in boss.text
    await boss.press("_ok")
    assert await reached(db) == {await user_id(db, "ch")}


async def test_all_partners_reaches_every_confirmed_representative(
    engine: Engine, db: Database
) -> None:
    await setting(engine, db)
    boss = Chat(engine, user="boss")
    await compose(boss, "partners")
    await boss.press("_ok")
    assert await reached(db) == {await user_id(db, "co"), await user_id(db, "ch")}


async def test_a_type_with_nobody_is_refused_and_asked_again(engine: Engine, db: Database) -> None:
    await setting(engine, db)
    boss = Chat(engine, user="boss")
    await compose(boss, "partner_type", "centre")
    assert boss.offers("partner_type")  # back to the audience choice
    assert not await reached(db)
