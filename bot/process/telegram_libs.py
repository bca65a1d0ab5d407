"""Which client library carries Telegram (TELEGRAM_TRANSPORT): aiogram, or python-telegram-bot
when its extra is installed. The one place that picks; everything after works on the shared
`BotClient` and `UpdateFeed` (bot.channels.telegram_client)."""

from __future__ import annotations

from bot.channels.telegram_chat import TelegramChat
from bot.channels.telegram_client import AIOGRAM, PTB, TRANSPORTS, BotClient, UpdateFeed
from bot.settings import ConfigError

MISSING_PTB = (
    "configuration error: TELEGRAM_TRANSPORT: ptb needs python-telegram-bot 22, "
    "not installed (pip install 'shuraka[ptb]')"
)


def open_client(transport: str, token: str, api_base: str | None = None) -> BotClient:
    if transport == AIOGRAM:
        from bot.channels.telegram import AiogramClient, create_bot

        return AiogramClient(create_bot(token, api_base))
    if transport == PTB:
        try:
            from bot.channels.telegram_ptb import PtbClient
            from bot.channels.telegram_ptb import create_bot as create_ptb_bot
        except ImportError:
            raise ConfigError(MISSING_PTB) from None
        return PtbClient(create_ptb_bot(token, api_base))
    raise ConfigError(
        f"configuration error: TELEGRAM_TRANSPORT: {transport!r} is not one of "
        + ", ".join(TRANSPORTS)
    )


def feed_for(client: BotClient, chat: TelegramChat) -> UpdateFeed:
    """The update side of the library `client` belongs to."""
    from bot.channels.telegram import AiogramClient, AiogramFeed

    if isinstance(client, AiogramClient):
        return AiogramFeed(client.bot, chat)
    from bot.channels.telegram_ptb import PtbClient, PtbFeed

    if isinstance(client, PtbClient):
        return PtbFeed(client.bot, chat)
    raise TypeError(f"no update feed for {type(client).__name__}")
