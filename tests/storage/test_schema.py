"""The Alembic schema and the models agree; migrations go both ways; the backends are set up as
the design says (SQLite: WAL and foreign keys; PostgreSQL: refuse an outdated schema)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage import repositories as repo
from storage.db import Database
from storage.models import (
    AuditLog,
    Base,
    ChannelIdentity,
    Conversation,
    ProcessedUpdate,
    User,
    Volunteer,
    load_all_models,
    utcnow,
)
from storage.schema import (
    SchemaOutdatedError,
    alembic_config,
    check_current,
    downgrade,
    ensure_schema,
    upgrade,
)
from tests.conftest import DatabaseFactory

TABLES = {
    m.__tablename__
    for m in (AuditLog, ChannelIdentity, Conversation, ProcessedUpdate, User, Volunteer)
}


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


load_all_models()  # every feature's models, as Alembic sees them


def _diff(conn: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def schema_diff(db: Database, metadata: MetaData = Base.metadata) -> list[Any]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_diff, metadata)


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def count(db: Database, model: Any) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# --- schema vs models ---------------------------------------------------------------------------


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert await check_current(db.engine) == (head(), head())
    assert await table_names(db) >= TABLES
    assert await schema_diff(db) == []


async def test_the_comparison_would_see_a_difference(db: Database) -> None:
    """Guard against a comparison that always says 'no differences'."""
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["users"].append_column(Column("nickname", String(20)))
    diffs = await schema_diff(db, changed)
    assert [d[0] for d in diffs] == ["add_column"]
    assert diffs[0][3].name == "nickname"


async def test_downgrade_to_base_and_upgrade_again(db: Database) -> None:
    await downgrade(db.engine, "base")
    assert await check_current(db.engine) == (None, head())
    assert not (TABLES & await table_names(db))
    await upgrade(db.engine)
    assert await check_current(db.engine) == (head(), head())
    assert await schema_diff(db) == []
    # and the schema is usable after the round trip
    async with db.transaction() as session:
        assert await repo.mark_processed(session, "console", "after-roundtrip")


# --- backend set-up ------------------------------------------------------------------------------


async def test_sqlite_pragmas(db: Database, db_factory: DatabaseFactory) -> None:
    if db_factory.backend != "sqlite":
        pytest.skip("SQLite only")
    async with db.engine.connect() as conn:
        journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        foreign_keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert str(journal).lower() == "wal"
    assert foreign_keys == 1
    assert busy is not None and int(busy) > 0


async def test_ensure_schema_on_an_empty_database(db_factory: DatabaseFactory) -> None:
    database = db_factory.open()  # nothing migrated yet
    if db_factory.backend == "postgresql":
        with pytest.raises(SchemaOutdatedError) as info:
            await ensure_schema(database.engine)
        message = str(info.value)
        assert "shuraka db upgrade" in message
        assert "\n" not in message
        assert await check_current(database.engine) == (None, head())  # nothing was changed
        assert not (TABLES & await table_names(database))
    else:
        await ensure_schema(database.engine)
        assert await check_current(database.engine) == (head(), head())
        assert await schema_diff(database) == []
        await ensure_schema(database.engine)  # and again: nothing to do, no error


async def test_ensure_schema_accepts_a_current_schema(db: Database) -> None:
    await ensure_schema(db.engine)
    assert await check_current(db.engine) == (head(), head())


# --- repositories ---------------------------------------------------------------------------


async def test_mark_processed_once_per_channel_and_update(db: Database) -> None:
    async with db.transaction() as session:
        assert await repo.mark_processed(session, "telegram", "1001") is True
    async with db.transaction() as session:
        assert await repo.mark_processed(session, "telegram", "1001") is False
        assert await repo.mark_processed(session, "console", "1001") is True
        assert await repo.mark_processed(session, "telegram", "1002") is True
    async with db.transaction() as session:
        assert await repo.mark_processed(session, "console", "1001") is False
    assert await count(db, ProcessedUpdate) == 3


async def _person_with_everything(db: Database, external: str, nid: str) -> int:
    async with db.transaction() as session:
        _, user = await repo.create_user(session, "console", external, external, locale="ar")
        await repo.save_conversation(
            session, user.id, flow="menu", step="main", data={"f": {}}, expected_version=None
        )
        session.add(
            Volunteer(
                user_id=user.id,
                full_name="Test Person",
                national_id=nid,
                mobile="+966512345678",
                gender="f",
                birth_date=date(1999, 1, 1),
                birth_calendar="gregorian",
                district="hawiya",
                interests=["events"],
                availability=["we_morning"],
                charter_accepted_at=utcnow(),
            )
        )
        return user.id


async def test_deleting_a_user_cascades(db: Database) -> None:
    gone = await _person_with_everything(db, "gone", "1000000008")
    kept = await _person_with_everything(db, "kept", "2000000006")
    for model in (User, ChannelIdentity, Conversation, Volunteer):
        assert await count(db, model) == 2

    async with db.transaction() as session:
        await repo.delete_user(session, gone)

    for model in (User, ChannelIdentity, Conversation, Volunteer):
        assert await count(db, model) == 1, model.__tablename__
    async with db.sessions() as session:
        assert await repo.find_identity(session, "console", "gone") is None
        assert await repo.find_identity(session, "console", "kept") is not None
        assert await repo.volunteer_for_user(session, gone) is None
        assert await repo.get_conversation(session, gone) is None
        assert await repo.volunteer_for_user(session, kept) is not None


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(ChannelIdentity(channel="console", external_id="orphan", user_id=424242))
            await session.flush()
    assert await count(db, ChannelIdentity) == 0
