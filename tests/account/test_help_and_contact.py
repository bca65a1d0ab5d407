"""Help covers volunteers, families and staff (staff only see their part), and the team's
contact comes from the settings into /help and every "contact us" message (issue 14 item 13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.core.contact import contact_text
from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.handlers.events.common import CANCEL_CUTOFF
from bot.settings import ConfigError, load_settings
from storage.db import Database
from tests.conftest import Clock
from tests.events.support import open_my_registration, register, seed_event, volunteers
from tests.support import Chat, assert_clean, plain

STAFF_PART = {"ar": "للموظفين", "en": "Staff:"}
AUDIENCES = {
    "ar": ("للمتطوعين", "للأسر المنتجة", "تواصل معنا"),
    "en": ("Volunteers:", "Productive families:", "Contact us:"),
}


@pytest.mark.parametrize("locale", ["ar", "en"])
async def test_help_speaks_to_volunteers_and_families_and_gives_the_contact(
    engine: Engine, db: Database, locale: str
) -> None:
    chat = Chat(engine, user="someone", language_hint=locale)
    await chat.onboard(locale)
    await chat.send("/help")
    assert_clean(chat.last)
    text = plain(chat.text)
    for part in AUDIENCES[locale]:
        assert part in text
    assert "0120000000" in text and "shuraka@example.org" in text  # the demo defaults
    assert STAFF_PART[locale] not in text  # not for a volunteer or a family
    if locale == "ar":
        assert "من الأحد إلى الخميس، من الساعة 8:00 ص إلى الساعة 3:00 م" in text
    else:
        assert "Sunday to Thursday, 8:00 AM to 3:00 PM" in text


async def test_staff_also_read_the_staff_part_from_the_menu_and_the_command(
    engine: Engine, db: Database
) -> None:
    boss = Chat(engine, user="boss")  # console:boss is an admin in the test settings
    await boss.onboard()
    await boss.send("/help")
    assert STAFF_PART["ar"] in plain(boss.text) and "للمتطوعين" in plain(boss.text)
    assert "/dashboard" in boss.text
    await boss.send("/menu")
    await boss.press("help")
    assert STAFF_PART["ar"] in plain(boss.text)
    assert_clean(boss.last)


async def test_the_contact_is_the_settings_one(
    make_engine: Callable[..., Engine], db: Database
) -> None:
    engine = make_engine(
        contact_phone="+966 12 736 0000",
        contact_email="team@taif.example",
        contact_hours="07:30-14:30",
    )
    chat = Chat(engine, user="someone")
    await chat.onboard()
    await chat.send("/help")
    text = plain(chat.text)
    assert "+966 12 736 0000" in text and "team@taif.example" in text
    assert "من الساعة 7:30 ص إلى الساعة 2:30 م" in text
    assert "0120000000" not in text
    # the phone and the address keep their left-to-right order inside the Arabic text
    assert "\u2068+966 12 736 0000\u2069" in chat.text


def test_one_formatter_escapes_and_isolates(catalogs: Catalogs) -> None:
    settings = load_settings(contact_email="a&b@example.org")
    text = contact_text(catalogs.translator("ar"), settings)
    assert "a&amp;b@example.org" in text and "a&b@" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("contact_phone", "call us"),
        ("contact_email", "no-at-sign"),
        ("contact_hours", "15:00-08:00"),  # not within one day
        ("contact_hours", "8-15"),
    ],
)
def test_a_wrong_contact_setting_stops_start_up_with_one_line(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name.upper()):
        load_settings(**{name: value})


async def test_a_contact_us_message_carries_the_contact(
    make_engine: Callable[..., Engine], db: Database, clock: Clock
) -> None:
    """A volunteer too late to cancel in the bot is told whom to call, in the settings' terms:
    on the registration's page and when pressing an old cancel button."""
    engine = make_engine(contact_phone="0127360000")
    seeded = await seed_event(db, clock.now)
    [volunteer] = await volunteers(engine, "late")
    await register(volunteer, seeded.event_id, seeded.shift_ids[0])
    start = clock.now + timedelta(days=3)  # seed_event's first shift
    clock.now = start - CANCEL_CUTOFF + timedelta(minutes=1)
    await open_my_registration(volunteer)
    assert "تواصل مع الفريق" in volunteer.text and "0127360000" in volunteer.text
    assert "{contact}" not in volunteer.text
    await volunteer.press_id("evm:reg:x")  # an old cancel button
    assert "تواصل مع الفريق" in volunteer.text and "0127360000" in volunteer.text
    assert_clean(volunteer.last)
