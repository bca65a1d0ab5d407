"""The broadcast form's confirmation: its final button says "send", an announcement that would
reach nobody cannot be confirmed (explained, back to the audience choice), and a time inside
quiet hours is said to wait until they end."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.engine import Engine
from storage.db import Database
from storage.models import Broadcast
from tests.broadcasts.test_broadcast_flow import broadcasts, composing, registered
from tests.conftest import Clock
from tests.support import Chat

RIYADH = ZoneInfo("Asia/Riyadh")


async def _to_the_summary(boss: Chat, when: str = "now") -> None:
    """From the texts to the confirmation: Arabic text, no English, no file, `when`."""
    await boss.send("حملة تشجير يوم السبت")
    await boss.press("_s")
    await boss.press("_s")
    await boss.press(when)


def _labels(chat: Chat) -> list[str]:
    return [label for _, label in chat.choices]


async def test_the_final_button_says_send(engine: Engine, db: Database) -> None:
    await registered(engine, "v1")
    boss = await composing(engine, "volunteers")
    await _to_the_summary(boss)
    assert "📤 إرسال" in _labels(boss)
    assert not any("تأكيد" in label for label in _labels(boss))
    await boss.press("_ok")
    assert "بدأ إرسال الإعلان" in boss.text


async def test_the_final_button_says_send_in_english(engine: Engine, db: Database) -> None:
    await registered(engine, "v1")
    boss = Chat(engine, user="boss")
    await boss.onboard("en")
    await boss.send("/broadcast")
    await boss.press("volunteers")
    await _to_the_summary(boss)
    assert "📤 Send" in _labels(boss)


async def test_an_announcement_to_nobody_goes_back_to_the_audience(
    engine: Engine, db: Database
) -> None:
    await registered(engine, "v1")  # lives in al-Hawiyah
    boss = await composing(engine, "district")
    await boss.press("shihar")  # nobody lives there
    await _to_the_summary(boss)
    assert "لن يصل هذا الإعلان إلى أحد" in boss.text
    assert "لمن الإعلان؟" in boss.text  # the audience question again
    assert not boss.offers("_ok") and boss.offers("volunteers")
    assert "معاينة" not in boss.text  # no preview of something that cannot be sent
    # the district is asked again, not kept
    await boss.press("district")
    assert boss.offers("hawiya")
    await boss.press("hawiya")
    assert "سيصل الإعلان إلى مستلم واحد" in boss.text and boss.offers("_ok")
    await boss.press("_ok")
    [broadcast] = await broadcasts(db)
    assert broadcast.audience == {"kind": "district", "value": "hawiya"}


async def test_nobody_in_english_and_refused_at_send_too(engine: Engine, db: Database) -> None:
    """The count is taken again when staff press send: the last recipient may have gone."""
    await registered(engine, "v1")
    boss = Chat(engine, user="boss")
    await boss.onboard("en")
    await boss.send("/broadcast")
    await boss.press("volunteers")
    await _to_the_summary(boss)
    assert boss.offers("_ok")
    volunteer = Chat(engine, user="v1")
    await volunteer.send("/mydata")
    await volunteer.press("del")
    await volunteer.press("yes")
    await boss.press("_ok")
    assert "This announcement would reach nobody" in boss.text
    assert "Who should receive it?" in boss.text
    assert not await broadcasts(db)


async def test_a_time_inside_quiet_hours_warns_that_it_will_wait(
    engine: Engine, db: Database, clock: Clock
) -> None:
    await registered(engine, "v1")
    boss = await composing(engine, "volunteers")
    await _to_the_summary(boss, "later")
    late = (clock.now + timedelta(days=2)).astimezone(RIYADH).replace(hour=23, minute=30)
    await boss.send(late.strftime("%Y-%m-%d %H:%M"))
    assert "ضمن ساعات الهدوء" in boss.text and "22:00-08:00" in boss.text
    # ... until 8:00 in the morning of the next day
    assert "8:00 ص" in boss.text and boss.offers("_ok")
    await boss.press("_e")
    await boss.press("at")
    await boss.send(late.replace(hour=18).strftime("%Y-%m-%d %H:%M"))
    assert "ساعات الهدوء" not in boss.text


async def test_sending_now_at_night_warns_in_english(
    engine: Engine, db: Database, clock: Clock
) -> None:
    await registered(engine, "v1")
    clock.now = clock.now.astimezone(RIYADH).replace(hour=23, minute=0)
    boss = Chat(engine, user="boss")
    await boss.onboard("en")
    await boss.send("/broadcast")
    await boss.press("volunteers")
    await _to_the_summary(boss)
    assert "inside quiet hours" in boss.text and "will wait" in boss.text
    assert "8:00 AM" in boss.text
    async with db.sessions() as session:
        assert not (await session.execute(select(Broadcast))).scalars().all()
