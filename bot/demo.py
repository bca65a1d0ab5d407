"""Demo data for the console chat and for trying the bot: synthetic people, never real ones."""

from __future__ import annotations

from datetime import date

from storage import repositories as repo
from storage.db import Database
from storage.models import Volunteer, utcnow


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


async def load_demo_data(db: Database) -> int:
    """Idempotent: adds what is missing and returns how many volunteers it added."""
    added = 0
    now = utcnow()
    async with db.transaction() as session:
        await repo.set_role(session, "console", STAFF_USER, "admin")
        for user, name, body, mobile, gender, born, district, interests, avail in DEMO_VOLUNTEERS:
            if await repo.find_identity(session, "console", user) is not None:
                continue
            _, person = await repo.create_user(session, "console", user, user, locale="ar")
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
    return added
