"""Productive families: registration, stall requests, staff review (issue 5)."""

from __future__ import annotations

from bot.core.flow import BotApp


def register(app: BotApp) -> None:
    """Filled in by the families feature."""
