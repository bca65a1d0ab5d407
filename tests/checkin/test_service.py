"""The check-in service's rules that the chat tests do not reach: only staff see or change a
shift's code (and changing it is audited), a minor waits for the guardian as with staff's
check-in, the links' shapes, and the two settings that turn the links on."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot.core.i18n import Catalogs
from bot.core.unit import Actor, Unit
from bot.services import checkin
from bot.services.errors import Forbidden
from bot.settings import ConfigError, Settings, load_settings
from storage.db import Database
from storage.models import Volunteer
from tests.certificates.support import volunteer_of
from tests.checkin.support import CODE, audits, checked_in_at, current_code, place, shift_in
from tests.conftest import Clock
from tests.events.support import World


async def test_only_staff_see_and_rotate_a_code_and_rotating_is_audited(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    seeded = await shift_in(db, catalogs, settings, clock.now, timedelta(days=1))
    shift_id = seeded.shift_ids[0]
    world = World(db, catalogs, settings, clock.now)
    volunteer = await world.person()
    for action in (checkin.shift_code, checkin.rotate_code):
        with pytest.raises(Forbidden):
            async with world.acting(volunteer) as unit:
                await action(unit, shift_id)
    assert await current_code(db, shift_id) == CODE
    staff = await world.person(role="staff", volunteer=False)
    async with world.acting(staff, "staff") as unit:
        seen = await checkin.shift_code(unit, shift_id)
        assert seen.code == CODE  # looking does not change it
        rotated = await checkin.rotate_code(unit, shift_id)
    assert rotated.code != CODE and await current_code(db, shift_id) == rotated.code
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", rotated.code)
    [row] = await audits(db, "checkin.rotate_code")
    assert row.actor == f"user:{staff}" and row.target == f"shift:{shift_id}"


async def test_a_minor_waits_for_the_guardian_as_at_the_staff_desk(
    db: Database, catalogs: Catalogs, settings: Settings, clock: Clock
) -> None:
    seeded = await shift_in(db, catalogs, settings, clock.now, timedelta(minutes=10))
    world = World(db, catalogs, settings, clock.now)
    person = await world.person()
    vid = await volunteer_of(db, user_id=person)
    async with db.transaction() as session:
        volunteer = await session.get(Volunteer, vid)
        assert volunteer is not None
        volunteer.birth_date = date(2012, 1, 1)  # 14
    reg_id = await place(db, seeded.shift_ids[0], vid)
    with pytest.raises(checkin.Refused) as refused:
        async with world.acting(person) as unit:
            await checkin.self_check_in(unit, CODE)
    assert refused.value.msgid == "ci.err.guardian"
    assert await checked_in_at(db, reg_id) is None


async def test_the_links_carry_the_code(db: Database, catalogs: Catalogs, clock: Clock) -> None:
    configured = load_settings(
        telegram_bot_username="@ShurakaTaifBot", whatsapp_business_number="+966 50-123-4567"
    )
    assert configured.telegram_bot_username == "ShurakaTaifBot"
    assert configured.whatsapp_business_number == "966501234567"
    link = checkin.telegram_link(configured, CODE)
    assert link == f"https://t.me/ShurakaTaifBot?start=ci_{CODE}"
    payload = link.split("start=", 1)[1]
    # Telegram's rule for a /start payload: at most 64 of A-Z a-z 0-9 _ -.
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    assert checkin.code_from_payload(payload) == CODE and checkin.code_from_payload("x") is None
    async with db.sessions() as session:
        unit = Unit(session, Actor.system(), clock.now, catalogs, configured)
        assert checkin.whatsapp_link(unit, CODE) == (
            "https://wa.me/966501234567?text=%D8%AD%D8%B6%D9%88%D8%B1%20K7M2-QX9P"
        )
        assert (
            checkin.whatsapp_link(
                Unit(session, Actor.system(), clock.now, catalogs, load_settings()), CODE
            )
            is None
        )
    assert checkin.telegram_link(load_settings(), CODE) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_USERNAME", "shuraka"),  # not a bot's name
        ("TELEGRAM_BOT_USERNAME", "https://t.me/ShurakaBot"),
        ("WHATSAPP_BUSINESS_NUMBER", "0501234567x"),
        ("WHATSAPP_BUSINESS_NUMBER", "123"),
    ],
)
def test_bad_link_settings_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in str(info.value)
