"""A broadcast's progress notes (25/50/75 %) and its summary, sent to its creator through the
outbox. The sender checks at most once a `progress_interval` while draining and at the end of
each drain; idempotency keys make every note go out once, however often this runs."""

from __future__ import annotations

from datetime import datetime

from bot.core.i18n import N_
from bot.core.notify import Notifier
from bot.delivery.compose import RowComposer
from bot.delivery.config import DeliveryConfig
from bot.services import staff_notices
from storage import broadcasts, outbox
from storage.db import Database
from storage.models import Broadcast

PROGRESS_MILESTONES = (25, 50, 75)


async def report(
    db: Database, composer: RowComposer, config: DeliveryConfig, now: datetime
) -> bool:
    """Each broadcast being sent or stopping: its creator's note for the last milestone
    reached, or, when no row is open, its summary (and its status done or stopped). Returns
    whether a note was queued (the sender then has it to send)."""
    async with db.sessions() as session:
        if not await broadcasts.sending_broadcasts(session, stopping=True):  # usually: no write
            return False
    async with db.transaction() as session:
        # Progress and summaries go to the broadcast's creator on the sender's clock,
        # which claims them.
        notifier = Notifier(session, now)
        for broadcast in await broadcasts.sending_broadcasts(session, stopping=True):
            counts = await broadcasts.broadcast_counts(session, broadcast.id)
            total = sum(counts.values())
            open_rows = broadcasts.open_count(counts)
            done = total - open_rows
            if broadcast.status == broadcasts.STOPPING:
                if open_rows == 0:
                    await _settle_stopped(notifier, broadcast, counts, now, composer, config)
                continue
            if open_rows == 0:
                broadcast.status = "done"
                broadcast.finished_at = now
                composer.forget(broadcast.id)
                if broadcast.created_by is not None:
                    await notifier.send(
                        broadcast.created_by,
                        "broadcast.summary",
                        idempotency_key=f"b{broadcast.id}:summary",
                        params={
                            "id": broadcast.id,
                            "total": total,
                            "sent": counts.get(outbox.SENT, 0),
                            "blocked": counts.get(outbox.BLOCKED, 0),
                            "failed": counts.get(outbox.FAILED, 0),
                            "skipped": counts.get(outbox.SKIPPED, 0),
                            # The staff notice of a finished broadcast (issue 13): this
                            # summary, with its page and a button, not a second message.
                            "link": staff_notices.broadcast_link(config.web_base_url, broadcast.id),
                        },
                        choices=[staff_notices.open_broadcast_choice(broadcast.id)],
                    )
                continue
            percent = done * 100 // total if total else 0
            reached = [m for m in PROGRESS_MILESTONES if percent >= m]
            if reached and broadcast.created_by is not None:
                await notifier.send(
                    broadcast.created_by,
                    "broadcast.progress",
                    idempotency_key=f"b{broadcast.id}:p{reached[-1]}",
                    params={"id": broadcast.id, "done": done, "total": total},
                )
        return notifier.queued > 0


async def _settle_stopped(
    notifier: Notifier,
    broadcast: Broadcast,
    counts: dict[str, int],
    now: datetime,
    composer: RowComposer,
    config: DeliveryConfig,
) -> None:
    """A stopped broadcast whose rows in flight have settled: its creator hears how many
    people it reached."""
    broadcast.status = broadcasts.STOPPED
    broadcast.finished_at = now
    composer.forget(broadcast.id)
    if broadcast.created_by is None:
        return
    await notifier.send(
        broadcast.created_by,
        N_("broadcast.stopped"),
        idempotency_key=f"b{broadcast.id}:summary",
        params={
            "id": broadcast.id,
            "total": sum(counts.values()),
            "cancelled": counts.get(outbox.CANCELLED, 0),
            # As the finished summary: the staff notice, with the broadcast's page and
            # its button (issue 13 §4).
            "link": staff_notices.broadcast_link(config.web_base_url, broadcast.id),
        },
        count=counts.get(outbox.SENT, 0),
        choices=[staff_notices.open_broadcast_choice(broadcast.id)],
    )
