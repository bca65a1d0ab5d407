"""What a channel must offer the outbox sender, and the outcomes it may report."""

from __future__ import annotations

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


class Transport(Protocol):
    channel: str

    async def send(self, chat_id: str, message: Outbound, *, announcement: bool) -> None:
        """Send one message or raise a DeliveryError."""
