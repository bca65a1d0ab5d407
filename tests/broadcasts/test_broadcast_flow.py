"""Staff compose broadcasts in the chat; users stop and restart announcements."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.messages import FileRef, InboundKind
from bot.core.pager import NEXT, PREV
from bot.handlers.broadcasts.broadcast import PAGE_SIZE
from storage.db import Database
from storage.models import AuditLog, Broadcast, OutboxMessage, User
from tests.conftest import Clock
from tests.support import Chat


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def broadcasts(db: Database) -> list[Broadcast]:
    async with db.sessions() as session:
        return list((await session.execute(select(Broadcast))).scalars())


async def registered(engine: Engine, *users: str) -> None:
    for user in users:
        await Chat(engine, user=user).signup_with_id(user)


async def composing(engine: Engine, audience: str) -> Chat:
    """Staff start a broadcast to `audience`; the form asks for the text next."""
    boss = Chat(engine, user="boss")
    await boss.onboard()
    await boss.send("/broadcast")
    await boss.press(audience)
    return boss


async def test_staff_broadcast_now_with_preview_and_count(engine: Engine, db: Database) -> None:
    await registered(engine, "v1", "v2")
    plain_user = Chat(engine, user="p1")
    await plain_user.onboard()  # accepted the notice, not a volunteer
    boss = await composing(engine, "volunteers")
    await boss.send("حملة تشجير <كبيرة> يوم السبت\nالساعة 7 صباحًا & الجميع مدعو")
    await boss.send("Tree planting on Saturday")
    await boss.press("_s")  # no attachment
    await boss.press("now")
    # The preview shows the text exactly as sent (escaped), and the recipient count.
    assert "حملة تشجير &lt;كبيرة&gt; يوم السبت" in boss.text
    assert "Tree planting on Saturday" in boss.text
    assert "سيصل الإعلان إلى مستلمَين" in boss.text
    assert not await rows(db)  # nothing queued before confirming
    await boss.press("_ok")
    assert "بدأ إرسال الإعلان" in boss.text
    [broadcast] = await broadcasts(db)
    assert broadcast.status == "sending" and broadcast.recipients == 2
    assert broadcast.audience == {"kind": "volunteers"}
    queued = await rows(db)
    assert len(queued) == 2 and all(r.announcement and r.quiet for r in queued)
    async with db.sessions() as session:
        audit = (await session.execute(select(AuditLog.action))).scalars().all()
    assert "broadcast.created" in audit


async def test_schedule_later_then_cancel(engine: Engine, db: Database, clock: Clock) -> None:
    boss = await composing(engine, "all")
    await boss.send("إعلان مجدول")
    await boss.press("_s")
    await boss.press("_s")
    await boss.press("later")
    await boss.send("2020-01-01 10:00")
    assert "مضى" in boss.text
    await boss.send("٢٠٢٦/١٢/٠١ ٦:٣٠ م")  # Arabic-Indic digits, evening mark
    assert "هـ الموافق" in boss.text  # shown Hijri then Gregorian
    await boss.press("_ok")
    assert "تمت جدولة الإعلان" in boss.text
    [broadcast] = await broadcasts(db)
    assert broadcast.status == "scheduled"
    assert broadcast.scheduled_at.hour == 15 and broadcast.scheduled_at.minute == 30  # UTC
    assert not await rows(db)
    await boss.send("/staff")
    await boss.press("bcl")
    await boss.press(f"x{broadcast.id}")
    assert "أُلغي الإعلان" in boss.text
    [broadcast] = await broadcasts(db)
    assert broadcast.status == "cancelled"


async def test_the_scheduled_list_pages(engine: Engine, db: Database, clock: Clock) -> None:
    """More scheduled broadcasts than fit one screen: a page at a time, with next / previous."""
    boss = Chat(engine, user="boss")
    await boss.onboard()
    async with db.transaction() as session:
        for n in range(PAGE_SIZE + 2):
            session.add(
                Broadcast(
                    audience={"kind": "all"},
                    text_ar=f"إعلان {n}",
                    scheduled_at=clock.now + timedelta(days=1),
                    status="scheduled",
                    recipients=0,
                )
            )
    await boss.send("/staff")
    await boss.press("bcl")
    assert "الصفحة 1 من 2" in boss.text
    values = [choice_id.rsplit(":", 1)[-1] for choice_id, _ in boss.choices]
    assert values.count("x1") == 1 and f"x{PAGE_SIZE + 1}" not in values
    await boss.press(NEXT)
    assert "الصفحة 2 من 2" in boss.text
    values = [choice_id.rsplit(":", 1)[-1] for choice_id, _ in boss.choices]
    assert f"x{PAGE_SIZE + 1}" in values and "x1" not in values and PREV in values
    await boss.press(f"x{PAGE_SIZE + 2}")
    assert "أُلغي الإعلان" in boss.text and "الصفحة 2 من 2" in boss.text
    assert not boss.offers(f"x{PAGE_SIZE + 2}")
    await boss.press(f"x{PAGE_SIZE + 1}")
    assert "الصفحة" not in boss.text  # the rest fits one page: back on it
    assert boss.offers("x1") and not boss.offers(PREV)


async def test_broadcast_with_a_photo(engine: Engine, db: Database) -> None:
    boss = await composing(engine, "all")
    await boss.send("صورة الفعالية")
    await boss.press("_s")
    await boss.send("not a file")
    assert "أرسل صورة أو ملفًّا" in boss.text
    await boss.deliver(boss.inbound(InboundKind.FILE, file=FileRef("photo-1", "photo")))
    await boss.press("now")
    assert any(o.attachment and o.attachment.file_id == "photo-1" for o in boss.last)
    await boss.press("_ok")
    [broadcast] = await broadcasts(db)
    assert broadcast.attachment and broadcast.attachment["file_id"] == "photo-1"


async def test_only_staff_can_broadcast(engine: Engine, db: Database) -> None:
    user = Chat(engine, user="someone")
    await user.onboard()
    await user.send("/broadcast")
    assert "مخصّص لموظفي الأمانة" in user.text
    assert not user.offers("all")


async def test_stop_and_resume_announcements(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="u")
    await chat.onboard()
    assert "إيقاف الإعلانات" in dict(chat.choices)[chat.choice_id("ann")]
    await chat.press("ann")
    assert "أوقفنا إرسال الإعلانات" in chat.text
    assert "استئناف الإعلانات" in dict(chat.choices)[chat.choice_id("ann")]
    async with db.sessions() as session:
        assert (await session.execute(select(User.opted_out_announcements))).scalar_one()
    await chat.send("/resume")
    assert "ستصلك الإعلانات" in chat.text
    await chat.send("/stop")
    async with db.sessions() as session:
        assert (await session.execute(select(User.opted_out_announcements))).scalar_one()
    # A stopped user's broadcast row is written as skipped, so the summary counts it.
    boss = await composing(engine, "all")
    await boss.send("إعلان")
    await boss.press("_s")
    await boss.press("_s")
    await boss.press("now")
    await boss.press("_ok")
    statuses = sorted(r.status for r in await rows(db))
    assert statuses == ["pending", "skipped"]


async def test_staff_stop_a_broadcast_being_sent(engine: Engine, db: Database) -> None:
    await registered(engine, "v1", "v2", "v3")
    boss = await composing(engine, "volunteers")
    await boss.send("إعلان طويل")
    await boss.press("_s")
    await boss.press("_s")
    await boss.press("now")
    await boss.press("_ok")
    [broadcast] = await broadcasts(db)
    first = min(r.id for r in await rows(db))
    async with db.transaction() as session:  # one went out before the stop
        row = await session.get(OutboxMessage, first)
        assert row is not None
        row.status = "sent"
    await boss.send("/staff")
    await boss.press("bcl")
    assert "قيد الإرسال: 1 من 3" in boss.text
    stop_button = boss.choice_id(f"s{broadcast.id}")
    await boss.press_id(stop_button)
    assert "بعد أن وصل إلى مستلم واحد" in boss.text
    assert sorted(r.status for r in await rows(db)) == ["cancelled", "cancelled", "sent"]
    [broadcast] = await broadcasts(db)
    assert broadcast.status == "stopping"  # the sender settles it and sends the summary
    assert not boss.offers(f"s{broadcast.id}")
    async with db.sessions() as session:
        audit = (await session.execute(select(AuditLog.action))).scalars().all()
    assert "broadcast.stopped" in audit
    await boss.press_id(stop_button)  # the same button pressed again
    assert "لم يعد قيد الإرسال" in boss.text
