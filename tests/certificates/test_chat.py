"""Certificates in chat: a volunteer asks for one (all hours, or a typed period) and gets a PDF
whose text reads right in Arabic and whose QR code is the verification address; /verify and
"تحقق CODE" answer anyone; English readers get an English certificate."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.services import certificates as service
from bot.services.certificates import VERIFY_TRIES, VERIFY_WINDOW
from bot.settings import Settings
from storage.db import Database
from tests.certificates.support import (
    attended,
    certified,
    glyphs_per_letter,
    pdf_qr_codes,
    pdf_text,
    volunteer_of,
)
from tests.conftest import Clock
from tests.events.support import volunteers
from tests.support import ADULT_ANSWERS, Chat, plain, text_of

CODE = re.compile(r"[A-Z2-9]{5}-[A-Z2-9]{5}")


async def certificate_pdf(chat: Chat) -> bytes:
    [doc] = [o.attachment for o in chat.last if o.attachment is not None]
    assert doc.kind == "document" and doc.filename.endswith(".pdf")
    return doc.data


async def asking(
    engine: Engine, db: Database, clock: Clock, user: str, *shifts: tuple[int, float, str]
) -> Chat:
    """A volunteer who attended shifts (days ago, hours, event title) and pressed «طلب إفادة
    ساعات» on the main menu."""
    [chat] = await volunteers(engine, user)
    vid = await volunteer_of(db, chat=user)
    for days_ago, hours, title in shifts:
        await attended(db, vid, clock.now - timedelta(days=days_ago), hours, title)
    await chat.send("/start")
    await chat.press("crt")
    return chat


async def test_request_all_hours_gets_an_arabic_pdf_and_anyone_verifies_it(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = await asking(
        engine, db, clock, "c1", (20, 3, "حملة تشجير الردف"), (6, 2.5, "تنظيف حديقة الملك فهد")
    )
    assert "إفادة ساعات تطوعية" in chat.text
    await chat.press("all")
    data = await certificate_pdf(chat)
    code = CODE.search(chat.text)
    assert code is not None and "5.5 ساعة" in chat.text
    text = pdf_text(data)
    # Logical order: the strings read as typed, not reversed letter by letter.
    for phrase in (
        "إفادة ساعات تطوعية",
        "محمد عبدالله الغامدي",
        "حملة تشجير الردف",
        "تنظيف حديقة الملك فهد",
        "الموافق",  # the dates: Hijri, then Gregorian
        code[0],
    ):
        assert phrase in text, phrase
    # Joined letters: «ع» in «عبدالله» (initial), «تطوعية» (medial) … is drawn with more
    # than one glyph; without shaping every letter has a single (isolated) glyph.
    forms = glyphs_per_letter(data)
    assert forms["ع"] >= 2 and forms["ة"] >= 2 and forms["ح"] >= 2
    code_plain = code[0].replace("-", "")
    assert pdf_qr_codes(data) == [f"http://127.0.0.1:8090/verify/{code_plain}"]
    # Anyone verifies it, by command or by the Arabic word.
    stranger = Chat(engine, user="s1")
    await stranger.send(f"/verify {code[0]}")
    assert "إفادة صحيحة" in stranger.text and "محمد ا." not in stranger.text
    assert "محمد غ." in stranger.text and "5.5 ساعة" in stranger.text
    await stranger.onboard()
    await stranger.send(f"تحقق {code_plain.lower()}")
    assert "إفادة صحيحة" in stranger.text
    await stranger.send("تحقق ZZZZZ-ZZZZZ")
    assert "لا توجد إفادة بهذا الرمز" in stranger.text


async def test_a_period_typed_badly_is_asked_again_then_certified(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = await asking(engine, db, clock, "c2", (50, 4, "فعالية قديمة"), (5, 2, "فعالية حديثة"))
    await chat.press("per")
    await chat.send("ليس تاريخًا")
    assert chat.offers("_mn") and "اكتب الفترة" in chat.text  # asked again
    await chat.send("01/11/2026 - 30/11/2026")
    text = pdf_text(await certificate_pdf(chat))
    assert "فعالية حديثة" in text and "فعالية قديمة" not in text
    assert "2 ساعتان" not in chat.text and "ساعتان" in chat.text
    # A period with no counted hours: refused, nothing issued, asked again.
    await chat.press("crt")
    await chat.press("per")
    await chat.send("01/01/2025 - 31/01/2025")
    assert "لا توجد ساعات محتسبة" in chat.text
    assert not any(o.attachment for o in chat.last)


async def test_english_certificate_and_verify_in_english(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = Chat(engine, user="e1")
    await chat.start_signup("en")
    for how, value in ADULT_ANSWERS:
        await chat.answer(how, value)
    await chat.press("_ok")
    vid = await volunteer_of(db, chat="e1")
    await attended(db, vid, clock.now - timedelta(days=3), 3, "حملة تشجير الردف")
    await chat.send("/start")
    await chat.press("crt")
    await chat.press("all")
    text = pdf_text(await certificate_pdf(chat))
    assert "Certificate of Volunteer Hours" in text
    # the event's English title; the name as registered, in Arabic, in its own order
    assert "Al-Rudaf tree planting" in text and "حملة تشجير" not in text
    assert "3 hours" in text and "محمد عبدالله الغامدي" in text
    code = CODE.search(chat.text)
    assert code is not None
    await chat.send(f"/verify {code[0]}")
    assert "Valid certificate" in chat.text


async def test_someone_without_a_profile_is_told_how_to_get_hours(engine: Engine) -> None:
    chat = Chat(engine, user="n1")
    await chat.onboard()
    assert not chat.offers("crt")  # no menu entry without a volunteer profile
    await chat.send("/verify")
    assert "رمز الإفادة بعد الأمر" in chat.text
    assert service.display_code("ABCDEFGHJK") == "ABCDE-FGHJK"


async def test_my_data_lists_my_certificates_and_deleting_it_voids_them(
    engine: Engine, db: Database, clock: Clock
) -> None:
    chat = await asking(engine, db, clock, "d1", (3, 2, "فعالية"))
    await chat.press("all")
    code = CODE.search(chat.text)
    assert code is not None
    await chat.send("/mydata")
    assert "إفادات ساعاتك" in chat.text and code[0] in chat.text
    await chat.press("del")
    await chat.press("yes")
    stranger = Chat(engine, user="s2")
    await stranger.send(f"/verify {code[0]}")
    assert "لا توجد إفادة بهذا الرمز" in stranger.text


async def test_verify_limits_each_person_and_says_so_politely(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    """VERIFY_TRIES checks per person in VERIFY_WINDOW (command or Arabic word alike); the
    next is refused in the person's language without looking the code up; others are not
    held up, and after the window the person may check again."""
    _, code = await certified(db, catalogs, settings, clock.now)
    guesser = Chat(engine, user="g1")
    for n in range(VERIFY_TRIES):
        await guesser.send(f"/verify {code}" if n % 2 else f"تحقق ZZZZZ-ZZZ{n:02d}")
    await guesser.send(f"/verify {code}")
    assert plain(text_of("ar", "err.too_many")) in plain(guesser.text)
    assert "إفادة صحيحة" not in guesser.text
    await guesser.send(f"تحقق {code}")
    assert plain(text_of("ar", "err.too_many")) in plain(guesser.text)
    english = Chat(engine, user="g2", language_hint="en")
    for _ in range(VERIFY_TRIES + 1):
        await english.send(f"/verify {code}")
    assert text_of("en", "err.too_many") in english.text
    other = Chat(engine, user="g3")
    await other.send(f"/verify {code}")
    assert "إفادة صحيحة" in other.text
    clock.now += VERIFY_WINDOW
    await guesser.send(f"/verify {code}")
    assert "إفادة صحيحة" in guesser.text
