"""One person's updates one at a time, across worker processes.

Two quick presses of one person may reach two workers (two Telegram webhook processes, two
WhatsApp workers). Each update is handled in one transaction that reads the conversation and
writes it back; without a lock the two would read the same state and one would fail its
version check and be handled again, or, worse, be applied before the press that came first.

PostgreSQL: a transaction-scoped advisory lock on a hash of (channel, person), taken as the
first statement of the update's transaction, so everything the update reads comes after the
other worker's commit (READ COMMITTED takes a snapshot per statement) and the lock goes with
the commit or rollback, never leaked. The two-key form with our own namespace keeps it apart
from any single-key advisory lock (the two key spaces do not overlap). A hash collision
only makes two people wait for each other now and then.

SQLite: one writer at a time already serialises every update (storage/db.py), nothing to do.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import connection_of

NAMESPACE = 0x53485250  # "SHRP": the first key of every person lock

_LOCK = select(func.pg_advisory_xact_lock(bindparam("space", NAMESPACE), bindparam("key")))


def person_key(channel: str, external_id: str) -> int:
    """A stable signed 32-bit hash (Python's hash() changes from process to process)."""
    digest = hashlib.blake2b(f"{channel}:{external_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_person(
    session: AsyncSession | AsyncConnection, channel: str, external_id: str
) -> None:
    """Wait until no other transaction holds this person's lock, then hold it until this
    transaction ends. Call it before anything else in the transaction."""
    conn = await connection_of(session)
    if conn.dialect.name != "postgresql":
        return
    await conn.execute(_LOCK, {"key": person_key(channel, external_id)})
