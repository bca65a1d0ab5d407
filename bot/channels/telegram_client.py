"""What the Telegram code needs from a client library, whichever one is installed.

A Bot API call is a method name and its JSON parameters (`Call`), the same for aiogram and
python-telegram-bot; each library's adapter sends it and turns the library's exceptions into
the few outcomes below, so the retry rules, menus and delivery outcomes exist once
(bot.channels.telegram_chat, bot.channels.telegram_transport).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

AIOGRAM = "aiogram"
PTB = "ptb"
TRANSPORTS = (AIOGRAM, PTB)


@dataclass(frozen=True)
class Upload:
    """Bytes we made (an export) sent as a file."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class Call:
    """One Bot API call: `params` as JSON values (keyboards as dicts), an `Upload` for a file.
    None values are left out: both libraries' forms leave them out too."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


class ApiError(Exception):
    """A Bot API call failed; `str()` is Telegram's description (no personal data)."""


class RetryLater(ApiError):
    """429: flood control; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Blocked(ApiError):
    """403: the person blocked the bot (or never started it): stop sending to the chat."""


class Refused(ApiError):
    """400 and kin: the call itself is wrong; sending it again changes nothing."""


class Unauthorized(ApiError):
    """401/404 on getMe: the token is not a bot's."""


class Unavailable(ApiError):
    """A network error, a time-out or a 5xx: worth another try later."""


class UndecodableUpdate(Exception):
    """An update the library cannot decode. The message names the update id and the fields
    that failed, never a value: updates carry names, phone numbers and message texts."""

    def __init__(self, update_id: int | None, problem: str) -> None:
        self.update_id = update_id
        super().__init__(f"update {update_id if update_id is not None else '(no id)'}: {problem}")


class BotClient(Protocol):
    """A library's way to make calls; the answer of a call that sends a message is its id."""

    token: str

    async def call(self, call: Call, timeout: float | None = None) -> int | None: ...

    async def close(self) -> None: ...

    def api_base(self) -> str:
        """The Bot API's address (for the start-up message when it cannot be reached)."""
        ...


class UpdateFeed(Protocol):
    """A library's way to receive updates and hand them to the chat (bot.channels.telegram_chat)."""

    async def start(self) -> None:
        """Before the first update (polling or webhook), after the start-up check."""
        ...

    async def stop(self) -> None:
        """After the updates in hand are finished."""
        ...

    async def poll(self, allowed_updates: list[str]) -> None:
        """Long polling until `halt`; updates are handled side by side (the engine keeps each
        person's in order)."""
        ...

    async def halt(self) -> None:
        """Stop fetching updates; those in hand go on (the chat's `drain` waits for them)."""
        ...

    async def feed(self, data: object) -> None:
        """Handle one webhook update (its JSON); raises UndecodableUpdate."""
        ...
