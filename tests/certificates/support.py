"""Certificates' tests: attended shifts straight into the database (the hours a certificate
counts), a volunteer's id, and reading a PDF back (its text and its QR code)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from bot.core.i18n import Catalogs
from bot.services.certificates import issue_certificate
from bot.settings import Settings
from storage.db import Database
from storage.models import ChannelIdentity, Volunteer
from storage.models_events import CONFIRMED, ShiftRegistration
from tests.conftest import Clock
from tests.events.support import World, seed_event


@pytest.fixture
def world(db: Database, catalogs: Catalogs, settings: Settings, clock: Clock) -> World:
    return World(db, catalogs, settings, clock.now)


async def attended(
    db: Database,
    volunteer_id: int,
    start: datetime,
    hours: float,
    title: str = "حملة تشجير الردف",
    *,
    checked_in: bool = True,
) -> int:
    """A one-shift event at `start` that the volunteer attended for `hours` (or, not checked
    in, did not attend): its event id."""
    seeded = await seed_event(
        db, start, days_ahead=0, title=title, shifts=[{"start": 0, "hours": 4, "capacity": 5}]
    )
    async with db.transaction() as session:
        session.add(
            ShiftRegistration(
                shift_id=seeded.shift_ids[0],
                volunteer_id=volunteer_id,
                status=CONFIRMED,
                seat=1,
                checked_in_at=start if checked_in else None,
                checked_out_at=start + timedelta(hours=hours) if checked_in else None,
            )
        )
    return seeded.event_id


async def volunteer_of(db: Database, *, user_id: int | None = None, chat: str = "") -> int:
    """The volunteer id of a person (by user id, or by their console chat id)."""
    async with db.sessions() as session:
        stmt = select(Volunteer.id)
        if user_id is not None:
            stmt = stmt.where(Volunteer.user_id == user_id)
        else:
            stmt = stmt.join(ChannelIdentity, ChannelIdentity.user_id == Volunteer.user_id).where(
                ChannelIdentity.external_id == chat
            )
        return int((await session.execute(stmt)).scalar_one())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_qr_codes(data: bytes) -> list[str]:
    """What every QR code drawn in the PDF says, decoded from the embedded images."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            found += [code.text for code in zxingcpp.read_barcodes(image.image)]
    return found


def glyphs_per_letter(data: bytes) -> dict[str, int]:
    """How many different glyphs draw each character, from the fonts' ToUnicode maps: a letter
    drawn joined to its neighbours has several forms (initial, medial, final), one drawn
    unjoined only one."""
    counts: dict[str, int] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        resources: Any = page["/Resources"]
        fonts = resources["/Font"]
        for ref in fonts.values():
            cmap = ref.get_object().get("/ToUnicode")
            if cmap is None:
                continue
            for line in cmap.get_object().get_data().decode("latin-1").splitlines():
                parts = line.strip().split()
                if len(parts) == 2 and parts[0].startswith("<") and parts[1].startswith("<"):
                    text = bytes.fromhex(parts[1].strip("<>")).decode("utf-16-be", "replace")
                    counts[text] = counts.get(text, 0) + 1
    return counts


async def certified(
    db: Database, catalogs: Catalogs, settings: Settings, now: datetime, hours: float = 3
) -> tuple[int, str]:
    """A volunteer («سارة محمد العتيبي») who attended one shift and holds a certificate of it:
    (their volunteer id, the certificate's code)."""
    world = World(db, catalogs, settings, now)
    person = await world.person(gender="f")
    vid = await volunteer_of(db, user_id=person)
    async with db.transaction() as session:
        volunteer = await session.get(Volunteer, vid)
        assert volunteer is not None
        volunteer.full_name = "سارة محمد العتيبي"
    await attended(db, vid, now - timedelta(days=4), hours)
    async with world.acting(person) as unit:
        return vid, (await issue_certificate(unit)).certificate.code
