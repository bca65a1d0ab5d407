"""Stored webhook bodies waiting to be processed (see storage/models_channels.py).

A body is raw personal data (the sender's number and name, their message), so it lives only
as long as needed: deleted once processed, a failed one kept for a short retention to look at,
and a person's bodies purged at once when they delete their data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity
from storage.models_channels import InboundWork

MAX_ATTEMPTS = 3


def lane_of(sender: str) -> str | None:
    """The lane a sender's bodies go in: a hash, so the column does not spell their number."""
    return hashlib.blake2b(sender.encode(), digest_size=16).hexdigest() if sender else None


async def store(
    session: AsyncSession, channel: str, payload: dict[str, Any], sender: str = ""
) -> int:
    work = InboundWork(
        channel=channel, payload=payload, status="pending", attempts=0, lane=lane_of(sender)
    )
    session.add(work)
    await session.flush()
    return work.id


async def pending(
    session: AsyncSession, channel: str, limit: int = 50, after: int = 0
) -> Sequence[InboundWork]:
    return (
        (
            await session.execute(
                select(InboundWork)
                .where(
                    InboundWork.channel == channel,
                    InboundWork.status == "pending",
                    InboundWork.id > after,
                )
                .order_by(InboundWork.id)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class Claimed:
    id: int
    payload: dict[str, Any]
    attempts: int
    lane: str | None


async def claim(
    session: AsyncSession,
    channel: str,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int = 50,
    after: int = 0,
) -> list[Claimed]:
    """Claim up to `limit` pending bodies for `worker` until `now + lease`, oldest first: the
    unclaimed ones and those whose lease ran out (their worker died or hangs).

    PostgreSQL: `FOR UPDATE SKIP LOCKED` makes workers polling at the same moment claim
    different rows instead of queueing on each other's; a row another claim has locked is
    skipped, and re-checked (still free?) if it was only waited for. SQLite has one writer at
    a time, so the same UPDATE is atomic there (the FOR UPDATE clause is not rendered)."""
    free = or_(InboundWork.lease_until.is_(None), InboundWork.lease_until < now)
    chosen = (
        select(InboundWork.id)
        .where(
            InboundWork.channel == channel,
            InboundWork.status == "pending",
            InboundWork.id > after,
            free,
        )
        .order_by(InboundWork.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.execute(
        update(InboundWork)
        .where(InboundWork.id.in_(chosen.scalar_subquery()))
        .values(claimed_by=worker, lease_until=now + lease)
        .returning(InboundWork.id, InboundWork.payload, InboundWork.attempts, InboundWork.lane)
        .execution_options(synchronize_session=False)
    )
    return sorted((Claimed(*row) for row in rows.all()), key=lambda c: c.id)


async def renew(session: AsyncSession, worker: str, now: datetime, lease: timedelta) -> int:
    """Extend the lease of every body `worker` still holds (while it is working on them)."""
    result = await session.execute(
        update(InboundWork)
        .where(InboundWork.claimed_by == worker, InboundWork.status == "pending")
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, worker: str, work_id: int | None = None) -> None:
    """Give back a body (or every body) `worker` holds, for any worker to claim at once."""
    where = [InboundWork.claimed_by == worker]
    if work_id is not None:
        where.append(InboundWork.id == work_id)
    await session.execute(
        update(InboundWork)
        .where(*where)
        .values(claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def earlier_untried(session: AsyncSession, channel: str, lane: str, work_id: int) -> bool:
    """Whether the same sender has an earlier body nobody has tried yet (another worker holds
    it, or is about to): this one must wait for it, so one person's messages are handled in
    the order they arrived. An earlier body that failed an attempt does not hold up the rest
    (as with one worker: it is retried in a later round)."""
    earlier = exists().where(
        InboundWork.channel == channel,
        InboundWork.lane == lane,
        InboundWork.id < work_id,
        InboundWork.status == "pending",
        InboundWork.attempts == 0,
    )
    return bool((await session.execute(select(earlier))).scalar())


async def done(session: AsyncSession, work_id: int) -> None:
    """Processed (or deliberately dropped): the raw body is not kept."""
    await session.execute(delete(InboundWork).where(InboundWork.id == work_id))


async def failed_attempt(session: AsyncSession, work_id: int, attempts: int, error: str) -> None:
    """`error` must not carry personal data: callers pass the exception's type, not its text
    (a database error's text quotes the values it was given)."""
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    await session.execute(
        update(InboundWork)
        .where(InboundWork.id == work_id)
        .values(
            status=status,
            attempts=attempts,
            last_error=error[:300],
            claimed_by=None,  # free for the next round, whichever worker runs it
            lease_until=None,
        )
    )


async def purge_old(
    session: AsyncSession, failed_before: datetime, pending_before: datetime
) -> int:
    """Delete failed bodies received before `failed_before`, bodies left 'done' by older
    versions, and pending ones so old no platform would still expect an answer."""
    result = await session.execute(
        delete(InboundWork).where(
            or_(
                InboundWork.status == "done",
                (InboundWork.status == "failed") & (InboundWork.received_at < failed_before),
                (InboundWork.status == "pending") & (InboundWork.received_at < pending_before),
            )
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- a person's bodies ------------------------------------------------------------------------
def _without(value: Any, external_id: str) -> Any:
    """`value` without the list items that are about `external_id`: an item (a message, a
    contact card, a status) is dropped when one of its own fields is that id (WhatsApp's
    `from`, `wa_id`, `recipient_id`); other senders' items in the same body stay."""
    if isinstance(value, dict):
        return {key: _without(item, external_id) for key, item in value.items()}
    if isinstance(value, list):
        return [
            _without(item, external_id)
            for item in value
            if not (isinstance(item, dict) and external_id in item.values())
        ]
    return value


def _lists_in(value: Any) -> bool:
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(_lists_in(item) for item in value.values())


def _has_records(value: Any) -> bool:
    """Whether a body still holds a record for someone: a list item without lists inside
    (a message, a contact card, a status), as opposed to the envelope around them."""
    if isinstance(value, list):
        return any(
            (isinstance(item, dict) and not _lists_in(item)) or _has_records(item) for item in value
        )
    return isinstance(value, dict) and any(_has_records(item) for item in value.values())


async def purge_person(session: AsyncSession, user_id: int) -> int:
    """Remove everything stored bodies hold about a person (for "delete my data"); returns the
    number of bodies changed or deleted.

    The JSON is matched as text (the same on SQLite and PostgreSQL) to find candidates, then
    checked field by field: the person's items are cut out of a body that holds someone
    else's too; a body left with nobody's is deleted, and so is one that still mentions the id
    anywhere (e.g. inside someone's text), privacy first.
    """
    identities = (
        await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.external_id).where(
                ChannelIdentity.user_id == user_id
            )
        )
    ).all()
    changed = 0
    for channel, external_id in identities:
        pattern = "%" + external_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = (
            await session.execute(
                select(InboundWork.id, InboundWork.payload).where(
                    InboundWork.channel == channel,
                    cast(InboundWork.payload, Text).like(pattern + "%", escape="\\"),
                )
            )
        ).all()
        for work_id, payload in rows:
            kept = _without(payload, external_id)
            if external_id in json.dumps(kept, ensure_ascii=False) or not _has_records(kept):
                await session.execute(delete(InboundWork).where(InboundWork.id == work_id))
            elif kept != payload:
                await session.execute(
                    update(InboundWork).where(InboundWork.id == work_id).values(payload=kept)
                )
            else:
                continue
            changed += 1
    return changed
