"""Running the sender outside the bot process: `shuraka outbox run` and `shuraka broadcast`."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import func, select

from bot.channels.telegram_inbound import CHANNEL
from bot.channels.telegram_transport import TelegramTransport
from bot.core.i18n import load_catalogs
from bot.core.unit import Actor, Unit
from bot.delivery.sender import OutboxSender, config_from_settings, fan_out_due
from bot.process.owner import ProcessOwner
from bot.process.telegram_libs import open_client
from bot.runtime import Runtime, open_runtime
from bot.services.broadcasts import BroadcastDraft, create_broadcast
from bot.settings import ConfigError, Settings
from bot.supervise import wait_or_stop
from storage import broadcasts, outbox
from storage.db import Database, open_database
from storage.models import OutboxMessage, utcnow


def telegram_transport(settings: Settings) -> TelegramTransport:
    if settings.bot_token is None:
        raise ConfigError("configuration error: BOT_TOKEN: required to send")
    client = open_client(
        settings.telegram_transport,
        settings.bot_token.get_secret_value(),
        settings.telegram_api_base,
    )
    return TelegramTransport(client, settings.telegram_paid_broadcast)


def telegram_sender(settings: Settings, db: Database) -> OutboxSender:
    """A sender for a one-off command (`shuraka broadcast`), outside any process owner."""
    return OutboxSender(
        db,
        load_catalogs(default=settings.default_locale),
        {CHANNEL: telegram_transport(settings)},
        config_from_settings(settings),
    )


async def _close(sender: OutboxSender) -> None:
    for transport in sender.transports.values():
        await transport.close()  # type: ignore[attr-defined]


async def _open_rows(db: Database) -> int:
    async with db.sessions() as session:
        stmt = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status.in_((outbox.PENDING, outbox.SENDING))
        )
        return int((await session.execute(stmt)).scalar_one())


def sender_process(runtime: Runtime, until_empty: bool) -> ProcessOwner:
    """`shuraka outbox run`: the owner with a Telegram sender and no door. SIGTERM/SIGINT stop
    it: the sender ends the message in hand and leaves the rest pending. `until_empty`: the
    sender does not run on its own; a background task drains until nothing is left and then
    ends the process."""
    owner = ProcessOwner(runtime, scheduled=False)
    transport = telegram_transport(runtime.settings)
    sender = owner.sender_for(transport, run=not until_empty)
    owner.add_closer("telegram client", transport.close)
    if until_empty:
        db = runtime.db

        async def until_nothing_is_left(stop: asyncio.Event) -> None:
            await sender.recover()
            while not stop.is_set():
                await fan_out_due(db)
                handled = await sender.drain(stop=stop)
                if not handled and not await _open_rows(db):
                    break
                if not handled:
                    await wait_or_stop(stop, 0.5)  # rows waiting for a retry time
            owner.stop()

        owner.add_background("outbox until empty", until_nothing_is_left)
    return owner


async def run_sender(settings: Settings, until_empty: bool) -> None:
    async with open_runtime(settings) as runtime:
        await sender_process(runtime, until_empty).run()


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    percent = 100 * done // total if total else 100
    return f"[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done}/{total}"


async def broadcast_from_cli(
    settings: Settings,
    text_ar: str,
    text_en: str | None,
    audience: dict[str, Any],
    at: datetime | None,
    out: TextIO = sys.stderr,
) -> dict[str, int]:
    """Create a broadcast; when it is due now, send it here with a progress bar."""
    async with open_database(settings) as db:
        # Created by the one broadcast rule (bot.services.broadcasts), audited as the CLI's.
        async with db.transaction() as session:
            unit = Unit(session, Actor.operator("broadcast"), utcnow(), load_catalogs(), settings)
            later = at if at is not None and at > unit.now else None  # a past time means now
            draft = BroadcastDraft(audience, text_ar, text_en, at=later)
            created = await create_broadcast(unit, draft)
            broadcast_id, expected = created.id, created.recipients
        if at is not None and at > utcnow():
            out.write(
                f"broadcast {broadcast_id} scheduled for {at.isoformat()} "
                f"({expected} recipients now); the running bot sends it\n"
            )
            return {"scheduled": expected}
        await fan_out_due(db)
        sender = telegram_sender(settings, db)
        try:
            while True:
                await sender.drain(limit=sender.config.batch)
                async with db.sessions() as session:
                    counts = await broadcasts.broadcast_counts(session, broadcast_id)
                total = sum(counts.values())
                open_rows = broadcasts.open_count(counts)
                out.write("\r" + _bar(total - open_rows, total))
                out.flush()
                if not open_rows:
                    break
                if not await _due_now(db, broadcast_id):
                    await asyncio.sleep(0.5)
            await sender.report_progress()
        finally:
            await _close(sender)
        out.write("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + "\n")
        return counts


async def _due_now(db: Database, broadcast_id: int) -> bool:
    async with db.sessions() as session:
        stmt = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == outbox.PENDING,
            OutboxMessage.due_at <= utcnow(),
        )
        return bool((await session.execute(stmt)).scalar_one())
