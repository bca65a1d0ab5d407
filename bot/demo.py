"""Demo data for the console chat and for trying the bot: synthetic people, never real ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import end_of_day
from bot.core.i18n import Catalogs, load_catalogs
from bot.demo_partners import demo_partners
from bot.services.volunteers import skills_and_key
from storage import repositories as repo
from storage.db import Database
from storage.models import ChannelIdentity, Volunteer, utcnow
from storage.models_events import Event, Shift
from storage.models_families import Site


def _with_check_digit(body: str) -> str:
    """Append the Luhn check digit that makes a 9-digit body a valid 10-digit ID."""
    for digit in "0123456789":
        candidate = body + digit
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one digit always completes a Luhn number")


# Names are catalog ids: stored in Arabic, as volunteers in Taif type their names (a stored name
# is never translated).
# (console user, name, ID body, mobile, gender, birth date, district, interests, availability)
DEMO_VOLUNTEERS = (
    (
        "demo1",
        "demo.person.sara",
        "100000001",
        "+966501000001",
        "f",
        date(1998, 3, 14),
        "hawiya",
        ["environment", "events"],
        ["we_morning"],
    ),
    (
        "demo2",
        "demo.person.khalid",
        "100000002",
        "+966501000002",
        "m",
        date(1990, 7, 2),
        "shihar",
        ["cleaning", "crowd"],
        ["wd_evening", "we_evening"],
    ),
    (
        "demo3",
        "demo.person.noura",
        "200000003",
        "+966501000003",
        "f",
        date(2001, 11, 30),
        "faisaliya",
        ["media", "tech"],
        ["we_morning", "we_evening"],
    ),
)
# Skills two of them typed at sign-up (catalog ids: the text is stored in Arabic, as typed), so
# the directory's search by skill finds someone (first aid typed without its hamza finds Sara).
DEMO_SKILLS = {"demo1": "demo.skills.first_aid", "demo3": "demo.skills.media"}
STAFF_USER = "staff"

# Sites for productive families: (catalog id of the name, district, (lat, lon) or None, food
# stalls, non-food stalls, first day in days from today, length in days, fee, Saudi citizens
# only, women only). The names are catalog texts (`demo.*`), so the demo stores them in Arabic
# and in English, as staff would enter them, and each reader sees their own language.
DEMO_SITES = (
    ("demo.site.okaz", "suq_ukaz", (21.5500, 40.4833), 6, 10, 20, 10, "free", True, False),
    ("demo.site.rose", "radf", (21.2411, 40.4286), 4, 8, 35, 14, "symbolic", True, False),
    ("demo.site.women_market", "markaziya", None, 3, 5, 10, 30, "rent", True, True),
)
# How the fee of a demo site is paid and when families set up (catalog ids, Arabic only: these
# are free texts staff type in one language).
DEMO_SITE_NOTES = {
    "demo.site.rose": ("demo.site.rose.fee", "demo.site.rose.setup"),
    "demo.site.women_market": ("demo.site.women_market.fee", "demo.site.women_market.setup"),
}


def _names(catalogs: Catalogs, msgid: str) -> tuple[str, str]:
    """The demo text `msgid` in Arabic and in English."""
    return catalogs.translator("ar").raw(msgid), catalogs.translator("en").raw(msgid)


# Demo people exist only on the console channel (a terminal on this machine); anyone who has
# an identity on a messenger reached the bot from outside, so is a real person.
DEMO_CHANNEL = "console"


async def real_users_present(db: Database) -> bool:
    """True when the database holds people demo data must not be mixed with."""
    async with db.sessions() as session:
        found = await session.execute(
            select(ChannelIdentity.id).where(ChannelIdentity.channel != DEMO_CHANNEL).limit(1)
        )
        return found.first() is not None


async def load_demo_data(
    db: Database, catalogs: Catalogs | None = None, now: datetime | None = None
) -> int:
    """Idempotent: adds what is missing and returns how many volunteers it added. Dates are
    counted from `now` (the machine's clock unless a caller, such as a test, gives its own)."""
    catalogs = catalogs or load_catalogs()
    added = 0
    now = now or utcnow()
    async with db.transaction() as session:
        await repo.set_role(session, DEMO_CHANNEL, STAFF_USER, "admin")
        for user, name, body, mobile, gender, born, district, interests, avail in DEMO_VOLUNTEERS:
            skills, skills_key = skills_and_key(
                catalogs.translator("ar").raw(DEMO_SKILLS[user]) if user in DEMO_SKILLS else None
            )
            known = await repo.find_identity(session, DEMO_CHANNEL, user)
            if known is not None:
                # A demo loaded before volunteers had skills gets them now.
                volunteer = await repo.volunteer_for_user(session, known[1].id)
                if volunteer is not None and volunteer.skills is None:
                    volunteer.skills, volunteer.skills_key = skills, skills_key
                continue
            _, person = await repo.create_user(session, DEMO_CHANNEL, user, user, locale="ar")
            person.consent_version, person.consent_at = "demo", now
            session.add(
                Volunteer(
                    user_id=person.id,
                    full_name=catalogs.translator("ar").raw(name),
                    national_id=_with_check_digit(body),
                    mobile=mobile,
                    gender=gender,
                    birth_date=born,
                    birth_calendar="gregorian",
                    district=district,
                    interests=interests,
                    availability=avail,
                    skills=skills,
                    skills_key=skills_key,
                    charter_accepted_at=now,
                )
            )
            added += 1
        await _demo_sites(session, catalogs, now)
        await _demo_events(session, catalogs, now)
        await demo_partners(session, catalogs, now)
    return added


# Events with shifts, so a newcomer can browse and register at once: (catalog id of the title,
# type, catalog id of the place, (lat, lon), days from now, [(start hour local, hours,
# capacity)]). The description's catalog id is the title's with ".about".
DEMO_EVENTS = (
    (
        "demo.event.planting",
        "afforestation",
        "demo.place.rudaf",
        (21.2427, 40.4166),
        5,
        [(7, 3, 10), (16, 3, 10)],
    ),
    (
        "demo.event.cleaning",
        "cleaning",
        "demo.place.bab_alhazm",
        (21.2703, 40.4158),
        9,
        [(8, 4, 2)],
    ),
)


async def _demo_events(session: AsyncSession, catalogs: Catalogs, now: datetime) -> int:
    """Upcoming events with shifts, added once (matched by their Arabic or English title: a
    demo loaded before the names were per language is renamed, not added again)."""
    existing = list((await session.execute(select(Event))).scalars())
    added = 0
    riyadh = ZoneInfo("Asia/Riyadh")
    for title_id, kind, place_id, pin, days, shifts in DEMO_EVENTS:
        title_ar, title_en = _names(catalogs, title_id)
        about_ar, about_en = _names(catalogs, f"{title_id}.about")
        place_ar, place_en = _names(catalogs, place_id)
        known = next((e for e in existing if title_en in (e.title_ar, e.title_en)), None)
        known = known or next((e for e in existing if e.title_ar == title_ar), None)
        if known is not None:
            if known.title_ar == title_en:  # stored by an older demo, in English only
                known.title_ar, known.description_ar = title_ar, about_ar
                known.description_en, known.place_name_en = about_en, place_en
                known.place_name = place_ar
            continue
        day = (now.astimezone(riyadh) + timedelta(days=days)).date()
        starts = [
            datetime.combine(day, time(hour), tzinfo=riyadh).astimezone(UTC)
            for hour, _, _ in shifts
        ]
        ends = [
            start + timedelta(hours=length)
            for start, (_, length, _) in zip(starts, shifts, strict=True)
        ]
        event = Event(
            title_ar=title_ar,
            title_en=title_en,
            description_ar=about_ar,
            description_en=about_en,
            type=kind,
            place_name=place_ar,
            place_name_en=place_en,
            latitude=pin[0],
            longitude=pin[1],
            starts_at=min(starts),
            ends_at=max(ends),
            status="published",
            created_at=now,
        )
        session.add(event)
        await session.flush()
        for start, end, (_, _, capacity) in zip(starts, ends, shifts, strict=True):
            session.add(Shift(event_id=event.id, starts_at=start, ends_at=end, capacity=capacity))
        added += 1
    return added


async def _demo_sites(session: AsyncSession, catalogs: Catalogs, now: datetime) -> int:
    """Sites for productive families, added once (matched by name, as for events)."""
    existing = list((await session.execute(select(Site))).scalars())
    today = now.date()
    added = 0
    for name_id, district, pin, food, nonfood, offset, days, fee, saudi, women in DEMO_SITES:
        name_ar, name_en = _names(catalogs, name_id)
        notes = DEMO_SITE_NOTES.get(name_id)
        fee_note, setup_note = (
            (catalogs.translator("ar").raw(notes[0]), catalogs.translator("ar").raw(notes[1]))
            if notes
            else (None, None)
        )
        known = next((s for s in existing if name_ar == s.name_ar or name_en == s.name_ar), None)
        if known is not None:
            if known.name_ar == name_en:  # stored by an older demo, in English only
                known.name_ar = name_ar
            continue
        start = today + timedelta(days=offset)
        deadline_day = start - timedelta(days=3)
        session.add(
            Site(
                name_ar=name_ar,
                name_en=name_en,
                district=district,
                latitude=pin[0] if pin else None,
                longitude=pin[1] if pin else None,
                food_stalls=food,
                nonfood_stalls=nonfood,
                start_date=start,
                end_date=start + timedelta(days=days - 1),
                deadline=end_of_day(deadline_day, "Asia/Riyadh"),
                fee=fee,
                fee_note=fee_note,
                setup_note=setup_note,
                saudi_only=saudi,
                women_only=women,
                is_open=True,
                created_at=now,
            )
        )
        added += 1
    return added
