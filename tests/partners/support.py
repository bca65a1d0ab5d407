"""Helpers of the partner tests: a registration through the chat and reading rows back."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models_partners import Partner, PartnerMember
from tests.families.support import audit_actions, notice_keys, staff, user_id
from tests.support import Chat

__all__ = ["audit_actions", "notice_keys", "staff", "user_id"]

UNIFIED = "7001234567"


async def start_registration(engine: Engine, user: str, locale: str = "ar") -> Chat:
    chat = Chat(engine, user=user)
    await chat.onboard(locale)
    await chat.press("ptn")
    await chat.press("reg")
    return chat


async def register(
    engine: Engine,
    user: str,
    *,
    name: str = "جمعية البر بالطائف",
    kind: str = "nonprofit",
    number: str = UNIFIED,
    department: str = "إدارة التطوع",
) -> Chat:
    """A complete registration, answered in Arabic; returns the chat at the end."""
    chat = await start_registration(engine, user)
    await chat.send(name)
    await chat.press("_s")  # no English name
    await chat.press(kind)
    await chat.send(department if kind == "government" else number)
    await chat.send("عبدالله الزهراني")
    await chat.send("0551234567")
    await chat.press("education")
    await chat.press("social")
    await chat.press("_d")
    await chat.press("_ok")
    return chat


async def partners(db: Database) -> list[Partner]:
    async with db.sessions() as session:
        return list((await session.execute(select(Partner).order_by(Partner.id))).scalars())


async def members(db: Database) -> list[PartnerMember]:
    async with db.sessions() as session:
        stmt = select(PartnerMember).order_by(PartnerMember.id)
        return list((await session.execute(stmt)).scalars())


async def open_review(boss: Chat) -> None:
    await boss.send("/staff")
    await boss.press("prv")


async def approve_by_staff(boss: Chat, partner_id: int) -> None:
    await open_review(boss)
    await boss.press(f"p{partner_id}")
    await boss.press("ap")


async def approved(engine: Engine, db: Database, user: str, **kw: str) -> int:
    """`user` registers an organisation and staff ("boss") approve it: its id."""
    await register(engine, user, **kw)
    partner_id = (await partners(db))[-1].id
    boss = Chat(engine, user="boss")
    await boss.send("/start")
    if boss.offers("ar"):  # staff's first contact
        await boss.press("ar")
        await boss.press("yes")
    await approve_by_staff(boss, partner_id)
    return partner_id
