"""Per-person order across workers (issue 16 item 5): two quick presses of one person handled
by two workers (two engines, each with its own connection pool on PostgreSQL) apply in the
order they arrived: the second sees the state the first produced. On SQLite one writer at a
time gives the same order; on PostgreSQL it is the advisory lock of storage/person_lock.py."""

from __future__ import annotations

import asyncio
import itertools

from bot.core.engine import Engine
from bot.core.flow import Command, Context
from bot.core.i18n import Catalogs
from bot.core.messages import Inbound, InboundKind
from bot.handlers import build_app
from bot.settings import Settings
from storage import repositories as repo
from storage import update_rows
from storage.db import Database
from storage.person_lock import person_key
from tests.conftest import Clock, DatabaseFactory

USER = "966500001234"
_ids = itertools.count(1)


def note(text: str) -> Inbound:
    return Inbound(
        channel="whatsapp",
        external_user_id=USER,
        chat_id=USER,
        update_id=f"lock{next(_ids)}",
        kind=InboundKind.COMMAND,
        text="note",
        args=text,
    )


async def test_two_quick_presses_on_two_workers_apply_in_arrival_order(
    db_factory: DatabaseFactory,
    db: Database,
    catalogs: Catalogs,
    settings: Settings,
    clock: Clock,
) -> None:
    inside = asyncio.Event()  # the first press is being handled, its transaction open
    go_on = asyncio.Event()

    async def record(ctx: Context) -> None:
        """Appends the press to the person's state; the first one dawdles while holding it."""
        notes = [*ctx.state.data.get("notes", []), ctx.inbound.args]
        ctx.state.data["notes"] = notes
        if ctx.inbound.args == "first" and not go_on.is_set():
            inside.set()
            await go_on.wait()

    app = build_app()
    app.commands["note"] = Command("note", record, "help.title", before_gates=True)
    second_db = db if db.is_sqlite else db_factory.open()
    worker_a = Engine(app, db, catalogs, settings, clock=clock)
    worker_b = Engine(app, second_db, catalogs, settings, clock=clock)
    async with db.transaction() as session:
        identity, _ = await repo.create_user(session, "whatsapp", USER, USER, locale="ar")
        # Seen just now: handling writes nothing before the state at its end, so no row lock
        # stands in for the person lock.
        identity.last_seen_at = clock()

    first = asyncio.create_task(worker_a.handle(note("first")))
    await asyncio.wait_for(inside.wait(), 10)
    second = asyncio.create_task(worker_b.handle(note("second")))
    await asyncio.sleep(0.3)  # the second press arrived and waits for the first
    assert not second.done()
    go_on.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)

    async with db.engine.connect() as conn:
        found = await update_rows.load_person(conn, "whatsapp", USER)
    assert found is not None and found.conversation is not None
    assert (found.conversation.data or {})["f"]["notes"] == ["first", "second"]


def test_the_lock_key_is_stable_and_fits_postgresql_s_int4() -> None:
    key = person_key("telegram", "12345")
    assert key == person_key("telegram", "12345") != person_key("whatsapp", "12345")
    assert -(2**31) <= key < 2**31
