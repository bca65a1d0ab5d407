"""Replies kept with the state until they have gone out (issue 16: a killed worker).

The engine commits an update's state before its adapter sends the replies. A worker killed in
between used to leave the update answered by nobody: the platform re-delivers it (Telegram when
the webhook call fails, WhatsApp's stored body when its claim's lease runs out, long polling
from the last confirmed offset), and deduplication rightly refuses to handle it twice. So the
replies are saved in the same transaction (`Conversation.pending_replies`), and a re-delivered
update whose replies are still the person's latest gets them sent again instead of nothing.

At most one duplicate per killed worker remains possible (replies sent, worker killed before
the platform heard "done"): no sender can record a send and make it atomically.

This module turns replies into JSON and back. A reply with a generated file larger than
MAX_SAVED_FILE is not saved (a big export is asked for again rather than kept in a row).
"""

from __future__ import annotations

import base64
from typing import Any

from bot.core.messages import Attachment, Choice, Location, Outbound

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
