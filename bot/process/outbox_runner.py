"""Running the sender outside the bot process: `shuraka outbox run` and `shuraka broadcast`."""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import suppress
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import func, select

from bot.channels.telegram import CHANNEL, create_bot
from bot.channels.telegram_transport import TelegramTransport
from bot.core.i18n import load_catalogs
from bot.delivery.sender import OutboxSender, config_from_settings, fan_out_due
from bot.settings import ConfigError, Settings
from storage import broadcasts, outbox
from storage.db import Database, create_database
from storage.models import OutboxMessage, utcnow
from storage.schema import ensure_schema


def telegram_sender(settings: Settings, db: Database) -> OutboxSender:
    if settings.bot_token is None:
        raise ConfigError("configuration error: BOT_TOKEN: required to send")
    bot = create_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    transport = TelegramTransport(bot, settings.telegram_paid_broadcast)
    return OutboxSender(
        db,
        load_catalogs(default=settings.default_locale),
        {CHANNEL: transport},
        config_from_settings(settings),
    )


async def _close(sender: OutboxSender) -> None:
    for transport in sender.transports.values():
        await transport.bot.session.close()  # type: ignore[attr-defined]


async def _open_rows(db: Database) -> int:
    async with db.sessions() as session:
        stmt = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status.in_((outbox.PENDING, outbox.SENDING))
        )
        return int((await session.execute(stmt)).scalar_one())


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM/SIGINT set `stop`: the sender ends the message in hand and leaves the rest
    pending, instead of the process dying with rows claimed."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)


async def run_sender(settings: Settings, until_empty: bool) -> None:
    db = create_database(settings.database_url)
    try:
        await ensure_schema(db.engine)
        sender = telegram_sender(settings, db)
        try:
            await sender.recover()
            stop = asyncio.Event()
            stop_on_signals(stop)
            if not until_empty:
                await sender.run(stop)
                return
            while not stop.is_set():
                await fan_out_due(db)
                handled = await sender.drain(stop=stop)
                if not handled and not await _open_rows(db):
                    break
                if not handled:
                    await asyncio.sleep(0.5)  # rows waiting for a retry time
        finally:
            await _close(sender)
    finally:
        await db.dispose()


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
    db = create_database(settings.database_url)
    try:
        await ensure_schema(db.engine)
        # Created by the one broadcast rule (bot.services.broadcasts), audited as the CLI's.
        from bot.core.unit import Actor, Unit
        from bot.services.broadcasts import BroadcastDraft, create_broadcast

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
    finally:
        await db.dispose()


async def _due_now(db: Database, broadcast_id: int) -> bool:
    async with db.sessions() as session:
        stmt = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == outbox.PENDING,
            OutboxMessage.due_at <= utcnow(),
        )
        return bool((await session.execute(stmt)).scalar_one())
