"""A minor's guardian (issue 14 item 9), through the engine. The guardian's mobile may not be
the minor's own, however written. With WhatsApp and a "guardian_code" template configured, a
6-digit code goes through the outbox to the guardian's number (never into the logs, and not
kept in the row once sent); the minor types it: the right code confirms, 5 wrong ones lock it,
after 24 hours it has expired. Without a channel staff confirm (audited), and until then the
minor keeps their shift place but is not checked in. Days come from the injected clock."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.core.messages import Outbound
from bot.core.unit import Actor
from bot.delivery.sender import DeliveryConfig, OutboxSender
from bot.delivery.transport import Delivery
from bot.services import attendance
from bot.services.errors import Conflict
from storage.db import Database
from storage.models import AuditLog, GuardianCode, OutboxMessage, Volunteer
from tests.conftest import Clock
from tests.events.support import open_event_admin, register, registrations, seed_event, staff
from tests.services.support import Units, units
from tests.support import Chat, conversation, plain, text_of
from tests.volunteers.support import GUARDIAN, minor_answers

__all__ = ["units"]  # the fixture, from the services' support module
ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
BORN = "2012-03-01"  # 14 on the test clock's date
OWN_MOBILE = "0512345678"  # the minor's (ADULT_ANSWERS)
WHATSAPP = {
    "whatsapp_token": "token",
    "whatsapp_phone_number_id": "1234567",
    "whatsapp_templates": {"guardian_code": {"name": "guardian_code", "language": "ar"}},
}


class Recorder:
    """A WhatsApp transport that keeps what it was asked to send."""

    channel = "whatsapp"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # chat id, text, kind

    async def send(self, chat_id: str, message: Outbound, delivery: Delivery) -> list[str]:
        self.sent.append((chat_id, message.text, delivery.kind))
        return [f"wamid.{len(self.sent)}"]


async def deliver(db: Database, catalogs: Catalogs, clock: Clock) -> Recorder:
    recorder = Recorder()
    sender = OutboxSender(db, catalogs, {"whatsapp": recorder}, DeliveryConfig(), clock=clock)
    await sender.drain()
    return recorder


def code_in(text: str) -> str:
    [code] = re.findall(r"\b\d{6}\b", text)
    return str(code)


async def the_volunteer(db: Database) -> Volunteer:
    async with db.sessions() as session:
        return (await session.execute(select(Volunteer))).scalar_one()


async def audit_actions(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list((await session.execute(select(AuditLog.action))).scalars())


@pytest.fixture
def with_whatsapp(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(**WHATSAPP)


# --- the guardian's mobile is not the minor's ---------------------------------------------------
@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_the_minors_own_mobile_is_refused_as_the_guardians(
    engine: Engine, db: Database, locale: str
) -> None:
    chat = Chat(engine, user=f"same-{locale}")
    await chat.start_signup(locale)
    answers = minor_answers(BORN)
    at_mobile = answers.index(("text", "0555123456"))
    for how, value in answers[:at_mobile]:
        await chat.answer(how, value)
    for same in ("+966512345678", OWN_MOBILE.translate(ARABIC_INDIC), "00966 51 234 5678"):
        await chat.send(same)
        said = [plain(o.text) for o in chat.last]
        assert plain(text_of(locale, "vol.err.guardian_same_mobile")) in said, said
        assert (await conversation(db, chat)).step == "g_mobile"  # asked again
    for how, value in answers[at_mobile:]:
        await chat.answer(how, value)
    await chat.press("_ok")
    volunteer = await the_volunteer(db)
    # Nothing else was lost: the guardian's name typed before is kept.
    assert (volunteer.guardian_name, volunteer.guardian_mobile) == (GUARDIAN, "+966555123456")


# --- the code, when a channel to the guardian is known -----------------------------------------
async def test_the_right_code_confirms_and_is_never_logged(
    with_whatsapp: Engine,
    db: Database,
    catalogs: Catalogs,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = Chat(with_whatsapp, user="minor")
    await chat.signup(minor_answers(BORN))
    assert text_of("ar", "vol.guardian.code_sent") in chat.text
    assert (await conversation(db, chat)).step == "code"
    recorder = await deliver(db, catalogs, clock)
    # To the guardian's own number (WhatsApp digits), as the template kind, never the minor.
    [(chat_id, text, kind)] = recorder.sent
    assert (chat_id, kind) == ("966555123456", "guardian_code")
    code = code_in(text)
    async with db.sessions() as session:
        [row] = (await session.execute(select(OutboxMessage))).scalars().all()
        stored = (await session.execute(select(GuardianCode))).scalar_one()
    assert row.status == "sent" and code not in str(row.payload)  # not kept once sent
    assert code not in stored.code_hash and len(stored.code_hash) == 64

    wrong = "000000" if code != "000000" else "111111"
    await chat.send(wrong)
    assert text_of("ar", "vol.guardian.err.wrong") in chat.text
    await chat.send(code.translate(ARABIC_INDIC))  # Arabic-Indic digits are the same code
    assert text_of("ar", "vol.guardian.confirmed") in chat.text
    volunteer = await the_volunteer(db)
    assert volunteer.guardian_confirmed_by == "code"
    assert volunteer.guardian_confirmed_at == clock.now
    assert "guardian.confirmed_by_code" in await audit_actions(db)
    assert code not in caplog.text
    await chat.send("/mydata")  # "my data" says how it was confirmed
    assert text_of("ar", "vol.guardian.mydata.confirmed_code") in chat.text


async def test_five_wrong_codes_lock_it(
    with_whatsapp: Engine, db: Database, catalogs: Catalogs, clock: Clock
) -> None:
    chat = Chat(with_whatsapp, user="minor")
    await chat.signup(minor_answers(BORN))
    code = code_in((await deliver(db, catalogs, clock)).sent[0][1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        await chat.send(wrong)
        assert text_of("ar", "vol.guardian.err.wrong") in chat.text
    await chat.send(wrong)
    assert text_of("ar", "vol.guardian.err.locked") in chat.text
    await chat.send(code)  # the right code no longer works
    assert text_of("ar", "vol.guardian.confirmed") not in chat.text
    assert (await the_volunteer(db)).guardian_confirmed_at is None
    # A new code may be sent (a few times), and that one works.
    await chat.press("again")
    recorder = await deliver(db, catalogs, clock)
    await chat.send(code_in(recorder.sent[-1][1]))
    assert text_of("ar", "vol.guardian.confirmed") in chat.text


async def test_a_new_code_may_be_sent_a_few_times_then_staff_confirm(
    with_whatsapp: Engine, db: Database, catalogs: Catalogs, clock: Clock
) -> None:
    chat = Chat(with_whatsapp, user="minor")
    await chat.signup(minor_answers(BORN))
    for _ in range(2):  # the first code and two more: three in all
        await chat.press("again")
        assert text_of("ar", "vol.guardian.code_sent") in chat.text
    assert not chat.offers("again")
    assert len((await deliver(db, catalogs, clock)).sent) == 3
    clock.now += timedelta(hours=24)
    await chat.send("123456")
    assert text_of("ar", "vol.guardian.staff_will_confirm") in chat.text
    await chat.send("/mydata")
    assert text_of("ar", "vol.guardian.mydata.staff") in chat.text


async def test_a_code_expires_after_24_hours(
    with_whatsapp: Engine, db: Database, catalogs: Catalogs, clock: Clock
) -> None:
    chat = Chat(with_whatsapp, user="minor")
    await chat.signup(minor_answers(BORN))
    code = code_in((await deliver(db, catalogs, clock)).sent[0][1])
    clock.now += timedelta(hours=24)
    await chat.send(code)
    assert text_of("ar", "vol.guardian.err.expired") in chat.text
    assert (await the_volunteer(db)).guardian_confirmed_at is None


async def test_deleting_my_data_deletes_the_code(
    with_whatsapp: Engine, db: Database, catalogs: Catalogs, clock: Clock
) -> None:
    chat = Chat(with_whatsapp, user="minor")
    await chat.signup(minor_answers(BORN))
    await chat.send("/mydata")
    assert text_of("ar", "vol.guardian.mydata.code_sent") in chat.text
    await chat.press("del")
    await chat.press("yes")
    async with db.sessions() as session:
        assert (await session.execute(select(GuardianCode))).first() is None
        assert (await session.execute(select(OutboxMessage))).first() is None


# --- no channel: staff confirm before the first shift ------------------------------------------
@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_without_a_channel_staff_confirm_before_the_first_check_in(
    engine: Engine, db: Database, clock: Clock, locale: str
) -> None:
    chat = Chat(engine, user=f"minor-{locale}")
    await chat.onboard(locale)
    await chat.press("vol")
    for how, value in minor_answers(BORN):
        await chat.answer(how, value)
    await chat.press("_ok")
    assert plain(text_of(locale, "vol.guardian.staff_will_confirm")) in plain(chat.text)
    await chat.send("/mydata")
    assert text_of(locale, "vol.guardian.mydata.staff") in chat.text

    # The shift place is kept; the check-in waits for staff to confirm the guardian.
    seeded = await seed_event(db, clock.now)
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    [reg] = await registrations(db, seeded.shift_ids[0])
    assert reg.status == "confirmed"
    clock.now += timedelta(days=3)  # the shift starts
    boss = await staff(chat.engine)
    await open_event_admin(boss, seeded.event_id)
    await boss.press(f"s{seeded.shift_ids[0]}")
    await boss.press("rg")
    assert text_of("ar", "eva.guardian_unconfirmed") in boss.text
    assert not boss.offers(f"i{reg.id}")  # no check-in button: confirm the guardian first
    await boss.press(f"g{reg.id}")
    assert "guardian.confirmed_by_staff" in await audit_actions(db)
    assert (await the_volunteer(db)).guardian_confirmed_by == "staff"
    await boss.press(f"i{reg.id}")
    assert "سُجّل حضور" in boss.text
    await chat.send("/mydata")
    assert text_of(locale, "vol.guardian.mydata.confirmed_staff") in chat.text  # who confirmed


async def test_the_check_in_rule_holds_whatever_the_door(
    engine: Engine, db: Database, clock: Clock, units: Units
) -> None:
    """The service refuses the check-in of an unconfirmed minor (a typed ID, the web)."""
    chat = Chat(engine, user="minor")
    await chat.signup(minor_answers(BORN))
    seeded = await seed_event(db, clock.now)
    await register(chat, seeded.event_id, seeded.shift_ids[0])
    [reg] = await registrations(db, seeded.shift_ids[0])
    at: datetime = clock.now + timedelta(days=3)
    async with units(Actor.system(), at) as unit:
        with pytest.raises(Conflict) as refused:
            await attendance.record_attendance(unit, reg.id)
    assert refused.value.msgid == "eva.err.guardian_unconfirmed"
