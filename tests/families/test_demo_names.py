"""Issue 14 item 11: the demo's events, places and market sites read in Arabic on Arabic screens
and in English on English ones (names stored per language, English falling back to Arabic)."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.i18n import load_catalogs
from bot.demo import load_demo_data
from bot.services.event_notices import place_for, title_for
from storage.db import Database
from storage.models_events import Event
from storage.models_families import Site
from tests.conftest import Clock
from tests.events.support import volunteers
from tests.families.support import register_family
from tests.support import Chat


async def demo_events(db: Database) -> list[Event]:
    async with db.sessions() as session:
        return list((await session.execute(select(Event).order_by(Event.id))).scalars())


async def test_arabic_and_english_users_browse_the_demo_events_each_in_their_language(
    engine: Engine, db: Database, clock: Clock
) -> None:
    await load_demo_data(db, now=clock.now)
    _planting, cleaning = await demo_events(db)
    [arabic] = await volunteers(engine, "ar1")
    await arabic.send("/events")
    assert "تشجير منتزه الردف" in arabic.text and "حملة تنظيف المنطقة المركزية" in arabic.text
    assert "Al-Rudaf" not in arabic.text and "Bab Al-Hazm" not in arabic.text
    await arabic.press(f"e{cleaning.id}")
    assert "باب الحزم" in arabic.text and "الساحات المحيطة بباب الحزم" in arabic.text
    english = Chat(engine, user="en1")
    await english.onboard("en")
    await english.send("/events")
    assert "Al-Rudaf Park tree planting" in english.text
    assert "Central area cleaning campaign" in english.text and "تشجير" not in english.text
    await english.press(f"e{cleaning.id}")
    assert "Bab Al-Hazm" in english.text and "باب الحزم" not in english.text
    assert "sort recyclable waste" in english.text


async def test_arabic_and_english_families_see_the_demo_sites_in_their_language(
    engine: Engine, db: Database, clock: Clock
) -> None:
    await load_demo_data(db, now=clock.now)
    arabic = await register_family(engine, "fa", seed=1)
    await arabic.press("req")
    assert "سوق عكاظ التراثي" in arabic.text and "مهرجان الورد الطائفي" in arabic.text
    assert "Souq Okaz" not in arabic.text
    english = await register_family(engine, "fe", seed=2, locale="en")
    await english.press("req")
    assert "Souq Okaz Heritage Market" in english.text and "Taif Rose Festival" in english.text
    assert "سوق عكاظ" not in english.text


async def test_the_demo_stores_both_names_and_english_falls_back_to_arabic(
    db: Database, clock: Clock
) -> None:
    await load_demo_data(db, now=clock.now)
    await load_demo_data(db, now=clock.now)  # idempotent
    events = await demo_events(db)
    assert [(e.place_name, e.place_name_en) for e in events] == [
        ("منتزه الردف", "Al-Rudaf Park"),
        ("باب الحزم", "Bab Al-Hazm"),
    ]
    async with db.sessions() as session:
        sites = list((await session.execute(select(Site).order_by(Site.id))).scalars())
    assert sites[0].name_ar == "سوق عكاظ التراثي" and all(s.name_en for s in sites)
    # Without an English name (staff left it out), English readers see the Arabic one.
    event = events[0]
    event.place_name_en, event.title_en = None, None
    assert place_for("en", event) == "منتزه الردف" and title_for("en", event) == "تشجير منتزه الردف"
    assert place_for("ar", events[1]) == "باب الحزم"


async def test_a_demo_loaded_in_english_only_is_renamed_not_duplicated(
    db: Database, clock: Clock
) -> None:
    """Databases demo-loaded before the names were per language held the English names in
    the Arabic columns: loading again puts the Arabic in, without adding a second copy."""
    catalogs = load_catalogs()
    english = catalogs.translator("en")
    async with db.transaction() as session:
        session.add(
            Event(
                title_ar=english.raw("demo.event.cleaning"),
                title_en=english.raw("demo.event.cleaning"),
                description_ar="x",
                type="cleaning",
                place_name="Bab Al-Hazm",
                starts_at=clock.now,
                ends_at=clock.now,
            )
        )
    await load_demo_data(db, now=clock.now)
    titles = [(e.title_ar, e.place_name) for e in await demo_events(db)]
    assert titles.count(("حملة تنظيف المنطقة المركزية", "باب الحزم")) == 1 and len(titles) == 2
