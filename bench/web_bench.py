"""The staff web workspace's rendering benchmark (issue 13 §5): a page renders in under 200 ms
(p95) with 10,000 volunteers and 2,000 stall requests in the database.

    .venv/bin/python -m bench.web_bench                     # SQLite, and PostgreSQL when
                                                            # TEST_DATABASE_URL is set
    .venv/bin/python -m bench.web_bench --pg postgresql+asyncpg://...   # that PostgreSQL
    .venv/bin/python -m bench.web_bench --quick             # 1,000 / 200 rows, 10 rounds

The rows are seeded with bulk INSERTs (SQLAlchemy Core, one statement per table and batch) on a
fresh database (a temporary SQLite file; a new schema on PostgreSQL, dropped afterwards). The
real app (`bot.web.app.create_app`) answers on a local port through aiohttp's test server; a
staff member signs in by a link as a person would; each page is fetched N times in turn and the
whole request is timed (routing, session check, queries, template). Printed per page: p50, p95
and p95 / 200 ms (the target), and the baseline — the sign-in page, a template without any
query, measured in the same run — with each page's p95 as a multiple of it (the machine's load
moves both; the multiple moves less). A page another team has not merged yet (404) is skipped.
No timing is asserted anywhere; `tests/web/test_events_bench.py` only runs it on tiny data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.i18n import load_catalogs
from bot.core.unit import Actor, Unit
from bot.services import web_access
from bot.settings import load_settings
from bot.web.app import create_app
from storage import repositories as repo
from storage.db import Database, create_database
from storage.models import User, Volunteer
from storage.models_events import Event, Shift, ShiftRegistration
from storage.models_families import Family, Site, StallRequest
from storage.schema import upgrade

TARGET_MS = 200.0
BATCH = 1000
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a fixed clock: the same pages every run
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
STATUSES = ("submitted", "under_review", "needs_info", "waitlisted", "rejected")


@dataclass
class Seeded:
    event_id: int
    shift_id: int
    volunteer_id: int


async def _bulk(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as s:
        for start in range(0, len(rows), BATCH):
            await s.execute(insert(model), rows[start : start + BATCH])


async def seed(db: Database, volunteers: int, requests: int) -> Seeded:
    """`volunteers` volunteers, `requests` stall requests (one family each, over 5 sites), 20
    events of 3 shifts, and 40 volunteers registered for the first shift."""
    people = volunteers + requests
    await _bulk(
        db,
        User,
        [
            {"id": i, "locale": "ar", "role": "user", "created_at": NOW}
            for i in range(1, people + 1)
        ],
    )
    await _bulk(
        db,
        Volunteer,
        [
            {
                "id": i,
                "user_id": i,
                "full_name": f"متطوع {i:05d}",
                "national_id": f"1{i:09d}",
                "mobile": f"+9665{i:08d}",
                "gender": "f" if i % 2 else "m",
                "birth_date": date(1995, 1, 1),
                "birth_calendar": "gregorian",
                "district": ("hawiya", "shihar", "faisaliya")[i % 3],
                "interests": [("environment", "health", "tech")[i % 3]],
                "availability": [],
                "charter_accepted_at": NOW,
                "created_at": NOW - timedelta(minutes=i),
                "updated_at": NOW,
            }
            for i in range(1, volunteers + 1)
        ],
    )
    await _bulk(
        db,
        Site,
        [
            {
                "id": n,
                "name_ar": f"موقع {n}",
                "district": "hawiya",
                "food_stalls": 20,
                "nonfood_stalls": 20,
                "start_date": date(2026, 12, 1),
                "end_date": date(2026, 12, 31),
                "deadline": NOW + timedelta(days=3),
            }
            for n in range(1, 6)
        ],
    )
    await _bulk(
        db,
        Family,
        [
            {
                "id": n,
                "user_id": volunteers + n,
                "family_name": f"أسرة {n}",
                "applicant_name": f"مقدمة {n}",
                "applicant_gender": "f",
                "national_id": f"2{n:09d}",
                "mobile": f"+9666{n:08d}",
                "district": "shihar",
                "categories": ["food"],
                "freelance_doc_number": f"FL{n}",
                "freelance_doc_expiry": date(2027, 6, 1),
                "description": "منتجات منزلية",
                "photos": [],
                "needs": [],
            }
            for n in range(1, requests + 1)
        ],
    )
    await _bulk(
        db,
        StallRequest,
        [
            {
                "family_id": n,
                "site_id": 1 + n % 5,
                "stall_type": "food" if n % 2 else "nonfood",
                "start_date": date(2026, 12, 1),
                "end_date": date(2026, 12, 10),
                "status": STATUSES[n % len(STATUSES)],
                "created_at": NOW - timedelta(minutes=n),
                "updated_at": NOW,
            }
            for n in range(1, requests + 1)
        ],
    )
    start = NOW + timedelta(days=2)
    await _bulk(
        db,
        Event,
        [
            {
                "id": e,
                "title_ar": f"فعالية {e}",
                "description_ar": "وصف",
                "type": "cleaning",
                "place_name": "حديقة",
                "starts_at": start + timedelta(days=e),
                "ends_at": start + timedelta(days=e, hours=9),
                "status": "published",
                "created_at": NOW,
            }
            for e in range(1, 21)
        ],
    )
    await _bulk(
        db,
        Shift,
        [
            {
                "id": (e - 1) * 3 + k + 1,
                "event_id": e,
                "starts_at": start + timedelta(days=e, hours=3 * k),
                "ends_at": start + timedelta(days=e, hours=3 * k + 3),
                "capacity": 50,
                "skills": [],
                "auto_confirm": True,
                "status": "active",
                "revision": 0,
            }
            for e in range(1, 21)
            for k in range(3)
        ],
    )
    await _bulk(
        db,
        ShiftRegistration,
        [
            {"shift_id": 1, "volunteer_id": v, "status": "confirmed", "seat": v, "queued_at": NOW}
            for v in range(1, min(40, volunteers) + 1)
        ],
    )
    if db.engine.dialect.name == "postgresql":  # rows with explicit ids: move the sequences on
        async with db.transaction() as s:
            for table in ("users", "volunteers", "sites", "families", "events", "shifts"):
                await s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return Seeded(event_id=1, shift_id=1, volunteer_id=1)


async def _sign_in(client: TestClient[Any, Any], db: Database, settings: Any) -> None:
    catalogs = load_catalogs()
    async with db.transaction() as s:
        _, boss = await repo.create_user(s, "telegram", "bench-boss", "bench-boss", role="admin")
        unit = Unit(s, Actor.operator("web-link"), NOW, catalogs, settings)
        link = await web_access.issue_link(unit, boss.id)
    path = "/" + link.split("/", 3)[3]
    page = await client.get(path)
    found = _CSRF.search(await page.text())
    assert found is not None, "the login page has no CSRF field"
    done = await client.post(path, data={"csrf": found.group(1)}, allow_redirects=False)
    assert done.status == 303, f"sign-in failed: {done.status}"


async def measure(
    url: str, volunteers: int, requests: int, rounds: int, **db_options: Any
) -> list[str]:
    """Seed a database at `url`, render the pages `rounds` times each; the report's lines."""
    db = create_database(url, **db_options)
    await upgrade(db.engine)
    started = time.perf_counter()
    seeded = await seed(db, volunteers, requests)
    seeding = time.perf_counter() - started
    settings = load_settings(
        database_url=url, web_session_secret="b" * 40, web_base_url="http://127.0.0.1:8090"
    )
    app = create_app(db, load_catalogs(), settings, clock=lambda: NOW)
    pages = {
        "baseline /signin (no query)": "/signin",
        "overview /": "/",
        "requests queue /requests": "/requests",
        "volunteers directory": "/volunteers",
        "volunteers search": "/volunteers?q=0042&district=hawiya",
        "volunteer profile": f"/volunteers/{seeded.volunteer_id}",
        "events list": "/events",
        "an event": f"/events/{seeded.event_id}",
        "a shift (40 registered)": f"/events/{seeded.event_id}/shifts/{seeded.shift_id}",
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    async with TestClient(TestServer(app)) as client:
        await _sign_in(client, db, settings)
        skipped = set()
        for name, path in pages.items():  # warm-up: templates compiled, statements cached
            response = await client.get(path, allow_redirects=False)
            if response.status == 404:
                skipped.add(name)
            else:
                # /signin answers 401 to a stranger; here it only measures a template's cost
                assert response.status in (200, 401), f"{path}: {response.status}"
        for _ in range(rounds):
            for name, path in pages.items():
                if name in skipped:
                    continue
                began = time.perf_counter()
                response = await client.get(path, allow_redirects=False)
                await response.read()
                times[name].append((time.perf_counter() - began) * 1000)
    await db.dispose()
    base = _p95(times["baseline /signin (no query)"])
    lines = [f"seeded {volunteers:,} volunteers, {requests:,} stall requests in {seeding:.1f} s"]
    for name, found in times.items():
        if name in skipped:
            lines.append(f"  {name:<30} not on this branch (404): skipped")
            continue
        p50, p95 = statistics.median(found), _p95(found)
        lines.append(
            f"  {name:<30} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"p95/200ms {p95 / TARGET_MS:5.2f}  x{p95 / base:5.1f} baseline  "
            + ("PASS" if p95 < TARGET_MS else "FAIL")
        )
    return lines


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def _on_postgres(url: str, volunteers: int, requests: int, rounds: int) -> list[str]:
    """The same on PostgreSQL, in a schema of its own (dropped afterwards)."""
    schema = "bench_" + uuid.uuid4().hex[:12]
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        return await measure(
            url,
            volunteers,
            requests,
            rounds,
            connect_args={"server_settings": {"search_path": schema}},
        )
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def main_async(args: argparse.Namespace) -> int:
    volunteers, requests = (1000, 200) if args.quick else (args.volunteers, args.requests)
    rounds = 10 if args.quick else args.rounds
    print(
        f"web bench: {rounds} renders per page; target p95 < {TARGET_MS:.0f} ms; "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        print("SQLite")
        for line in await measure(url, volunteers, requests, rounds):
            print(line)
    pg = args.pg or os.environ.get("TEST_DATABASE_URL")
    if pg:
        print("PostgreSQL")
        for line in await _on_postgres(pg, volunteers, requests, rounds):
            print(line)
    else:
        print("PostgreSQL: skipped (no --pg URL and no TEST_DATABASE_URL)")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=50, help="renders per page (default 50)")
    parser.add_argument("--pg", help="a PostgreSQL URL (default: TEST_DATABASE_URL)")
    parser.add_argument("--quick", action="store_true", help="1,000 / 200 rows, 10 rounds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
