"""Channel-neutral message values: what adapters hand the engine and what it hands back.

Adapters translate their platform's updates into `Inbound` and render `Outbound`; nothing in
between knows which messenger a user is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    CONTACT = "contact"
    LOCATION = "location"
    FILE = "file"
    COMMAND = "command"


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    # Adapters set this when the platform can tell the contact is the sender's own
    # (Telegram: contact.user_id == from.id; WhatsApp: always). Typed numbers are never "own".
    is_own: bool


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


# A voice note or an audio clip: nobody listens to them, so the engine answers in words
# (Telegram voice/audio, WhatsApp audio; adapters keep no file id of it).
VOICE = "voice"


@dataclass(frozen=True, slots=True)
class FileRef:
    file_id: str
    kind: str  # "photo" | "document" | VOICE | "other"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    channel: str
    external_user_id: str
    chat_id: str
    update_id: str
    kind: InboundKind
    text: str = ""  # text, command name (without "/"), or choice id
    args: str = ""  # command arguments
    contact: Contact | None = None
    location: Location | None = None
    file: FileRef | None = None
    language_hint: str | None = None
    display_name: str | None = None
    # What the sender's channel can do, such as "contact" (share own phone number).
    caps: frozenset[str] = frozenset()
    # The sender's own phone number when the platform tells it (WhatsApp's wa_id).
    sender_phone: str | None = None

    @property
    def user_key(self) -> tuple[str, str]:
        return (self.channel, self.external_user_id)


@dataclass(frozen=True, slots=True)
class Choice:
    id: str  # short ASCII, at most 64 bytes (Telegram callback data)
    label: str  # localized, plain text (adapters escape as needed)


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "document" | "photo"
    filename: str = ""
    data: bytes = b""
    caption: str = ""
    # A file the platform already holds (e.g. a photo staff sent in the chat): sent by
    # reference instead of uploading bytes again.
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to the user. `text` is localized Telegram-style HTML with user text escaped."""

    text: str
    choices: tuple[Choice, ...] = ()
    ask_contact: bool = False
    ask_location: bool = False
    remove_keyboard: bool = False
    attachment: Attachment | None = None
    location: Location | None = None  # a map pin sent after the text (an event's place)
    # Extra, channel-neutral hints (for example the label of the contact-share button).
    hints: dict[str, str] = field(default_factory=dict)
