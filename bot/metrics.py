"""The process's Prometheus metrics (the official `prometheus_client`), served at /metrics by
`bot.process.health`.

One `Metrics` a process, each with its own registry (`create_metrics`), so two runtimes in one
test never share counts. Labels are closed sets (channel, outcome, status, job id, broadcast
number): never a user id, a chat id, a phone number or a text.

Counters and the histogram are counted where things happen (the engine, the sender, the
scheduler's job wrapper); the gauges read the database (`refresh`) when /metrics is asked, so
every process shows the same outbox, backlog and broadcast figures.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from storage import broadcasts
from storage.db import Database
from storage.models import Broadcast, OutboxMessage
from storage.models_channels import InboundWork

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Update outcomes (the engine): replied, a repeat the dedupe dropped, a repeat given the
# replies its first handling saved (bot/core/replay.py), a failure answered with the apology,
# a race lost three times.
UPDATE_OUTCOMES = ("handled", "duplicate", "replayed", "failed", "conflict")
# Send outcomes (the sender): what the platform answered.
SEND_OUTCOMES = ("sent", "429", "unreachable", "failed", "retry", "skipped")
# Broadcasts whose progress is shown: the ones still sending.
_OPEN_BROADCASTS = ("sending", broadcasts.STOPPING)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.updates = Counter(
            "shuraka_updates",
            "Updates handled, by channel and outcome",
            ["channel", "outcome"],
            registry=registry,
        )
        self.update_seconds = Histogram(
            "shuraka_update_handling_seconds",
            "Time to handle one update (load, route, save), by channel",
            ["channel"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.sends = Counter(
            "shuraka_sends",
            "Outbox sends, by channel and outcome (sent, 429, unreachable, failed, retry, skipped)",
            ["channel", "outcome"],
            registry=registry,
        )
        self.rate_limit_wait = Counter(
            "shuraka_rate_limit_wait_seconds",
            "Time the sender waited for a rate-limit slot, by channel",
            ["channel"],
            registry=registry,
        )
        self.job_runs = Counter(
            "shuraka_scheduler_job_runs", "Scheduler job runs, by job", ["job"], registry=registry
        )
        self.job_failures = Counter(
            "shuraka_scheduler_job_failures",
            "Scheduler job runs that raised, by job",
            ["job"],
            registry=registry,
        )
        self.outbox_rows = Gauge(
            "shuraka_outbox_rows",
            "Outbox rows, by channel and status",
            ["channel", "status"],
            registry=registry,
        )
        self.inbound_backlog = Gauge(
            "shuraka_whatsapp_inbound_backlog",
            "Stored WhatsApp webhook bodies not processed yet",
            registry=registry,
        )
        self.broadcast_rows = Gauge(
            "shuraka_broadcast_messages",
            "Messages of the broadcasts still sending, by broadcast number and status",
            ["broadcast", "status"],
            registry=registry,
        )

        self.leader = Gauge(
            "shuraka_leader",
            "1 while this process holds the lead of a part (scheduler, sender), else 0",
            ["part"],
            registry=registry,
        )

    def update_handled(self, channel: str, outcome: str, seconds: float) -> None:
        self.updates.labels(channel=channel, outcome=outcome).inc()
        self.update_seconds.labels(channel=channel).observe(seconds)

    def send_done(self, channel: str, outcome: str) -> None:
        self.sends.labels(channel=channel, outcome=outcome).inc()

    def waited(self, channel: str, seconds: float) -> None:
        if seconds > 0:
            self.rate_limit_wait.labels(channel=channel).inc(seconds)

    def job_ran(self, job: str, ok: bool) -> None:
        self.job_runs.labels(job=job).inc()
        if not ok:
            self.job_failures.labels(job=job).inc()

    async def refresh(self, db: Database) -> None:
        """The gauges from the rows (one read transaction, three grouped counts)."""
        async with db.sessions() as session:
            by_status = (
                await session.execute(
                    select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
                        OutboxMessage.channel, OutboxMessage.status
                    )
                )
            ).all()
            backlog = (
                await session.execute(
                    select(func.count()).where(
                        InboundWork.channel == "whatsapp", InboundWork.status == "pending"
                    )
                )
            ).scalar_one()
            progress = (
                await session.execute(
                    select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
                    .join(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
                    .where(Broadcast.status.in_(_OPEN_BROADCASTS))
                    .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
                )
            ).all()
        # Cleared first: a status that has no rows any more must not keep its last figure.
        self.outbox_rows.clear()
        for channel, status, count in by_status:
            self.outbox_rows.labels(channel=channel, status=status).set(count)
        self.inbound_backlog.set(int(backlog))
        self.broadcast_rows.clear()
        for broadcast_id, status, count in progress:
            self.broadcast_rows.labels(broadcast=str(broadcast_id), status=status).set(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def create_metrics() -> Metrics:
    """A fresh set of metrics with its own registry (one a process, one a test)."""
    return Metrics()
