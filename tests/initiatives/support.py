"""Partners for the initiatives' tests, written straight as rows (partner registration and
staff review of partners are another feature): an approved partner with a confirmed
representative, and the answers of a complete "propose an initiative" form."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models import AuditLog, OutboxMessage
from storage.models_partners import (
    APPROVED,
    MEMBER_CONFIRMED,
    SUBMITTED,
    Initiative,
    Partner,
    PartnerMember,
)
from tests.families.support import user_id
from tests.support import Chat

PARTNER_AR = "جمعية الطائف الخضراء"
PARTNER_EN = "Taif Green Society"

# The clock fixture starts on 2026-11-25 09:00 UTC: these dates are ahead of it.
PROPOSAL: list[tuple[str, Any]] = [
    ("text", "حملة تشجير حي الشهداء"),
    ("press", "environment"),
    ("press", "shuhada_shamaliya"),
    ("text", "١٠/١٢/٢٠٢٦"),  # Arabic-Indic digits
    ("text", "2026-12-12"),
    ("text", "٢٥"),
    ("text", "شتلات وأدوات زراعة ومشرف ميداني"),
]


async def add_partner(
    db: Database,
    *,
    status: str = APPROVED,
    member_user: int | None = None,
    member_status: str = MEMBER_CONFIRMED,
) -> int:
    """A partner (approved unless told otherwise) and, for `member_user`, its membership."""
    async with db.transaction() as session:
        partner = Partner(
            name_ar=PARTNER_AR,
            name_en=PARTNER_EN,
            type="nonprofit",
            contact_name="خالد",
            contact_mobile="0512345678",
            areas=[],
            status=status,
        )
        session.add(partner)
        await session.flush()
        if member_user is not None:
            session.add(
                PartnerMember(partner_id=partner.id, user_id=member_user, status=member_status)
            )
        return partner.id


async def representative(
    engine: Engine, db: Database, user: str = "rep", locale: str = "ar", **kw: Any
) -> Chat:
    """An onboarded person who represents an approved partner (unless `kw` says otherwise)."""
    chat = Chat(engine, user=user)
    await chat.onboard(locale)
    await add_partner(db, member_user=await user_id(db, user), **kw)
    return chat


async def propose(chat: Chat, answers: list[tuple[str, Any]] | None = None) -> None:
    """From anywhere: the main menu's entry, every answer, then confirm."""
    await chat.send("/start")
    await chat.press("ini")
    for how, value in answers or PROPOSAL:
        await chat.answer(how, value)
    await chat.press("_ok")


async def initiatives(db: Database) -> list[Initiative]:
    async with db.sessions() as session:
        return list((await session.execute(select(Initiative).order_by(Initiative.id))).scalars())


async def outbox_for(db: Database, external_id: str) -> list[OutboxMessage]:
    uid = await user_id(db, external_id)
    async with db.sessions() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.user_id == uid).order_by(OutboxMessage.id)
        return list((await session.execute(stmt)).scalars())


async def audit_actions(db: Database) -> list[str]:
    async with db.sessions() as session:
        stmt = select(AuditLog.action).order_by(AuditLog.id)
        return list((await session.execute(stmt)).scalars())


async def add_initiative(db: Database, partner_id: int, title: str, **kw: Any) -> int:
    """An initiative of the partner written straight as a row (waiting for review unless `kw`
    says otherwise): its id."""
    values: dict[str, Any] = {
        "category": "environment",
        "district": "shuhada_shamaliya",
        "start_date": date(2026, 12, 10),
        "end_date": date(2026, 12, 12),
        "volunteers_wanted": 5,
        "partner_provides": "أدوات",
        "status": SUBMITTED,
        **kw,
    }
    async with db.transaction() as session:
        initiative = Initiative(partner_id=partner_id, title=title, **values)
        session.add(initiative)
        await session.flush()
        return initiative.id
