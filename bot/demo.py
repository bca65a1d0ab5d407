"""Demo data for the console chat and for trying the bot: synthetic people, never real ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import end_of_day
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


# (console user, name, ID body, mobile, gender, birth date, district, interests, availability)
DEMO_VOLUNTEERS = (
    (
        "demo1",
        "Sara Al-Harthi",
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
        "Khalid Al-Otaibi",
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
        "Noura Al-Malki",
        "200000003",
        "+966501000003",
        "f",
        date(2001, 11, 30),
        "faisaliya",
        ["media", "tech"],
        ["we_morning", "we_evening"],
    ),
)
STAFF_USER = "staff"

# Sites for productive families: (name, English name, district, (lat, lon) or None, food stalls,
# non-food stalls, first day in days from today, length in days, fee, fee note, Saudi citizens
# only, women only). Names are Latin like the demo volunteers' (no user text in the code).
DEMO_SITES = (
    (
        "Souq Okaz Heritage Market",
        "Souq Okaz Heritage Market",
        "suq_ukaz",
        (21.5500, 40.4833),
        6,
        10,
        20,
        10,
        "free",
        None,
        True,
        False,
    ),
    (
        "Taif Rose Festival - Al-Rudaf Park",
        "Taif Rose Festival - Al-Rudaf Park",
        "radf",
        (21.2411, 40.4286),
        4,
        8,
        35,
        14,
        "symbolic",
        None,
        True,
        False,
    ),
    (
        "Women's Popular Market - Central Area",
        "Women's Popular Market - Central Area",
        "markaziya",
        None,
        3,
        5,
        10,
        30,
        "rent",
        None,
        True,
        True,
    ),
)


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


async def load_demo_data(db: Database) -> int:
    """Idempotent: adds what is missing and returns how many volunteers it added."""
    added = 0
    now = utcnow()
    async with db.transaction() as session:
        await repo.set_role(session, DEMO_CHANNEL, STAFF_USER, "admin")
        for user, name, body, mobile, gender, born, district, interests, avail in DEMO_VOLUNTEERS:
            if await repo.find_identity(session, DEMO_CHANNEL, user) is not None:
                continue
            _, person = await repo.create_user(session, DEMO_CHANNEL, user, user, locale="ar")
            person.consent_version, person.consent_at = "demo", now
            session.add(
                Volunteer(
                    user_id=person.id,
                    full_name=name,
                    national_id=_with_check_digit(body),
                    mobile=mobile,
                    gender=gender,
                    birth_date=born,
                    birth_calendar="gregorian",
                    district=district,
                    interests=interests,
                    availability=avail,
                    charter_accepted_at=now,
                )
            )
            added += 1
        await _demo_sites(session, now)
        await _demo_events(session, now)
    return added


# Events with shifts, so a newcomer can browse and register at once: (title, type, place,
# (lat, lon), days from now, [(start hour local, hours, capacity)]). Latin like the rest.
DEMO_EVENTS = (
    (
        "Al-Rudaf Park tree planting",
        "afforestation",
        "Al-Rudaf Park",
        (21.2427, 40.4166),
        5,
        [(7, 3, 10), (16, 3, 10)],
    ),
    (
        "Central area cleaning campaign",
        "cleaning",
        "Bab Al-Hazm",
        (21.2703, 40.4158),
        9,
        [(8, 4, 2)],
    ),
)


async def _demo_events(session: AsyncSession, now: datetime) -> int:
    """Upcoming events with shifts, added once (matched by title)."""
    known = set((await session.execute(select(Event.title_ar))).scalars())
    added = 0
    riyadh = ZoneInfo("Asia/Riyadh")
    for title, kind, place, pin, days, shifts in DEMO_EVENTS:
        if title in known:
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
            title_ar=title,
            title_en=title,
            description_ar=title,
            type=kind,
            place_name=place,
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


async def _demo_sites(session: AsyncSession, now: datetime) -> int:
    """Sites for productive families, added once (matched by name)."""
    known = set((await session.execute(select(Site.name_ar))).scalars())
    today = now.date()
    added = 0
    for (
        name_ar,
        name_en,
        district,
        pin,
        food,
        nonfood,
        offset,
        days,
        fee,
        note,
        saudi,
        women,
    ) in DEMO_SITES:
        if name_ar in known:
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
                fee_note=note,
                saudi_only=saudi,
                women_only=women,
                is_open=True,
                created_at=now,
            )
        )
        added += 1
    return added
