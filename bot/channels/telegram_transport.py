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
from aiogram.methods import SendDocument, SendLocation, SendMessage, SendPhoto

from bot.channels.telegram import CAPTION_LIMIT, CHANNEL, inline_keyboard, split_text
from bot.core.html_split import visible_len
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
            text = message.text
            if message.attachment is not None and message.attachment.file_id:
                # Telegram's 1024 counts UTF-16 units of the parsed text: an emoji is two.
                caption = text if visible_len(text) <= CAPTION_LIMIT else None
                method = SendPhoto if message.attachment.kind == "photo" else SendDocument
                field = "photo" if message.attachment.kind == "photo" else "document"
                file_field: dict[str, Any] = {field: message.attachment.file_id, **extra}
                buttons = (
                    inline_keyboard(message.choices)
                    if caption is not None and message.choices
                    else None
                )
                await self.bot(
                    method(
                        chat_id=chat_id,
                        caption=caption,
                        reply_markup=buttons,
                        **file_field,
                    )
                )
                if caption is not None:
                    return
            chunks = split_text(text)
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                markup = inline_keyboard(message.choices) if last and message.choices else None
                await self.bot(
                    SendMessage(chat_id=chat_id, text=chunk, reply_markup=markup, **extra)
                )
            if message.location is not None:
                await self.bot(
                    SendLocation(
                        chat_id=chat_id,
                        latitude=message.location.latitude,
                        longitude=message.location.longitude,
                    )
                )
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after), exc.message) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(exc.message) from exc
        except TelegramBadRequest as exc:
            raise PermanentFailure(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TemporaryFailure(str(exc)) from exc
