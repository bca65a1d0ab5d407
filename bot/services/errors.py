"""Typed domain errors. Each carries a catalog message id and its parameters, so every door can
tell the person in their own language: chat says it, the web shows it, the CLI prints it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.unit import Actor


class ServiceError(Exception):
    """A business rule refused the action; nothing of it was written."""

    msgid: str = "err.internal"

    def __init__(self, msgid: str | None = None, **params: Any) -> None:
        self.msgid = msgid or type(self).msgid
        self.params = params
        super().__init__(self.msgid)


class NotFound(ServiceError):
    """The thing acted on does not exist (any more)."""


class Conflict(ServiceError):
    """The thing acted on is in a state that does not allow the action (another staff member
    decided first, the shift has started, the place was taken)."""


class Forbidden(ServiceError):
    """The actor's role does not allow the action."""

    msgid = "staff.only"


class TooMany(ServiceError):
    """The client tried too often in a short time (bot.core.throttle); it may try again later."""

    msgid = "err.too_many"


def require_staff(actor: Actor) -> None:
    """Services check the role again for actions that need one (the door checked it first)."""
    if not actor.is_staff:
        raise Forbidden()
