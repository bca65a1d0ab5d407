"""The outbox's way to Telegram: one message, with Telegram's errors mapped to outcomes."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.channels.telegram import CHANNEL
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

    def __init__(self, bot: Bot, paid_broadcast: bool = False) -> None:
        self.bot = bot
        # Paid broadcasts lift the limit to 1000 messages/s for announcements (costs Stars).
        self.paid_broadcast = paid_broadcast

    async def send(self, chat_id: str, message: Outbound, delivery: Delivery) -> None:
        extra: dict[str, Any] = {}
        if self.paid_broadcast and delivery.announcement:
            extra["allow_paid_broadcast"] = True
        try:
            # Laid out as a direct reply is (bot.channels.telegram_render).
            for method in render(chat_id, message, extra=extra).calls:
                await self.bot(method)
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after), exc.message) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(exc.message) from exc
        except TelegramBadRequest as exc:
            raise PermanentFailure(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TemporaryFailure(str(exc)) from exc
