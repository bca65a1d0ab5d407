"""Broadcasts (DESIGN.md §4): audiences, the fan-out into outbox rows, due, sending and
scheduled broadcasts, stopping one and counting its rows. The queue itself is storage.outbox.

Stopping a broadcast that is sending (`stop_broadcast`) cancels its rows not sent yet; a row a
sender holds at that moment ('sending') may still go out, and the broadcast stays 'stopping'
until such rows are settled, then becomes 'stopped' and its creator gets the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, false, func, literal, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import AuditLog, Broadcast, ChannelIdentity, OutboxMessage, User, Volunteer
from storage.outbox import (
    CANCELLED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    _insert,
    _latest_identity_id,
)

# Broadcast statuses: scheduled → sending → done, or scheduled → cancelled (before sending),
# or sending → stopping (rows in flight) → stopped.
STOPPING, STOPPED = "stopping", "stopped"


# --- audiences --------------------------------------------------------------------------------
AUDIENCES = (
    "all",
    "volunteers",
    "families",
    "district",
    "interest",
    "event",
    "partners",
    "partner_type",
)
# The audiences that name one district, interest, event or partner type
# (`{"kind": ..., "value": ...}`).
VALUED_AUDIENCES = ("district", "interest", "event", "partner_type")


Join = tuple[Any, ColumnElement[bool]]


def audience_filter(audience: dict[str, Any]) -> tuple[ColumnElement[bool], list[Join]]:
    """(condition on the joined rows, the joins it needs) for a broadcast audience."""
    from storage.models_events import Shift, ShiftRegistration
    from storage.models_families import Family
    from storage.models_partners import APPROVED, MEMBER_CONFIRMED, Partner, PartnerMember

    kind = audience.get("kind", "all")
    value = str(audience.get("value") or "")
    volunteer: list[Join] = [(Volunteer, Volunteer.user_id == User.id)]
    if kind == "all":
        return true(), []
    if kind == "volunteers":
        return Volunteer.id.is_not(None), volunteer
    if kind == "families":
        return Family.id.is_not(None), [(Family, Family.user_id == User.id)]
    if kind == "district":
        return Volunteer.district == value, volunteer
    if kind == "interest":
        # Interest codes are ASCII words stored as a JSON list; a quoted match is exact and
        # portable across SQLite and PostgreSQL.
        return cast(Volunteer.interests, String).like(f'%"{value}"%'), volunteer
    if kind == "event":
        # Registrants of event X: confirmed, waiting for approval or on a waitlist.
        if not value.isdigit():
            return false(), []
        joins: list[Join] = [
            *volunteer,
            (ShiftRegistration, ShiftRegistration.volunteer_id == Volunteer.id),
            (Shift, Shift.id == ShiftRegistration.shift_id),
        ]
        live = ShiftRegistration.status.in_(("pending", "confirmed", "waitlisted"))
        return and_(Shift.event_id == int(value), live), joins
    if kind in ("partners", "partner_type"):
        # Only confirmed representatives of approved partners act for them (and hear for them).
        partner_joins: list[Join] = [
            (PartnerMember, PartnerMember.user_id == User.id),
            (Partner, Partner.id == PartnerMember.partner_id),
        ]
        acting = and_(PartnerMember.status == MEMBER_CONFIRMED, Partner.status == APPROVED)
        if kind == "partner_type":
            acting = and_(acting, Partner.type == value)
        return acting, partner_joins
    return false(), []


def _recipients(audience: dict[str, Any], *columns: Any) -> Any:
    """`columns` for each person an audience reaches (consented, with a chat), joined with
    the identity they are notified on."""
    condition, joins = audience_filter(audience)
    stmt = (
        select(*columns)
        .join(ChannelIdentity, ChannelIdentity.id == _latest_identity_id())
        .where(User.consent_version.is_not(None), ChannelIdentity.chat_id.is_not(None), condition)
    )
    for target, on in joins:
        stmt = stmt.join(target, on)
    return stmt.distinct()


async def count_audience(session: AsyncSession, audience: dict[str, Any]) -> int:
    stmt = select(func.count()).select_from(_recipients(audience, User.id).subquery())
    return int((await session.execute(stmt)).scalar_one())


async def fan_out(session: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """One outbox row per recipient in one statement; stopped or unreachable people get a
    'skipped' row so the summary accounts for everyone."""
    skip = or_(User.opted_out_announcements, User.unreachable)
    source = _recipients(
        broadcast.audience,
        literal(f"b{broadcast.id}:u") + cast(User.id, String),
        User.id,
        ChannelIdentity.channel,
        ChannelIdentity.chat_id,
        literal("broadcast"),
        literal({"broadcast_id": broadcast.id}, type_=OutboxMessage.payload.type),
        literal(broadcast.id),
        true(),
        true(),
        case((skip, literal(SKIPPED)), else_=literal(PENDING)),
        literal(now, type_=OutboxMessage.due_at.type),
        literal(0),
        case(
            (User.opted_out_announcements, literal("opted out")),
            (User.unreachable, literal("unreachable")),
            else_=None,
        ),
        literal(now, type_=OutboxMessage.created_at.type),
    )
    columns = [
        "idempotency_key",
        "user_id",
        "channel",
        "chat_id",
        "kind",
        "payload",
        "broadcast_id",
        "announcement",
        "quiet",
        "status",
        "due_at",
        "attempts",
        "last_error",
        "created_at",
    ]
    stmt = _insert(session)(OutboxMessage).from_select(columns, source).on_conflict_do_nothing()
    await session.execute(stmt)
    total = await session.execute(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.broadcast_id == broadcast.id)
    )
    return int(total.scalar_one())


# --- broadcasts --------------------------------------------------------------------------------
async def due_broadcasts(session: AsyncSession, now: datetime) -> Sequence[Broadcast]:
    return (
        (
            await session.execute(
                select(Broadcast)
                .where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )


async def sending_broadcasts(
    session: AsyncSession, *, stopping: bool = False
) -> Sequence[Broadcast]:
    """Broadcasts being sent (with `stopping`, also those stopped but not yet settled)."""
    wanted = ("sending", STOPPING) if stopping else ("sending",)
    return (
        (
            await session.execute(
                select(Broadcast).where(Broadcast.status.in_(wanted)).order_by(Broadcast.id)
            )
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class Stopped:
    broadcast_id: int
    sent: int  # went out before the stop
    cancelled: int  # will not be sent
    in_flight: int  # held by a sender at this moment: may still go out


async def stop_sending(session: AsyncSession, broadcast_id: int) -> Stopped | None:
    """Stop a broadcast that is sending: its rows not sent yet become 'cancelled', the
    broadcast 'stopping' (the sender settles it and sends its creator the summary). None when
    it is not sending (unknown, not started, already finished or stopped). The rule and its
    audit row are `bot.services.broadcasts.stop_broadcast`."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status != "sending":
        return None
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == PENDING)
        .values(status=CANCELLED, last_error="broadcast stopped")
    )
    broadcast.status = STOPPING
    counts = await broadcast_counts(session, broadcast_id)
    return Stopped(
        broadcast_id,
        sent=counts.get(SENT, 0),
        cancelled=counts.get(CANCELLED, 0),
        in_flight=counts.get(SENDING, 0),
    )


async def stop_broadcast(
    session: AsyncSession, broadcast_id: int, actor: str, now: datetime
) -> Stopped | None:
    """`stop_sending` with its audit row, for callers holding a bare session (delivery tests
    that race a stop against the sender); chat and the CLI go through the service."""
    stopped = await stop_sending(session, broadcast_id)
    if stopped is not None:
        session.add(
            AuditLog(
                actor=actor,
                action="broadcast.stopped",
                target=f"broadcast:{broadcast_id}",
                details={"sent": stopped.sent, "cancelled": stopped.cancelled},
                created_at=now,
            )
        )
    return stopped


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}


def open_count(counts: dict[str, int]) -> int:
    """Rows of a broadcast not finished yet, from its `broadcast_counts`."""
    return counts.get(PENDING, 0) + counts.get(SENDING, 0)


async def scheduled_broadcasts(session: AsyncSession) -> Sequence[Broadcast]:
    return (
        (
            await session.execute(
                select(Broadcast).where(Broadcast.status == "scheduled").order_by(Broadcast.id)
            )
        )
        .scalars()
        .all()
    )
