"""bot.services.broadcasts called directly, on the real database: create (now / later),
cancel, stop, the due fan-out, and each refusal leaving nothing behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.core.unit import Actor
from bot.core.validators import ANNOUNCEMENT_MAX_CHARS
from bot.services import broadcasts as service
from bot.services.errors import Conflict, Forbidden, NotFound, ServiceError
from storage.db import Database
from storage.models import AuditLog, Broadcast, OutboxMessage
from tests.services.support import NOW, Units, add_person, count, rows, units

__all__ = ["units"]  # the fixture, from the shared support module

ALL = {"kind": "all"}


@pytest.fixture
async def staff(db: Database) -> Actor:
    return Actor.person(await add_person(db, "9000", role="staff"), "staff")


@pytest.fixture
async def people(db: Database) -> list[int]:
    return [await add_person(db, str(chat)) for chat in (101, 102)]


def draft(**changes: Any) -> service.BroadcastDraft:
    values: dict[str, Any] = {"audience": ALL, "text_ar": "حملة نظافة السبت", **changes}
    return service.BroadcastDraft(**values)


async def test_create_now_fans_out_audits_and_wakes_the_sender(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    async with units(staff) as unit:
        created = await service.create_broadcast(unit, draft(text_en="Clean-up on Saturday"))
        assert unit.notifier.wake_requested
    assert created.sending and created.scheduled_at == NOW
    assert created.recipients == 3  # the two people and the staff member
    [broadcast] = await rows(db, Broadcast)
    assert (broadcast.status, broadcast.recipients, broadcast.created_by) == (
        "sending",
        3,
        staff.user_id,
    )
    keys = {row.idempotency_key for row in await rows(db, OutboxMessage)}
    assert {f"b{created.id}:u{uid}" for uid in people} <= keys
    [audit] = await rows(db, AuditLog)
    assert (audit.actor, audit.action, audit.target) == (
        staff.label,
        "broadcast.created",
        f"broadcast:{created.id}",
    )
    assert audit.details == {"audience": ALL, "scheduled_at": NOW.isoformat()}


async def test_create_later_schedules_without_rows(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    later = NOW + timedelta(days=1)
    async with units(staff) as unit:
        created = await service.create_broadcast(unit, draft(at=later))
        assert not unit.notifier.wake_requested
    assert not created.sending and created.recipients == 3
    [broadcast] = await rows(db, Broadcast)
    assert (broadcast.status, broadcast.scheduled_at) == ("scheduled", later)
    assert await count(db, OutboxMessage) == 0
    assert [a.action for a in await rows(db, AuditLog)] == ["broadcast.created"]


@pytest.mark.parametrize(
    ("changes", "error", "msgid"),
    [
        ({"at": NOW}, Conflict, "err.datetime.past"),
        ({"text_ar": "😀" * (ANNOUNCEMENT_MAX_CHARS // 2 + 1)}, ServiceError, "bc.err.too_long"),
        ({"text_en": "x" * (ANNOUNCEMENT_MAX_CHARS + 1)}, ServiceError, "bc.err.too_long"),
        ({"text_ar": "  "}, ServiceError, "err.empty"),
        ({"audience": {"kind": "district"}}, ServiceError, "err.internal"),
        ({"audience": {"kind": "nobody"}}, ServiceError, "err.internal"),
        ({"audience": {"kind": "event", "value": "999"}}, NotFound, "bc.err.event_unknown"),
    ],
)
async def test_create_refuses_and_writes_nothing(
    units: Units,
    db: Database,
    staff: Actor,
    people: list[int],
    changes: dict[str, Any],
    error: type[ServiceError],
    msgid: str,
) -> None:
    async with units(staff) as unit:  # the transaction commits: the service wrote nothing
        with pytest.raises(error) as refused:
            await service.create_broadcast(unit, draft(**changes))
    assert refused.value.msgid == msgid
    assert await count(db, Broadcast) == 0
    assert await count(db, OutboxMessage) == 0
    assert await count(db, AuditLog) == 0


async def test_too_long_counts_utf16_units(units: Units, staff: Actor) -> None:
    """An emoji is two units in Telegram's count: half the limit in emoji plus one is over."""
    text = "😀" * (ANNOUNCEMENT_MAX_CHARS // 2 + 1)
    assert len(text) < ANNOUNCEMENT_MAX_CHARS
    with pytest.raises(ServiceError) as refused:
        service.check_text(text)
    assert refused.value.params == {
        "length": 2 * len(text),
        "limit": ANNOUNCEMENT_MAX_CHARS,
    }
    service.check_text("😀" * (ANNOUNCEMENT_MAX_CHARS // 2))


async def test_only_staff_create_cancel_or_stop(
    units: Units, db: Database, people: list[int]
) -> None:
    volunteer = Actor.person(people[0])
    async with units(volunteer) as unit:
        with pytest.raises(Forbidden):
            await service.create_broadcast(unit, draft())
        with pytest.raises(Forbidden):
            await service.cancel_broadcast(unit, 1)
        with pytest.raises(Forbidden):
            await service.stop_broadcast(unit, 1)
    assert await count(db, Broadcast) == 0
    assert await count(db, AuditLog) == 0


async def test_cancel_a_scheduled_broadcast_once(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    async with units(staff) as unit:
        created = await service.create_broadcast(unit, draft(at=NOW + timedelta(hours=2)))
    async with units(staff) as unit:
        await service.cancel_broadcast(unit, created.id)
    [broadcast] = await rows(db, Broadcast)
    assert broadcast.status == "cancelled"
    [audit] = await rows(db, AuditLog, AuditLog.action == "broadcast.cancelled")
    assert (audit.actor, audit.target) == (staff.label, f"broadcast:{created.id}")
    async with units(staff) as unit:
        with pytest.raises(Conflict) as refused:
            await service.cancel_broadcast(unit, created.id)
        with pytest.raises(Conflict):
            await service.cancel_broadcast(unit, 4242)  # unknown: too late as well
    assert refused.value.msgid == "staff.cancel_too_late"
    assert refused.value.params == {"id": created.id}
    assert len(await rows(db, AuditLog, AuditLog.action == "broadcast.cancelled")) == 1


async def test_cancel_refuses_one_being_sent(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    async with units(staff) as unit:
        created = await service.create_broadcast(unit, draft())
    async with units(staff) as unit:
        with pytest.raises(Conflict):
            await service.cancel_broadcast(unit, created.id)
    [broadcast] = await rows(db, Broadcast)
    assert broadcast.status == "sending"


async def test_stop_one_being_sent(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    async with units(staff) as unit:
        created = await service.create_broadcast(unit, draft())
    async with units(staff) as unit:
        stopped = await service.stop_broadcast(unit, created.id)
        assert unit.notifier.wake_requested  # the sender settles it and sends the summary
    assert (stopped.sent, stopped.cancelled, stopped.in_flight) == (0, 3, 0)
    [broadcast] = await rows(db, Broadcast)
    assert broadcast.status == "stopping"
    assert {row.status for row in await rows(db, OutboxMessage)} == {"cancelled"}
    [audit] = await rows(db, AuditLog, AuditLog.action == "broadcast.stopped")
    assert audit.details == {"sent": 0, "cancelled": 3}
    async with units(staff) as unit:
        with pytest.raises(Conflict) as refused:
            await service.stop_broadcast(unit, created.id)
    assert refused.value.msgid == "staff.stop_too_late"


async def test_fan_out_due_starts_only_what_is_due(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    async with units(staff) as unit:
        created = await service.create_broadcast(unit, draft(at=NOW + timedelta(hours=1)))
    async with units(Actor.system()) as unit:
        assert await service.fan_out_due(unit) == []
        assert not unit.notifier.wake_requested
    async with units(Actor.system(), NOW + timedelta(hours=1)) as unit:
        assert await service.fan_out_due(unit) == [created.id]
        assert unit.notifier.wake_requested
    [broadcast] = await rows(db, Broadcast)
    assert (broadcast.status, broadcast.recipients) == ("sending", 3)
    assert await count(db, OutboxMessage) == 3
    async with units(Actor.system(), NOW + timedelta(hours=2)) as unit:
        assert await service.fan_out_due(unit) == []  # once only


async def test_lists_and_counts(
    units: Units, db: Database, staff: Actor, people: list[int]
) -> None:
    async with units(staff) as unit:
        later = await service.create_broadcast(unit, draft(at=NOW + timedelta(hours=1)))
        now = await service.create_broadcast(unit, draft())
        assert await service.count_recipients(unit, ALL) == 3
        assert await service.count_recipients(unit, {"kind": "volunteers"}) == 0
    async with units(staff) as unit:
        assert [b.id for b in await service.scheduled_broadcasts(unit)] == [later.id]
        [progress] = await service.sending_broadcasts(unit)
    assert (progress.broadcast.id, progress.done, progress.total) == (now.id, 0, 3)
