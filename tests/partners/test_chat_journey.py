"""The partner journey through the engine: register → staff ask for information → the
representative answers → staff approve → "my organisation"; the notices and audit rows."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models import OutboxMessage
from storage.models_partners import Initiative
from tests.partners.support import (
    approve_by_staff,
    audit_actions,
    members,
    notice_keys,
    open_review,
    partners,
    register,
    staff,
    start_registration,
    user_id,
)
from tests.support import assert_clean


async def test_register_ask_answer_approve_my_organisation(engine: Engine, db: Database) -> None:
    rep = await register(engine, "rep")
    assert "استلمنا تسجيل الجهة" in rep.text
    assert_clean(rep.last)
    [partner] = await partners(db)
    assert (partner.status, partner.id_kind, partner.reg_number) == (
        "submitted",
        "unified",
        "7001234567",
    )
    assert partner.areas == ["education", "social"]
    [member] = await members(db)
    assert member.status == "pending" and member.user_id == await user_id(db, "rep")

    boss = await staff(engine)
    await open_review(boss)
    assert "جمعية البر بالطائف" in boss.text
    await boss.press(f"p{partner.id}")
    assert "7001234567" in boss.text and "رقم موحد" in boss.text
    await boss.press("in")
    await boss.send("أرسلوا خطاب التفويض من فضلكم")
    assert "أُرسل السؤال" in boss.text
    assert (await partners(db))[0].status == "info"
    assert await notice_keys(db, "rep") == ["ptn.n.info"]

    # The representative presses the notice's button and answers.
    async with db.sessions() as session:
        notice = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.user_id == member.user_id)
            )
        ).scalar_one()
    await rep.press_id(notice.payload["choices"][0]["id"])
    assert "أرسلوا خطاب التفويض" in rep.text
    await rep.send("أرسلناه على البريد اليوم")
    assert "وصلت إجابتك" in rep.text
    answered = (await partners(db))[0]
    assert (answered.status, answered.info_reply) == ("submitted", "أرسلناه على البريد اليوم")
    assert await notice_keys(db, "boss") == ["ptn.stn.answer"]  # staff are told of the answer

    # Staff see the answer, then approve; the registering representative is confirmed with it.
    await open_review(boss)
    await boss.press(f"p{partner.id}")
    assert "أرسلناه على البريد اليوم" in boss.text
    await boss.press("ap")
    assert (await partners(db))[0].status == "approved"
    assert (await members(db))[0].status == "confirmed"
    assert await notice_keys(db, "rep") == ["ptn.n.info", "ptn.n.approved"]
    actions = await audit_actions(db)
    for action in (
        "partner.registered",
        "partner.info_requested",
        "partner.info_answered",
        "partner.approved",
    ):
        assert action in actions

    async with db.transaction() as session:
        from datetime import date

        session.add(
            Initiative(
                partner_id=partner.id,
                title="حملة تشجير الحي",
                category="environment",
                district="x",
                start_date=date(2026, 12, 10),
                end_date=date(2026, 12, 11),
                partner_provides="شتلات",
            )
        )
    await rep.send("/start")
    await rep.press("pto")
    assert "جمعية البر بالطائف" in rep.text and "عبدالله الزهراني" in rep.text
    assert "حملة تشجير الحي" in rep.text and "بانتظار المراجعة" in rep.text
    assert_clean(rep.last)


async def test_rejection_with_a_note_is_told(engine: Engine, db: Database) -> None:
    rep = await register(engine, "rep")
    [partner] = await partners(db)
    boss = await staff(engine)
    await open_review(boss)
    await boss.press(f"p{partner.id}")
    await boss.press("rj")
    await boss.send("الرقم لا يطابق السجل")
    assert (await partners(db))[0].reject_note == "الرقم لا يطابق السجل"
    assert await notice_keys(db, "rep") == ["ptn.n.rejected"]
    assert "partner.rejected" in await audit_actions(db)
    # Not approved: no "my organisation" on the menu.
    await rep.send("/start")
    assert not rep.offers("pto")


async def test_not_staff_cannot_open_the_review(engine: Engine, db: Database) -> None:
    rep = await register(engine, "rep")
    await rep.send("/staff")
    assert not rep.offers("prv")


async def test_an_english_representative_is_told_in_english(engine: Engine, db: Database) -> None:
    rep = await start_registration(engine, "rep", locale="en")
    await rep.send("جمعية البر")
    await rep.send("Al-Birr Society")
    await rep.press("nonprofit")
    await rep.send("7001234567")
    await rep.send("Abdullah Al-Zahrani")
    await rep.send("0551234567")
    await rep.press("health")
    await rep.press("_d")
    assert "Al-Birr Society" in rep.text and "unified number" in rep.text
    await rep.press("_ok")
    assert "We received registration" in rep.text
    [partner] = await partners(db)
    await approve_by_staff(await staff(engine), partner.id)
    async with db.sessions() as session:
        uid = await user_id(db, "rep")
        stmt = select(OutboxMessage).where(OutboxMessage.user_id == uid)
        [notice] = (await session.execute(stmt)).scalars()
    assert notice.payload["key"] == "ptn.n.approved"
    assert notice.payload["params"]["name"] == "Al-Birr Society"
    await rep.send("/start")
    await rep.press("pto")
    assert "Al-Birr Society" in rep.text and "Representatives: Abdullah Al-Zahrani" in rep.text
