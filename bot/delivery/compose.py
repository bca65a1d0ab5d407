"""What an outbox row says: its message composed at send time, in the recipient's language,
addressed to them, with Arabic in the one digit style. A notice is a message id with its
parameters; a broadcast row points at the broadcast, whose text is read once and cached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.i18n import Catalogs, Translator, localize_outbound
from bot.core.messages import Attachment, Choice, Location, Outbound
from bot.core.render import broadcast_text
from bot.core.text import rtl_lines
from storage import outbox
from storage.db import Database
from storage.models import Broadcast


@dataclass
class _BroadcastText:
    text_ar: str
    text_en: str | None
    attachment: dict[str, Any] | None
    status: str
    # The finished message per (locale, gender, channel): a broadcast says the same to every
    # reader of a language, so it is rendered once, not once per recipient.
    rendered: dict[tuple[str | None, str | None, str], Outbound] = field(default_factory=dict)


class RowComposer:
    def __init__(self, db: Database, catalogs: Catalogs, arabic_digits: str) -> None:
        self.db = db
        self.catalogs = catalogs
        self.arabic_digits = arabic_digits
        self._broadcasts: dict[int, _BroadcastText] = {}

    def forget(self, broadcast_id: int) -> None:
        """A broadcast is over: its text is not needed again."""
        self._broadcasts.pop(broadcast_id, None)

    async def render(self, row: outbox.Claimed, gender: str | None = None) -> Outbound | None:
        """The row's message in the recipient's language, addressed to them (`gender`), with
        Arabic in the one digit style; None when there is nothing to send (cancelled)."""
        if row.broadcast_id is not None:
            broadcast = await self._broadcast(row.broadcast_id)
            if broadcast is None or broadcast.status == "cancelled":
                return None
            key = (row.locale, gender, row.channel)
            rendered = broadcast.rendered.get(key)
            if rendered is None:
                rendered = broadcast.rendered[key] = self._finish(
                    self._broadcast_message(broadcast, row.channel, self._translator(row, gender))
                )
            return rendered
        message = self._notice(row, self._translator(row, gender))
        return None if message is None else self._finish(message)

    def _translator(self, row: outbox.Claimed, gender: str | None) -> Translator:
        return self.catalogs.translator(row.locale, gender)

    def _finish(self, message: Outbound) -> Outbound:
        return localize_outbound(message, message.hints.get("locale", ""), self.arabic_digits)

    @staticmethod
    def _broadcast_message(broadcast: _BroadcastText, channel: str, tr: Translator) -> Outbound:
        text = broadcast_text(broadcast.text_ar, broadcast.text_en, tr.locale)
        attachment = None
        # {"kind", "file_id", "channel"} for a file, and/or {"choices": [...]} for buttons
        # (an event's announcement opens the event).
        extra = broadcast.attachment or {}
        # A platform's file id only means something on that platform.
        if extra.get("file_id") and extra.get("channel") == channel:
            attachment = Attachment(kind=extra["kind"], file_id=extra["file_id"])
        return Outbound(
            text=text,
            attachment=attachment,
            choices=_choices(tr, extra),
            hints={"locale": tr.locale},
        )

    @staticmethod
    def _notice(row: outbox.Claimed, tr: Translator) -> Outbound | None:
        key = row.payload.get("key")
        if not key:
            return None
        params = row.payload.get("params", {})
        count = row.payload.get("n")
        text = tr.t(key, **params) if count is None else tr.tn(key, count, **params)
        choices = _choices(tr, row.payload)
        location = row.payload.get("location")
        return Outbound(
            text=rtl_lines(text) if tr.locale == "ar" else text,
            hints={"locale": tr.locale},
            choices=choices,
            location=Location(location[0], location[1]) if location else None,
        )

    async def _broadcast(self, broadcast_id: int) -> _BroadcastText | None:
        cached = self._broadcasts.get(broadcast_id)
        if cached is None:
            async with self.db.sessions() as session:
                found = await session.get(Broadcast, broadcast_id)
                if found is None:
                    return None
                cached = _BroadcastText(
                    found.text_ar, found.text_en, found.attachment, found.status
                )
            self._broadcasts[broadcast_id] = cached
        return cached


def _choices(tr: Translator, spec: Mapping[str, Any]) -> tuple[Choice, ...]:
    """Buttons in a notification or a broadcast carry global choice ids (see
    BotApp.add_global_choice): [{"id": ..., "label": message id, "params": {...}}]."""
    return tuple(
        Choice(c["id"], tr.label(c["label"], **c.get("params", {})))
        for c in spec.get("choices", ())
    )
