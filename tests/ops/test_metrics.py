"""The process's Prometheus metrics: one registry a process, updates by channel and outcome
with their latency, sends by outcome, time waiting on the rate limit, job runs and failures,
and the database's gauges (outbox rows, WhatsApp backlog, broadcast progress). No label holds
personal data."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from bot.metrics import Metrics, create_metrics
from bot.process.outbox_runner import _close as close_sender
from fakes.telegram_api import FakeTelegramServer
from scheduler.jobs import JobTracker, named
from storage import inbound, outbox
from storage.db import Database
from tests.delivery.support import (
    NOON_RIYADH,
    broadcast_fanned_out,
    make_sender,
    one_recipient,
)
from tests.support import Chat

PHONE_USER = "966551234567"  # a WhatsApp id is the sender's number
NOTICE = {"key": "broadcast.progress", "params": {"id": 1, "done": 1, "total": 2}}
LABEL_VALUE = re.compile(r"[a-z0-9_.]{1,40}")


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def label_values(metrics: Metrics) -> set[str]:
    text = metrics.exposition().decode()
    return {
        label
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        for name, label in sample.labels.items()
        if name != "le"  # a histogram's bucket bounds
    }


def test_each_process_has_its_own_registry() -> None:
    first, second = create_metrics(), create_metrics()
    first.update_handled("telegram", "handled", 0.01)
    assert value(first, "shuraka_updates_total", channel="telegram", outcome="handled") == 1
    assert value(second, "shuraka_updates_total", channel="telegram", outcome="handled") == 0


async def test_updates_are_counted_by_channel_and_outcome_with_latency(engine: Engine) -> None:
    chat = Chat(engine, user=PHONE_USER, channel="whatsapp")
    await chat.send("مرحبا")
    first = chat.last_inbound
    await chat.redeliver()  # the same update again, still the latest: its saved replies
    await chat.send("مرحبا")
    assert first is not None
    await chat.deliver(first)  # an older one again: the dedupe drops it
    metrics = engine.metrics
    assert value(metrics, "shuraka_updates_total", channel="whatsapp", outcome="handled") == 2
    assert value(metrics, "shuraka_updates_total", channel="whatsapp", outcome="replayed") == 1
    assert value(metrics, "shuraka_updates_total", channel="whatsapp", outcome="duplicate") == 1
    assert value(metrics, "shuraka_update_handling_seconds_count", channel="whatsapp") == 4
    assert value(metrics, "shuraka_update_handling_seconds_sum", channel="whatsapp") > 0
    assert all(LABEL_VALUE.fullmatch(v) for v in label_values(metrics))
    assert PHONE_USER not in metrics.exposition().decode()


async def test_sends_are_counted_by_outcome_with_the_wait_for_the_rate_limit(
    db: Database, catalogs: Catalogs, fake: FakeTelegramServer
) -> None:
    ok_chat, ok_user = await one_recipient(db, fake, 7001)
    blocked_chat, blocked_user = await one_recipient(db, fake, 7002)
    limited_chat, limited_user = await one_recipient(db, fake, 7003)
    fake.block(blocked_chat)
    fake.fail_next("sendMessage", 429, retry_after=1, chat_id=limited_chat)
    async with db.transaction() as session:
        for n, user in enumerate((ok_user, ok_user, blocked_user, limited_user)):
            await outbox.enqueue(
                session, user, kind="notice", key=f"m:{n}", payload=NOTICE, due_at=NOON_RIYADH
            )
    # Two messages to one chat at 5 a second: the second waits about 0.2 s for its slot.
    sender = make_sender(db, catalogs, fake, per_chat_per_second=5.0)
    try:
        await sender.drain()
    finally:
        await close_sender(sender)
    metrics = sender.metrics
    assert value(metrics, "shuraka_sends_total", channel="telegram", outcome="sent") == 2
    assert value(metrics, "shuraka_sends_total", channel="telegram", outcome="unreachable") == 1
    assert value(metrics, "shuraka_sends_total", channel="telegram", outcome="429") == 1
    waited = value(metrics, "shuraka_rate_limit_wait_seconds_total", channel="telegram")
    assert 0.1 < waited < 5
    # Chat ids must not be labels; a sample's float value may happen to contain the digits.
    labels = label_values(metrics)
    assert not any(str(chat) in v for v in labels for chat in (ok_chat, blocked_chat))
    assert all(LABEL_VALUE.fullmatch(v) for v in label_values(metrics))


async def test_job_runs_and_failures_are_counted_by_job_id() -> None:
    tracker = JobTracker(create_metrics())

    async def works() -> None:
        return None

    async def breaks() -> None:
        raise RuntimeError("boom")

    await tracker.wrap(named(works, "families.offers"))()
    await tracker.wrap(named(works, "families.offers"))()
    await tracker.wrap(named(breaks, "events.reminders"))()  # logged, never raised
    metrics = tracker.metrics
    assert value(metrics, "shuraka_scheduler_job_runs_total", job="families.offers") == 2
    assert value(metrics, "shuraka_scheduler_job_failures_total", job="families.offers") == 0
    assert value(metrics, "shuraka_scheduler_job_runs_total", job="events.reminders") == 1
    assert value(metrics, "shuraka_scheduler_job_failures_total", job="events.reminders") == 1


async def test_gauges_read_outbox_backlog_and_broadcast_progress_from_the_rows(
    db: Database, fake: FakeTelegramServer
) -> None:
    await one_recipient(db, fake, 7101)
    await one_recipient(db, fake, 7102)
    broadcast_id = await broadcast_fanned_out(db)
    async with db.transaction() as session:
        await inbound.store(session, "whatsapp", {"entry": []})
        await inbound.store(session, "whatsapp", {"entry": []})
    metrics = create_metrics()
    await metrics.refresh(db)
    assert value(metrics, "shuraka_outbox_rows", channel="telegram", status="pending") == 2
    assert value(metrics, "shuraka_whatsapp_inbound_backlog") == 2
    progress = value(
        metrics, "shuraka_broadcast_messages", broadcast=str(broadcast_id), status="pending"
    )
    assert progress == 2
    # The figures follow the rows: a status with no rows left does not keep its old figure.
    async with db.transaction() as session:
        for work in await inbound.pending(session, "whatsapp", 10):
            await inbound.done(session, work.id)
    await metrics.refresh(db)
    assert value(metrics, "shuraka_whatsapp_inbound_backlog") == 0
    assert all(LABEL_VALUE.fullmatch(v) for v in label_values(metrics))
