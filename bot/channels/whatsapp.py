"""The WhatsApp channel (Cloud API): webhook payloads become `Inbound`, `Outbound` becomes
WhatsApp messages within their limits. Thin like the Telegram adapter: no business rules."""

from __future__ import annotations

import asyncio
import html
import logging
import mimetypes
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from bot.channels import lru
from bot.channels.whatsapp_client import NETWORK_ERROR, GraphError, WhatsAppClient
from bot.core.choice_ids import choice_prefix, is_navigation
from bot.core.i18n import Catalogs
from bot.core.messages import (
    VOICE,
    Choice,
    Contact,
    FileRef,
    Inbound,
    InboundKind,
    Location,
    Outbound,
)

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
CAPS = frozenset({"location"})
TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # interactive message body
BUTTON_TITLE = 20
MAX_BUTTONS = 3
ROW_TITLE = 24
ROW_DESCRIPTION = 72
MAX_ROWS = 10
PAGE_PREFIX = "~pg:"
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:\s+(.*))?$", re.DOTALL)

MAX_ATTEMPTS = 4
OUTSIDE_WINDOW = 131047
UNDELIVERABLE = 131026
RATE_LIMITED = (130429, 131056)

Handler = Callable[[Inbound], Awaitable[list[Outbound]]]


def is_temporary(exc: GraphError) -> bool:
    """Worth another try: throttling, Meta's server errors, or the network."""
    return (
        exc.code in RATE_LIMITED
        or exc.code in (NETWORK_ERROR, 131000, 131016)
        or (exc.http_status >= 500)
    )


# --- inbound ----------------------------------------------------------------------------------
def messages_in(payload: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(message, contact) pairs of a webhook body; statuses and other fields are skipped."""
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            contacts = {c.get("wa_id"): c for c in value.get("contacts", [])}
            for message in value.get("messages", []):
                yield message, contacts.get(message.get("from"), {})


def statuses_in(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The delivery statuses of a webhook body (sent, delivered, read, failed)."""
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            yield from change.get("value", {}).get("statuses", [])


def to_inbound(message: dict[str, Any], contact: dict[str, Any]) -> Inbound:
    sender = str(message.get("from", ""))
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": sender,  # users are keyed by the sender id
        "chat_id": sender,
        "update_id": str(message.get("id", "")),
        "display_name": contact.get("profile", {}).get("name"),
        "caps": CAPS,
        "sender_phone": sender,
    }
    kind = message.get("type")
    if kind == "text":
        text = str(message.get("text", {}).get("body", ""))
        if match := _COMMAND.match(text.strip()):
            name, args = match.group(1).lower(), match.group(2) or ""
            return Inbound(kind=InboundKind.COMMAND, text=name, args=args, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    if kind == "interactive":
        interactive = message.get("interactive", {})
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return Inbound(kind=InboundKind.CHOICE, text=str(reply.get("id", "")), **base)
    if kind == "button":  # a quick-reply button of a template
        return Inbound(
            kind=InboundKind.CHOICE, text=str(message.get("button", {}).get("payload", "")), **base
        )
    if kind == "location":
        where = message.get("location", {})
        location = Location(float(where.get("latitude", 0)), float(where.get("longitude", 0)))
        return Inbound(kind=InboundKind.LOCATION, location=location, **base)
    if kind == "contacts":
        shared = (message.get("contacts") or [{}])[0]
        phone = (shared.get("phones") or [{}])[0]
        own = bool(phone.get("wa_id")) and phone.get("wa_id") == sender
        contact_value = Contact(phone=str(phone.get("phone", "")), is_own=own)
        return Inbound(kind=InboundKind.CONTACT, contact=contact_value, **base)
    if kind in ("image", "document"):
        media = message.get(kind, {})
        ref = FileRef(
            file_id=str(media.get("id", "")),
            kind="photo" if kind == "image" else kind,
            name=media.get("filename"),
        )
        return Inbound(kind=InboundKind.FILE, file=ref, **base)
    if kind == "audio":  # voice notes too ("voice": true)
        return Inbound(kind=InboundKind.FILE, file=FileRef(file_id="", kind=VOICE), **base)
    return Inbound(kind=InboundKind.FILE, file=FileRef(file_id="", kind="other"), **base)


# --- outbound ---------------------------------------------------------------------------------
_TAGS = (
    (re.compile(r"</?b>"), "*"),
    (re.compile(r"</?i>"), "_"),
    (re.compile(r"</?s>"), "~"),
    (re.compile(r"</?code>"), "```"),
)
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]+>")


