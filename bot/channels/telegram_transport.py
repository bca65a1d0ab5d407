"""The outbox's way to Telegram: one message, with Telegram's errors mapped to outcomes.

The same for both client libraries: it sends the renderer's `Call`s through a `BotClient`
(aiogram's or python-telegram-bot's), whose errors are already the shared ones.
"""

from __future__ import annotations

from typing import Any

from bot.channels.telegram_client import (
    Blocked,
    BotClient,
    Refused,
    RetryLater,
    Unauthorized,
    Unavailable,
)
from bot.channels.telegram_inbound import CHANNEL
from bot.channels.telegram_render import render
from bot.core.messages import Outbound
from bot.delivery.transport import (
    Delivery,
    PermanentFailure,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)


class TelegramTransport:
    channel = CHANNEL

    def __init__(self, client: BotClient, paid_broadcast: bool = False) -> None:
        self.client = client
        # Paid broadcasts lift the limit to 1000 messages/s for announcements (costs Stars).
        self.paid_broadcast = paid_broadcast

    async def send(self, chat_id: str, message: Outbound, delivery: Delivery) -> None:
        extra: dict[str, Any] = {}
        if self.paid_broadcast and delivery.announcement:
            extra["allow_paid_broadcast"] = True
        try:
            # Laid out as a direct reply is (bot.channels.telegram_render).
            for call in render(chat_id, message, extra=extra).calls:
                await self.client.call(call)
        except RetryLater as exc:
            raise RetryAfter(exc.retry_after, str(exc)) from exc
        except Blocked as exc:
            raise Unreachable(str(exc)) from exc
        except (Refused, Unauthorized) as exc:
            raise PermanentFailure(str(exc)) from exc
        except Unavailable as exc:
            raise TemporaryFailure(str(exc)) from exc

    async def close(self) -> None:
        await self.client.close()
