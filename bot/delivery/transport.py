"""What a channel must offer the outbox sender, and the outcomes it may report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.messages import Outbound


class DeliveryError(Exception):
    """Base of the outcomes a transport reports instead of success."""


class RetryAfter(DeliveryError):
    """The platform asked us to slow down (Telegram 429, WhatsApp 130429)."""

    def __init__(self, after: float, reason: str = "rate limited") -> None:
        super().__init__(reason)
        self.after = after


class Unreachable(DeliveryError):
    """The person can never be reached this way (blocked the bot, account gone)."""


class TemporaryFailure(DeliveryError):
    """Network trouble or a server error: worth a bounded number of retries."""


class PermanentFailure(DeliveryError):
    """The platform refused this message for good (e.g. chat not found)."""


class Skip(DeliveryError):
    """Not sent on purpose (e.g. outside WhatsApp's window with no template for the kind)."""


@dataclass(frozen=True)
class Delivery:
    """What a transport may need beyond the message (WhatsApp: the window and a template)."""

    kind: str = "notice"  # the notification kind: "broadcast", "notice", "reminder" …
    announcement: bool = False
    last_inbound_at: datetime | None = None  # when the person last wrote to us here


class Transport(Protocol):
    channel: str

    async def send(
        self, chat_id: str, message: Outbound, delivery: Delivery
    ) -> Sequence[str] | None:
        """Send one message or raise a DeliveryError. May return the platform's ids of the
        messages it accepted (WhatsApp reports some failures later, by these ids)."""
