"""A Telegram update becomes an `Inbound`: the rules, once, for both client libraries.

aiogram and python-telegram-bot both decode updates into objects named after the Bot API's
fields (with `from` as `from_user`); the protocols below are that shared shape, so this module
reads either library's objects and neither adapter repeats a rule (a command is a bot_command
entity at offset 0, a shared contact is one's own only with the sender's user id, the largest
photo size is the one kept, a voice note is VOICE …).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.core.messages import (
    VOICE,
    Contact,
    FileRef,
    Inbound,
    InboundKind,
    Location,
)

CHANNEL = "telegram"
CAPS = frozenset({"contact", "location"})
PRIVATE = "private"


class UserLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def first_name(self) -> str: ...
    @property
    def language_code(self) -> str | None: ...


class ChatLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...


class EntityLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def length(self) -> int: ...


class ContactLike(Protocol):
    @property
    def phone_number(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...


class LocationLike(Protocol):
    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...


class FileLike(Protocol):
    @property
    def file_id(self) -> str: ...


class DocumentLike(FileLike, Protocol):
    @property
    def file_name(self) -> str | None: ...


class MessageLike(Protocol):
    @property
    def message_id(self) -> int: ...
    @property
    def from_user(self) -> Any: ...  # UserLike | None (the libraries differ in Optional-ness)
    @property
    def chat(self) -> Any: ...  # ChatLike
    @property
    def text(self) -> str | None: ...
    @property
    def entities(self) -> Sequence[Any] | None: ...  # EntityLike
    @property
    def contact(self) -> Any: ...  # ContactLike | None
    @property
    def location(self) -> Any: ...  # LocationLike | None
    @property
    def photo(self) -> Sequence[Any] | None: ...  # FileLike
    @property
    def document(self) -> Any: ...  # DocumentLike | None
    @property
    def voice(self) -> object | None: ...
    @property
    def audio(self) -> object | None: ...


def is_private(chat: ChatLike) -> bool:
    return str(chat.type) == PRIVATE  # an enum member in aiogram, a str subclass in PTB


def _user(message: MessageLike) -> UserLike | None:
    user: UserLike | None = message.from_user
    return user


def message_to_inbound(update_id: int, message: MessageLike) -> Inbound | None:
    user = _user(message)
    if user is None:
        return None
    chat: ChatLike = message.chat
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": str(user.id),
        "chat_id": str(chat.id),
        "update_id": str(update_id),
        "language_hint": user.language_code,
        "display_name": user.first_name,
        "caps": CAPS,
    }
    if message.text is not None:
        text = message.text
        entity: EntityLike | None = message.entities[0] if message.entities else None
        if entity is not None and str(entity.type) == "bot_command" and entity.offset == 0:
            name = text[1 : entity.length].split("@", 1)[0].lower()
            args = text[entity.length :].strip()
            return Inbound(kind=InboundKind.COMMAND, text=name, args=args, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    shared: ContactLike | None = message.contact
    if shared is not None:
        own = shared.user_id is not None and shared.user_id == user.id
        contact = Contact(phone=shared.phone_number, is_own=own)
        return Inbound(kind=InboundKind.CONTACT, contact=contact, **base)
    place: LocationLike | None = message.location
    if place is not None:
        where = Location(place.latitude, place.longitude)
        return Inbound(kind=InboundKind.LOCATION, location=where, **base)
    if message.photo:
        largest: FileLike = message.photo[-1]
        return Inbound(kind=InboundKind.FILE, file=FileRef(largest.file_id, "photo"), **base)
    doc: DocumentLike | None = message.document
    if doc is not None:
        ref = FileRef(file_id=doc.file_id, kind="document", name=doc.file_name)
        return Inbound(kind=InboundKind.FILE, file=ref, **base)
    if message.voice is not None or message.audio is not None:
        return Inbound(kind=InboundKind.FILE, file=FileRef(file_id="", kind=VOICE), **base)
    # Stickers, videos …: not something any step asks for.
    return Inbound(kind=InboundKind.FILE, file=FileRef(file_id="", kind="other"), **base)


def callback_to_inbound(update_id: int, user: UserLike, chat_id: int, data: str | None) -> Inbound:
    return Inbound(
        channel=CHANNEL,
        external_user_id=str(user.id),
        chat_id=str(chat_id),
        update_id=str(update_id),
        kind=InboundKind.CHOICE,
        text=data or "",
        language_hint=user.language_code,
        display_name=user.first_name,
        caps=CAPS,
    )
