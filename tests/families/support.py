"""Helpers for the productive-families tests: a site row, a registered family, a request."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.messages import FileRef, InboundKind
from bot.demo import _with_check_digit
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, OutboxMessage, User
from storage.models_families import Family, Site, StallRequest, StallRequestChange
from tests.support import Chat

# The clock fixture starts on 2026-11-25 09:00 UTC.
SITE_START = date(2026, 12, 10)
SITE_END = date(2026, 12, 20)
DEADLINE = datetime(2026, 12, 5, 20, 59, 59, tzinfo=UTC)  # 5 Dec, 23:59:59 in Riyadh

FAMILY_NAME = "مطبخ أم محمد"
APPLICANT = "نورة عبدالله الحارثي"
APPLICANT_BIRTH = "15/03/1400"  # Hijri: an adult (the form refuses under-18 applicants)


def national_id(seed: int, first: str = "1") -> str:
    return _with_check_digit(f"{first}{seed:08d}")


def family_answers(
    nid: str,
    *,
    gender: str = "f",
    categories: tuple[str, ...] = ("food", "crafts"),
    photos: int = 1,
    freelance_expiry: str = "2027-12-31",
    health_expiry: str = "2027-06-30",
) -> list[tuple[str, Any]]:
    """A complete registration, answer by answer (after pressing "register")."""
    answers: list[tuple[str, Any]] = [
        ("text", FAMILY_NAME),
        ("text", APPLICANT),
        ("press", gender),
        ("text", APPLICANT_BIRTH),
        ("text", nid),
        ("text", "0512345678"),
        ("press", "hawiya"),
        *[("press", c) for c in categories],
        ("press", "_d"),
    ]
    if "other" in categories:
        answers.append(("text", "ألعاب أطفال خشبية"))
    answers += [("text", "FL-123456"), ("text", freelance_expiry)]
    if any(c in ("food", "sweets", "coffee", "honey") for c in categories):
        answers += [("text", "HC 998877"), ("text", health_expiry)]
    answers.append(("text", "أكلات طائفية منزلية: عريكة ومرقوق <طازجة> & لذيذة"))
    for index in range(min(photos, 3)):
        answers.append(("photo", f"photo-{index + 1}"))
    if photos < 3:
        answers.append(("press", "_s"))
    answers += [("press", "electricity"), ("press", "_d")]
    return answers


async def send_photo(chat: Chat, file_id: str) -> None:
    await chat.deliver(chat.inbound(InboundKind.FILE, file=FileRef(file_id=file_id, kind="photo")))


async def answer_all(chat: Chat, answers: list[tuple[str, Any]]) -> None:
    for how, value in answers:
        if how == "photo":
            await send_photo(chat, value)
        else:
            await chat.answer(how, value)


async def register_family(
    engine: Engine, user: str, seed: int = 1, locale: str = "ar", **kw: Any
) -> Chat:
    """Onboard `user` and register a family; the chat ends on the families menu."""
    chat = Chat(engine, user=user)
    await chat.onboard(locale)
    await chat.press("fam")
    await chat.press("reg")
    await answer_all(chat, family_answers(kw.pop("nid", None) or national_id(seed), **kw))
    await chat.press("_ok")
    return chat


async def add_site(db: Database, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "name_ar": "سوق عكاظ التراثي",
        "name_en": "Souq Okaz Heritage Market",
        "district": "suq_ukaz",
        "latitude": 21.55,
        "longitude": 40.48,
        "food_stalls": 2,
        "nonfood_stalls": 3,
        "start_date": SITE_START,
        "end_date": SITE_END,
        "deadline": DEADLINE,
        "fee": "free",
        "fee_note": None,
        "saudi_only": False,
        "women_only": False,
        "is_open": True,
    }
    values.update(overrides)
    async with db.transaction() as session:
        site = Site(**values)
        session.add(site)
        await session.flush()
        return site.id


async def request_stall(
    chat: Chat,
    site_id: int,
    stall_type: str = "food",
    start: str = "2026-12-10",
    end: str = "last",
    confirm: bool = True,
) -> None:
    """From anywhere: /families → request → the site → type → dates → confirm."""
    await chat.send("/families")
    await chat.press("req")
    await chat.press(f"s{site_id}")
    await chat.press(stall_type)
    await chat.send(start)
    if end in ("same", "last"):
        await chat.press(end)
    else:
        await chat.send(end)
    if confirm:
        await chat.press("_ok")


async def submitted(
    engine: Engine, db: Database, user: str, seed: int, site_id: int | None = None, **kw: Any
) -> int:
    """Register `user`'s family and request a stall (at a new site unless `site_id` is given;
    `kw` as for `request_stall`); returns the request's id."""
    site_id = site_id or await add_site(db)
    chat = await register_family(engine, user, seed=seed)
    await request_stall(chat, site_id, **kw)
    return max(r.id for r in await requests(db))


async def staff(engine: Engine, user: str = "boss") -> Chat:
    chat = Chat(engine, user=user)
    await chat.onboard()
    return chat


async def open_review(boss: Chat) -> None:
    await boss.send("/staff")
    await boss.press("frv")


async def approve(boss: Chat, request_id: int, stall: str = "auto") -> None:
    """In the review queue: open the request, approve it and offer `stall` ("auto", "n1", ...)."""
    await boss.press(f"r{request_id}")
    await boss.press("ap")
    await boss.press(stall)


async def waitlist(boss: Chat, request_id: int) -> None:
    """In the review queue: open the request and put it on the waiting list."""
    await boss.press(f"r{request_id}")
    await boss.press("wl")


async def requests(db: Database) -> list[StallRequest]:
    async with db.sessions() as session:
        stmt = select(StallRequest).order_by(StallRequest.id)
        return list((await session.execute(stmt)).scalars())


async def request_row(db: Database, request_id: int) -> StallRequest:
    async with db.sessions() as session:
        found = await session.get(StallRequest, request_id)
        assert found is not None
        return found


async def families(db: Database) -> list[Family]:
    async with db.sessions() as session:
        return list((await session.execute(select(Family).order_by(Family.id))).scalars())


async def history(db: Database, request_id: int) -> list[tuple[str | None, str, str]]:
    async with db.sessions() as session:
        stmt = (
            select(StallRequestChange)
            .where(StallRequestChange.request_id == request_id)
            .order_by(StallRequestChange.id)
        )
        return [
            (c.from_status, c.to_status, c.actor) for c in (await session.execute(stmt)).scalars()
        ]


async def user_id(db: Database, external_id: str) -> int:
    async with db.sessions() as session:
        stmt = (
            select(User.id).join(ChannelIdentity).where(ChannelIdentity.external_id == external_id)
        )
        return int((await session.execute(stmt)).scalar_one())


async def notices(db: Database, external_id: str) -> list[OutboxMessage]:
    uid = await user_id(db, external_id)
    async with db.sessions() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.user_id == uid).order_by(OutboxMessage.id)
        return list((await session.execute(stmt)).scalars())


async def notice_keys(db: Database, external_id: str) -> list[str]:
    return [n.payload.get("key", "") for n in await notices(db, external_id)]


async def audit_actions(db: Database) -> list[str]:
    async with db.sessions() as session:
        stmt = select(AuditLog.action).order_by(AuditLog.id)
        return list((await session.execute(stmt)).scalars())


async def open_sites_admin(boss: Chat) -> None:
    await boss.send("/staff")
    await boss.press("fsa")
