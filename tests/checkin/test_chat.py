"""QR self check-in through the engine, as people send it: the Telegram deep link
(/start ci_<code>), /checkin, and the word and code as WhatsApp prefills it or anyone types it
(any case, with Arabic-Indic digits). Inside the window the volunteer is checked in (the same
rule and audit as staff's check-in); everyone else is told why not; a form in progress is
asked again afterwards with nothing lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import checkin
from bot.settings import Settings
from storage.db import Database
from storage.models_events import PENDING, Shift
from tests.certificates.support import volunteer_of
from tests.checkin.support import (
    CODE,
    SHOWN,
    audits,
    checked_in_at,
    current_code,
    place,
    shift_in,
)
from tests.conftest import Clock
from tests.events.support import volunteers
from tests.support import ADULT_ANSWERS, Chat, assert_clean, conversation

DONE = "سُجِّل حضورك"
ALREADY = "مسجَّل من قبل"


async def _registered(
    engine: Engine,
    db: Database,
    catalogs: Catalogs,
    settings: Settings,
    clock: Clock,
    starts_in: timedelta,
    user: str = "v1",
    hours: float = 3,
    code: str = CODE,
) -> tuple[Chat, int, int]:
    """A volunteer with a confirmed place on a shift starting `starts_in` from now: their
    chat, the shift id and the registration id."""
    [chat] = await volunteers(engine, user)
    seeded = await shift_in(db, catalogs, settings, clock.now, starts_in, hours, code)
    shift_id = seeded.shift_ids[0]
    reg_id = await place(db, shift_id, await volunteer_of(db, chat=user))
    return chat, shift_id, reg_id


async def test_inside_the_window_the_deep_link_checks_in_once(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, _, reg_id = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15)
    )
    await chat.send(f"/start ci_{CODE}")
    assert DONE in chat.text and "حملة تشجير الردف" in chat.text
    assert_clean(chat.last)
    assert await checked_in_at(db, reg_id) == clock.now
    # The same audit row as staff's check-in, saying it came from the QR code.
    [row] = await audits(db, "attendance.check_in")
    assert row.target == f"registration:{reg_id}" and row.details == {"via": "qr"}
    # Scanned again later: friendly, and the first time stands.
    first = clock.now
    clock.now += timedelta(minutes=5)
    await chat.send(f"/start ci_{CODE}")
    assert ALREADY in chat.text and DONE not in chat.text
    assert await checked_in_at(db, reg_id) == first
    assert len(await audits(db, "attendance.check_in")) == 1


async def test_before_the_window_says_when_it_opens_then_works_once_open(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, _, reg_id = await _registered(engine, db, catalogs, settings, clock, timedelta(hours=2))
    await chat.send(f"/checkin {SHOWN}")
    assert "لم يبدأ تسجيل الحضور" in chat.text
    # Opens 30 minutes before the 11:00 UTC start: 13:30 in Riyadh, Hijri and Gregorian.
    assert "الموافق" in chat.text and "1:30" in chat.text, chat.text
    assert await checked_in_at(db, reg_id) is None
    clock.now += timedelta(hours=1, minutes=31)
    await chat.send(f"/checkin {SHOWN}")
    assert DONE in chat.text
    assert await checked_in_at(db, reg_id) == clock.now


async def test_after_the_shift_ended_nobody_checks_in(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, _, reg_id = await _registered(
        engine, db, catalogs, settings, clock, -timedelta(hours=4), hours=3
    )
    await chat.send(f"/start ci_{CODE}")
    assert "انتهت وردية" in chat.text and "المشرف" in chat.text
    assert await checked_in_at(db, reg_id) is None
    assert await audits(db, "attendance.check_in") == []


async def test_someone_who_is_not_a_volunteer_is_told_how_to_sign_up(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    await shift_in(db, catalogs, settings, clock.now, timedelta(minutes=10))
    # Scanned before ever writing to the bot: the answer, then the language question.
    new = Chat(engine, user="n1", language_hint="ar")
    await new.send(f"/start ci_{CODE}")
    assert "للمتطوعين المسجّلين فقط" in new.text and "/menu" in new.text
    assert new.offers("ar") and new.offers("en")
    # Signed in and onboarded, but no volunteer: the same answer, then the menu again.
    await new.press("ar")
    await new.press("yes")
    await new.send(f"حضور {SHOWN}")
    assert "للمتطوعين المسجّلين فقط" in new.text and new.offers("vol")


async def test_a_volunteer_not_registered_for_the_shift_is_told_so(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    [chat] = await volunteers(engine, "v2")
    await shift_in(db, catalogs, settings, clock.now, timedelta(minutes=10))
    await chat.send(f"/start ci_{CODE}")
    assert "لست مسجّلًا في وردية «حملة تشجير الردف»" in chat.text and "/events" in chat.text
    assert await audits(db, "attendance.check_in") == []


async def test_a_pending_registration_is_not_checked_in(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    [chat] = await volunteers(engine, "v3")
    seeded = await shift_in(db, catalogs, settings, clock.now, timedelta(minutes=10))
    reg_id = await place(db, seeded.shift_ids[0], await volunteer_of(db, chat="v3"), PENDING)
    await chat.send(f"/start ci_{CODE}")
    assert "ينتظر موافقة الفريق" in chat.text
    assert await checked_in_at(db, reg_id) is None


async def test_an_unknown_code_is_said_and_english_readers_read_english(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat = Chat(engine, user="e1")
    await chat.onboard("en")
    await chat.send("checkin ZZZZ-ZZZZ")
    assert "matches no shift" in chat.text
    await chat.send("/start ci_nonsense")
    assert "matches no shift" in chat.text


async def test_typed_at_a_free_text_step_the_code_checks_in_and_the_form_resumes(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, _, reg_id = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15)
    )
    # The certificate request's period question takes free text.
    await chat.send("/start")
    await chat.press("crt")
    await chat.press("per")
    before = await conversation(db, chat)
    asked = chat.last[-1].text
    assert before.step == "period"
    await chat.send(f"حضور {SHOWN}")
    assert DONE in chat.text
    assert await checked_in_at(db, reg_id) == clock.now
    after = await conversation(db, chat)
    assert (after.flow, after.step) == (before.flow, before.step)
    assert chat.last[-1].text == asked  # the question again, not taken as its answer


async def test_a_sign_up_in_progress_is_not_lost(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    await shift_in(db, catalogs, settings, clock.now, timedelta(minutes=10))
    chat = Chat(engine, user="s1")
    await chat.start_signup()
    await chat.answer(*ADULT_ANSWERS[0])  # the name; now the national ID (typed text)
    asked = chat.last[-1].text
    await chat.send(f"/checkin {SHOWN}")
    assert "للمتطوعين المسجّلين فقط" in chat.text
    assert chat.last[-1].text == asked  # the same question again
    # A note that merely starts with the check-in word is the step's answer, not a check-in.
    await chat.send("حضور مبكر")
    assert "للمتطوعين" not in chat.text and "رمز" not in chat.text
    await chat.send(f"{ADULT_ANSWERS[1][1]}")
    for how, value in ADULT_ANSWERS[2:]:
        await chat.answer(how, value)
    await chat.press("_ok")
    assert await volunteer_of(db, chat="s1") > 0  # the sign-up finished with the kept name


async def test_whatsapp_text_typed_with_arabic_indic_digits_in_either_language(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, _, reg_id = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15), user="w1"
    )
    # As typed on an Arabic keyboard: Arabic-Indic digits, lower case, no dash.
    await chat.send("حضور k7m٢qx٩p")
    assert DONE in chat.text
    assert await checked_in_at(db, reg_id) == clock.now
    # The English word works for an Arabic reader too (a shift of its own, with its code).
    other, _, other_reg = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15), user="w2", code="A2B3C4D5"
    )
    await other.send("Check-in a2b3-c4d5")
    assert DONE in other.text
    assert await checked_in_at(db, other_reg) == clock.now
    # /checkin with Arabic-Indic digits (a command's argument is not cleaned by the engine).
    third, _, third_reg = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15), user="w3", code="Z9Y8X7W6"
    )
    await third.send("/checkin z٩y٨-x٧w٦")
    assert DONE in third.text
    assert await checked_in_at(db, third_reg) == clock.now


async def test_a_rotated_code_stops_working_and_the_new_one_works(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, shift_id, reg_id = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15)
    )
    async with db.transaction() as session:
        unit = Unit(session, Actor.system(), clock.now, catalogs, settings)
        new = (await checkin.rotate_code(unit, shift_id)).code
    assert new != CODE and await current_code(db, shift_id) == new
    await chat.send(f"/start ci_{CODE}")
    assert "لا يطابق أي وردية" in chat.text
    assert await checked_in_at(db, reg_id) is None
    await chat.send(f"/start ci_{new}")
    assert DONE in chat.text


async def test_a_cancelled_shift_checks_nobody_in(
    engine: Engine, db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    chat, shift_id, reg_id = await _registered(
        engine, db, catalogs, settings, clock, timedelta(minutes=15)
    )
    async with db.transaction() as session:
        await session.execute(update(Shift).where(Shift.id == shift_id).values(status="cancelled"))
    await chat.send(f"/start ci_{CODE}")
    assert "أُلغيت" in chat.text
    assert await checked_in_at(db, reg_id) is None