def to_whatsapp_text(text: str) -> str:
    """Our messages are Telegram-style HTML; WhatsApp has its own light markup."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    for pattern, mark in _TAGS:
        text = pattern.sub(mark, text)
    return html.unescape(_ANY_TAG.sub("", text))


def _shorten(label: str, limit: int) -> tuple[str, bool]:
    if len(label) <= limit:
        return label, False
    return label[: limit - 1] + "…", True


def _split(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text else parts


@dataclass(frozen=True)
class Labels:
    """The few words the adapter itself shows (list button, paging), from the catalogs."""

    list_button: str
    next_page: str
    previous_page: str
    choose: str


def labels_for(catalogs: Catalogs, locale: str | None) -> Labels:
    tr = catalogs.translator(locale)
    return Labels(
        tr.label("wa.list_button"),
        tr.label("wa.next_page"),
        tr.label("wa.previous_page"),
        tr.label("wa.choose"),
    )


def render(out: Outbound, labels: Labels, page: int = 0) -> list[dict[str, Any]]:
    """One Outbound as WhatsApp message bodies: text, then the choices as up to 3 reply buttons,
    up to 10 list rows, or pages of a long list; then an attachment and a map pin."""
    text = to_whatsapp_text(out.text)
    bodies: list[dict[str, Any]] = []
    if out.attachment is not None and out.attachment.file_id:
        kind = "image" if out.attachment.kind == "photo" else "document"
        media: dict[str, Any] = {"id": out.attachment.file_id}
        if kind == "document" and out.attachment.filename:
            media["filename"] = out.attachment.filename
        bodies.append({"type": kind, kind: media})
    if not out.choices:
        bodies += [{"type": "text", "text": {"body": part}} for part in _split(text, TEXT_LIMIT)]
    else:
        bodies += _interactive(text, out.choices, labels, page)
    if out.location is not None:
        bodies.append(
            {
                "type": "location",
                "location": {
                    "latitude": out.location.latitude,
                    "longitude": out.location.longitude,
                },
            }
        )
    return bodies


def _interactive(
    text: str, choices: tuple[Choice, ...], labels: Labels, page: int
) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    if len(choices) <= MAX_BUTTONS:
        buttons, whole = [], []
        for choice in choices:
            title, cut = _shorten(choice.label, BUTTON_TITLE)
            if cut:
                whole.append(choice.label)
            buttons.append({"type": "reply", "reply": {"id": choice.id, "title": title}})
        action: dict[str, Any] = {"buttons": buttons}
        kind = "button"
    else:
        rows, whole = _rows(choices, labels, page)
        action = {"button": labels.list_button[:BUTTON_TITLE], "sections": [{"rows": rows}]}
        kind = "list"
    if whole:
        # A label too long for its button stays readable in full in the message body.
        text = text + "\n\n" + "\n".join(f"• {label}" for label in whole)
    *before, body = _split(text, BODY_LIMIT) or [labels.choose]
    bodies += [{"type": "text", "text": {"body": part}} for part in before]
    bodies.append(
        {
            "type": "interactive",
            "interactive": {"type": kind, "body": {"text": body}, "action": action},
        }
    )
    return bodies


def page_count(choices: tuple[Choice, ...]) -> int:
    if len(choices) <= MAX_ROWS:
        return 1
    content = [c for c in choices if not is_navigation(c.id)]
    per_page = _per_page(choices)
    return max(1, -(-len(content) // per_page))


def _per_page(choices: tuple[Choice, ...]) -> int:
    nav = sum(1 for c in choices if is_navigation(c.id))
    return max(1, MAX_ROWS - nav - 2)  # room for "previous" and "next"


def _rows(
    choices: tuple[Choice, ...], labels: Labels, page: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """Up to 10 rows. A longer menu is paged: each page shows a slice of the options, then
    "previous"/"next", then the navigation choices (done, back, cancel) on every page."""
    paged = len(choices) > MAX_ROWS
    if paged:
        content = [c for c in choices if not is_navigation(c.id)]
        nav = [c for c in choices if is_navigation(c.id)]
        size = _per_page(choices)
        page = min(max(page, 0), page_count(choices) - 1)
        shown = content[page * size : (page + 1) * size]
    else:
        shown, nav = list(choices), []
    rows: list[dict[str, Any]] = []
    whole: list[str] = []

    def add(choice: Choice) -> None:
        title, cut = _shorten(choice.label, ROW_TITLE)
        row: dict[str, Any] = {"id": choice.id, "title": title}
        if cut:
            row["description"] = choice.label[:ROW_DESCRIPTION]
            if len(choice.label) > ROW_DESCRIPTION:
                whole.append(choice.label)
        rows.append(row)

    for choice in shown:
        add(choice)
    if paged and page > 0:
        rows.append({"id": f"{PAGE_PREFIX}{page - 1}", "title": labels.previous_page[:ROW_TITLE]})
    if paged and page + 1 < page_count(choices):
        rows.append({"id": f"{PAGE_PREFIX}{page + 1}", "title": labels.next_page[:ROW_TITLE]})
    for choice in nav:
        add(choice)
    return rows, whole


def _step(out: Outbound) -> str:
    return choice_prefix(out.choices[0].id) if out.choices else ""


# --- the channel ------------------------------------------------------------------------------
@dataclass
class ShownMenu:
    """The last menu shown in a chat and the page of it on screen, for paging without the
    engine."""

    menu: Outbound
    page: int = 0


@dataclass
class WhatsAppChannel:
    client: WhatsAppClient
    handle: Handler
    catalogs: Catalogs
    mark_unreachable: Callable[[str, str], Awaitable[None]]
    # (WhatsApp message id, error code, reason): a message Meta accepted failed later.
    message_failed: Callable[[str, int, str], Awaitable[None]] | None = None
    # (channel, user id) -> still staff? Asked before paging a staff menu without the engine:
    # a role taken away must not leave names and phones one "more" away. Without it, staff
    # menus are never paged here (the engine re-shows the step).
    is_staff: Callable[[str, str], Awaitable[bool]] | None = None
    # Told once an update's replies went out (bot/core/replay.py).
    delivered: Callable[[Inbound], None] | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ui_chats: int = lru.RECENT_CHATS
    _shown: OrderedDict[str, ShownMenu] = field(default_factory=OrderedDict)

    async def process(self, payload: dict[str, Any]) -> None:
        """Handle one stored webhook body (called by the queue worker, not the web handler)."""
        for message, contact in messages_in(payload):
            inbound = to_inbound(message, contact)
            paging = inbound.kind is InboundKind.CHOICE and inbound.text.startswith(PAGE_PREFIX)
            if paging and await self._page(inbound):
                continue
            replies = await self.handle(inbound)
            await self.deliver(inbound.chat_id, inbound.external_user_id, replies)
            if self.delivered is not None:
                self.delivered(inbound)
        for status in statuses_in(payload):
            await self._status(status)

    async def _status(self, status: dict[str, Any]) -> None:
        """Meta accepts a message and may report later that it could not be delivered; sent,
        delivered and read need nothing from us."""
        if status.get("status") != "failed":
            return
        error = (status.get("errors") or [{}])[0]
        try:
            code = int(error.get("code", 0))
        except (TypeError, ValueError):
            code = 0
        reason = f"({code}) {error.get('title') or error.get('message') or 'failed'}"
        log.info("whatsapp reported a sent message as failed: %s", reason)
        if self.message_failed is not None:
            await self.message_failed(str(status.get("id", "")), code, reason)
        if code == UNDELIVERABLE:
            # As when the send itself is refused with 131026; 131047 (the 24-hour window)
            # says nothing about the person, who stays reachable.
            await self.mark_unreachable(CHANNEL, str(status.get("recipient_id", "")))

    async def _page(self, inbound: Inbound) -> bool:
        shown = lru.recall(self._shown, inbound.chat_id)
        page = inbound.text[len(PAGE_PREFIX) :]
        if shown is None or not page.isdigit():
            return False  # forgotten (a restart, or long ago): the engine re-shows the step
        menu = shown.menu
        if menu.hints.get("staff") and (
            self.is_staff is None or not await self.is_staff(CHANNEL, inbound.external_user_id)
        ):
            self._shown.pop(inbound.chat_id, None)
            return False  # the engine closes the staff screen and shows the main menu
        shown.page = int(page)
        await self._send_all(
            inbound.chat_id, inbound.external_user_id, render(menu, self._labels(menu), int(page))
        )
        return True

    def _labels(self, out: Outbound) -> Labels:
        return labels_for(self.catalogs, out.hints.get("locale"))

    async def deliver(self, chat_id: str, user_id: str, replies: list[Outbound]) -> None:
        for out in replies:
            out = await self._uploaded(out)
            page = 0
            if out.choices:
                shown = lru.touch(self._shown, chat_id, partial(ShownMenu, out), self.ui_chats)
                if _step(shown.menu) == _step(out):
                    # The same question again (a multi-select toggle): stay on its page.
                    page = shown.page
                shown.menu, shown.page = out, page
            await self._send_all(chat_id, user_id, render(out, self._labels(out), page))

    async def _uploaded(self, out: Outbound) -> Outbound:
        """A file we made (bytes, no media id yet) is uploaded first, then sent by its id."""
        item = out.attachment
        if item is None or item.file_id or not item.data:
            return out
        mime = mimetypes.guess_type(item.filename)[0] or "application/octet-stream"
        try:
            media_id = await self.client.upload(item.data, item.filename or "file", mime)
        except GraphError as exc:
            log.warning("could not upload %s: %s", item.filename, exc)
            return replace(out, attachment=None)
        return replace(out, attachment=replace(item, file_id=media_id))

    async def _send_all(self, chat_id: str, user_id: str, bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            try:
                await self._send_one(chat_id, body)
            except GraphError as exc:
                if exc.code == UNDELIVERABLE:
                    await self.mark_unreachable(CHANNEL, user_id)
                    return
                # The state is saved already: the next message shows the same step again.
                log.warning("could not reply to %s: %s", chat_id, exc)
                return

    async def _send_one(self, chat_id: str, body: dict[str, Any]) -> None:
        delay = 1.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self.client.send(chat_id, body)
                return
            except GraphError as exc:
                if not is_temporary(exc) or attempt == MAX_ATTEMPTS:
                    raise
                await self.sleep(delay)
                delay *= 2
