"""Replies kept with the state until they have gone out (issue 16: a killed worker).

The engine commits an update's state before its adapter sends the replies. A worker killed in
between used to leave the update answered by nobody: the platform re-delivers it (Telegram when
the webhook call fails, WhatsApp's stored body when its claim's lease runs out, long polling
from the last confirmed offset), and deduplication rightly refuses to handle it twice. So the
replies are saved in the same transaction (`Conversation.pending_replies`), and a re-delivered
update whose replies are still the person's latest gets them sent again instead of nothing.

At most one duplicate per killed worker remains possible (replies sent, worker killed before
the platform heard "done"): no sender can record a send and make it atomically.

Once the adapter has sent them, `DeliveredMarks` clears them (in batches), so a re-delivery
that comes after a slow but successful answer gets nothing, as before.

This module turns replies into JSON and back. A reply with a generated file larger than
MAX_SAVED_FILE is not saved (a big export is asked for again rather than kept in a row).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections import OrderedDict
from typing import Any

from bot.core.failures import describe
from bot.core.messages import Attachment, Choice, Inbound, Location, Outbound
from storage import repositories as repo
from storage.db import Database

log = logging.getLogger(__name__)

MAX_SAVED_FILE = 512 * 1024  # bytes of generated files across one update's replies


def pack(update_key: str, replies: list[Outbound]) -> dict[str, Any] | None:
    """What `Conversation.pending_replies` holds for this update; None when there is nothing
    to resend (no replies) or too much to keep."""
    if not replies:
        return None
    if sum(len(out.attachment.data) for out in replies if out.attachment) > MAX_SAVED_FILE:
        return None
    return {"u": update_key, "o": [_to_json(out) for out in replies]}


def unpack(saved: list[Any]) -> list[Outbound]:
    """The replies `pack` saved (skipping anything not in its shape: a row is data)."""
    return [_from_json(item) for item in saved if isinstance(item, dict) and "t" in item]


def _to_json(out: Outbound) -> dict[str, Any]:
    item: dict[str, Any] = {"t": out.text}
    if out.choices:
        item["c"] = [[c.id, c.label] for c in out.choices]
    flags = [
        name
        for name, on in (
            ("contact", out.ask_contact),
            ("location", out.ask_location),
            ("remove", out.remove_keyboard),
        )
        if on
    ]
    if flags:
        item["f"] = flags
    if out.attachment is not None:
        a = out.attachment
        item["a"] = {
            "k": a.kind,
            "n": a.filename,
            "d": base64.b64encode(a.data).decode("ascii"),
            "c": a.caption,
            "i": a.file_id,
        }
    if out.location is not None:
        item["l"] = [out.location.latitude, out.location.longitude]
    if out.hints:
        item["h"] = dict(out.hints)
    return item


def _from_json(item: dict[str, Any]) -> Outbound:
    flags = set(item.get("f") or ())
    attachment = None
    if isinstance(a := item.get("a"), dict):
        attachment = Attachment(
            kind=str(a.get("k", "")),
            filename=str(a.get("n", "")),
            data=base64.b64decode(a.get("d") or ""),
            caption=str(a.get("c", "")),
            file_id=a.get("i"),
        )
    location = None
    if isinstance(pin := item.get("l"), list) and len(pin) == 2:
        location = Location(latitude=float(pin[0]), longitude=float(pin[1]))
    return Outbound(
        text=str(item["t"]),
        choices=tuple(Choice(str(cid), str(label)) for cid, label in item.get("c") or ()),
        ask_contact="contact" in flags,
        ask_location="location" in flags,
        remove_keyboard="remove" in flags,
        attachment=attachment,
        location=location,
        hints={str(k): str(v) for k, v in (item.get("h") or {}).items()},
    )


class DeliveredMarks:
    """Clears an update's saved replies once its adapter has sent them, so that a re-delivery
    that comes later (Telegram retrying a webhook call that took too long) is not answered a
    second time. Marks are written a batch at a time, off the reply's path: one UPDATE per
    PERIOD for everything sent meanwhile, not a transaction per update. A mark lost with its
    process is harmless: that update was answered and acknowledged, so it is not re-delivered.
    """

    PERIOD = 0.2  # seconds between batches
    AWAITED = 10_000  # updates between commit and send that one process keeps track of

    def __init__(self, db: Database) -> None:
        self.db = db
        self._awaited: OrderedDict[tuple[str, str], tuple[int, int]] = OrderedDict()
        # Sent by this process lately: a retry that comes before the batch is written is
        # known here already (Telegram re-posting at once after a lost "200").
        self._sent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._batch: list[dict[str, int]] = []
        self._task: asyncio.Task[None] | None = None

    def saved(self, channel: str, update_id: str, user_id: int, version: int) -> None:
        """The engine committed replies for this update with the conversation at `version`."""
        self._awaited[(channel, update_id)] = (user_id, version)
        while len(self._awaited) > self.AWAITED:
            self._awaited.popitem(last=False)  # never delivered (a bug): forget, don't grow

    def delivered(self, inbound: Inbound) -> None:
        """The adapter has sent this update's replies (or the platform refused them for good)."""
        key = (inbound.channel, inbound.update_id)
        self._sent[key] = None
        while len(self._sent) > self.AWAITED:
            self._sent.popitem(last=False)
        found = self._awaited.pop(key, None)
        if found is None:
            return
        self._batch.append({"b_user": found[0], "b_version": found[1]})
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def sent_here(self, channel: str, update_id: str) -> bool:
        """Whether this process has sent this update's replies (marked or about to be)."""
        return (channel, update_id) in self._sent

    async def _run(self) -> None:
        while self._batch:
            await asyncio.sleep(self.PERIOD)
            await self.flush()

    async def flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        try:
            async with self.db.transaction() as session:
                await repo.clear_delivered_replies(session, batch)
        except Exception as exc:  # the replies went out; only a later retry could repeat them
            log.warning("could not mark %d replies as sent: %s", len(batch), describe(exc))

    async def close(self) -> None:
        """Write what is pending (a clean shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
