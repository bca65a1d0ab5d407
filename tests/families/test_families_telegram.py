"""The whole family flow once over HTTP: the real aiogram client and our service against the
fake Bot API. A family registers (with a product photo and its shared contact), requests a
stall; staff review it and approve; the offer arrives through the outbox with its buttons and
the family confirms it; staff export the site's requests as a document."""

from __future__ import annotations

import io
from collections.abc import Callable

from openpyxl import load_workbook

from bot.core.engine import Engine
from fakes.telegram_api import FakeTelegramServer
from storage.db import Database
from tests.channels.telegram.support import DeliveryTracker, TelegramUser, polling, runtime_for
from tests.families.support import APPLICANT_BIRTH, add_site, national_id, request_row

STAFF_ID, FAMILY_ID = 2001, 2002


async def send_photo(fake: FakeTelegramServer, tracker: DeliveryTracker, user_id: int) -> str:
    update_id = fake.user_photo(user_id, b"\xff\xd8 fake jpeg of honey jars")
    await tracker.wait(str(update_id))
    return str(fake.update(update_id)["message"]["photo"][-1]["file_id"])


async def onboard(user: TelegramUser) -> None:
    """First contact in Arabic: /start, the language, the privacy notice accepted."""
    await user.text("/start")
    await user.press("ar")
    await user.press("yes")


async def press_data(
    fake: FakeTelegramServer, tracker: DeliveryTracker, user: TelegramUser, data: str
) -> None:
    """Tap the button with exactly this callback data (a notice's button)."""
    for message in reversed(user.bot_messages()):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data") == data:
                    update_id = fake.user_callback(user.id, data, message["message_id"])
                    await tracker.wait(str(update_id))
                    return
    raise AssertionError(f"no button {data!r}")


async def test_family_flow_over_telegram(
    fake: FakeTelegramServer, make_engine: Callable[..., Engine], db: Database
) -> None:
    engine = make_engine(admin_ids=["console:boss", f"telegram:{STAFF_ID}"])
    site_id = await add_site(db)
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker):
        family = TelegramUser(fake, tracker, FAMILY_ID, first_name="Noura")
        await onboard(family)
        await family.press("fam")
        await family.press("reg")
        assert "لا نطلب صور الهوية" in family.texts_since(-2)
        await family.text("مطبخ أم محمد")
        await family.text("نورة عبدالله الحارثي")
        await family.press("f")
        await family.text(APPLICANT_BIRTH)
        await family.text(national_id(1))
        assert fake.reply_keyboard(FAMILY_ID) is not None  # asks for the contact
        await family.share_contact("+966512345678")
        await family.press("hawiya")
        await family.press("honey")
        await family.press("_d")
        await family.text("FL-778899")
        await family.text("2027-12-31")
        await family.text("HC-112233")
        await family.text("2027-12-31")
        await family.text("عسل سدر طائفي وسمن بلدي <أصلي>")
        assert "لا ترسلي صورة هوية" in family.last_text()  # Noura: addressed as a woman
        photo_id = await send_photo(fake, tracker, FAMILY_ID)
        await family.press("_s")
        await family.press("water")
        await family.press("_d")
        assert "راجعي بيانات الأسرة" in family.last_text()
        await family.press("_ok")
        assert "سُجّلت أسرتك" in family.texts_since(-2)
        await family.press("req")
        await family.press(f"s{site_id}")
        await family.press("food")
        await family.text("2026-12-12")
        await family.press("same")
        await family.press("_ok")
        assert "أُرسل طلبكِ رقم 1" in family.texts_since(-2)

        boss = TelegramUser(fake, tracker, STAFF_ID, first_name="Boss")
        await onboard(boss)
        await boss.text("/staff")
        await boss.press("frv")
        assert "طلب واحد بانتظار المراجعة" in boss.last_text()
        before = len(boss.bot_messages())
        await boss.press("r1")
        details = boss.texts_since(before)
        assert "مطبخ أم محمد" in details and "<أصلي>" in details  # shown as typed, escaped
        assert national_id(1) not in details
        photos = [m for m in boss.bot_messages()[before:] if m.get("photo")]
        assert len(photos) == 1
        await boss.press("ap")
        await boss.press("n1")
        assert "عُرضت البسطة رقم 1" in boss.texts_since(-2)

        # The offer reaches the family through the outbox sender, with its buttons.
        def offer_arrived() -> bool:
            return any("بشرى" in m.get("text", "") for m in family.bot_messages())

        await fake.wait_for(offer_arrived)
        await press_data(fake, tracker, family, "so:ok:1")
        assert "تم التأكيد! البسطة رقم 1" in family.texts_since(-2)
        assert not fake.pending_callbacks

        # Staff export the site's requests: an XLSX document in the chat.
        await boss.text("/staff")
        await boss.press("fsa")
        await boss.press(f"s{site_id}")
        await boss.press("xlsx")
        documents = [m for m in boss.bot_messages() if m.get("document")]
        assert documents and documents[-1]["document"]["file_name"].endswith(".xlsx")
        upload = fake.uploads[-1]
        sheet = load_workbook(io.BytesIO(upload.content)).active
        assert sheet is not None
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0][0] == "رقم الطلب" and rows[1][0] == 1
        assert rows[1][1] == "مؤكَّد"

    request = await request_row(db, 1)
    assert request.status == "confirmed" and request.stall_number == 1
    assert photo_id.startswith("FAKE-photo")


async def test_staff_see_the_familys_own_photo_over_telegram(
    fake: FakeTelegramServer, make_engine: Callable[..., Engine], db: Database
) -> None:
    """A product photo shown to staff must be the one the family sent (by its file id)."""
    engine = make_engine(admin_ids=[f"telegram:{STAFF_ID}"])
    site_id = await add_site(db)
    tracker = DeliveryTracker()
    async with polling(runtime_for(engine), fake, tracker):
        family = TelegramUser(fake, tracker, FAMILY_ID)
        await onboard(family)
        await family.press("fam")
        await family.press("reg")
        for answer in ("مطبخ أم محمد", "نورة عبدالله الحارثي"):
            await family.text(answer)
        await family.press("f")
        await family.text(APPLICANT_BIRTH)
        await family.text(national_id(1))
        await family.text("0512345678")
        await family.press("hawiya")
        await family.press("crafts")
        await family.press("_d")
        await family.text("FL-778899")
        await family.text("2027-12-31")
        await family.text("مشغولات يدوية")
        photo_id = await send_photo(fake, tracker, FAMILY_ID)
        await family.press("_s")
        await family.press("_d")
        await family.press("_ok")
        await family.press("req")
        await family.press(f"s{site_id}")
        await family.press("nonfood")
        await family.text("2026-12-12")
        await family.press("same")
        await family.press("_ok")
        boss = TelegramUser(fake, tracker, STAFF_ID)
        await onboard(boss)
        await boss.text("/staff")
        await boss.press("frv")
        before = len(boss.bot_messages())
        await boss.press("r1")
        [shown] = [m for m in boss.bot_messages()[before:] if m.get("photo")]
    assert shown["photo"][-1]["file_id"] == photo_id
