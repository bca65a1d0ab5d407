"""Events and volunteer shifts (issue 6)."""

from __future__ import annotations

from bot.core.flow import BotApp


def register(app: BotApp) -> None:
    """Filled in by the events feature."""
