"""Several representatives: a second person asks to join a registered organisation (by its
unified number, or a government body picked by name), staff confirm or reject each one, and
only confirmed representatives of approved partners act for it ("my organisation")."""

from __future__ import annotations

from bot.core.engine import Engine
from storage.db import Database
from tests.partners.support import (
    approved,
    audit_actions,
    members,
    notice_keys,
    open_review,
    user_id,
)
from tests.support import Chat, assert_clean


async def joining(engine: Engine, user: str) -> Chat:
    chat = Chat(engine, user=user)
    await chat.onboard()
    await chat.press("ptn")
    await chat.press("join")
    return chat


async def test_second_representative_joins_by_number_and_is_confirmed(
    engine: Engine, db: Database
) -> None:
    await approved(engine, db, "rep")
    second = await joining(engine, "second")
    await second.send("٧٠٠١٢٣٤٥٦٧")
    assert "ما اسمك" in second.text
    await second.send("نورة العتيبي")
    assert "أرسلنا طلب انضمامك" in second.text
    assert_clean(second.last)
    new = (await members(db))[1]
    assert (new.status, new.name) == ("pending", "نورة العتيبي")
    # Pending: not acting for it yet.
    await second.send("/start")
    assert not second.offers("pto")

    boss = Chat(engine, user="boss")  # onboarded when it approved
    await open_review(boss)
    assert "نورة العتيبي" in boss.text
    await boss.press(f"mk{new.id}")
    assert "أُكِّد الممثل" in boss.text
    assert (await members(db))[1].status == "confirmed"
    assert await notice_keys(db, "second") == ["ptn.n.member_confirmed"]
    assert "partner.member_confirmed" in await audit_actions(db)

    await second.send("/start")
    await second.press("pto")
    # Both representatives by name, no mobile numbers.
    assert "نورة العتيبي" in second.text and "عبدالله الزهراني" in second.text
    assert "0551234567" not in second.text and "+966" not in second.text


async def test_a_rejected_representative_does_not_act(engine: Engine, db: Database) -> None:
    await approved(engine, db, "rep")
    second = await joining(engine, "second")
    await second.send("7001234567")
    await second.send("سالم الغامدي")
    new = (await members(db))[1]
    boss = Chat(engine, user="boss")  # onboarded when it approved
    await open_review(boss)
    await boss.press(f"mn{new.id}")
    assert (await members(db))[1].status == "rejected"
    assert await notice_keys(db, "second") == ["ptn.n.member_rejected"]
    await second.send("/start")
    assert not second.offers("pto")


async def test_unknown_number_is_said_and_asked_again(engine: Engine, db: Database) -> None:
    second = await joining(engine, "second")
    await second.send("7999999999")
    assert "لم نجد جهة" in second.text and "اكتب الرقم الموحد" in second.text
    await second.send("abc")
    assert "الرقم غير صحيح" in second.text


async def test_a_government_body_is_picked_by_name(engine: Engine, db: Database) -> None:
    pid = await approved(
        engine, db, "rep", name="جامعة الطائف", kind="government", department="عمادة خدمة المجتمع"
    )
    second = await joining(engine, "second")
    assert any("جامعة الطائف" in label for _, label in second.choices)
    await second.press(f"g{pid}")
    await second.send("خالد الشهري")
    [_, new] = await members(db)
    assert new.partner_id == pid and new.user_id == await user_id(db, "second")


async def test_the_registrant_is_not_listed_apart_before_the_organisation_is_decided(
    engine: Engine, db: Database
) -> None:
    from tests.partners.support import register, staff

    await register(engine, "rep")
    boss = await staff(engine)
    await open_review(boss)
    assert "ممثلون بانتظار التأكيد" not in boss.text
    assert not any(cid.rsplit(":", 1)[-1].startswith("mk") for cid, _ in boss.choices)
